//! One probe of one target: connect, ask, and judge the answer against the expectations.

use crate::expect::{Body, StatusSet};
use crate::target::Target;
use crate::unix_http;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    pub fn new(target: Target, opts: ProbeOptions) -> Result<Probe, String> {
        let http_only = opts.unix_socket.is_some()
            || opts.body.is_some()
            || !opts.headers.is_empty()
            || !opts.expect_headers.is_empty();
        if !matches!(target, Target::Http { .. }) && http_only {
            return Err(format!(
                "--unix-socket, --header, --expect-header, --body and --body-regex need an http:// target, not {target}"
            ));
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
            let pem = std::fs::read(ca)
                .map_err(|e| format!("cannot read --cacert {}: {e}", ca.display()))?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(format!(
                    "--cacert {} holds no PEM certificate",
                    ca.display()
                ));
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
    pub fn check(&self, timeout: Duration) -> Result<String, String> {
        let timeout = timeout.max(Duration::from_millis(1));
        match &self.target {
            Target::Tcp { host, port } => tcp_connect(host, *port, timeout),
            Target::Unix { path } => std::os::unix::net::UnixStream::connect(path)
                .map(|_| format!("connected to unix:{}", path.display()))
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => {
                        format!("socket {} does not exist", path.display())
                    }
                    _ => io_reason(&e),
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
                    return Err(format!("status {status}, expected {}", self.opts.status));
                }
                for (name, re) in &self.opts.expect_headers {
                    let found = headers.iter().find(|(k, _)| k == name).map(|(_, v)| v);
                    match found {
                        Some(v) if re.is_match(v) => {}
                        Some(v) => {
                            return Err(format!(
                                "status {status} but header {name}: {v} does not match {re}"
                            ))
                        }
                        None => return Err(format!("status {status} but no {name} header")),
                    }
                }
                if let Some(reason) = self.opts.body.as_ref().and_then(|b| b.check(&body)) {
                    return Err(format!("status {status} but {reason}"));
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
    fn http(&self, url: &str, timeout: Duration) -> Result<unix_http::Answer, String> {
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
        let start = Instant::now();
        let v4 = self.http_once(
            &format!("http://127.0.0.1:{port}{path}"),
            Some(authority),
            timeout,
        );
        match v4 {
            Err(ref e) if e == "connection refused" => {
                let left = timeout
                    .saturating_sub(start.elapsed())
                    .max(Duration::from_millis(1));
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
    ) -> Result<unix_http::Answer, String> {
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
            .map_err(|e| reason(&e, timeout))?;
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
                .map_err(|e| {
                    format!(
                        "status {status} but reading the body failed: {}",
                        reason(&e, timeout)
                    )
                })?
        } else {
            Vec::new()
        };
        Ok((status, headers, body))
    }
}

/// A short, stable reason: progress lines print one line per change of reason.
fn reason(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Io(io) => io_reason(io),
        ureq::Error::Timeout(_) => {
            format!("no answer within {}", crate::duration::round(timeout))
        }
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        other => other.to_string(),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::ConnectionReset => "connection reset".into(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timed out".into(),
        _ => e.to_string(),
    }
}

/// Tries every address of `host` (both IPv4 and IPv6 for `localhost`) within `timeout`.
fn tcp_connect(host: &str, port: u16, timeout: Duration) -> Result<String, String> {
    let start = Instant::now();
    let mut addrs: Vec<std::net::SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
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
    let mut last = "no address".to_string();
    for (i, addr) in addrs.iter().enumerate() {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        // Later addresses get what is left; the first gets a fair share so a dead one cannot eat it all.
        let share = if i + 1 < addrs.len() { left / 2 } else { left };
        match TcpStream::connect_timeout(addr, share.max(Duration::from_millis(1))) {
            Ok(_) => return Ok(format!("connected to {addr}")),
            Err(e) => last = io_reason(&e),
        }
    }
    Err(last)
}
