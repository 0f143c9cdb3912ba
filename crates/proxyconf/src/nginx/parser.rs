//! Builds a lossless directive tree from nginx tokens; every node keeps its byte spans.

use super::lexer::{is_space, value, Kind, LexError, Lexer, Token};
use std::num::NonZeroUsize;
use std::ops::Range;

/// A directive: `name args... ;` or `name args... { ... }`.
#[derive(Debug, Clone)]
pub struct Directive {
    /// The name token.
    pub name: Token,
    /// Argument tokens, in order.
    pub args: Vec<Token>,
    /// Offset of the first byte of the name.
    pub start: usize,
    /// Offset just past the `;` or the closing `}` (just past the `{` while the block is open).
    pub end: usize,
    /// The block, for `{ ... }` directives.
    pub block: Option<Block>,
    /// A `#` comment on the same line right after the directive.
    pub trailing_comment: Option<Range<usize>>,
}

/// A `{ ... }` body.
#[derive(Debug, Clone)]
pub struct Block {
    /// Offset of `{`.
    pub open: usize,
    /// Offset of `}`, never 0 (a `{` comes first); None while the block is still open (in
    /// [`Visitor::open`]). The niche keeps `Block` small: the tree moves many of them.
    close: Option<NonZeroUsize>,
    /// Children; empty for opaque (Lua) bodies.
    pub items: Vec<Item>,
}

impl Block {
    /// Offset of `}`; None while the block is still open (during a streaming parse).
    pub fn close(&self) -> Option<usize> {
        self.close.map(NonZeroUsize::get)
    }

    fn closed_at(&mut self, close: usize) {
        self.close = NonZeroUsize::new(close);
    }
}

/// A child of a block or of the file.
#[derive(Debug, Clone)]
pub enum Item {
    /// A directive.
    Directive(Directive),
    /// A comment that is not trailing a directive.
    Comment(Range<usize>),
}

/// A parse error at a byte offset.
pub type ParseError = LexError;

impl Directive {
    /// The name as bytes.
    pub fn name_bytes<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        &src[self.name.span.clone()]
    }

    /// Unescaped value of argument `i`.
    pub fn arg<'s>(&self, src: &'s [u8], i: usize) -> Option<std::borrow::Cow<'s, [u8]>> {
        self.args
            .get(i)
            .map(|t| value(&src[t.span.clone()], t.kind))
    }
}

/// A directive written plainly, offered to [`Visitor::plain`] before it is lexed: a name and
/// arguments ended by `;`, with no quote, escape, `$`, `#` or brace anywhere in it. Its words are
/// then exactly its bytes split at blanks, and each word is its own value.
#[derive(Debug, Clone)]
pub struct Plain {
    /// Offset of the first byte of the name.
    pub start: usize,
    /// Offset just past the name.
    pub name_end: usize,
    /// Offset of the `;`.
    pub semi: usize,
    /// A `#` comment on the same line right after the `;`.
    pub trailing_comment: Option<Range<usize>>,
}

impl Plain {
    /// The span of the first argument, if there is one.
    pub fn first_arg(&self, src: &[u8]) -> Option<Range<usize>> {
        let body = &src[self.name_end..self.semi];
        let from = body.iter().position(|&c| !is_space(c))?;
        let len = body[from..].iter().take_while(|&&c| !is_space(c)).count();
        Some(self.name_end + from..self.name_end + from + len)
    }

    /// The directive the lexer would have made of it: a word token per blank-separated word.
    pub fn directive(&self, src: &[u8], mut args: Vec<Token>) -> Directive {
        args.clear();
        let body = &src[self.name_end..self.semi];
        let mut i = 0;
        while i < body.len() {
            if is_space(body[i]) {
                i += 1;
                continue;
            }
            let len = body[i..].iter().take_while(|&&c| !is_space(c)).count();
            let at = self.name_end + i;
            args.push(Token {
                kind: Kind::Word,
                span: at..at + len,
            });
            i += len;
        }
        Directive {
            name: Token {
                kind: Kind::Word,
                span: self.start..self.name_end,
            },
            args,
            start: self.start,
            end: self.semi + 1,
            block: None,
            trailing_comment: self.trailing_comment.clone(),
        }
    }
}

