//! haproxy's line tokenizer (configuration.txt §2.2): blanks split words, `\` escapes,
//! `"..."` and `'...'` quote, and an unquoted `#` starts a comment.

use std::ops::Range;

/// One word with its raw span and its value after quoting and escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Raw bytes in the source.
    pub span: Range<usize>,
    /// What haproxy sees.
    pub value: Vec<u8>,
}

/// One line of the config.
#[derive(Debug, Clone)]
pub struct Line {
    /// First byte of the line.
    pub start: usize,
    /// End of the content, before `\r\n` or `\n`.
    pub end: usize,
    /// The words before any comment.
    pub words: Vec<Word>,
    /// The `#` comment, to the end of the content.
    pub comment: Option<Range<usize>>,
}

/// An unterminated quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// Offset of the opening quote.
    pub offset: usize,
    /// What went wrong.
    pub message: String,
}

/// Splits `src` into lines of words.
pub fn lines(src: &[u8]) -> Result<Vec<Line>, LexError> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < src.len() {
        let nl = src[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(src.len(), |p| start + p);
        let end = if nl > start && src[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        out.push(line(src, start, end)?);
        start = nl + 1;
    }
    Ok(out)
}

/// Tokenizes one line's content `src[start..end]`.
pub fn line(src: &[u8], start: usize, end: usize) -> Result<Line, LexError> {
    let mut words = Vec::new();
    let mut comment = None;
    let mut i = start;
    while i < end {
        let c = src[i];
        if c == b' ' || c == b'\t' {
            i += 1;
            continue;
        }
        if c == b'#' {
            comment = Some(i..end);
            break;
        }
        let w_start = i;
        let mut value = Vec::new();
        let mut quote: Option<(u8, usize)> = None;
        while i < end {
            let c = src[i];
            match quote {
                Some((q, _)) if c == q => {
                    quote = None;
                    i += 1;
                }
                Some((b'\'', _)) => {
                    value.push(c);
                    i += 1;
                }
                _ if c == b'\\' && i + 1 < end => {
                    let (v, used) = unescape(&src[i + 1..end]);
                    value.extend_from_slice(&v);
                    i += 1 + used;
                }
                Some(_) => {
                    value.push(c);
                    i += 1;
                }
                None if c == b' ' || c == b'\t' || c == b'#' => break,
                None if c == b'"' || c == b'\'' => {
                    quote = Some((c, i));
                    i += 1;
                }
                None => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        if let Some((q, at)) = quote {
            return Err(LexError {
                offset: at,
                message: format!("unmatched {} quote: close it on the same line", q as char),
            });
        }
        words.push(Word {
            span: w_start..i,
            value,
        });
    }
    Ok(Line {
        start,
        end,
        words,
        comment,
    })
}

fn unescape(rest: &[u8]) -> (Vec<u8>, usize) {
    match rest[0] {
        b'r' => (vec![b'\r'], 1),
        b'n' => (vec![b'\n'], 1),
        b't' => (vec![b'\t'], 1),
        b'x' if rest.len() >= 3 => {
            match u8::from_str_radix(&String::from_utf8_lossy(&rest[1..3]), 16) {
                Ok(v) => (vec![v], 3),
                Err(_) => (vec![b'\\', b'x'], 1),
            }
        }
        c => (vec![c], 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        line(s.as_bytes(), 0, s.len())
            .expect("lexes")
            .words
            .iter()
            .map(|w| String::from_utf8_lossy(&w.value).into_owned())
            .collect()
    }

    #[test]
    fn quoting_escapes_and_comments() {
        assert_eq!(
            words(r#"a\ b "c d" 'e\f' g#h"#),
            vec!["a b", "c d", r"e\f", "g"]
        );
        assert_eq!(words(r##"x "#y" \#z # tail"##), vec!["x", "#y", "#z"]);
        let l = line(b"server s1 1.2.3.4:80 # c", 0, 24).expect("lexes");
        assert_eq!(l.comment, Some(21..24));
    }

    #[test]
    fn unmatched_quote_is_an_error() {
        assert_eq!(line(b"a \"b", 0, 4).expect_err("quote").offset, 2);
    }
}
