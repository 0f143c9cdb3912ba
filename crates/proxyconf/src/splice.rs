//! Edits as byte splices on the original buffer: untouched bytes are kept by construction.

use crate::error::{Error, Result};
use std::ops::Range;

/// Replace `range` of the original bytes with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    /// Bytes replaced (empty for an insertion).
    pub range: Range<usize>,
    /// The replacement.
    pub text: Vec<u8>,
}

impl Splice {
    /// Inserts `text` at `at`.
    pub fn insert(at: usize, text: impl Into<Vec<u8>>) -> Self {
        Splice {
            range: at..at,
            text: text.into(),
        }
    }

    /// Deletes `range`.
    pub fn delete(range: Range<usize>) -> Self {
        Splice {
            range,
            text: Vec::new(),
        }
    }
}

/// Sorts, drops exact duplicates (a file included twice), and refuses overlaps.
pub fn normalize(mut splices: Vec<Splice>) -> Result<Vec<Splice>> {
    splices.sort_by_key(|s| (s.range.start, s.range.end));
    splices.dedup();
    for w in splices.windows(2) {
        if w[0].range.end > w[1].range.start {
            return Err(Error::Runtime(format!(
                "two edits overlap at byte {}; toggle these servers one command at a time",
                w[1].range.start
            )));
        }
    }
    Ok(splices)
}

/// Applies sorted, non-overlapping splices.
pub fn apply(bytes: &[u8], splices: &[Splice]) -> Vec<u8> {
    let extra: usize = splices.iter().map(|s| s.text.len()).sum();
    let mut out = Vec::with_capacity(bytes.len() + extra);
    let mut pos = 0;
    for s in splices {
        out.extend_from_slice(&bytes[pos..s.range.start]);
        out.extend_from_slice(&s.text);
        pos = s.range.end;
    }
    out.extend_from_slice(&bytes[pos..]);
    out
}

/// Writes the spliced bytes to `out` from slices of the original, with no second buffer.
pub fn write(
    bytes: &[u8],
    splices: &[Splice],
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut pos = 0;
    for s in splices {
        out.write_all(&bytes[pos..s.range.start])?;
        out.write_all(&s.text)?;
        pos = s.range.end;
    }
    out.write_all(&bytes[pos..])
}

/// The spliced bytes of `range` of the original alone; None when a splice crosses its edge.
pub fn apply_within(bytes: &[u8], splices: &[Splice], range: Range<usize>) -> Option<Vec<u8>> {
    let crosses = |s: &Splice| {
        let inside = s.range.start >= range.start && s.range.end <= range.end;
        let outside = s.range.end <= range.start || s.range.start >= range.end;
        !inside && !outside
    };
    if splices.iter().any(crosses) {
        return None;
    }
    let inside: Vec<Splice> = splices
        .iter()
        .filter(|s| s.range.start >= range.start && s.range.end <= range.end)
        .map(|s| Splice {
            range: s.range.start - range.start..s.range.end - range.start,
            text: s.text.clone(),
        })
        .collect();
    Some(apply(&bytes[range], &inside))
}

/// Where an original offset lands after the splices (offsets inside a replaced range move to its start).
pub fn map_offset(splices: &[Splice], offset: usize) -> usize {
    let mut delta: isize = 0;
    for s in splices {
        if s.range.start >= offset && !(s.range.is_empty() && s.range.start == offset) {
            break;
        }
        if s.range.end > offset {
            return (s.range.start as isize + delta) as usize;
        }
        delta += s.text.len() as isize - s.range.len() as isize;
    }
    (offset as isize + delta) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_and_windowed_splices_agree_with_apply() {
        let src = b"0123456789";
        let s = vec![Splice::insert(2, "ab"), Splice::delete(5..7)];
        let mut out = Vec::new();
        write(src, &s, &mut out).expect("write");
        assert_eq!(out, apply(src, &s));
        assert_eq!(
            apply_within(src, &s, 1..8).as_deref(),
            Some(&b"1ab2347"[..])
        );
        assert_eq!(
            apply_within(src, &s, 6..9),
            None,
            "a splice across the edge"
        );
    }

    #[test]
    fn apply_and_map() {
        let s = normalize(vec![Splice::insert(3, "XY"), Splice::delete(0..1)]).expect("ok");
        assert_eq!(apply(b"abcdef", &s), b"bcXYdef");
        assert_eq!(map_offset(&s, 4), 5);
        assert_eq!(map_offset(&s, 1), 0);
    }

    #[test]
    fn overlaps_are_refused() {
        assert!(normalize(vec![Splice::delete(0..3), Splice::delete(2..4)]).is_err());
    }
}
