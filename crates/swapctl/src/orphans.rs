//! Restart commands a killed swapctl left running. Each restart's `sh -c` leads its own process
//! group and carries `SWAPCTL_RESTART=<journal>#<address>` in its environment, so `status`,
//! `recover` and `resume` can find one by its journal and wait for it before touching that server:
//! bringing a server back while its restart still runs routes requests to an app about to stop,
//! and a second restart beside the first races it.

use crate::journal::ServerRef;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// The environment variable that names a restart's journal and server.
pub const ENV: &str = "SWAPCTL_RESTART";

/// The value of [`ENV`] for a restart of `address` recorded in `journal`.
pub fn tag(journal: &Path, address: &str) -> String {
    format!("{}#{address}", journal.display())
}

/// A restart command still running.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Orphan {
    /// The `sh -c` that leads its process group.
    pub pid: i32,
    /// The server it restarts.
    pub address: String,
    /// The command.
    pub command: String,
}

impl std::fmt::Display for Orphan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the restart of {} (pid {}: {})",
            self.address, self.pid, self.command
        )
    }
}

/// The restart commands of `journal` that still run: process-group leaders running `sh -c`
/// whose environment carries the journal's tag. (The apps they start are not leaders, or do not
/// run `sh -c`, so they never count.)
pub fn find(journal: &Path) -> Vec<Orphan> {
    let prefix = format!("{ENV}={}#", journal.display());
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let rest = stat.rsplit_once(") ")?.1;
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let pgrp: i32 = fields.nth(1)?.parse().ok()?;
            if pgrp != pid || state == "Z" {
                return None;
            }
            let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
            let address = environ
                .split(|&b| b == 0)
                .find_map(|v| v.strip_prefix(prefix.as_bytes()))
                .map(|a| String::from_utf8_lossy(a).into_owned())?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<String> = cmdline
                .split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            (args.first().is_some_and(|a| a.ends_with("sh")) && args.get(1)? == "-c").then(|| {
                Orphan {
                    pid,
                    address,
                    command: args.get(2).cloned().unwrap_or_default(),
                }
            })
        })
        .collect()
}

/// Waits up to `timeout` for the restarts of `servers` (all of the journal's when empty) to end;
/// says so through `note` first. Err: those still running (nothing was touched).
pub fn wait(
    journal: &Path,
    servers: &[ServerRef],
    timeout: Duration,
    cancel: &AtomicBool,
    note: &dyn Fn(String),
) -> Result<(), Vec<Orphan>> {
    let mine = |o: &Orphan| {
        servers.is_empty()
            || servers
                .iter()
                .any(|s| crate::fleet::key(&s.address) == crate::fleet::key(&o.address))
    };
    let running: Vec<Orphan> = find(journal).into_iter().filter(mine).collect();
    if running.is_empty() {
        return Ok(());
    }
    for o in &running {
        note(format!(
            "{o} is still running (left by a swapctl that was killed): waiting for it to end, up to {}",
            healthwait::duration::round(timeout)
        ));
    }
    let mut left = running;
    let polled = healthwait::deadline::poll(
        healthwait::deadline::Deadline::after(timeout),
        Duration::from_millis(20),
        cancel,
        || {
            left = find(journal).into_iter().filter(mine).collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(())
            }
        },
    );
    match polled {
        healthwait::deadline::Polled::Ready(()) => Ok(()),
        _ => Err(left),
    }
}
