//! What to probe, written as operators write it: `http://…`, `https://…`, `tcp://HOST:PORT` or a
//! bare `HOST:PORT` (as wait-for-it), `unix:/PATH` (a socket connect), and
//! `http+unix://%2Fpath%2Fto.sock/PATH` (HTTP over that socket, the requests-unixsocket form).

use base64::Engine;
use std::fmt;
use std::path::PathBuf;

/// A parsed TARGET argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An HTTP or HTTPS URL, over TCP or a unix socket.
    Http {
        /// The URL as shown: credentials are never printed.
        url: String,
        /// The URL requested (no credentials: they travel as an Authorization header).
        request_url: String,
        /// `host[:port]` for the Host header.
        authority: String,
        /// Path and query, `/` when empty.
        path: String,
        /// `https://`.
        tls: bool,
        /// `http+unix://`: the socket the request goes over.
        socket: Option<PathBuf>,
        /// `Basic …` from the URL's user and password.
        authorization: Option<String>,
    },
    /// A TCP connect check.
    Tcp {
        /// Host name or address (brackets removed from IPv6).
        host: String,
        /// Port.
        port: u16,
    },
    /// A unix-socket connect check.
    Unix {
        /// The socket's path.
        path: PathBuf,
    },
}

const FORMS: &str = "use http://HOST[:PORT]/PATH, https://…, tcp://HOST:PORT, HOST:PORT, unix:/PATH or http+unix://%2FPATH%2FTO.sock/PATH";

/// A TARGET that cannot be read. Each message names the target (a URL's credentials removed
/// where the URL could be read) and, where it helps, lists the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// `unix:` with nothing after it.
    #[error("invalid target '{target}': no socket path ({forms})", forms = FORMS)]
    NoSocketPath {
        /// The target, as given.
        target: String,
    },
    /// Something with `://` that is not a URL.
    #[error("invalid target '{target}': {reason} ({forms})", forms = FORMS)]
    Url {
        /// The target, as given.
        target: String,
        /// What the URL parser found wrong.
        reason: url::ParseError,
    },
    /// An `http+unix://` URL whose host is not a percent-encoded absolute path.
    #[error("invalid target '{target}': http+unix:// needs the socket path percent-encoded as its host, like http+unix://%2Frun%2Fapp.sock/health")]
    SocketNotEncoded {
        /// The target, as given.
        target: String,
    },
    /// A URL scheme other than http, https and http+unix.
    #[error("invalid target '{target}': unsupported scheme '{scheme}' ({forms})", forms = FORMS)]
    Scheme {
        /// The URL without credentials.
        target: String,
        /// The scheme, such as `ftp`.
        scheme: String,
    },
    /// No host name or address.
    #[error("invalid target '{target}': no host ({forms})", forms = FORMS)]
    NoHost {
        /// The target (a URL without credentials).
        target: String,
    },
    /// `HOST` without `:PORT`.
    #[error("invalid target '{target}': no port ({forms})", forms = FORMS)]
    NoPort {
        /// The target, as given.
        target: String,
    },
    /// A port that is a number but not 1-65535.
    #[error("invalid target '{target}': port {port} is out of range (1-65535)")]
    PortOutOfRange {
        /// The target, as given.
        target: String,
        /// The port.
        port: u32,
    },
    /// A port that is not a number.
    #[error("invalid target '{target}': bad port '{port}' ({forms})", forms = FORMS)]
    BadPort {
        /// The target, as given.
        target: String,
        /// The port, as given.
        port: String,
    },
}

