//! nginx tokenizer over bytes, following `ngx_conf_read_token` (src/core/ngx_conf_file.c).

use std::ops::Range;

/// What a token is; `span` on [`Token`] always covers its raw bytes (quotes included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted word; `}` and `${...}` inside it are literal.
    Word,
    /// A `"..."` or `'...'` string.
    Quoted,
    /// `;`
    Semicolon,
    /// `{`
    Open,
    /// `}`
    Close,
    /// `#` to the end of the line; only at the start of a token.
    Comment,
    /// The end of the input (from [`Lexer::scan`] only).
    End,
    /// A lexing error, kept in the lexer (from [`Lexer::scan`] only).
    Error,
}

/// One token with its byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's kind.
    pub kind: Kind,
    /// Its raw bytes in the source.
    pub span: Range<usize>,
}

/// A lexing error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// Where it happened.
    pub offset: usize,
    /// What nginx would say.
    pub message: String,
}

/// Pull-based lexer; the parser drives it so it can switch to Lua for `*_by_lua_block`.
pub struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    error: Option<LexError>,
}

pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Bytes that end or need care inside an unquoted word; everything else is skipped in one tight loop.
const WORD_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let specials = [b' ', b'\t', b'\r', b'\n', b';', b'{', b'\\', b'$'];
    let mut i = 0;
    while i < specials.len() {
        t[specials[i] as usize] = true;
        i += 1;
    }
    t
};

impl<'a> Lexer<'a> {
    /// Starts at `pos` in `bytes`.
    pub fn new(bytes: &'a [u8], pos: usize) -> Self {
        Lexer {
            bytes,
            pos,
            error: None,
        }
    }

    /// Where the next token is looked for.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves on to `pos`, past bytes a caller has read itself.
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The next token, `Ok(None)` at end of input.
    pub fn next_token(&mut self) -> Result<Option<Token>, LexError> {
        let t = self.scan();
        match t.kind {
            Kind::End => Ok(None),
            Kind::Error => Err(self.take_error()),
            _ => Ok(Some(t)),
        }
    }

    /// The error a [`Kind::Error`] token stands for.
    pub fn take_error(&mut self) -> LexError {
        self.error.take().unwrap_or(LexError {
            offset: self.pos,
            message: "unexpected input".into(),
        })
    }

    fn fail(&mut self, offset: usize, message: String) -> Token {
        self.error = Some(LexError { offset, message });
        Token {
            kind: Kind::Error,
            span: offset..offset,
        }
    }

    /// The next token as a plain value: `Kind::End` at end of input, `Kind::Error` with the error
    /// kept for [`Lexer::take_error`]. (A plain token keeps the parser's hot loop free of a
    /// `Result<Option<_>>` passed through memory.)
    ///
    /// ngx_conf_read_token, while `last_space` is set (between tokens):
    /// ```c
    /// if (last_space) {
    ///     if (ch == ' ' || ch == '\t' || ch == CR || ch == LF) continue;
    ///     start = b->pos - 1;
    ///     switch (ch) {
    ///     case ';': case '{': ... return NGX_OK / NGX_CONF_BLOCK_START;
    ///     case '}': ... return NGX_CONF_BLOCK_DONE;
    ///     case '#': sharp_comment = 1; continue;
    ///     case '\\': quoted = 1; last_space = 0; continue;
    ///     case '"': start++; d_quoted = 1; last_space = 0; continue;
    ///     case '\'': start++; s_quoted = 1; last_space = 0; continue;
    ///     default: last_space = 0;
    ///     }
    /// }
    /// ```
    pub fn scan(&mut self) -> Token {
        let b = self.bytes;
        let mut start = self.pos;
        while start < b.len() && is_space(b[start]) {
            start += 1;
        }
        self.pos = start;
        if start >= b.len() {
            return Token {
                kind: Kind::End,
                span: start..start,
            };
        }
        let one = |kind| Token {
            kind,
            span: start..start + 1,
        };
        match b[start] {
            b';' => {
                self.pos += 1;
                one(Kind::Semicolon)
            }
            b'{' => {
                self.pos += 1;
                one(Kind::Open)
            }
            b'}' => {
                self.pos += 1;
                one(Kind::Close)
            }
            b'#' => {
                let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |p| start + p);
                let end = if end > start + 1 && b[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                self.pos = end;
                Token {
                    kind: Kind::Comment,
                    span: start..end,
                }
            }
            q @ (b'"' | b'\'') => self.quoted(start, q),
            _ => self.word(start),
        }
    }

