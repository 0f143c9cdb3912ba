//! Server addresses: normalising the forms nginx and haproxy accept so matching is exact.

/// Canonical form: `host:port`, `[v6]:port` or `unix:/path`; `default_port` fills a missing port.
pub fn normalize(addr: &str, default_port: Option<u16>) -> String {
    let a = addr.trim();
    for p in ["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"] {
        if let Some(rest) = a.strip_prefix(p) {
            return normalize(rest, default_port);
        }
    }
    if let Some(path) = a.strip_prefix("unix@").or_else(|| a.strip_prefix("unix:")) {
        return format!("unix:{path}");
    }
    if a.starts_with('/') {
        return format!("unix:{a}");
    }
    let (host, port) = split_host_port(a);
    let host = host.to_ascii_lowercase();
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    match (port, default_port) {
        // nginx reads ports as numbers: `0080` is port 80.
        (Some(p), _) => match p.parse::<u16>() {
            Ok(n) => format!("{host}:{n}"),
            Err(_) => format!("{host}:{p}"),
        },
        (None, Some(d)) => format!("{host}:{d}"),
        (None, None) => host,
    }
}

/// Splits `host:port`, `[v6]:port`, `[v6]` or haproxy's bare `v6:port`.
fn split_host_port(a: &str) -> (&str, Option<&str>) {
    if let Some(rest) = a.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':').filter(|p| !p.is_empty())),
            None => (rest, None),
        };
    }
    match a.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && is_port(p) => (h, Some(p)),
        _ => (a, None),
    }
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && (p.bytes().all(|b| b.is_ascii_digit()) || p.starts_with('$'))
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
    let host = split_host_port(s).0;
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
