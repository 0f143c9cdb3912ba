//! What to probe: `http://…`, `https://…` or `tcp://host:port`.

use std::fmt;

/// A parsed TARGET argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An HTTP or HTTPS URL.
    Http {
        /// The URL as given.
        url: String,
        /// `host[:port]` for the Host header.
        authority: String,
        /// Path and query, `/` when empty.
        path: String,
        /// `https://`.
        tls: bool,
    },
    /// A TCP connect check.
    Tcp {
        /// Host name or address (brackets removed from IPv6).
        host: String,
        /// Port.
        port: u16,
    },
}

impl Target {
    /// Parses a TARGET; the error says what is wrong and shows the accepted forms.
    pub fn parse(s: &str) -> Result<Target, String> {
        let forms = "use http://HOST[:PORT]/PATH, https://… or tcp://HOST:PORT";
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = rest
                .rsplit_once(':')
                .ok_or_else(|| format!("invalid target '{s}': tcp:// needs a port ({forms})"))?;
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("invalid target '{s}': bad port '{port}'"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() {
                return Err(format!("invalid target '{s}': no host ({forms})"));
            }
            return Ok(Target::Tcp {
                host: host.to_string(),
                port,
            });
        }
        let uri: ureq::http::Uri = s
            .parse()
            .map_err(|e| format!("invalid target '{s}': {e} ({forms})"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => {
                return Err(format!(
                    "invalid target '{s}': unsupported scheme ({forms})"
                ))
            }
        };
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("invalid target '{s}': no host ({forms})"))?;
        let path = uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        Ok(Target::Http {
            url: s.to_string(),
            authority,
            path: if path.is_empty() { "/".into() } else { path },
            tls,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Http { url, .. } => f.write_str(url),
            Target::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert!(
            matches!(Target::parse("http://127.0.0.1:8080/health?x=1"), Ok(Target::Http { ref path, .. }) if path == "/health?x=1")
        );
        assert!(matches!(
            Target::parse("https://example.com"),
            Ok(Target::Http { tls: true, .. })
        ));
        assert_eq!(
            Target::parse("tcp://[::1]:5432"),
            Ok(Target::Tcp {
                host: "::1".into(),
                port: 5432
            })
        );
        for bad in [
            "ftp://x",
            "tcp://x",
            "tcp://x:0",
            "http://",
            "not a url",
            "tcp://:80",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
