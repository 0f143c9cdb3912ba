//! Restart commands a killed swapctl left running. Each restart is recorded beside the journal
//! while it runs (`.NAME.swapctl.json.restart.PID`: its start time, server and command), so
//! `status`, `recover` and `resume` find it again and wait for it before touching that server:
//! bringing a server back while its restart still runs routes requests to an app about to stop,
//! and a second restart beside the first races it. The record names the exact process (pid and
//! start time), whatever the shell does (bash execs the last command of `sh -c`) and whatever
//! the apps it starts inherit.

use crate::steps::ServerRef;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// A restart command still running.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Orphan {
    /// The restart's process (it leads its process group).
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

fn prefix(journal: &Path) -> String {
    format!(
        "{}.restart.",
        journal.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// Records a running restart; the record is removed when the guard drops (the restart ended,
/// or was ended). A killed swapctl leaves it for the next command to find.
pub struct Record(Option<PathBuf>);

impl Drop for Record {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Records restart `pid` of `address` running `command`, beside `journal`. Best effort: a record
/// that cannot be written only means a later `recover` cannot wait for it.
pub fn record(journal: &Path, pid: i32, address: &str, command: &str) -> Record {
    let Some(ticks) = crate::adapters::procwatch::start_ticks(pid) else {
        return Record(None);
    };
    let path = journal.with_file_name(format!("{}{pid}", prefix(journal)));
    let text = format!("{ticks}\n{address}\n{command}\n");
    // Whole or not at all: a swapctl killed mid-write must not leave a record nobody can read.
    let tmp = path.with_file_name(format!("{}{pid}.tmp", prefix(journal)));
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Record(written.ok().map(|()| path))
}

/// The restarts recorded beside `journal` that still run (a record whose process is gone, or
/// whose pid now names another process, is stale and removed).
pub fn find(journal: &Path) -> Vec<Orphan> {
    let dir = journal.parent().unwrap_or(Path::new("."));
    let prefix = prefix(journal);
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid: i32 = name.strip_prefix(&prefix)?.parse().ok()?;
            let text = std::fs::read_to_string(e.path()).ok()?;
            let mut lines = text.lines();
            let ticks: u64 = lines.next()?.parse().ok()?;
            let address = lines.next()?.to_string();
            let command = lines.next().unwrap_or_default().to_string();
            if crate::adapters::procwatch::start_ticks(pid) != Some(ticks) {
                let _ = std::fs::remove_file(e.path());
                return None;
            }
            Some(Orphan {
                pid,
                address,
                command,
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
                .any(|s| crate::steps::key(&s.address) == crate::steps::key(&o.address))
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
