//! Server addresses: normalising the forms nginx and haproxy accept so matching is exact.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while};
use nom::character::complete::char;
use nom::combinator::{all_consuming, map, opt, rest, verify};
use nom::multi::many0;
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

/// A server address as nginx or haproxy writes it, split into its parts (borrowed from the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address<'a> {
    /// `unix:/path`, haproxy's `unix@/path`, or a bare `/path`.
    Unix(&'a str),
    /// `host[:port]`, `[v6][:port]`, haproxy's bare `v6:port`; `ipv4@` and the like dropped.
    Inet {
        /// The host, without brackets, as written.
        host: &'a str,
        /// The port as written (digits, or an nginx `$variable`).
        port: Option<&'a str>,
    },
}

impl<'a> Address<'a> {
    /// Splits an address; every string is some address (an unknown form is a bare host).
    pub fn parse(text: &'a str) -> Address<'a> {
        match all_consuming(address).parse(text.trim()) {
            Ok((_, a)) => a,
            Err(_) => Address::Inet {
                host: text.trim(),
                port: None,
            },
        }
    }

    /// Canonical form: `host:port`, `[v6]:port` or `unix:/path`, the host lower-cased and the port
    /// read as a number (nginx reads `0080` as 80); `default_port` fills a missing port.
    pub fn canonical(&self, default_port: Option<u16>) -> String {
        let (host, port) = match *self {
            Address::Unix(path) => return format!("unix:{path}"),
            Address::Inet { host, port } => (host.to_ascii_lowercase(), port),
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        match (port, default_port) {
            (Some(p), _) => match p.parse::<u16>() {
                Ok(n) => format!("{host}:{n}"),
                Err(_) => format!("{host}:{p}"),
            },
            (None, Some(d)) => format!("{host}:{d}"),
            (None, None) => host,
        }
    }
}

/// haproxy's `proto@` prefixes that do not change which server an address names.
fn inet_prefix(i: &str) -> IResult<&str, &str> {
    alt((
        tag("ipv4@"),
        tag("ipv6@"),
        tag("tcp4@"),
        tag("tcp6@"),
        tag("tcp@"),
    ))
    .parse(i)
}

/// Any number of `proto@` prefixes (each may be followed by blanks), then the address proper.
fn address(i: &str) -> IResult<&str, Address<'_>> {
    preceded(
        many0(terminated(inet_prefix, take_while(char::is_whitespace))),
        alt((
            map(
                preceded(alt((tag("unix:"), tag("unix@"))), rest),
                Address::Unix,
            ),
            map(verify(rest, |s: &str| s.starts_with('/')), Address::Unix),
            bracketed,
            host_port,
        )),
    )
    .parse(i)
}

/// `[v6]`, `[v6]:port`; an unclosed `[v6` is the host alone.
fn bracketed(i: &str) -> IResult<&str, Address<'_>> {
    let closed = (
        delimited(char('['), take_until("]"), char(']')),
        opt(preceded(char(':'), verify(rest, |p: &str| !p.is_empty()))),
        rest,
    );
    alt((
        map(closed, |(host, port, _)| Address::Inet { host, port }),
        map(preceded(char('['), rest), |host| Address::Inet {
            host,
            port: None,
        }),
    ))
    .parse(i)
}

/// `host`, `host:port`, or haproxy's bare `v6:port`: the port is what follows the last colon.
fn host_port(i: &str) -> IResult<&str, Address<'_>> {
    let split = match i.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && is_port(p) => Address::Inet {
            host: h,
            port: Some(p),
        },
        _ => Address::Inet {
            host: i,
            port: None,
        },
    };
    Ok(("", split))
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && (p.bytes().all(|b| b.is_ascii_digit()) || p.starts_with('$'))
}

/// Canonical form of an address; see [`Address::canonical`].
pub fn normalize(addr: &str, default_port: Option<u16>) -> String {
    Address::parse(addr).canonical(default_port)
}

/// Loose check used for commented-out lines: does this word look like a server address?
pub fn looks_like_address(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.len() > 300 {
        return false;
    }
    if ["unix:", "/", "${", "$", ":", "*"]
        .iter()
        .any(|p| s.starts_with(p))
    {
        return true;
    }
    // haproxy's `proto@address` forms: ipv4@, ipv6@, unix@, abns@, mptcp@, fd@, sockpair@ ...
    if let Some((proto, rest)) = s.split_once('@') {
        return proto.bytes().all(|b| b.is_ascii_alphanumeric()) && !rest.is_empty();
    }
    let host = match Address::parse(s) {
        Address::Inet { host, .. } => host,
        Address::Unix(_) => return true,
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'*'))
        && (s.contains(':') || s.contains('.') || host.eq_ignore_ascii_case("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(normalize("127.0.0.1:80", None), "127.0.0.1:80");
        assert_eq!(normalize("Example.COM", Some(80)), "example.com:80");
        assert_eq!(normalize("[::1]:8080", None), "[::1]:8080");
        assert_eq!(normalize("ipv6@::1:8080", None), "[::1]:8080");
        assert_eq!(normalize("::1:8080", None), "[::1]:8080");
        assert_eq!(normalize("ipv4@10.0.0.1:80", None), "10.0.0.1:80");
        assert_eq!(normalize("unix:/run/a.sock", None), "unix:/run/a.sock");
        assert_eq!(normalize("/run/a.sock", None), "unix:/run/a.sock");
        assert_eq!(normalize("[::1]", Some(80)), "[::1]:80");
        assert_eq!(normalize("127.0.0.1:0080", None), "127.0.0.1:80");
        assert_eq!(normalize("unix@/run/a.sock", None), "unix:/run/a.sock");
        assert_eq!(normalize("tcp@app:81", None), "app:81");
        assert_eq!(normalize("app:$port", None), "app:$port");
        assert_eq!(normalize("[fe80::1", None), "[fe80::1]");
        assert_eq!(normalize("ipv4@/run/a.sock", None), "unix:/run/a.sock");
        assert_eq!(normalize("ipv4@ipv4@10.0.0.1:80", None), "10.0.0.1:80");
        assert_eq!(normalize("ipv4@ 10.0.0.1:80", None), "10.0.0.1:80");
        assert_eq!(
            Address::parse("[::1]:x"),
            Address::Inet {
                host: "::1",
                port: Some("x")
            }
        );
    }

    #[test]
    fn plausible_addresses() {
        assert!(looks_like_address("10.0.0.1:80"));
        assert!(looks_like_address("unix:/tmp/x"));
        assert!(looks_like_address("app.internal"));
        assert!(!looks_like_address("is"));
        assert!(!looks_like_address("down;"));
    }
}
