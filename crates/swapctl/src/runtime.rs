//! haproxy's runtime API over the admin `stats socket`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Where the admin socket listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A unix socket path.
    Unix(PathBuf),
    /// `HOST:PORT` over TCP (`stats socket ipv4@…`, `--socket tcp:HOST:PORT`).
    Tcp(String),
}

/// A connection factory for one admin socket (haproxy closes after each command).
#[derive(Debug, Clone)]
pub struct Runtime {
    /// The socket.
    pub endpoint: Endpoint,
    /// Where it was configured: `--socket` or `FILE:LINE`.
    pub origin: String,
}

impl std::fmt::Display for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.endpoint {
            Endpoint::Unix(p) => write!(f, "unix:{} ({})", p.display(), self.origin),
            Endpoint::Tcp(a) => write!(f, "tcp:{a} ({})", self.origin),
        }
    }
}

impl Runtime {
    /// `unix:PATH`, `tcp:HOST:PORT`, or haproxy's own forms: `/PATH`, `unix@PATH`,
    /// `ipv4@HOST:PORT`, `ipv6@[V6]:PORT`, `HOST:PORT`.
    pub fn parse(text: &str, origin: &str) -> Result<Runtime, String> {
        let endpoint = if let Some(p) = text
            .strip_prefix("unix:")
            .or_else(|| text.strip_prefix("unix@"))
            .or_else(|| text.starts_with('/').then_some(text))
        {
            Endpoint::Unix(PathBuf::from(p))
        } else if let Some(a) = text
            .strip_prefix("tcp:")
            .or_else(|| text.strip_prefix("ipv4@"))
            .or_else(|| text.strip_prefix("ipv6@"))
            .or_else(|| (!text.contains('@') && text.contains(':')).then_some(text))
        {
            // haproxy reads an empty host as "every address"; connect to this host then.
            let a = a
                .strip_prefix(':')
                .map_or(a.to_string(), |p| format!("127.0.0.1:{p}"));
            Endpoint::Tcp(
                a.replace("*:", "127.0.0.1:")
                    .replace("0.0.0.0:", "127.0.0.1:"),
            )
        } else {
            return Err(format!(
                "{origin}: cannot use the admin socket '{text}': swapctl reaches unix:PATH and \
                 tcp:HOST:PORT sockets only (pass --socket, or --reload to apply changes by reloading)"
            ));
        };
        Ok(Runtime {
            endpoint,
            origin: origin.to_string(),
        })
    }

    /// The first `stats socket` of `cfg`'s global section whose level allows admin commands.
    /// A socket configured at a lower level is an error: a silent fallback to reloads would hide it.
    pub fn from_config(cfg: &proxyconf::Config) -> Result<Option<Runtime>, String> {
        let src = &cfg.files[0];
        let Ok(lines) = proxyconf::haproxy::lexer::lines(&src.bytes) else {
            return Ok(None);
        };
        let mut weaker = None;
        for l in lines {
            let w: Vec<String> = l
                .words
                .iter()
                .map(|w| String::from_utf8_lossy(&w.value).into_owned())
                .collect();
            if w.len() >= 3 && w[0] == "stats" && w[1] == "socket" {
                let origin = format!("{}:{}", src.path.display(), src.line(l.start));
                let level = w
                    .windows(2)
                    .find(|p| p[0] == "level")
                    .map(|p| p[1].as_str());
                match level {
                    None | Some("admin") => return Runtime::parse(&w[2], &origin).map(Some),
                    Some(other) => weaker = Some((origin, w[2].clone(), other.to_string())),
                }
            }
        }
        match weaker {
            Some((origin, sock, level)) => Err(format!(
                "{origin}: the admin socket {sock} is at `level {level}`, which cannot change server \
                 states: make it `level admin`, or pass --socket to another one"
            )),
            None => Ok(None),
        }
    }

    /// Fails unless the socket answers and takes admin commands (`show cli level`).
    pub fn check_admin(&self) -> Result<(), String> {
        let out = self.send("show cli level").map_err(|e| {
            if self.origin == "--socket" {
                format!("{e} (check that haproxy listens there with `level admin`)")
            } else {
                format!(
                    "{e} (configured at {}; start haproxy with it, fix it, or pass --socket)",
                    self.origin
                )
            }
        })?;
        match out.trim() {
            "admin" => Ok(()),
            l @ ("user" | "operator") => Err(format!(
                "the haproxy admin socket {self} is at level {l}, which cannot change server states"
            )),
            // Older haproxy has no `show cli level`; a refused `set` will say so later.
            _ => Ok(()),
        }
    }

