//! What a healthy answer looks like: status codes and, optionally, the body.

use regex::bytes::Regex;

/// A set of accepted HTTP status codes, such as `200-299,301`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(Vec<(u16, u16)>);

impl StatusSet {
    /// Parses `200-299,301`; the error names the bad part.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let code = |x: &str| {
                x.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .ok_or_else(|| format!("invalid status '{part}' in --status {s} (use codes 100-599, e.g. 200-299,301)"))
            };
            let (lo, hi) = (code(a)?, code(b)?);
            if lo > hi {
                return Err(format!("invalid status range '{part}': {lo} is above {hi}"));
            }
            ranges.push((lo, hi));
        }
        if ranges.is_empty() {
            return Err("--status needs at least one code, e.g. 200-299".into());
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
    pub fn check(&self, body: &[u8]) -> Option<String> {
        match self {
            Body::Contains(s)
                if !body.windows(s.len().max(1)).any(|w| w == s.as_bytes()) && !s.is_empty() =>
            {
                Some(format!("body does not contain {s:?}"))
            }
            Body::Matches(re) if !re.is_match(body) => {
                Some(format!("body does not match /{}/", re.as_str()))
            }
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
        for bad in ["", "abc", "99", "300-200", "200-"] {
            assert!(StatusSet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies() {
        assert!(Body::Contains("ok".into()).check(b"all ok").is_none());
        assert!(Body::Contains("ok".into()).check(b"fail").is_some());
        let re = Regex::new(r#""status":\s*"up""#).expect("regex");
        assert!(Body::Matches(re).check(br#"{"status": "up"}"#).is_none());
    }
}
