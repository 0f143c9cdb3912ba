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
        let value = stat_field(&out, backend, server, "scur")?.ok_or_else(|| {
            format!("{backend}/{server} is not in haproxy's `show stat`; is the running haproxy using this config?")
        })?;
        value
            .parse()
            .map_err(|_| format!("odd scur '{value}' for {backend}/{server}"))
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