impl Target {
    /// Parses a TARGET; the error says what is wrong and shows the accepted forms.
    pub fn parse(s: &str) -> Result<Target, ParseError> {
        if let Some(path) = s.strip_prefix("unix:").filter(|p| !p.starts_with("//")) {
            if path.is_empty() {
                return Err(ParseError::NoSocketPath {
                    target: s.to_string(),
                });
            }
            return Ok(Target::Unix {
                path: PathBuf::from(path),
            });
        }
        if let Some(rest) = s.strip_prefix("tcp://") {
            return host_port(s, rest.trim_end_matches('/'));
        }
        if !s.contains("://") {
            return host_port(s, s);
        }
        let url = url::Url::parse(s).map_err(|reason| ParseError::Url {
            target: s.to_string(),
            reason,
        })?;
        let (tls, socket) = match url.scheme() {
            "http" => (false, None),
            "https" => (true, None),
            "http+unix" => {
                let host = url.host_str().unwrap_or_default();
                let path = percent_decode(host);
                if !path.starts_with('/') {
                    return Err(ParseError::SocketNotEncoded {
                        target: s.to_string(),
                    });
                }
                (false, Some(PathBuf::from(path)))
            }
            other => {
                return Err(ParseError::Scheme {
                    target: redact(&url),
                    scheme: other.to_string(),
                })
            }
        };
        let authorization = (!url.username().is_empty()).then(|| {
            let user = percent_decode(url.username());
            let pass = percent_decode(url.password().unwrap_or_default());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
            )
        });
        let shown = redact(&url);
        let authority = if socket.is_some() {
            "localhost".to_string()
        } else {
            let host =
                url.host_str()
                    .filter(|h| !h.is_empty())
                    .ok_or_else(|| ParseError::NoHost {
                        target: shown.clone(),
                    })?;
            match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            }
        };
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        if path.is_empty() {
            path.push('/');
        }
        Ok(Target::Http {
            request_url: shown.clone(),
            url: shown,
            authority,
            path,
            tls,
            socket,
            authorization,
        })
    }
}

/// The URL without its user and password.
fn redact(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `HOST:PORT` or `[V6]:PORT`, with the port checked to be 1-65535.
fn host_port(s: &str, rest: &str) -> Result<Target, ParseError> {
    let target = || s.to_string();
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| ParseError::NoPort { target: target() })?;
    let port = match port.parse::<u32>() {
        Ok(p @ 1..=65535) => p as u16,
        Ok(port) => {
            return Err(ParseError::PortOutOfRange {
                target: target(),
                port,
            })
        }
        Err(_) => {
            return Err(ParseError::BadPort {
                target: target(),
                port: port.to_string(),
            })
        }
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains('/') {
        return Err(ParseError::NoHost { target: target() });
    }
    Ok(Target::Tcp {
        host: host.to_string(),
        port,
    })
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Http { url, .. } => f.write_str(url),
            Target::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Target::Unix { path } => write!(f, "unix:{}", path.display()),
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
        assert_eq!(
            Target::parse("db.internal:5432"),
            Ok(Target::Tcp {
                host: "db.internal".into(),
                port: 5432
            })
        );
        assert_eq!(
            Target::parse("unix:/run/app.sock"),
            Ok(Target::Unix {
                path: "/run/app.sock".into()
            })
        );
        let Ok(Target::Http { socket, path, .. }) =
            Target::parse("http+unix://%2Frun%2Fpuma.sock/okcomputer")
        else {
            panic!("http+unix");
        };
        assert_eq!(socket, Some(PathBuf::from("/run/puma.sock")));
        assert_eq!(path, "/okcomputer");
        let Ok(t @ Target::Http { .. }) = Target::parse("http://ops:s3cret@127.0.0.1:80/x") else {
            panic!("credentials");
        };
        assert!(!t.to_string().contains("s3cret") && !t.to_string().contains("ops"));
        for bad in [
            "ftp://x",
            "tcp://x",
            "tcp://x:0",
            "http://",
            "not a url",
            "tcp://:80",
            "127.0.0.1:70000",
            "http://127.0.0.1:70000/",
            "unix:",
            "http+unix://relative.sock/x",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        let e = Target::parse("127.0.0.1:70000");
        assert_eq!(
            e,
            Err(ParseError::PortOutOfRange {
                target: "127.0.0.1:70000".into(),
                port: 70000
            })
        );
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("invalid target '127.0.0.1:70000': port 70000 is out of range (1-65535)".into())
        );
    }
}
