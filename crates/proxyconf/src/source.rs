//! A config file's bytes plus a line index, so any byte offset can be reported as line:col.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// One config file as read from disk; every span in the engine points into `bytes`.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user or an `include` named it.
    pub path: PathBuf,
    /// The raw bytes; never re-encoded. Shared, so a parse can borrow them while the inventory grows.
    pub bytes: Arc<Vec<u8>>,
    line_starts: Vec<usize>,
}

impl Source {
    /// Wraps bytes read from `path`.
    pub fn new(path: PathBuf, bytes: Vec<u8>) -> Self {
        let mut line_starts = Vec::with_capacity(bytes.len() / 40 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', &bytes).map(|i| i + 1));
        Source {
            path,
            bytes: Arc::new(bytes),
            line_starts,
        }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    /// Offset of the first byte of 1-based `line`.
    pub fn offset_of_line(&self, line: usize) -> Option<usize> {
        line.checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .copied()
    }

    /// 1-based (line, column); the column counts bytes, like nginx and haproxy do.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        (line, offset - self.line_starts[line - 1] + 1)
    }

    /// Offset of the first byte of the line holding `offset`.
    pub fn line_start(&self, offset: usize) -> usize {
        self.line_starts[self.line(offset) - 1]
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

    /// `path:line:col` for messages.
    pub fn at(&self, offset: usize) -> String {
        let (l, c) = self.line_col(offset);
        format!("{}:{}:{}", self.path.display(), l, c)
    }

    /// Lossy text of a span, for messages and inventory fields.
    pub fn text(&self, range: Range<usize>) -> String {
        String::from_utf8_lossy(&self.bytes[range]).into_owned()
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
    }
}
