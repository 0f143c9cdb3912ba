//! What a healthy answer looks like: status codes and, optionally, the body.

use nom::bytes::complete::take_while;
use nom::character::complete::{char, digit1};
use nom::combinator::{all_consuming, map_res, opt, recognize, verify};
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};
use regex::bytes::Regex;

/// One status code, 100-599 (a `+` sign allowed, as Rust reads numbers), blanks around it allowed.
fn code(i: &str) -> IResult<&str, u16> {
    let blanks = || take_while(char::is_whitespace);
    let number = map_res(
        recognize(preceded(opt(char('+')), digit1)),
        str::parse::<u16>,
    );
    verify(delimited(blanks(), number, blanks()), |c| {
        (100..=599).contains(c)
    })
    .parse(i)
}

/// `CODE` or `CODE-CODE` (a code alone is the range of itself).
fn range(i: &str) -> IResult<&str, (u16, u16)> {
    let (i, lo) = code(i)?;
    let (i, hi) = opt(preceded(char('-'), code)).parse(i)?;
    Ok((i, (lo, hi.unwrap_or(lo))))
}

/// A list of status codes that cannot be read. The messages name no flag: a binary that reads
/// the list from a flag says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A part is not a code from 100 to 599.
    #[error("invalid status '{part}' in '{list}' (use codes 100-599, e.g. 200-299,301)")]
    BadCode {
        /// The bad part, such as `99` or `2xx`.
        part: String,
        /// The whole list, as given.
        list: String,
    },
    /// A range whose start is above its end.
    #[error("invalid status range '{part}': {lo} is above {hi}")]
    Reversed {
        /// The range, as given.
        part: String,
        /// Its start.
        lo: u16,
        /// Its end.
        hi: u16,
    },
    /// The list holds no code at all.
    #[error("no status code given, e.g. 200-299")]
    Empty,
}

/// Why a body fails its expectation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// It lacks the text.
    #[error("body does not contain {text:?}")]
    Lacks {
        /// The text it should contain.
        text: String,
    },
    /// It does not match the regular expression.
    #[error("body does not match /{pattern}/")]
    NoMatch {
        /// The regular expression, as written.
        pattern: String,
    },
}

/// A set of accepted HTTP status codes, such as `200-299,301`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(Vec<(u16, u16)>);

impl StatusSet {
    /// Parses `200-299,301`; the error names the bad part.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let mut ranges = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || ParseError::BadCode {
                part: part.to_string(),
                list: s.to_string(),
            };
            let (_, (lo, hi)) = all_consuming(range).parse(part).map_err(|_| bad())?;
            if lo > hi {
                return Err(ParseError::Reversed {
                    part: part.to_string(),
                    lo,
                    hi,
                });
            }
            ranges.push((lo, hi));
        }
        if ranges.is_empty() {
            return Err(ParseError::Empty);
        }
        Ok(StatusSet(ranges))
    }

    /// Whether `code` is accepted.
    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..=hi).contains(&code))
    }
}

impl std::fmt::Display for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|&(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet(vec![(200, 399)])
    }
}

/// A body expectation.
#[derive(Debug, Clone)]
pub enum Body {
    /// The body contains this text.
    Contains(String),
    /// The body matches this regular expression.
    Matches(Regex),
}

impl Body {
    /// Why `body` fails the expectation, or None when it passes.
    pub fn check(&self, body: &[u8]) -> Option<Mismatch> {
        match self {
            Body::Contains(s)
                if !body.windows(s.len().max(1)).any(|w| w == s.as_bytes()) && !s.is_empty() =>
            {
                Some(Mismatch::Lacks { text: s.clone() })
            }
            Body::Matches(re) if !re.is_match(body) => Some(Mismatch::NoMatch {
                pattern: re.as_str().to_string(),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets() {
        let s = StatusSet::parse("200-299, 301").expect("parses");
        assert!(s.contains(204) && s.contains(301) && !s.contains(302));
        assert!(StatusSet::default().contains(399) && !StatusSet::default().contains(400));
        let spaced =
            StatusSet::parse(" 200 - 204 ,301,,+302,\u{a0}303\n").expect("blanks and empty parts");
        assert!(spaced.contains(302) && spaced.contains(303));
        assert!(spaced.contains(202) && spaced.contains(301) && !spaced.contains(205));
        for bad in [
            "",
            "abc",
            "99",
            "300-200",
            "200-",
            "2xx",
            "200-299-300",
            "600",
            "-200",
        ] {
            assert!(StatusSet::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            StatusSet::parse("300-200"),
            Err(ParseError::Reversed {
                part: "300-200".into(),
                lo: 300,
                hi: 200
            })
        );
        assert_eq!(StatusSet::parse(" , "), Err(ParseError::Empty));
    }

    #[test]
    fn bodies() {
        assert!(Body::Contains("ok".into()).check(b"all ok").is_none());
        assert_eq!(
            Body::Contains("ok".into())
                .check(b"fail")
                .map(|m| m.to_string()),
            Some("body does not contain \"ok\"".into())
        );
        let re = Regex::new(r#""status":\s*"up""#).expect("regex");
        assert!(Body::Matches(re).check(br#"{"status": "up"}"#).is_none());
    }
}
