//! Native polling of /proc: a proxy's processes, and the connections those processes own.

use std::collections::HashSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use healthwait::deadline::{self, Deadline, Polled};

/// How often the /proc waits (and the admin-socket drain) look again.
pub(crate) const POLL: Duration = Duration::from_millis(5);

/// Why a wait on the proxy's processes or connections did not end well.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Ctrl-C cut the wait short.
    #[error("interrupted")]
    Interrupted,
    /// Old workers still hold connections to what was taken out.
    #[error(
        "old worker processes {left:?} still hold connections to what was taken out after {}: \
         long requests or websockets keep them (set worker_shutdown_timeout, or raise --drain-timeout)",
        took(*after)
    )]
    OldWorkersHold {
        /// Their pids.
        left: Vec<i32>,
        /// The timeout.
        after: Duration,
    },
    /// The master does not handle the reload signal yet (it is still starting).
    #[error(
        "the master {pid} does not handle {signal} yet after {}: it is still starting, or is not the proxy's master",
        took(*after)
    )]
    NotListening {
        /// The master.
        pid: i32,
        /// The signal's name.
        signal: &'static str,
        /// The timeout.
        after: Duration,
    },
    /// The reload started no new worker.
    #[error(
        "no new worker process appeared within {}: the reload did not take (check the proxy's error log)",
        took(*after)
    )]
    NoNewWorker {
        /// The timeout.
        after: Duration,
    },
    /// A standalone haproxy's pid file still names the old process.
    #[error(
        "{} still names pid {old} after {}: the new process did not take over (check --reload)",
        pidfile.display(),
        took(*after)
    )]
    NotTakenOver {
        /// The pid file.
        pidfile: PathBuf,
        /// The old pid.
        old: i32,
        /// The timeout.
        after: Duration,
    },
    /// The old process did not exit.
    #[error(
        "the old process {pid} still runs after {}: long sessions keep it alive (raise --drain-timeout)",
        took(*after)
    )]
    StillRuns {
        /// Its pid.
        pid: i32,
        /// The timeout.
        after: Duration,
    },
    /// The proxy still holds connections to the servers taken out.
    #[error(
        "the proxy still holds {count} connection(s) to {targets:?} after {} (raise --drain-timeout)",
        took(*after)
    )]
    NotDrained {
        /// Connections left.
        count: usize,
        /// The servers' addresses.
        targets: Vec<SocketAddr>,
        /// The timeout.
        after: Duration,
    },
}

/// Calls `check` every 5 ms until it gives a value; past `timeout`, fails with `late(last)`.
/// Ctrl-C (`cancel`) cuts the wait short.
pub fn poll<T, S>(
    timeout: Duration,
    cancel: &AtomicBool,
    check: impl FnMut() -> Result<T, S>,
    late: impl FnOnce(S) -> Error,
) -> Result<T, Error> {
    match deadline::poll(Deadline::after(timeout), POLL, cancel, check) {
        Polled::Ready(v) => Ok(v),
        Polled::Late(last) => Err(late(last)),
        Polled::Cancelled => Err(Error::Interrupted),
    }
}

/// Pids of the processes whose stat passes `keep`.
fn pids_where(keep: impl Fn(&procfs::process::Stat) -> bool) -> impl Iterator<Item = i32> {
    procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|p| p.stat().ok())
        .filter(move |s| keep(s))
        .map(|s| s.pid)
}

/// Pids whose parent is `master`.
pub fn children(master: i32) -> HashSet<i32> {
    pids_where(|s| s.ppid == master).collect()
}

/// Pids of processes whose command name is `name` (when no master is known).
pub fn named(name: &str) -> Vec<i32> {
    pids_where(|s| s.comm == name).collect()
}

fn alive(pid: i32) -> bool {
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .is_ok_and(|s| s.state != 'Z')
}

fn took(timeout: Duration) -> String {
    healthwait::duration::round(timeout)
}

