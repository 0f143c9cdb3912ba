//! Builds a lossless directive tree from nginx tokens; every node keeps its byte spans.

use super::lexer::{value, Kind, LexError, Lexer, Token};
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
    /// Offset just past the `;` or the closing `}`.
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
    /// Offset of `}`.
    pub close: usize,
    /// Children; empty for opaque (Lua) bodies.
    pub items: Vec<Item>,
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
    pub fn arg(&self, src: &[u8], i: usize) -> Option<Vec<u8>> {
        self.args
            .get(i)
            .map(|t| value(&src[t.span.clone()], t.kind))
    }
}

/// Parses a whole file (or an included fragment) into items.
pub fn parse(src: &[u8]) -> Result<Vec<Item>, ParseError> {
    let mut p = Parser {
        src,
        lexer: Lexer::new(src, 0),
        peeked: None,
    };
    p.items(None)
}

struct Parser<'a> {
    src: &'a [u8],
    lexer: Lexer<'a>,
    peeked: Option<Token>,
}

impl Parser<'_> {
    fn next(&mut self) -> Result<Option<Token>, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(Some(t)),
            None => self.lexer.next_token(),
        }
    }

    fn same_line(&self, a: usize, b: usize) -> bool {
        !self.src[a.min(b)..a.max(b)].contains(&b'\n')
    }

    /// Items until EOF (`open` is None) or the `}` closing the block opened at `open`.
    fn items(&mut self, open: Option<usize>) -> Result<Vec<Item>, ParseError> {
        let mut items = Vec::new();
        loop {
            let Some(tok) = self.next()? else {
                return match open {
                    None => Ok(items),
                    Some(o) => Err(ParseError {
                        offset: o,
                        message: "unexpected end of file, expecting \"}\" to close this block"
                            .into(),
                    }),
                };
            };
            match tok.kind {
                Kind::Comment => items.push(Item::Comment(tok.span)),
                Kind::Close => {
                    return match open {
                        Some(_) => {
                            self.peeked = Some(tok);
                            Ok(items)
                        }
                        None => Err(ParseError {
                            offset: tok.span.start,
                            message: "unexpected \"}\"".into(),
                        }),
                    }
                }
                Kind::Semicolon | Kind::Open => {
                    return Err(ParseError {
                        offset: tok.span.start,
                        message: format!("unexpected \"{}\"", self.src[tok.span.start] as char),
                    })
                }
                Kind::Word | Kind::Quoted => items.push(Item::Directive(self.directive(tok)?)),
            }
        }
    }

    fn directive(&mut self, name: Token) -> Result<Directive, ParseError> {
        let start = name.span.start;
        let mut args = Vec::new();
        loop {
            let Some(tok) = self.next()? else {
                return Err(ParseError {
                    offset: start,
                    message:
                        "unexpected end of file, expecting \";\" or \"}\" after this directive"
                            .into(),
                });
            };
            match tok.kind {
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
                    let (close, items) = if is_lua {
                        (self.lexer.lua_body()?, Vec::new())
                    } else {
                        let items = self.items(Some(open))?;
                        let close = self.next()?.map_or(self.src.len(), |t| t.span.start);
                        (close, items)
                    };
                    let end = close + 1;
                    let trailing_comment = self.trailing_comment(end)?;
                    return Ok(Directive {
                        name,
                        args,
                        start,
                        end,
                        block: Some(Block { open, close, items }),
                        trailing_comment,
                    });
                }
            }
        }
    }

    fn trailing_comment(&mut self, end: usize) -> Result<Option<Range<usize>>, ParseError> {
        let tok = self.next()?;
        match tok {
            Some(t) if t.kind == Kind::Comment && self.same_line(end, t.span.start) => {
                Ok(Some(t.span))
            }
            other => {
                self.peeked = other;
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
    fn errors_have_offsets() {
        assert_eq!(parse(b"a { b; ").expect_err("eof").offset, 2);
        assert_eq!(parse(b"a b }").expect_err("brace").offset, 4);
        assert_eq!(parse(b"}").expect_err("brace").offset, 0);
        assert_eq!(parse(b"a b").expect_err("eof").offset, 0);
        assert_eq!(parse(b"a; ;").expect_err("semi").offset, 3);
    }
}