    /// ngx_conf_read_token with `d_quoted`/`s_quoted` set, and `need_space` after the close:
    /// ```c
    /// if (quoted) { quoted = 0; continue; }          /* the byte after '\\' */
    /// if (ch == '\\') { quoted = 1; continue; }
    /// if (d_quoted && ch == '"') { d_quoted = 0; need_space = 1; found = 1; }
    /// ...
    /// if (need_space) {
    ///     if (ch == ' ' || ch == '\t' || ch == CR || ch == LF) { last_space = 1; need_space = 0; continue; }
    ///     if (ch == ';') return NGX_OK;  if (ch == '{') return NGX_CONF_BLOCK_START;
    ///     if (ch == ')') { last_space = 1; need_space = 0; }
    ///     else { "unexpected \"%c\""; return NGX_ERROR; }
    /// }
    /// ```
    fn quoted(&mut self, start: usize, quote: u8) -> Token {
        let b = self.bytes;
        let mut i = start + 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                c if c == quote => {
                    let end = i + 1;
                    // nginx demands a separator right after a closing quote.
                    if end < b.len() && !is_space(b[end]) && !matches!(b[end], b';' | b'{' | b')') {
                        return self.fail(end, format!("unexpected \"{}\"", b[end] as char));
                    }
                    self.pos = end;
                    return Token {
                        kind: Kind::Quoted,
                        span: start..end,
                    };
                }
                _ => i += 1,
            }
        }
        self.fail(
            start,
            "unexpected end of file: this quoted string is never closed".into(),
        )
    }

    /// ngx_conf_read_token inside an unquoted word (`last_space` clear):
    /// ```c
    /// if (ch == '{' && variable) continue;           /* `${` does not open a block */
    /// variable = 0;
    /// if (ch == '\\') { quoted = 1; continue; }
    /// if (ch == '$') { variable = 1; continue; }
    /// if (ch == ' ' || ch == '\t' || ch == CR || ch == LF || ch == ';' || ch == '{') {
    ///     last_space = 1; found = 1;                 /* `}` and `#` inside a word are literal */
    /// }
    /// ```
    fn word(&mut self, start: usize) -> Token {
        let b = self.bytes;
        let mut i = start;
        loop {
            // Most of a word is ordinary bytes: skip them in a tight loop.
            while i < b.len() && !WORD_SPECIAL[b[i] as usize] {
                i += 1;
            }
            let Some(&c) = b.get(i) else { break };
            match c {
                b'\\' => i = (i + 2).min(b.len()),
                // `${` does not open a block: the brace belongs to the word.
                b'$' => i += if b.get(i + 1) == Some(&b'{') { 2 } else { 1 },
                _ => break, // blank, `;` or `{`
            }
        }
        self.pos = i;
        Token {
            kind: Kind::Word,
            span: start..i,
        }
    }

    /// Skips a Lua body whose `{` was just read; returns the offset of its closing `}`.
    pub fn lua_body(&mut self) -> Result<usize, LexError> {
        let b = self.bytes;
        let open = self.pos.saturating_sub(1);
        let mut depth = 1usize;
        let mut i = self.pos;
        while i < b.len() {
            match b[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        return Ok(i);
                    }
                }
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    i += 2;
                    if let Some(end) = long_bracket_end(b, i) {
                        i = end;
                    } else {
                        while i < b.len() && b[i] != b'\n' {
                            i += 1;
                        }
                    }
                    continue;
                }
                q @ (b'"' | b'\'') => {
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'[' => {
                    if let Some(end) = long_bracket_end(b, i) {
                        i = end;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        Err(LexError {
            offset: open,
            message: "unexpected end of file: this Lua block is never closed".into(),
        })
    }
}

/// If `[`, `=`*, `[` starts at `i`, the offset just past the matching `]`, `=`*, `]`.
fn long_bracket_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let level = b[i + 1..].iter().take_while(|&&c| c == b'=').count();
    if b.get(i + 1 + level) != Some(&b'[') {
        return None;
    }
    let mut close = vec![b']'];
    close.extend(std::iter::repeat_n(b'=', level));
    close.push(b']');
    let body = i + 2 + level;
    b[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())
        .map(|p| body + p + close.len())
        .or(Some(b.len()))
}

