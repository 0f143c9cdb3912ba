//! The canary gate: after the first servers are deployed and back, watch their share of 5xx
//! answers and failed connections for a while. haproxy gives per-server counters (`show stat`:
//! `hrsp_*`, `eresp`, `econ`, as deltas); nginx writes them to an access log in the
//! `swapctl` log_format, of which only what is appended during the window is read.

use crate::adapters::runtime::stat_field;
use crate::adapters::runtime::Runtime;
use crate::fleet::Fleet;
use crate::steps::Gate;
use crate::steps::ServerRef;
use healthwait::deadline::Deadline;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// The log_format the nginx side reads (documented in the README).
pub const LOG_FORMAT: &str = "log_format swapctl '$msec|$status|$upstream_addr|$upstream_status';";

/// Why the gate cannot watch the canaries, or could not finish watching.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A haproxy without a usable admin socket: no per-server counters.
    #[error(
        "--canary on {} needs haproxy's admin socket for per-server counters: add \
         `stats socket … level admin`, or pass --socket",
        config.display()
    )]
    NoAdminSocket {
        /// The config file.
        config: PathBuf,
    },
    /// An nginx without an access log in swapctl's format.
    #[error(
        "--canary on {} reads the access log in swapctl's format: add `{}` \
         and `access_log /var/log/nginx/swapctl.log swapctl;` to the http block, or pass \
         --access-log",
        config.display(),
        LOG_FORMAT
    )]
    NoAccessLog {
        /// The config file.
        config: PathBuf,
    },
    /// The access log named is not there.
    #[error(
        "--canary: the access log {} does not exist or cannot be read",
        path.display()
    )]
    AccessLogMissing {
        /// The log file.
        path: PathBuf,
    },
    /// The admin socket failed.
    #[error(transparent)]
    Runtime(#[from] crate::adapters::runtime::Error),
    /// `show stat` cannot be read.
    #[error(transparent)]
    Stat(#[from] crate::adapters::runtime::StatError),
    /// The access log cannot be read.
    #[error("cannot read the access log {}: {source}", path.display())]
    ReadLog {
        /// The log file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Seeking in the access log failed.
    #[error(transparent)]
    Seek(std::io::Error),
    /// Ctrl-C cut the window short.
    #[error("interrupted")]
    Interrupted,
}

/// What one window saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    /// Requests sent to the canaries (answers and failed connections).
    pub requests: u64,
    /// 5xx answers and failed connections among them.
    pub errors: u64,
}

impl Seen {
    /// Errors in percent of requests.
    pub fn rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            100.0 * self.errors as f64 / self.requests as f64
        }
    }
}

/// What one window saw, against the limit, as the account states it.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// What the window saw.
    pub seen: Seen,
    /// How long it was.
    pub window: Duration,
    /// `--max-error-rate`, in percent.
    pub limit: f64,
}

impl Figures {
    /// "N requests, E errors, in W": what an unjudged window did see.
    pub fn seen_text(&self) -> String {
        format!(
            "{} request(s) with {} error(s) in {}",
            self.seen.requests,
            self.seen.errors,
            healthwait::duration::round(self.window)
        )
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1}% errors ({} of {} requests) over {}, limit {}%",
            self.seen.rate(),
            self.seen.errors,
            self.seen.requests,
            healthwait::duration::round(self.window),
            self.limit
        )
    }
}

/// Where one proxy's figures come from.
enum Source {
    Haproxy { rt: Runtime, upstream: String },
    NginxLog(Vec<PathBuf>),
}

/// Each proxy's source; a proxy with none is a usage error (exit 2), found before anything changes.
pub fn sources_check(fleet: &Fleet, gate: &Gate) -> Result<(), Error> {
    sources(fleet, gate).map(|_| ())
}

