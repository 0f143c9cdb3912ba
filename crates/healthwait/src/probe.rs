//! One probe of one target: connect, ask, and judge the answer against the expectations.

use crate::deadline::Deadline;
use crate::expect::{Body, StatusSet};
pub use crate::failure::Failure;
use crate::target::Target;
use crate::unix_http;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// Why options cannot make a probe. The messages speak of options, not flags: a binary that
/// takes them from flags says which.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A unix socket, request headers, header or body expectations given for a target that is
    /// not HTTP.
    #[error("a unix socket, request headers and header or body expectations need an http:// target, not {target}")]
    HttpOnly {
        /// The target, as shown.
        target: String,
    },
    /// The CA file cannot be read.
    #[error("cannot read CA file {}: {reason}", .path.display())]
    CaUnreadable {
        /// The CA file.
        path: PathBuf,
        /// Why it cannot be read.
        reason: io::Error,
    },
    /// The CA file holds no PEM certificate.
    #[error("CA file {} holds no PEM certificate", .path.display())]
    CaEmpty {
        /// The CA file.
        path: PathBuf,
    },
}

/// HTTP method of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET (reads the body when a body expectation is set).
    Get,
    /// HEAD.
    Head,
}

/// How to probe, apart from the target.
#[derive(Debug, Clone, Default)]
pub struct ProbeOptions {
    /// Send HTTP over this unix socket instead of TCP.
    pub unix_socket: Option<PathBuf>,
    /// GET or HEAD (default GET).
    pub method: Option<Method>,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Accepted status codes (default 200-399).
    pub status: StatusSet,
    /// Optional body expectation.
    pub body: Option<Body>,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Trust only the CA certificates in this PEM file (a private CA).
    pub cacert: Option<PathBuf>,
    /// Response headers that must be present: (lower-case name, value regex).
    pub expect_headers: Vec<(String, regex::Regex)>,
}

/// A ready-to-run probe.
#[derive(Debug)]
pub struct Probe {
    /// What it checks.
    pub target: Target,
    opts: ProbeOptions,
    agent: ureq::Agent,
}

impl Probe {
    /// Builds a probe; fails when the options cannot apply to the target.
    pub fn new(target: Target, opts: ProbeOptions) -> Result<Probe, BuildError> {
        let http_only = opts.unix_socket.is_some()
            || opts.body.is_some()
            || !opts.headers.is_empty()
            || !opts.expect_headers.is_empty();
        if !matches!(target, Target::Http { .. }) && http_only {
            return Err(BuildError::HttpOnly {
                target: target.to_string(),
            });
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .user_agent("healthwait");
        if opts.insecure {
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .disable_verification(true)
                    .build(),
            );
        } else if let Some(ca) = &opts.cacert {
            let pem = std::fs::read(ca).map_err(|reason| BuildError::CaUnreadable {
                path: ca.clone(),
                reason,
            })?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(BuildError::CaEmpty { path: ca.clone() });
            }
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs)))
                    .build(),
            );
        }
        Ok(Probe {
            target,
            opts,
            agent: config.build().into(),
        })
    }

    /// One attempt, bounded by `timeout`: Ok(what passed) or Err(why it failed).
    pub fn check(&self, timeout: Duration) -> Result<String, Failure> {
        let timeout = timeout.max(Duration::from_millis(1));
        match &self.target {
            Target::Tcp { host, port } => tcp_connect(host, *port, timeout),
            Target::Unix { path } => std::os::unix::net::UnixStream::connect(path)
                .map(|_| format!("connected to unix:{}", path.display()))
                .map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => Failure::NoSocket { path: path.clone() },
                    _ => Failure::io(&e),
                }),
            Target::Http {
                request_url,
                authority,
                path,
                socket,
                ..
            } => {
                let (status, headers, body) =
                    match socket.as_ref().or(self.opts.unix_socket.as_ref()) {
                        Some(sock) => unix_http::request(
                            sock,
                            self.method_name(),
                            authority,
                            path,
                            &self.request_headers(),
                            timeout,
                        )?,
                        None => self.http(request_url, timeout)?,
                    };
                if !self.opts.status.contains(status) {
                    return Err(Failure::Status {
                        status,
                        expected: self.opts.status.clone(),
                    });
                }
                for (name, re) in &self.opts.expect_headers {
                    let found = headers.iter().find(|(k, _)| k == name).map(|(_, v)| v);
                    match found {
                        Some(v) if re.is_match(v) => {}
                        Some(v) => {
                            return Err(Failure::HeaderMismatch {
                                status,
                                name: name.clone(),
                                value: v.clone(),
                                pattern: re.to_string(),
                            })
                        }
                        None => {
                            return Err(Failure::HeaderMissing {
                                status,
                                name: name.clone(),
                            })
                        }
                    }
                }
                if let Some(mismatch) = self.opts.body.as_ref().and_then(|b| b.check(&body)) {
                    return Err(Failure::Body { status, mismatch });
                }
                Ok(format!("status {status}"))
            }
        }
    }

    /// `--header`s plus the Authorization the URL's credentials ask for.
    fn request_headers(&self) -> Vec<(String, String)> {
        let mut h = self.opts.headers.clone();
        if let Target::Http {
            authorization: Some(a),
            ..
        } = &self.target
        {
            h.push(("Authorization".into(), a.clone()));
        }
        h
    }

    fn method_name(&self) -> &'static str {
        match self.opts.method {
            Some(Method::Head) => "HEAD",
            _ => "GET",
        }
    }

    /// `localhost` is tried on 127.0.0.1 and then ::1 whatever /etc/hosts says, like curl does,
    /// because app servers often bind only one of them.
    fn http(&self, url: &str, timeout: Duration) -> Result<unix_http::Answer, Failure> {
        let Target::Http {
            authority,
            path,
            tls: false,
            ..
        } = &self.target
        else {
            return self.http_once(url, None, timeout);
        };
        let Some(port) = authority
            .strip_prefix("localhost")
            .map(|p| p.strip_prefix(':').unwrap_or("80"))
        else {
            return self.http_once(url, None, timeout);
        };
        let deadline = Deadline::after(timeout);
        let v4 = self.http_once(
            &format!("http://127.0.0.1:{port}{path}"),
            Some(authority),
            timeout,
        );
        match v4 {
            Err(Failure::Refused) => {
                let left = deadline.left().max(Duration::from_millis(1));
                self.http_once(&format!("http://[::1]:{port}{path}"), Some(authority), left)
            }
            other => other,
        }
    }

    fn http_once(
        &self,
        url: &str,
        host: Option<&str>,
        timeout: Duration,
    ) -> Result<unix_http::Answer, Failure> {
        let mut req = if self.opts.method == Some(Method::Head) {
            self.agent.head(url)
        } else {
            self.agent.get(url)
        };
        if let Some(h) = host {
            req = req.header("Host", h);
        }
        for (k, v) in &self.request_headers() {
            req = req.header(k, v);
        }
        let mut resp = req
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call()
            .map_err(|e| Failure::http(&e, timeout))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
                )
            })
            .collect();
        let body = if self.opts.body.is_some() {
            resp.body_mut()
                .with_config()
                .limit(1 << 20)
                .read_to_vec()
                .map_err(|e| Failure::BodyUnread {
                    status,
                    why: Box::new(Failure::http(&e, timeout)),
                })?
        } else {
            Vec::new()
        };
        Ok((status, headers, body))
    }
}