/// The first offset from `i` that is not a blank. Indentation is mostly spaces: eight at a time.
fn skip_blanks(src: &[u8], mut i: usize) -> usize {
    while src.get(i..i + 8) == Some(b"        ") {
        i += 8;
    }
    i + src[i.min(src.len())..]
        .iter()
        .take_while(|&&c| is_space(c))
        .count()
}

/// Longest plain directive looked for: a server line is far shorter, and a bound keeps the search
/// for its `;` from crossing a big block again and again.
const PLAIN_MAX: usize = 512;

/// The plain directive starting at `start`, if one does.
fn plain_at(src: &[u8], start: usize) -> Option<Plain> {
    let window = &src[start..src.len().min(start + PLAIN_MAX)];
    let semi = start + memchr::memchr(b';', window)?;
    let body = &src[start..semi];
    // One pass with no early exit, so it compiles to vector compares.
    let special = body.iter().fold(false, |seen, &c| {
        seen | matches!(c, b'"' | b'\'' | b'\\' | b'$' | b'#' | b'{' | b'}')
    });
    if body.is_empty() || special {
        return None;
    }
    let name_end = start + body.iter().position(|&c| is_space(c)).unwrap_or(body.len());
    // As `Parser::trailing_comment`: a comment with no line break between it and the `;`.
    let after = semi + 1;
    let hash = after
        + src[after..]
            .iter()
            .take_while(|&&c| matches!(c, b' ' | b'\t' | b'\r'))
            .count();
    let trailing_comment = (src.get(hash) == Some(&b'#')).then(|| {
        // Such comments are short: a plain loop beats memchr's setup.
        let end = src[hash..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(src.len(), |p| hash + p);
        let end = if end > hash + 1 && src[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        hash..end
    });
    Some(Plain {
        start,
        name_end,
        semi,
        trailing_comment,
    })
}

/// Receives the parse as events, so a caller can act on each directive without keeping the tree.
pub trait Visitor {
    /// The caller's error type.
    type Error;
    /// Whether the directives of the innermost open block may be offered to [`Visitor::plain`].
    fn skims(&self) -> bool {
        false
    }
    /// A plain directive, before it is lexed: true when the visitor has all it needs from it, and
    /// the parser moves on past it and its trailing comment; false to have it lexed and visited.
    /// (A one-server edit of a big config counts most server lines this way.)
    fn plain(&mut self, _: &Plain) -> Result<bool, Self::Error> {
        Ok(false)
    }
    /// A directive ended by `;`, or a `*_by_lua_block` (its block is opaque, with no items).
    fn directive(&mut self, d: &mut Directive) -> Result<(), Self::Error>;
    /// A block directive's `{`; its `block` has no `close` and no items yet.
    fn open(&mut self, d: &mut Directive) -> Result<(), Self::Error>;
    /// The `}` at `close` ending the innermost open block, with the comment trailing it.
    fn close(
        &mut self,
        close: usize,
        trailing_comment: Option<Range<usize>>,
    ) -> Result<(), Self::Error>;
    /// A comment that does not trail a directive.
    fn comment(&mut self, span: Range<usize>) -> Result<(), Self::Error>;
}

/// Why a visit stopped.
#[derive(Debug)]
pub enum VisitError<E> {
    /// The bytes are not valid nginx syntax.
    Parse(ParseError),
    /// The visitor gave up.
    Visitor(E),
}

impl<E> From<ParseError> for VisitError<E> {
    fn from(e: ParseError) -> Self {
        VisitError::Parse(e)
    }
}

/// Deepest block nesting accepted; real configs stay under ten, and a bound keeps hostile input cheap.
pub const MAX_DEPTH: usize = 200;

/// Parses `src`, feeding `v`. Iterative, so deep nesting cannot overflow the stack.
pub fn visit<V: Visitor>(src: &[u8], v: &mut V) -> Result<(), VisitError<V::Error>> {
    let mut p = Parser {
        src,
        lexer: Lexer::new(src, 0),
        peeked: None,
        spare: Vec::new(),
    };
    let mut opens: Vec<usize> = Vec::new();
    loop {
        if v.skims() && p.offer_plain(v).map_err(VisitError::Visitor)? {
            continue;
        }
        let tok = p.next_raw();
        match tok.kind {
            Kind::End => {
                return match opens.last() {
                    None => Ok(()),
                    Some(&o) => Err(VisitError::Parse(ParseError {
                        offset: o,
                        message: "unexpected end of file, expecting \"}\" to close this block"
                            .into(),
                    })),
                }
            }
            Kind::Error => return Err(VisitError::Parse(p.lexer.take_error())),
            Kind::Comment => v.comment(tok.span).map_err(VisitError::Visitor)?,
            Kind::Close => {
                if opens.pop().is_none() {
                    return Err(VisitError::Parse(ParseError {
                        offset: tok.span.start,
                        message: "unexpected \"}\"".into(),
                    }));
                }
                let trailing = p.trailing_comment(tok.span.end)?;
                v.close(tok.span.start, trailing)
                    .map_err(VisitError::Visitor)?;
            }
            Kind::Semicolon | Kind::Open => {
                return Err(VisitError::Parse(ParseError {
                    offset: tok.span.start,
                    message: format!("unexpected \"{}\"", src[tok.span.start] as char),
                }))
            }
            Kind::Word | Kind::Quoted => {
                let mut d = p.directive(tok)?;
                match &d.block {
                    Some(b) if b.close.is_none() => {
                        if opens.len() >= MAX_DEPTH {
                            return Err(VisitError::Parse(ParseError {
                                offset: b.open,
                                message: format!("blocks nest deeper than {MAX_DEPTH} levels"),
                            }));
                        }
                        opens.push(b.open);
                        v.open(&mut d).map_err(VisitError::Visitor)?;
                    }
                    _ => v.directive(&mut d).map_err(VisitError::Visitor)?,
                }
                p.spare = d.args; // reuse the argument buffer for the next directive
            }
        }
    }
}

/// Parses a whole file (or an included fragment) into a tree.
pub fn parse(src: &[u8]) -> Result<Vec<Item>, ParseError> {
    let mut t = TreeBuilder::default();
    match visit(src, &mut t) {
        Ok(()) => Ok(t.root),
        Err(VisitError::Parse(e)) => Err(e),
        Err(VisitError::Visitor(never)) => match never {},
    }
}

/// Checks that `src` parses, keeping nothing (the commit's last guard on big files).
pub fn check(src: &[u8]) -> Result<(), ParseError> {
    struct Nothing;
    impl Visitor for Nothing {
        type Error = std::convert::Infallible;
        fn directive(&mut self, _: &mut Directive) -> Result<(), Self::Error> {
            Ok(())
        }
        fn open(&mut self, _: &mut Directive) -> Result<(), Self::Error> {
            Ok(())
        }
        fn close(&mut self, _: usize, _: Option<Range<usize>>) -> Result<(), Self::Error> {
            Ok(())
        }
        fn comment(&mut self, _: Range<usize>) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    match visit(src, &mut Nothing) {
        Ok(()) => Ok(()),
        Err(VisitError::Parse(e)) => Err(e),
        Err(VisitError::Visitor(never)) => match never {},
    }
}

/// Moves a directive out: its arguments are copied into an exact-size vector, so the parser keeps
/// reusing its grown argument buffer instead of growing a new one for every directive.
fn take(d: &mut Directive) -> Directive {
    Directive {
        name: d.name.clone(),
        args: d.args.to_vec(),
        block: d.block.take(),
        trailing_comment: d.trailing_comment.take(),
        ..*d
    }
}

#[derive(Default)]
struct TreeBuilder {
    root: Vec<Item>,
    stack: Vec<(Directive, Vec<Item>)>,
}

impl TreeBuilder {
    fn items(&mut self) -> &mut Vec<Item> {
        match self.stack.last_mut() {
            Some((_, items)) => items,
            None => &mut self.root,
        }
    }
}

impl Visitor for TreeBuilder {
    type Error = std::convert::Infallible;
    fn directive(&mut self, d: &mut Directive) -> Result<(), Self::Error> {
        let d = take(d);
        self.items().push(Item::Directive(d));
        Ok(())
    }
    fn open(&mut self, d: &mut Directive) -> Result<(), Self::Error> {
        let d = take(d);
        self.stack.push((d, Vec::new()));
        Ok(())
    }
    fn close(
        &mut self,
        close: usize,
        trailing_comment: Option<Range<usize>>,
    ) -> Result<(), Self::Error> {
        if let Some((mut d, items)) = self.stack.pop() {
            d.end = close + 1;
            d.trailing_comment = trailing_comment;
            if let Some(b) = d.block.as_mut() {
                b.closed_at(close);
                b.items = items;
            }
            self.items().push(Item::Directive(d));
        }
        Ok(())
    }
    fn comment(&mut self, span: Range<usize>) -> Result<(), Self::Error> {
        self.items().push(Item::Comment(span));
        Ok(())
    }
}

struct Parser<'a> {
    src: &'a [u8],
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    spare: Vec<Token>,
}

impl Parser<'_> {
    /// Offers the next directive to `v` when it is written plainly; true when `v` took it.
    fn offer_plain<V: Visitor>(&mut self, v: &mut V) -> Result<bool, V::Error> {
        let start = match &self.peeked {
            Some(t) if t.kind == Kind::Word => t.span.start,
            Some(_) => return Ok(false),
            None => skip_blanks(self.src, self.lexer.pos()),
        };
        let Some(plain) = plain_at(self.src, start) else {
            return Ok(false);
        };
        if !v.plain(&plain)? {
            return Ok(false);
        }
        self.peeked = None;
        self.lexer.seek(
            plain
                .trailing_comment
                .as_ref()
                .map_or(plain.semi + 1, |c| c.end),
        );
        Ok(true)
    }

    /// The next token; `Kind::End`/`Kind::Error` end the parse.
    fn next_raw(&mut self) -> Token {
        match self.peeked.take() {
            Some(t) => t,
            None => self.lexer.scan(),
        }
    }

    /// Reads a directive's arguments up to its `;` or `{` (a Lua block is read whole).
    fn directive(&mut self, name: Token) -> Result<Directive, ParseError> {
        let start = name.span.start;
        let mut args = std::mem::take(&mut self.spare);
        args.clear();
        loop {
            let tok = self.next_raw();
            match tok.kind {
                Kind::End => {
                    return Err(ParseError {
                        offset: start,
                        message:
                            "unexpected end of file, expecting \";\" or \"}\" after this directive"
                                .into(),
                    })
                }
                Kind::Error => return Err(self.lexer.take_error()),
                Kind::Word | Kind::Quoted => args.push(tok),
                // nginx skips comments between the arguments of a multi-line directive.
                Kind::Comment => {}
                Kind::Close => {
                    return Err(ParseError {
                        offset: tok.span.start,
                        message: "unexpected \"}\": the directive before it lacks a \";\"".into(),
                    })
                }
                Kind::Semicolon => {
                    let end = tok.span.end;
                    let trailing_comment = self.trailing_comment(end)?;
                    return Ok(Directive {
                        name,
                        args,
                        start,
                        end,
                        block: None,
                        trailing_comment,
                    });
                }
                Kind::Open => {
                    let open = tok.span.start;
                    let is_lua =
                        value(&self.src[name.span.clone()], name.kind).ends_with(b"_by_lua_block");
                    if !is_lua {
                        return Ok(Directive {
                            name,
                            args,
                            start,
                            end: open + 1,
                            block: Some(Block {
                                open,
                                close: None,
                                items: Vec::new(),
                            }),
                            trailing_comment: None,
                        });
                    }
                    let close = self.lexer.lua_body()?;
                    let trailing_comment = self.trailing_comment(close + 1)?;
                    return Ok(Directive {
                        name,
                        args,
                        start,
                        end: close + 1,
                        block: Some(Block {
                            open,
                            close: NonZeroUsize::new(close),
                            items: Vec::new(),
                        }),
                        trailing_comment,
                    });
                }
            }
        }
    }

    fn trailing_comment(&mut self, end: usize) -> Result<Option<Range<usize>>, ParseError> {
        let t = self.next_raw();
        match t.kind {
            Kind::Comment if !self.src[end..t.span.start].contains(&b'\n') => Ok(Some(t.span)),
            Kind::Error => Err(self.lexer.take_error()),
            _ => {
                self.peeked = Some(t);
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[Item], src: &str) -> Vec<String> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Directive(d) => Some(src[d.name.span.clone()].to_string()),
                Item::Comment(_) => None,
            })
            .collect()
    }

    #[test]
    fn nested_blocks_and_trailing_comments() {
        let src = "http { upstream a { server x; # one\n server y\n  weight=2; } }\n";
        let items = parse(src.as_bytes()).expect("parses");
        let Item::Directive(http) = &items[0] else {
            panic!()
        };
        let Item::Directive(up) = &http.block.as_ref().expect("block").items[0] else {
            panic!()
        };
        let kids = &up.block.as_ref().expect("block").items;
        assert_eq!(names(kids, src), vec!["server", "server"]);
        let Item::Directive(x) = &kids[0] else {
            panic!()
        };
        assert_eq!(&src[x.trailing_comment.clone().expect("comment")], "# one");
        let Item::Directive(y) = &kids[1] else {
            panic!()
        };
        assert_eq!(y.args.len(), 2);
        assert_eq!(&src[y.start..y.end], "server y\n  weight=2;");
    }

    #[test]
    fn lua_block_is_opaque() {
        let src = "content_by_lua_block { ngx.say(\"}\") } x y;";
        let items = parse(src.as_bytes()).expect("parses");
        assert_eq!(names(&items, src), vec!["content_by_lua_block", "x"]);
    }

    #[test]
    fn check_agrees_with_parse() {
        for src in [
            &b"a { b; "[..],
            b"a b }",
            b"}",
            b"a b",
            b"a; ;",
            b"a { b { c; } }",
            b"x_by_lua_block { } }",
        ] {
            assert_eq!(
                parse(src).is_ok(),
                check(src).is_ok(),
                "{}",
                String::from_utf8_lossy(src)
            );
        }
    }

    /// Records each plain directive as [`Plain::directive`] makes it, then declines it so the
    /// parser lexes it, and records the lexed one.
    #[derive(Default)]
    struct Both {
        src: Vec<u8>,
        made: Vec<Directive>,
        lexed: Vec<Directive>,
        offered: bool,
    }

    impl Visitor for Both {
        type Error = std::convert::Infallible;
        fn skims(&self) -> bool {
            true
        }
        fn plain(&mut self, p: &Plain) -> Result<bool, Self::Error> {
            self.made.push(p.directive(&self.src, Vec::new()));
            self.offered = true;
            Ok(false)
        }
        fn directive(&mut self, d: &mut Directive) -> Result<(), Self::Error> {
            if std::mem::take(&mut self.offered) {
                self.lexed.push(take(d));
            }
            Ok(())
        }
        fn open(&mut self, _: &mut Directive) -> Result<(), Self::Error> {
            self.offered = false;
            Ok(())
        }
        fn close(&mut self, _: usize, _: Option<Range<usize>>) -> Result<(), Self::Error> {
            Ok(())
        }
        fn comment(&mut self, _: Range<usize>) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    /// Every directive the fast path takes must be exactly what the lexer makes of it.
    fn plain_agrees(src: &[u8]) -> usize {
        let mut both = Both {
            src: src.to_vec(),
            ..Both::default()
        };
        if visit(src, &mut both).is_err() {
            return 0;
        }
        assert_eq!(both.made.len(), both.lexed.len());
        for (m, l) in both.made.iter().zip(&both.lexed) {
            assert_eq!(
                format!("{m:?}"),
                format!("{l:?}"),
                "{}",
                String::from_utf8_lossy(src)
            );
        }
        both.made.len()
    }

    #[test]
    fn plain_directives_are_what_the_lexer_makes() {
        let src = concat!(
            "http {\n upstream a {\n  least_conn;\n",
            "  server 10.0.0.1:80 weight=2;  # rack 1; {x}\n",
            "  server 10.0.0.2:80\r\n   backup;\r\n",
            "  server\t10.0.0.3:80\tdown;\t#t\n",
            "  server 10.0.0.4:80 ;#c\n",
            "  server 10.0.0.5:80; server 10.0.0.6:80 ; # two\n",
            "  server \"q\";\n  server a\\b;\n  hash $x;\n",
            "  server 10.0.0.7:80 # mid\n  weight=1;\n",
            " }\n}\n",
        );
        assert!(plain_agrees(src.as_bytes()) >= 7);
        let Some(corpus) = hotswap_tests::corpus_dir() else {
            return;
        };
        let entries = std::fs::read_dir(corpus.join("nginx")).expect("corpus");
        let mut seen = 0;
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path()) {
                seen += plain_agrees(&bytes);
            }
        }
        assert!(seen > 1000, "only {seen} plain directives in the corpus");
    }

    #[test]
    fn errors_have_offsets() {
        assert_eq!(parse(b"a { b; ").expect_err("eof").offset, 2);
        assert_eq!(parse(b"a b }").expect_err("brace").offset, 4);
        assert_eq!(parse(b"}").expect_err("brace").offset, 0);
        assert_eq!(parse(b"a b").expect_err("eof").offset, 0);
        assert_eq!(parse(b"a; ;").expect_err("semi").offset, 3);
    }
}
