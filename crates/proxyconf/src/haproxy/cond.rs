//! haproxy's `.if` conditions (configuration.txt §2.4), evaluated where the answer does not
//! depend on haproxy's own build or environment. `None` means "cannot be known here".

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_while1};
use nom::character::complete::{char, digit1, multispace0};
use nom::combinator::{all_consuming, map, opt};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

type Tri = Option<bool>;

/// Evaluates the text after `.if`/`.elif`: integers are known (non-zero is true); predicates such
/// as `defined()` or `version_atleast()` depend on the running haproxy and are unknown.
pub(crate) fn eval(text: &str) -> Tri {
    all_consuming(delimited(multispace0, or_expr, multispace0))
        .parse(text)
        .map_or(None, |(_, v)| v)
}

fn or_expr(i: &str) -> IResult<&str, Tri> {
    let (i, first) = and_expr(i)?;
    let (i, rest) = many0(preceded(ws(tag("||")), and_expr)).parse(i)?;
    Ok((i, rest.into_iter().fold(first, or)))
}

fn and_expr(i: &str) -> IResult<&str, Tri> {
    let (i, first) = unary(i)?;
    let (i, rest) = many0(preceded(ws(tag("&&")), unary)).parse(i)?;
    Ok((i, rest.into_iter().fold(first, and)))
}

fn unary(i: &str) -> IResult<&str, Tri> {
    alt((
        map(preceded(ws(char('!')), unary), |v| v.map(|b| !b)),
        delimited(ws(char('(')), or_expr, ws(char(')'))),
        ws(term),
    ))
    .parse(i)
}

fn term(i: &str) -> IResult<&str, Tri> {
    alt((
        // A predicate call: its value depends on the haproxy that runs the file.
        map(
            (
                take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_'),
                char('('),
                take_till(|c| c == ')'),
                char(')'),
            ),
            |_| None,
        ),
        map((opt(char('-')), digit1), |(_, d): (_, &str)| {
            Some(d.bytes().any(|b| b != b'0'))
        }),
    ))
    .parse(i)
}

fn ws<'a, O>(
    p: impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
) -> impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>> {
    delimited(multispace0, p, multispace0)
}

fn and(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// One open `.if` block: whether an earlier branch was taken, and whether the current one is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Branch {
    /// Line start of the `.if`, for errors; it also names the block.
    pub start: usize,
    /// Which arm is current: 0 for the `.if`, then one more per `.elif` and `.else`.
    pub arm: usize,
    /// An `.else` closes the arms: exactly one of them is read, whatever the conditions.
    pub has_else: bool,
    taken: Tri,
    current: Tri,
}

impl Branch {
    /// `.if COND`.
    pub fn open(start: usize, cond: Tri) -> Branch {
        Branch {
            start,
            arm: 0,
            has_else: false,
            taken: cond,
            current: cond,
        }
    }

    /// `.elif COND`.
    pub fn elif(&mut self, cond: Tri) {
        self.arm += 1;
        self.current = and(self.taken.map(|t| !t), cond);
        self.taken = or(self.taken, cond);
    }

    /// `.else`.
    pub fn otherwise(&mut self) {
        self.arm += 1;
        self.has_else = true;
        self.current = self.taken.map(|t| !t);
        self.taken = Some(true);
    }
}

/// Whether lines inside these open blocks are read by haproxy.
pub(crate) fn active(stack: &[Branch]) -> Tri {
    let mut all = Some(true);
    for b in stack {
        all = and(all, b.current);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        assert_eq!(eval("0"), Some(false));
        assert_eq!(eval("1"), Some(true));
        assert_eq!(eval("!0"), Some(true));
        assert_eq!(eval("defined(FOO)"), None);
        assert_eq!(eval("0 && defined(FOO)"), Some(false));
        assert_eq!(eval("1 || version_atleast(2.6)"), Some(true));
        assert_eq!(eval("(0 || 1) && !0"), Some(true));
        assert_eq!(eval("streq(\"$A\",b)"), None);
        assert_eq!(eval("garbage here"), None);
    }

    #[test]
    fn branches() {
        let mut b = Branch::open(0, Some(false));
        assert_eq!(active(&[b]), Some(false));
        b.elif(None);
        assert_eq!(active(&[b]), None);
        b.otherwise();
        assert_eq!(active(&[b]), None);
        let mut c = Branch::open(0, Some(true));
        c.otherwise();
        assert_eq!(active(&[c]), Some(false));
    }
}