/// Tries every address of `host` (both IPv4 and IPv6 for `localhost`) within `timeout`.
fn tcp_connect(host: &str, port: u16, timeout: Duration) -> Result<String, Failure> {
    let deadline = Deadline::after(timeout);
    let mut addrs: Vec<std::net::SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Failure::Unresolved {
            host: host.to_string(),
            reason: e.to_string(),
        })?
        .collect();
    if host.eq_ignore_ascii_case("localhost") {
        for ip in ["127.0.0.1", "::1"] {
            let a = std::net::SocketAddr::new(
                ip.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
                port,
            );
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
    }
    let mut last = Failure::NoAddress;
    for (i, addr) in addrs.iter().enumerate() {
        let left = deadline.left();
        if left.is_zero() {
            break;
        }
        // Later addresses get what is left; the first gets a fair share so a dead one cannot eat it all.
        let share = if i + 1 < addrs.len() { left / 2 } else { left };
        match TcpStream::connect_timeout(addr, share.max(Duration::from_millis(1))) {
            Ok(_) => return Ok(format!("connected to {addr}")),
            Err(e) => last = Failure::io(&e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_read_as_before_and_know_a_missing_answer() {
        let no_answer = Failure::NoAnswer {
            within: Duration::from_millis(2),
        };
        assert_eq!(no_answer.to_string(), "no answer within 2ms");
        let unread = Failure::BodyUnread {
            status: 200,
            why: Box::new(no_answer.clone()),
        };
        assert_eq!(
            unread.to_string(),
            "status 200 but reading the body failed: no answer within 2ms"
        );
        assert!(no_answer.is_no_answer() && unread.is_no_answer());
        assert!(Failure::NoCompleteAnswer {
            within: Duration::from_secs(2)
        }
        .is_no_answer());
        for other in [Failure::TimedOut, Failure::Refused, Failure::Crashed] {
            assert!(!other.is_no_answer(), "{other}");
        }
        let status = Failure::Status {
            status: 503,
            expected: StatusSet::default(),
        };
        assert_eq!(status.to_string(), "status 503, expected 200-399");
    }
}