/// Whether an old nginx worker has begun its graceful exit (it retitles itself): it accepts
/// nothing new and only finishes what it holds.
fn shutting_down(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| c.windows(13).any(|w| w == b"shutting down"))
}

/// Waits until `master` has a child not in `old` and every child from `old` has let go of the
/// servers taken out: it has exited, or (with `targets`, TCP servers) it is shutting down and
/// owns no connection to them. An old worker kept alive by a long request to another server
/// does not hold the drain.
pub fn wait_old_released(
    master: i32,
    old: &HashSet<i32>,
    targets: Option<&[SocketAddr]>,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    let released =
        |p: i32| targets.is_some_and(|t| shutting_down(p) && owned_established(&[p], t) == 0);
    poll(
        timeout,
        cancel,
        || {
            let now = children(master);
            let fresh = now.iter().any(|p| !old.contains(p));
            // An old worker that has exited is a zombie until the master reaps it, which nginx's
            // master does only after its own 100 ms pause: it holds nothing.
            let left: Vec<i32> = now
                .intersection(old)
                .copied()
                .filter(|&p| alive(p) && !released(p))
                .collect();
            if fresh && left.is_empty() {
                Ok(())
            } else {
                Err((fresh, left))
            }
        },
        |(fresh, left)| {
            if fresh {
                Error::OldWorkersHold {
                    left,
                    after: timeout,
                }
            } else {
                Error::NoNewWorker { after: timeout }
            }
        },
    )
}

/// Waits until `pid` catches signal number `signo` (its `SigCgt` in /proc/PID/status). A
/// haproxy master ignores SIGUSR2 until its start-up is done, although its first worker may
/// already serve: a reload sent then is lost, and the new worker never comes.
pub fn wait_catches(
    pid: i32,
    signo: i32,
    signal: &'static str,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    let catches = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            // No /proc (or no such line): nothing to wait for.
            .is_none_or(|mask| mask & (1 << (signo - 1)) != 0)
    };
    poll(
        timeout,
        cancel,
        || if catches() { Ok(()) } else { Err(()) },
        |()| Error::NotListening {
            pid,
            signal,
            after: timeout,
        },
    )
}

/// Process `pid`'s start time in clock ticks since boot (None when it is gone or a zombie).
pub fn start_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(") ")?.1;
    if rest.starts_with('Z') {
        return None;
    }
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Waits until `master` has a child not in `old`.
pub fn wait_new_worker(
    master: i32,
    old: &HashSet<i32>,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    poll(
        timeout,
        cancel,
        || {
            if children(master).iter().any(|p| !old.contains(p)) {
                Ok(())
            } else {
                Err(())
            }
        },
        |()| Error::NoNewWorker { after: timeout },
    )
}

/// Waits until `pidfile` names a live process other than `old` (a standalone haproxy's `-sf`).
pub fn wait_pidfile_changed(
    pidfile: &Path,
    old: i32,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<i32, Error> {
    poll(
        timeout,
        cancel,
        || {
            let pid = std::fs::read_to_string(pidfile)
                .ok()
                .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()));
            match pid {
                Some(p) if p != old && alive(p) => Ok(p),
                _ => Err(()),
            }
        },
        |()| Error::NotTakenOver {
            pidfile: pidfile.to_path_buf(),
            old,
            after: timeout,
        },
    )
}

/// Waits until `pid` has exited (an old process finishing its sessions).
pub fn wait_exited(pid: i32, timeout: Duration, cancel: &AtomicBool) -> Result<(), Error> {
    poll(
        timeout,
        cancel,
        || if alive(pid) { Err(()) } else { Ok(()) },
        |()| Error::StillRuns {
            pid,
            after: timeout,
        },
    )
}