fn sources(fleet: &Fleet, gate: &Gate) -> Result<Vec<Source>, Error> {
    let mut seen_logs: Vec<PathBuf> = Vec::new();
    fleet
        .members
        .iter()
        .map(|m| match m.kind {
            proxyconf::ProxyKind::Haproxy => m
                .runtime()
                .map(|rt| Source::Haproxy {
                    rt,
                    upstream: m.upstream.clone(),
                })
                .ok_or_else(|| Error::NoAdminSocket {
                    config: m.config.clone(),
                }),
            proxyconf::ProxyKind::Nginx => {
                let logs = match &gate.access_log {
                    Some(p) => vec![p.clone()],
                    None => m.cfg.access_logs("swapctl", m.prefix().as_deref()),
                };
                if logs.is_empty() {
                    return Err(Error::NoAccessLog {
                        config: m.config.clone(),
                    });
                }
                for l in &logs {
                    if std::fs::metadata(l).is_err() {
                        return Err(Error::AccessLogMissing { path: l.clone() });
                    }
                }
                // One log shared by several proxies is read once.
                let logs: Vec<PathBuf> = logs
                    .into_iter()
                    .filter(|l| {
                        let fresh = !seen_logs.contains(l);
                        seen_logs.push(l.clone());
                        fresh
                    })
                    .collect();
                Ok(Source::NginxLog(logs))
            }
        })
        .collect()
}

/// Per-source starting point.
enum Mark {
    Counters(Vec<(u64, u64)>),
    Offsets(Vec<u64>),
}

/// What a window found.
#[derive(Debug, Clone, Copy)]
pub enum Verdict {
    /// At least `--min-requests` arrived: judge the rate.
    Judged(Figures),
    /// Before that many arrived, more errors than the limit allows over `--min-requests`.
    TooManyErrors(Figures),
    /// `--observe-max` passed with fewer than `--min-requests`.
    Unjudged(Figures),
}

/// How often a window that has not seen `--min-requests` yet is looked at again.
const RECHECK: Duration = Duration::from_millis(250);

/// Watches `canaries` for `gate.observe`, and on until `--min-requests` arrived, the errors
/// already exceed what the limit allows over them, or `--observe-max` passed; Ctrl-C cuts it short.
pub fn observe(
    fleet: &Fleet,
    gate: &Gate,
    canaries: &[ServerRef],
    cancel: &AtomicBool,
) -> Result<Verdict, Error> {
    let srcs = sources(fleet, gate)?;
    let marks: Vec<Mark> = srcs
        .iter()
        .map(|s| mark(s, fleet, canaries))
        .collect::<Result<_, _>>()?;
    let start = std::time::Instant::now();
    let end = Deadline::after(gate.observe.max(gate.observe_max));
    let mut nap = gate.observe;
    loop {
        if !Deadline::after(nap).nap(nap, cancel) {
            return Err(Error::Interrupted);
        }
        let mut seen = Seen::default();
        for (s, m) in srcs.iter().zip(&marks) {
            let d = measure(s, m, fleet, canaries)?;
            seen.requests += d.requests;
            seen.errors += d.errors;
        }
        let figures = Figures {
            seen,
            window: start.elapsed(),
            limit: gate.max_error_rate,
        };
        if seen.requests >= gate.min_requests {
            return Ok(Verdict::Judged(figures));
        }
        if seen.errors as f64 > gate.max_error_rate / 100.0 * gate.min_requests as f64 {
            return Ok(Verdict::TooManyErrors(figures));
        }
        let left = end.left();
        if left.is_zero() {
            return Ok(Verdict::Unjudged(figures));
        }
        nap = RECHECK.min(left);
    }
}

fn haproxy_counts(
    rt: &Runtime,
    upstream: &str,
    names: &[String],
) -> Result<Vec<(u64, u64)>, Error> {
    let text = rt.send("show stat")?;
    names
        .iter()
        .map(|n| {
            let col = |c: &str| -> Result<u64, Error> {
                Ok(stat_field(&text, upstream, n, c)?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0))
            };
            let answers: u64 = [
                "hrsp_1xx",
                "hrsp_2xx",
                "hrsp_3xx",
                "hrsp_4xx",
                "hrsp_5xx",
                "hrsp_other",
            ]
            .iter()
            .map(|c| col(c))
            .sum::<Result<u64, Error>>()?;
            let (e5, eresp, econ) = (col("hrsp_5xx")?, col("eresp")?, col("econ")?);
            Ok((answers + eresp + econ, e5 + eresp + econ))
        })
        .collect()
}

fn canary_names(fleet: &Fleet, upstream: &str, canaries: &[ServerRef]) -> Vec<String> {
    fleet
        .members
        .iter()
        .filter(|m| m.upstream == upstream)
        .flat_map(|m| m.mine_public(canaries))
        .filter_map(|r| r.name)
        .collect()
}

