//! Native polling of /proc: a master's worker processes and established TCP connections.

use std::collections::HashSet;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(5);

/// Pids whose parent is `master`.
pub fn children(master: i32) -> HashSet<i32> {
    let Ok(all) = procfs::process::all_processes() else {
        return HashSet::new();
    };
    all.flatten()
        .filter_map(|p| p.stat().ok())
        .filter(|s| s.ppid == master)
        .map(|s| s.pid)
        .collect()
}

/// Waits until `master` has a child not in `old` and no child from `old` is left.
pub fn wait_replaced(master: i32, old: &HashSet<i32>, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = children(master);
        let fresh = now.iter().any(|p| !old.contains(p));
        let left: Vec<i32> = now.intersection(old).copied().collect();
        if fresh && left.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(if fresh {
                format!(
                    "old worker processes {left:?} still run after {}: long requests or websockets keep them alive \
                     (set worker_shutdown_timeout, or raise --drain-timeout)",
                    healthwait::duration::round(timeout)
                )
            } else {
                format!(
                    "no new worker process appeared within {}: the reload did not take (check the proxy's error log)",
                    healthwait::duration::round(timeout)
                )
            });
        }
        std::thread::sleep(POLL);
    }
}

/// Waits until `master` has a child not in `old`.
pub fn wait_new_worker(master: i32, old: &HashSet<i32>, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while !children(master).iter().any(|p| !old.contains(p)) {
        if Instant::now() >= deadline {
            return Err(format!(
                "no new worker process appeared within {}: the reload did not take (check the proxy's error log)",
                healthwait::duration::round(timeout)
            ));
        }
        std::thread::sleep(POLL);
    }
    Ok(())
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

/// Established TCP connections whose remote end is one of `targets`.
pub fn established_to(targets: &[SocketAddr]) -> usize {
    let mut n = 0;
    let v4 = procfs::net::tcp().unwrap_or_default();
    let v6 = procfs::net::tcp6().unwrap_or_default();
    for e in v4.iter().chain(v6.iter()) {
        if e.state == procfs::net::TcpState::Established
            && targets.iter().any(|t| same(t, &e.remote_address))
        {
            n += 1;
        }
    }
    n
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

/// Waits until no established connection to `targets` is left.
pub fn wait_drained(targets: &[SocketAddr], timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        let n = established_to(targets);
        if n == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{n} connection(s) to {targets:?} still established after {} (raise --drain-timeout)",
                healthwait::duration::round(timeout)
            ));
        }
        std::thread::sleep(POLL);
    }
}