/// Resolves `host:port` / `[v6]:port` addresses; unix sockets and names that do not resolve are skipped.
pub fn socket_addrs(addresses: &[String]) -> Vec<SocketAddr> {
    addresses
        .iter()
        .filter(|a| !a.starts_with("unix:") && !a.starts_with('/'))
        .flat_map(|a| {
            let a = a.trim_start_matches("ipv4@").trim_start_matches("ipv6@");
            a.to_socket_addrs()
                .map(|i| i.collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .collect()
}

/// Socket inodes held open by `pids`.
fn socket_inodes(pids: &[i32]) -> HashSet<u64> {
    pids.iter()
        .filter_map(|&pid| procfs::process::Process::new(pid).ok()?.fd().ok())
        .flat_map(|fds| fds.flatten())
        .filter_map(|fd| match fd.target {
            procfs::process::FDTarget::Socket(inode) => Some(inode),
            _ => None,
        })
        .collect()
}

/// Established TCP connections to `targets` that belong to `pids` (the proxy's own processes):
/// a second load balancer or a monitor connected to the same server is not the proxy's.
pub fn owned_established(pids: &[i32], targets: &[SocketAddr]) -> usize {
    if targets.is_empty() {
        return 0;
    }
    let v4 = procfs::net::tcp().unwrap_or_default();
    let v6 = procfs::net::tcp6().unwrap_or_default();
    let to_targets: Vec<u64> = v4
        .iter()
        .chain(v6.iter())
        .filter(|e| {
            e.state == procfs::net::TcpState::Established
                && targets.iter().any(|t| same(t, &e.remote_address))
        })
        .map(|e| e.inode)
        .collect();
    if to_targets.is_empty() {
        return 0;
    }
    let owned = socket_inodes(pids);
    to_targets.iter().filter(|i| owned.contains(i)).count()
}

fn same(a: &SocketAddr, b: &SocketAddr) -> bool {
    a.port() == b.port()
        && match (a.ip(), b.ip()) {
            (x, y) if x == y => true,
            (std::net::IpAddr::V4(x), std::net::IpAddr::V6(y))
            | (std::net::IpAddr::V6(y), std::net::IpAddr::V4(x)) => y.to_ipv4_mapped() == Some(x),
            _ => false,
        }
}

/// Waits until `pids` hold no established connection to `targets`. Unix-socket servers are
/// covered by the worker wait before it: only old workers ever held connections to a server
/// taken out, and they have exited.
pub fn wait_drained(
    pids: &[i32],
    targets: &[SocketAddr],
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    poll(
        timeout,
        cancel,
        || match owned_established(pids, targets) {
            0 => Ok(()),
            n => Err(n),
        },
        |count| Error::NotDrained {
            count,
            targets: targets.to_vec(),
            after: timeout,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// A shell that ignores SIGUSR2 until `marker` exists, then catches it (as a haproxy master
    /// does once its start-up is over).
    fn late_catcher(marker: &Path) -> std::process::Child {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "trap '' USR2; while [ ! -e {m} ]; do sleep 0.01; done; trap 'echo got' USR2; \
                 while :; do sleep 0.01; done",
                m = marker.display()
            ))
            .stdout(Stdio::null())
            .spawn()
            .expect("sh")
    }

    #[test]
    fn a_master_that_ignores_the_reload_signal_is_waited_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("ready");
        let mut child = late_catcher(&marker);
        let pid = child.id() as i32;
        let never = AtomicBool::new(false);
        let usr2 = nix::sys::signal::Signal::SIGUSR2 as i32;
        // Still ignoring: the wait gives up, naming the master.
        let e = wait_catches(pid, usr2, "SIGUSR2", Duration::from_millis(300), &never)
            .expect_err("not yet");
        assert!(e.to_string().contains(&pid.to_string()), "{e}");
        std::fs::write(&marker, "").expect("write");
        wait_catches(pid, usr2, "SIGUSR2", Duration::from_secs(30), &never).expect("catches");
        let _ = child.kill();
        let _ = child.wait();
    }
}
