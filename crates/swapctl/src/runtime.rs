//! haproxy's runtime API over the admin `stats socket`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A connection factory for one admin socket (haproxy closes after each command).
#[derive(Debug, Clone)]
pub struct Runtime {
    /// The socket path.
    pub socket: PathBuf,
}

impl Runtime {
    /// The `stats socket` of `cfg` that can take admin commands, if one is configured.
    pub fn from_config(cfg: &proxyconf::Config) -> Option<Runtime> {
        let src = &cfg.files[0];
        let lines = proxyconf::haproxy::lexer::lines(&src.bytes).ok()?;
        for l in lines {
            let w: Vec<String> = l
                .words
                .iter()
                .map(|w| String::from_utf8_lossy(&w.value).into_owned())
                .collect();
            if w.len() >= 3 && w[0] == "stats" && w[1] == "socket" {
                let level_ok = !w.iter().any(|x| x == "level")
                    || w.windows(2).any(|p| p[0] == "level" && p[1] == "admin");
                let path = w[2].trim_start_matches("unix@");
                if level_ok && path.starts_with('/') {
                    return Some(Runtime {
                        socket: PathBuf::from(path),
                    });
                }
            }
        }
        None
    }

    /// Sends one command and returns haproxy's answer.
    pub fn send(&self, cmd: &str) -> Result<String, String> {
        let mut s = UnixStream::connect(&self.socket).map_err(|e| {
            format!(
                "cannot reach the haproxy admin socket {}: {e}",
                self.socket.display()
            )
        })?;
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        s.write_all(format!("{cmd}\n").as_bytes())
            .map_err(|e| format!("runtime API: {e}"))?;
        let mut out = String::new();
        s.read_to_string(&mut out)
            .map_err(|e| format!("runtime API: {e}"))?;
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

    /// Current sessions (`scur`) of `backend/server` from `show stat`.
    pub fn scur(&self, backend: &str, server: &str) -> Result<u64, String> {
        let out = self.send("show stat")?;
        for line in out.lines() {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() > 4 && f[0] == backend && f[1] == server {
                return f[4]
                    .parse()
                    .map_err(|_| format!("odd scur '{}' for {backend}/{server}", f[4]));
            }
        }
        Err(format!("{backend}/{server} is not in haproxy's `show stat`; is the running haproxy using this config?"))
    }

    /// Waits until `backend/server` has no current session.
    pub fn wait_idle(&self, backend: &str, server: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let n = self.scur(backend, server)?;
            if n == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{backend}/{server} still has {n} session(s) after {} (raise --drain-timeout)",
                    healthwait::duration::round(timeout)
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
