//! The trailing comment that marks what upstream-toggle disabled:
//! `# upstream-toggle: disabled <RFC 3339 UTC time> [lines=N] [reason]`.
//!
//! A comment is a marker only when it parses completely (a real timestamp), so a person's
//! look-alike note (`# upstream-toggle: disabled by ops, do NOT re-enable`) is never one. The
//! reason comes last and cannot hold `#`, so it can neither forge a field nor hide a second tag.

use crate::server::{Marker, Split};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1};
use nom::character::complete::{digit1, space1};
use nom::combinator::{eof, map, map_res, opt, peek, rest, value, verify};
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser};
use std::ops::Range;
use std::time::SystemTime;

const TAG: &[u8] = b"# upstream-toggle: disabled";
/// Far above any real directive; keeps a hand-edited `lines=` from reaching across a file.
const MAX_LINES: usize = 1000;

/// The text appended at the end of a disabled server's last line. `lines` > 1 records how many
/// lines a commented-out directive spans, so it is read back exactly; it is also written whenever
/// a reason follows, so the reason can never be read as that field.
pub fn render(now: SystemTime, reason: Option<&str>, lines: usize, split: Split) -> String {
    let reason = reason.map(clean_reason).filter(|r| !r.is_empty());
    let mut s = format!(
        " {} {}",
        String::from_utf8_lossy(TAG),
        humantime::format_rfc3339_seconds(now)
    );
    let split_word = match (split.before, split.after) {
        (true, true) => ",split=both",
        (true, false) => ",split=before",
        (false, true) => ",split=after",
        (false, false) => "",
    };
    if lines > 1 || reason.is_some() || !split_word.is_empty() {
        s.push_str(&format!(" lines={}{split_word}", lines.max(1)));
    }
    if let Some(r) = reason {
        s.push(' ');
        s.push_str(&r);
    }
    s
}

/// A reason stays on one line, holds no control characters and no `#` (which would start a
/// look-alike marker inside it).
pub fn clean_reason(reason: &str) -> String {
    reason
        .chars()
        .filter(|&c| c != '#')
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

type Fields<'a> = (&'a str, Option<(usize, Split)>, &'a str);

/// The fields after the tag: ` <time>[ lines=N[,split=before|after|both]][ reason]`.
fn fields(i: &str) -> IResult<&str, Fields<'_>> {
    let time = verify(take_till1(char::is_whitespace), |t: &str| {
        humantime::parse_rfc3339(t).is_ok()
    });
    let count = map_res(digit1, str::parse::<usize>);
    let split = alt((
        value(
            Split {
                before: true,
                after: true,
            },
            tag(",split=both"),
        ),
        value(
            Split {
                before: true,
                after: false,
            },
            tag(",split=before"),
        ),
        value(
            Split {
                before: false,
                after: true,
            },
            tag(",split=after"),
        ),
    ));
    let lines = terminated(
        preceded((space1, tag("lines=")), (count, opt(split))),
        peek((opt(space1), opt(eof))),
    );
    let lines = map(lines, |(n, s)| (n, s.unwrap_or_default()));
    (preceded(space1, time), opt(lines), rest).parse(i)
}

/// Finds the marker in `line` (a comment's or a line's byte range): the bytes to remove and its
/// fields. Only the last tag on the line is considered, since the tool always appends at the end.
pub fn find(bytes: &[u8], line: Range<usize>) -> Option<(Range<usize>, Marker)> {
    let text = &bytes[line.clone()];
    // `render` always puts a blank before the tag; without one, the text sits inside a word.
    let at = memchr::memmem::rfind(text, TAG)?;
    let tag_start = line.start + at;
    if !(tag_start == 0 || matches!(bytes[tag_start - 1], b' ' | b'\t')) {
        return None;
    }
    let after = String::from_utf8_lossy(&bytes[tag_start + TAG.len()..line.end]);
    let (_, (time, lines, reason)) = fields(&after).ok()?;
    let (lines, split) = lines.unwrap_or((1, Split::default()));
    if !(1..=MAX_LINES).contains(&lines) {
        return None;
    }
    let reason = reason.trim();
    // The one space `render` puts before the tag may sit just outside the comment's span.
    let remove_start = if tag_start > 0 && bytes[tag_start - 1] == b' ' {
        tag_start - 1
    } else {
        tag_start
    };
    let marker = Marker {
        at: time.to_string(),
        reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
        lines,
        split,
    };
    Some((remove_start..line.end, marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Option<Marker> {
        find(line.as_bytes(), 0..line.len()).map(|(_, m)| m)
    }

    #[test]
    fn render_then_find() {
        let m = render(
            SystemTime::UNIX_EPOCH,
            Some("deploy\n42"),
            3,
            Split::default(),
        );
        let line = format!("server x;{m}");
        let (range, marker) = find(line.as_bytes(), 0..line.len()).expect("found");
        assert_eq!(&line[..range.start], "server x;");
        assert_eq!(marker.at, "1970-01-01T00:00:00Z");
        assert_eq!(marker.reason.as_deref(), Some("deploy 42"));
        assert_eq!(marker.lines, 3);
    }

    #[test]
    fn a_persons_look_alike_is_not_a_marker() {
        assert!(read("server x; # upstream-toggle: disabled by ops, do NOT re-enable").is_none());
        assert!(read("server x; # upstream-toggle: disabled 2026-13-45T99:00:00Z").is_none());
        assert!(read("server x; # upstream-toggle: disabled yesterday lines=2").is_none());
        assert!(read("server x; # upstream-toggle: disabled").is_none());
        assert!(read("server x; #upstream-toggle: disabled 2026-01-01T00:00:00Z").is_none());
        let m = read("server x; # upstream-toggle: disabled 2026-01-01T00:00:00Z").expect("real");
        assert_eq!((m.lines, m.reason), (1, None));
    }

    #[test]
    fn a_reason_cannot_forge_fields() {
        for (reason, lines) in [
            ("lines=3 ticket 42", 1),
            ("lines=3", 1),
            ("lines=3 ticket 42", 2),
            (
                "# upstream-toggle: disabled 2020-01-01T00:00:00Z lines=9",
                1,
            ),
        ] {
            let line = format!(
                "server x;{}",
                render(
                    SystemTime::UNIX_EPOCH,
                    Some(reason),
                    lines,
                    Split::default()
                )
            );
            let m = read(&line).expect("marker");
            assert_eq!(m.lines, lines, "{line}");
            assert_eq!(m.at, "1970-01-01T00:00:00Z", "{line}");
            assert!(!m.reason.unwrap_or_default().contains('#'));
        }
    }

    #[test]
    fn split_is_read_back() {
        let both = Split {
            before: true,
            after: true,
        };
        let line = format!(
            "server x;{}",
            render(
                SystemTime::UNIX_EPOCH,
                Some("split=both"),
                1,
                Split::default()
            )
        );
        assert_eq!(read(&line).expect("marker").split, Split::default());
        let line = format!("server x;{}", render(SystemTime::UNIX_EPOCH, None, 1, both));
        assert_eq!(read(&line).expect("marker").split, both);
    }

    #[test]
    fn old_markers_without_lines_still_read() {
        let m = read("server x; # upstream-toggle: disabled 2025-05-01T10:00:00Z deploy 7\r")
            .expect("marker");
        assert_eq!((m.lines, m.reason.as_deref()), (1, Some("deploy 7")));
    }
}
