//! haproxy's runtime API over the admin `stats socket`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use healthwait::deadline::{poll, Deadline, Polled};

/// Why a configured admin socket cannot be used at all (found from the flags or the config,
/// before anything is sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// An address form swapctl cannot reach.
    #[error(
        "{origin}: cannot use the admin socket '{text}': swapctl reaches unix:PATH and \
         tcp:HOST:PORT sockets only (pass --socket, or --reload to apply changes by reloading)"
    )]
    Unsupported {
        /// `--socket` or `FILE:LINE`.
        origin: String,
        /// The socket as written.
        text: String,
    },
    /// The config's only `stats socket` is below `level admin`.
    #[error(
        "{origin}: the admin socket {socket} is at `level {level}`, which cannot change server \
         states: make it `level admin`, or pass --socket to another one"
    )]
    WeakLevel {
        /// `FILE:LINE`.
        origin: String,
        /// The socket as written.
        socket: String,
        /// Its level.
        level: String,
    },
}

/// What went wrong talking to the admin socket, or waiting on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connecting failed.
    #[error("cannot reach the haproxy admin socket {socket}: {source}")]
    Unreachable {
        /// The socket.
        socket: Runtime,
        /// Why.
        source: std::io::Error,
    },
    /// The socket did not answer in time.
    #[error("no answer from the haproxy admin socket {socket} within 5s")]
    NoAnswer {
        /// The socket.
        socket: Runtime,
    },
    /// Reading, writing or resolving failed.
    #[error("haproxy admin socket {socket}: {source}")]
    Io {
        /// The socket.
        socket: Runtime,
        /// Why.
        source: std::io::Error,
    },
    /// A TCP socket's host resolved to nothing.
    #[error("haproxy admin socket {socket}: no address")]
    NoAddress {
        /// The socket.
        socket: Runtime,
    },
    /// `--socket` does not answer.
    #[error("{source} (check that haproxy listens there with `level admin`)")]
    GivenSocketSilent {
        /// Why.
        source: Box<Error>,
    },
    /// The config's socket does not answer.
    #[error("{source} (configured at {origin}; start haproxy with it, fix it, or pass --socket)")]
    ConfiguredSocketSilent {
        /// `FILE:LINE`.
        origin: String,
        /// Why.
        source: Box<Error>,
    },
    /// The socket answers below admin level.
    #[error(
        "the haproxy admin socket {socket} is at level {level}, which cannot change server states"
    )]
    NotAdmin {
        /// The socket.
        socket: Runtime,
        /// `user` or `operator`.
        level: String,
    },
    /// haproxy answered a `set` command with an error.
    #[error("haproxy refused '{command}': {answer}")]
    Refused {
        /// The command.
        command: String,
        /// haproxy's answer, trimmed.
        answer: String,
    },
    /// `show stat` has no row for the server.
    #[error("{backend}/{server} is not in haproxy's `show stat`; is the running haproxy using this config?")]
    NotInStat {
        /// The backend.
        backend: String,
        /// The server.
        server: String,
    },
    /// `show stat` cannot be read.
    #[error(transparent)]
    Stat(#[from] StatError),
    /// `scur` is not a number.
    #[error("odd scur for {backend}/{server}")]
    OddScur {
        /// The backend.
        backend: String,
        /// The server.
        server: String,
    },
    /// Sessions remain after the drain timeout.
    #[error(
        "{backend}/{server} still has {sessions} session(s) after {} (raise --drain-timeout)",
        healthwait::duration::round(*after)
    )]
    NotIdle {
        /// The backend.
        backend: String,
        /// The server.
        server: String,
        /// Sessions left.
        sessions: u64,
        /// The timeout.
        after: Duration,
    },
    /// Ctrl-C cut the wait short.
    #[error("interrupted")]
    Interrupted,
}