    /// Sends one command and returns haproxy's answer.
    pub fn send(&self, cmd: &str) -> Result<String, String> {
        let io = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("no answer from the haproxy admin socket {self} within 5s")
            }
            _ => format!("haproxy admin socket {self}: {e}"),
        };
        let timeout = Some(Duration::from_secs(5));
        let mut out = String::new();
        match &self.endpoint {
            Endpoint::Unix(p) => {
                let mut s = UnixStream::connect(p)
                    .map_err(|e| format!("cannot reach the haproxy admin socket {self}: {e}"))?;
                s.set_read_timeout(timeout).map_err(io)?;
                s.write_all(format!("{cmd}\n").as_bytes()).map_err(io)?;
                s.read_to_string(&mut out).map_err(io)?;
            }
            Endpoint::Tcp(a) => {
                let addr = std::net::ToSocketAddrs::to_socket_addrs(a)
                    .map_err(|e| format!("haproxy admin socket {self}: {e}"))?
                    .next()
                    .ok_or_else(|| format!("haproxy admin socket {self}: no address"))?;
                let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                    .map_err(|e| format!("cannot reach the haproxy admin socket {self}: {e}"))?;
                s.set_read_timeout(timeout).map_err(io)?;
                s.write_all(format!("{cmd}\n").as_bytes()).map_err(io)?;
                s.read_to_string(&mut out).map_err(io)?;
            }
        }
        Ok(out)
    }

    /// Sends a `set ...` command; any answer text is an error from haproxy.
    pub fn set(&self, cmd: &str) -> Result<(), String> {
        let out = self.send(cmd)?;
        if out.trim().is_empty() {
            Ok(())
        } else {
            Err(format!("haproxy refused '{cmd}': {}", out.trim()))
        }
    }

    /// One `show stat` column of `backend/server`.
    pub fn stat(&self, backend: &str, server: &str, column: &str) -> Result<String, String> {
        let out = self.send("show stat")?;
        stat_field(&out, backend, server, column)?.ok_or_else(|| {
            format!("{backend}/{server} is not in haproxy's `show stat`; is the running haproxy using this config?")
        })
    }

    /// Waits until `backend/server` has no current session.
    pub fn wait_idle(
        &self,
        backend: &str,
        server: &str,
        timeout: Duration,
        cancel: &AtomicBool,
    ) -> Result<(), String> {
        // Ok(Err(..)) stops at once: the socket failed, which waiting will not fix.
        crate::procwatch::poll(
            timeout,
            cancel,
            || match self.stat(backend, server, "scur").map(|v| v.parse::<u64>()) {
                Ok(Ok(0)) => Ok(Ok(())),
                Ok(Ok(n)) => Err(n),
                Ok(Err(_)) => Ok(Err(format!("odd scur for {backend}/{server}"))),
                Err(e) => Ok(Err(e)),
            },
            |n| {
                format!(
                    "{backend}/{server} still has {n} session(s) after {} (raise --drain-timeout)",
                    healthwait::duration::round(timeout)
                )
            },
        )?
    }
}

/// One column of one server's row in `show stat` CSV, found by the column's name in the
/// `# pxname,svname,...` header (columns move between haproxy versions).
pub fn stat_field(
    csv_text: &str,
    backend: &str,
    server: &str,
    column: &str,
) -> Result<Option<String>, String> {
    let body = csv_text.trim_start().trim_start_matches('#').trim_start();
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = rd
        .headers()
        .map_err(|e| format!("unreadable `show stat`: {e}"))?
        .clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| format!("`show stat` has no {name} column"))
    };
    let (px, sv, col) = (at("pxname")?, at("svname")?, at(column)?);
    for rec in rd.records() {
        let rec = rec.map_err(|e| format!("unreadable `show stat`: {e}"))?;
        if rec.get(px) == Some(backend) && rec.get(sv) == Some(server) {
            return Ok(rec.get(col).map(str::to_string));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_found_by_name() {
        let text = "# pxname,svname,qcur,qmax,scur,smax\napp,FRONTEND,,,3,4\napp,web1,0,0,2,5\n";
        assert_eq!(
            super::stat_field(text, "app", "web1", "scur"),
            Ok(Some("2".to_string()))
        );
        assert_eq!(super::stat_field(text, "app", "web9", "scur"), Ok(None));
        assert!(super::stat_field(text, "app", "web1", "nope").is_err());
    }
}
