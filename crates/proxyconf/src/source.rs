//! A config file's bytes plus a line index, so any byte offset can be reported as line:col.

use crate::bytes::Bytes;
use crate::error::{Error, Result};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// One config file as read from disk; every span in the engine points into `bytes`.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user or an `include` named it.
    pub path: PathBuf,
    /// The raw bytes; never re-encoded. Shared, so a parse can borrow them while the inventory grows.
    pub bytes: Arc<Bytes>,
    /// Built on the first line lookup: a one-server edit of a big file may never need it.
    line_starts: OnceLock<Vec<usize>>,
}

impl Source {
    /// Wraps bytes read from `path`.
    pub fn new(path: PathBuf, bytes: impl Into<Bytes>) -> Self {
        Source {
            path,
            bytes: Arc::new(bytes.into()),
            line_starts: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = Vec::with_capacity(self.bytes.len() / 40 + 1);
            starts.push(0);
            starts.extend(memchr::memchr_iter(b'\n', &self.bytes).map(|i| i + 1));
            starts
        })
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.line_starts().partition_point(|&s| s <= offset)
    }

    /// Offset of the first byte of 1-based `line`.
    pub fn offset_of_line(&self, line: usize) -> Option<usize> {
        line.checked_sub(1)
            .and_then(|i| self.line_starts().get(i))
            .copied()
    }

    /// 1-based (line, column); the column counts bytes, like nginx and haproxy do.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        (line, offset - self.line_starts()[line - 1] + 1)
    }

    /// Offset of the first byte of the line holding `offset`.
    pub fn line_start(&self, offset: usize) -> usize {
        let to = offset.min(self.bytes.len());
        memchr::memrchr(b'\n', &self.bytes[..to]).map_or(0, |p| p + 1)
    }

    /// Offset just past the content of the line holding `offset`, before any `\r\n` or `\n`.
    pub fn line_end(&self, offset: usize) -> usize {
        let from = offset.min(self.bytes.len());
        let mut end =
            memchr::memchr(b'\n', &self.bytes[from..]).map_or(self.bytes.len(), |p| from + p);
        if end > 0 && end > offset && self.bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end
    }

    /// Offset of the first non-blank byte of the line holding `offset`.
    pub fn first_non_blank(&self, offset: usize) -> usize {
        let start = self.line_start(offset);
        start
            + self.bytes[start..]
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(0)
    }

    /// Whether only blanks lie in `range`.
    pub fn is_blank(&self, range: Range<usize>) -> bool {
        self.bytes[range]
            .iter()
            .all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
    }

    /// Where `offset` is, for messages (`path:line:col`).
    pub fn at(&self, offset: usize) -> crate::error::Location {
        let (line, col) = self.line_col(offset);
        crate::error::Location {
            path: self.path.clone(),
            line,
            col,
        }
    }

    /// Counts lines forward from a known (offset, line) pair: a walk in file order learns each
    /// line number without building the whole index.
    pub(crate) fn line_after(&self, from: (usize, usize), offset: usize) -> (usize, usize) {
        if offset < from.0 {
            return (offset, self.line(offset));
        }
        (offset, from.1 + count_newlines(&self.bytes[from.0..offset]))
    }

    /// Lossy text of a span, for messages and inventory fields.
    pub fn text(&self, range: Range<usize>) -> String {
        String::from_utf8_lossy(&self.bytes[range]).into_owned()
    }
}

/// Text of config bytes as Rust holds it: the common valid UTF-8 case through the fast
/// validator, anything else lossily (`U+FFFD` for bytes that are not UTF-8).
pub fn text_of(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// Newlines in `b`, counted 64 bytes at a time into a `u8` so the compiler vectorizes it.
fn count_newlines(b: &[u8]) -> usize {
    let chunks = b.chunks_exact(64);
    let tail = chunks.remainder().iter().filter(|&&c| c == b'\n').count();
    chunks
        .map(|c| c.iter().map(|&x| u8::from(x == b'\n')).sum::<u8>() as usize)
        .sum::<usize>()
        + tail
}

/// Largest config file the engine reads: far above any real config, far below a memory problem.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a config file: a regular file of at most [`MAX_FILE_BYTES`], with an error that names it.
/// (A device such as /dev/zero, or a huge file, would otherwise hang or exhaust memory.)
pub(crate) fn read(path: &Path) -> Result<Bytes> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "read", e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, "stat", e))?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{} is not a regular file; give the path of a config file",
            path.display()
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::Usage(format!(
            "{} is {} MiB; configs larger than {} MiB are refused",
            path.display(),
            meta.len() >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    // The limit bounds a file that grows while it is read (or lies about its size, like /proc files).
    let bytes = Bytes::read(file, meta.len() as usize, MAX_FILE_BYTES)
        .map_err(|e| Error::io(path, "read", e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Usage(format!(
            "{} grew past {} MiB while being read",
            path.display(),
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Whether the file at `path` still holds exactly `bytes`: read through one small buffer, so the
/// check under the lock costs no second copy of a big file (nor its page faults).
pub(crate) fn still_holds(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if file.metadata().map(|m| m.len()).ok() != Some(bytes.len() as u64) {
        return false;
    }
    let mut buf = vec![0u8; 64 << 10];
    let mut seen = 0;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return seen == bytes.len(),
            Ok(n) => {
                if bytes.get(seen..seen + n) != Some(&buf[..n]) {
                    return false;
                }
                seen += n;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let s = Source::new("f".into(), b"ab\r\ncd\nef".to_vec());
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(4), (2, 1));
        assert_eq!(s.line_col(8), (3, 2));
        assert_eq!(s.line_end(0), 2);
        assert_eq!(s.line_end(4), 6);
        assert_eq!(s.line_end(8), 9);
        assert_eq!(s.line_start(5), 4);
        assert_eq!(s.line_start(4), 4);
        assert_eq!(s.line_after((0, 1), 8), (8, 3));
        assert_eq!(s.line_after((8, 3), 1), (1, 1));
        let long = b"x\n".repeat(100);
        assert_eq!(count_newlines(&long[1..]), 100);
    }

    #[test]
    fn still_holds_compares_every_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &big).expect("write");
        assert!(still_holds(&path, &big));
        let mut changed = big.clone();
        changed[150_000] ^= 1;
        assert!(!still_holds(&path, &changed));
        assert!(!still_holds(&path, &big[..big.len() - 1]));
        assert!(!still_holds(&dir.path().join("missing"), b""));
    }
}