/// Why `show stat` output cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StatError {
    /// Not CSV.
    #[error("unreadable `show stat`: {0}")]
    Csv(#[from] csv::Error),
    /// A column this haproxy does not have.
    #[error("`show stat` has no {0} column")]
    NoColumn(String),
}

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
    pub fn parse(text: &str, origin: &str) -> Result<Runtime, SetupError> {
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
            return Err(SetupError::Unsupported {
                origin: origin.to_string(),
                text: text.to_string(),
            });
        };
        Ok(Runtime {
            endpoint,
            origin: origin.to_string(),
        })
    }

    /// The first `stats socket` of `cfg`'s global section whose level allows admin commands.
    /// A socket configured at a lower level is an error: a silent fallback to reloads would hide it.
    pub fn from_config(cfg: &proxyconf::Config) -> Result<Option<Runtime>, SetupError> {
        let sockets = &cfg.settings.admin_sockets;
        // The first that may take admin commands; one without `level` is tried too, and
        // `check_admin` then asks haproxy what it grants.
        if let Some(s) = sockets
            .iter()
            .find(|s| s.value.is_admin() || s.value.level.is_none())
        {
            return Runtime::parse(&s.value.address, &s.at).map(Some);
        }
        match sockets.last() {
            Some(s) => Err(SetupError::WeakLevel {
                origin: s.at.clone(),
                socket: s.value.address.clone(),
                level: s.value.level.clone().unwrap_or_default(),
            }),
            None => Ok(None),
        }
    }

    /// Fails unless the socket answers and takes admin commands (`show cli level`).
    pub fn check_admin(&self) -> Result<(), Error> {
        let out = self.send("show cli level").map_err(|e| {
            if self.origin == "--socket" {
                Error::GivenSocketSilent {
                    source: Box::new(e),
                }
            } else {
                Error::ConfiguredSocketSilent {
                    origin: self.origin.clone(),
                    source: Box::new(e),
                }
            }
        })?;
        match out.trim() {
            "admin" => Ok(()),
            l @ ("user" | "operator") => Err(Error::NotAdmin {
                socket: self.clone(),
                level: l.to_string(),
            }),
            // Older haproxy has no `show cli level`; a refused `set` will say so later.
            _ => Ok(()),
        }
    }

    /// Sends one command and returns haproxy's answer.
    pub fn send(&self, cmd: &str) -> Result<String, Error> {
        let io = |source: std::io::Error| match source.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => Error::NoAnswer {
                socket: self.clone(),
            },
            _ => Error::Io {
                socket: self.clone(),
                source,
            },
        };
        let unreachable = |source| Error::Unreachable {
            socket: self.clone(),
            source,
        };
        let timeout = Some(Duration::from_secs(5));
        let mut out = String::new();
        match &self.endpoint {
            Endpoint::Unix(p) => {
                let mut s = UnixStream::connect(p).map_err(unreachable)?;
                s.set_read_timeout(timeout).map_err(io)?;
                s.write_all(format!("{cmd}\n").as_bytes()).map_err(io)?;
                s.read_to_string(&mut out).map_err(io)?;
            }
            Endpoint::Tcp(a) => {
                let addr = std::net::ToSocketAddrs::to_socket_addrs(a)
                    .map_err(|source| Error::Io {
                        socket: self.clone(),
                        source,
                    })?
                    .next()
                    .ok_or_else(|| Error::NoAddress {
                        socket: self.clone(),
                    })?;
                let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                    .map_err(unreachable)?;
                s.set_read_timeout(timeout).map_err(io)?;
                s.write_all(format!("{cmd}\n").as_bytes()).map_err(io)?;
                s.read_to_string(&mut out).map_err(io)?;
            }
        }
        Ok(out)
    }

    /// Sends a `set ...` command; any answer text is an error from haproxy.
    pub fn set(&self, cmd: &str) -> Result<(), Error> {
        let out = self.send(cmd)?;
        if out.trim().is_empty() {
            Ok(())
        } else {
            Err(Error::Refused {
                command: cmd.to_string(),
                answer: out.trim().to_string(),
            })
        }
    }

    /// One `show stat` column of `backend/server`.
    pub fn stat(&self, backend: &str, server: &str, column: &str) -> Result<String, Error> {
        let out = self.send("show stat")?;
        stat_field(&out, backend, server, column)?.ok_or_else(|| Error::NotInStat {
            backend: backend.to_string(),
            server: server.to_string(),
        })
    }

    /// Waits until `backend/server` has no current session.
    pub fn wait_idle(
        &self,
        backend: &str,
        server: &str,
        timeout: Duration,
        cancel: &AtomicBool,
    ) -> Result<(), Error> {
        // Ready(Err(..)) stops at once: the socket failed, which waiting will not fix.
        let polled = poll(
            Deadline::after(timeout),
            crate::adapters::procwatch::POLL,
            cancel,
            || match self.stat(backend, server, "scur").map(|v| v.parse::<u64>()) {
                Ok(Ok(0)) => Ok(Ok(())),
                Ok(Ok(n)) => Err(n),
                Ok(Err(_)) => Ok(Err(Error::OddScur {
                    backend: backend.to_string(),
                    server: server.to_string(),
                })),
                Err(e) => Ok(Err(e)),
            },
        );
        match polled {
            Polled::Ready(r) => r,
            Polled::Late(sessions) => Err(Error::NotIdle {
                backend: backend.to_string(),
                server: server.to_string(),
                sessions,
                after: timeout,
            }),
            Polled::Cancelled => Err(Error::Interrupted),
        }
    }
}

/// One column of one server's row in `show stat` CSV, found by the column's name in the
/// `# pxname,svname,...` header (columns move between haproxy versions).
pub fn stat_field(
    csv_text: &str,
    backend: &str,
    server: &str,
    column: &str,
) -> Result<Option<String>, StatError> {
    let body = csv_text.trim_start().trim_start_matches('#').trim_start();
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = rd.headers()?.clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| StatError::NoColumn(name.to_string()))
    };
    let (px, sv, col) = (at("pxname")?, at("svname")?, at(column)?);
    for rec in rd.records() {
        let rec = rec?;
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
            super::stat_field(text, "app", "web1", "scur").ok(),
            Some(Some("2".to_string()))
        );
        assert_eq!(
            super::stat_field(text, "app", "web9", "scur").ok(),
            Some(None)
        );
        assert_eq!(
            super::stat_field(text, "app", "web1", "nope")
                .map_err(|e| e.to_string())
                .err()
                .as_deref(),
            Some("`show stat` has no nope column")
        );
    }
}