/// Whether a token's value is `word`, without building the value for a plain word.
pub fn value_is(raw: &[u8], kind: Kind, word: &[u8]) -> bool {
    if kind == Kind::Word {
        // Unescaping only shortens a word and never yields a letter from an escape, and a word
        // without `\` is its own value: most arguments are ruled out by their first byte.
        if raw.len() < word.len() || raw.first() != word.first() {
            return false;
        }
        if raw.len() == word.len() || !raw.contains(&b'\\') {
            return raw == word;
        }
    }
    value(raw, kind).as_ref() == word
}

/// The value nginx stores for a token: quotes dropped, `\"` `\'` `\\` `\t` `\r` `\n` unescaped.
pub fn value(raw: &[u8], kind: Kind) -> std::borrow::Cow<'_, [u8]> {
    let inner = if kind == Kind::Quoted && raw.len() >= 2 {
        &raw[1..raw.len() - 1]
    } else {
        raw
    };
    // Arguments are short: a plain scan beats memchr's setup here.
    if !inner.contains(&b'\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' && i + 1 < inner.len() {
            match inner[i + 1] {
                c @ (b'"' | b'\'' | b'\\') => {
                    out.push(c);
                    i += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(inner[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Kind, String)> {
        let mut l = Lexer::new(s.as_bytes(), 0);
        let mut v = vec![];
        while let Some(t) = l.next_token().expect("lexes") {
            v.push((t.kind, s[t.span].to_string()));
        }
        v
    }

    #[test]
    fn hash_inside_word_is_literal() {
        let k = kinds("a#b c; #real\n");
        assert_eq!(k[0], (Kind::Word, "a#b".into()));
        assert_eq!(k[3], (Kind::Comment, "#real".into()));
    }

    #[test]
    fn brace_inside_word_and_variable_braces() {
        let k = kinds("set $a ${b}x}y;");
        assert_eq!(k[2], (Kind::Word, "${b}x}y".into()));
        assert_eq!(k[3].0, Kind::Semicolon);
    }

    #[test]
    fn quotes_and_escapes() {
        let k = kinds(r#"a "b; {c}" 'd\'e' f\ g;"#);
        assert_eq!(k[1], (Kind::Quoted, r#""b; {c}""#.into()));
        assert_eq!(k[2], (Kind::Quoted, r"'d\'e'".into()));
        assert_eq!(k[3], (Kind::Word, r"f\ g".into()));
        assert_eq!(value(br"'d\'e'", Kind::Quoted).as_ref(), b"d'e");
        assert!(value_is(b"down", Kind::Word, b"down"));
        assert!(value_is(br#""down""#, Kind::Quoted, b"down"));
        assert!(!value_is(b"downs", Kind::Word, b"down"));
        assert!(!value_is(b"weight=2", Kind::Word, b"down"));
    }

    #[test]
    fn quote_must_be_followed_by_separator() {
        let mut l = Lexer::new(br#""a"b;"#, 0);
        assert!(l.next_token().is_err());
    }

    #[test]
    fn lua_body_skips_strings_comments_and_long_brackets() {
        let src = "{ local t = {\"}\", '}'} -- }\n x = [[ } ]] --[==[ } ]==] }rest";
        let mut l = Lexer::new(src.as_bytes(), 1);
        let close = l.lua_body().expect("closes");
        assert_eq!(&src[close..], "}rest");
    }
}