fn mark(s: &Source, fleet: &Fleet, canaries: &[ServerRef]) -> Result<Mark, Error> {
    Ok(match s {
        Source::Haproxy { rt, upstream } => Mark::Counters(haproxy_counts(
            rt,
            upstream,
            &canary_names(fleet, upstream, canaries),
        )?),
        Source::NginxLog(paths) => Mark::Offsets(
            paths
                .iter()
                .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
                .collect(),
        ),
    })
}

fn measure(s: &Source, m: &Mark, fleet: &Fleet, canaries: &[ServerRef]) -> Result<Seen, Error> {
    let mut seen = Seen::default();
    match (s, m) {
        (Source::Haproxy { rt, upstream }, Mark::Counters(before)) => {
            let now = haproxy_counts(rt, upstream, &canary_names(fleet, upstream, canaries))?;
            for (a, b) in now.iter().zip(before.iter()) {
                // A counter that went down was reset by a reload: count from zero.
                let d = |x: u64, y: u64| if x >= y { x - y } else { x };
                seen.requests += d(a.0, b.0);
                seen.errors += d(a.1, b.1);
            }
        }
        (Source::NginxLog(paths), Mark::Offsets(offsets)) => {
            let targets = targets(canaries);
            for (p, &from) in paths.iter().zip(offsets.iter()) {
                let text = appended(p, from)?;
                for line in text.lines() {
                    count_line(line, &targets, &mut seen);
                }
            }
        }
        _ => {}
    }
    Ok(seen)
}

/// What was appended to `path` since `from` (all of it when the log was rotated meanwhile).
fn appended(path: &std::path::Path, from: u64) -> Result<String, Error> {
    let unreadable = |source| Error::ReadLog {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(unreadable)?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = if len < from { 0 } else { from };
    f.seek(SeekFrom::Start(start)).map_err(Error::Seek)?;
    let mut buf = Vec::new();
    f.take(64 << 20).read_to_end(&mut buf).map_err(unreadable)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

enum Target {
    Tcp(Vec<SocketAddr>),
    Unix(String),
}

fn targets(canaries: &[ServerRef]) -> Vec<Target> {
    canaries
        .iter()
        .map(|c| {
            if c.address.starts_with("unix:") {
                Target::Unix(c.address.clone())
            } else {
                let mut addrs =
                    crate::adapters::procwatch::socket_addrs(std::slice::from_ref(&c.address));
                if addrs.is_empty() {
                    // nginx's `server HOST;` means port 80.
                    addrs =
                        crate::adapters::procwatch::socket_addrs(&[format!("{}:80", c.address)]);
                }
                Target::Tcp(addrs)
            }
        })
        .collect()
}

/// One `$msec|$status|$upstream_addr|$upstream_status` line: every attempt that went to a
/// canary counts, and an attempt with a 5xx (502/504 for a failed connection) is an error.
fn count_line(line: &str, targets: &[Target], seen: &mut Seen) {
    let mut f = line.split('|');
    let (Some(_), Some(_), Some(addrs), Some(statuses)) = (f.next(), f.next(), f.next(), f.next())
    else {
        return;
    };
    let split = |s: &str| -> Vec<String> {
        s.split(", ")
            .flat_map(|p| p.split(" : "))
            .map(|p| p.trim().to_string())
            .collect()
    };
    for (a, st) in split(addrs).iter().zip(split(statuses)) {
        let hit = targets.iter().any(|t| match t {
            Target::Unix(u) => a == u,
            Target::Tcp(v) => a.parse::<SocketAddr>().is_ok_and(|sa| v.contains(&sa)),
        });
        if hit {
            seen.requests += 1;
            if st.parse::<u16>().map_or(true, |c| c >= 500) {
                seen.errors += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_count_attempts_per_server() {
        let t = targets(&[ServerRef {
            upstream: "app".into(),
            name: None,
            address: "127.0.0.1:8001".into(),
        }]);
        let mut seen = Seen::default();
        for l in [
            "1.0|200|127.0.0.1:8001|200",
            "1.1|500|127.0.0.1:8001|500",
            "1.2|200|127.0.0.1:8001, 127.0.0.1:8002|502, 200",
            "1.3|200|127.0.0.1:8002|200",
            "garbage",
        ] {
            count_line(l, &t, &mut seen);
        }
        assert_eq!((seen.requests, seen.errors), (3, 2));
    }
}
