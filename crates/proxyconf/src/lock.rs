//! Locks on the files an edit writes, and the swapctl deploy lock they defer to.
//!
//! Each written file has a hidden `.NAME.lock` beside it (resolved through symlinks), so two main
//! configs that include one file serialise their edits of it. A held lock is reported at once
//! with its holder and waited for up to a bound, never silently forever.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::fsio::hidden_sibling;

/// The edit lock of a config file: `.NAME.lock`.
pub fn edit_lock_path(path: &Path) -> PathBuf {
    hidden_sibling(path, "lock")
}

/// The deploy lock swapctl holds for a whole deploy: `.NAME.swapctl.lock`.
pub fn deploy_lock_path(config: &Path) -> PathBuf {
    hidden_sibling(config, "swapctl.lock")
}

/// `pid N (user) since TIME: WHAT`, written into a lock file by its holder.
pub fn holder_line(what: &str) -> String {
    format!(
        "pid {} ({}) since {}: {what}",
        std::process::id(),
        user_name(),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now())
    )
}

/// The name of the real user, from the uid (not `$USER`, which sudo and su keep or change).
pub fn user_name() -> String {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(u)) => u.name,
        _ => format!("uid {uid}"),
    }
}

/// An exclusive lock, released when dropped (or by the kernel when the process dies).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    /// The lock file.
    pub path: PathBuf,
}

impl FileLock {
    /// Takes the lock at `path`, writing `holder` into it. When someone else holds it, calls
    /// `waiting` once with their holder line, then waits up to `timeout`.
    pub fn acquire(
        path: &Path,
        holder: &str,
        timeout: Duration,
        waiting: &mut dyn FnMut(&str),
    ) -> Result<FileLock> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, "create the lock file", e))?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::Error(e)) => return Err(Error::io(path, "lock", e)),
                Err(TryLockError::WouldBlock) => {
                    let who = read_holder(&mut file);
                    if !told {
                        waiting(&format!(
                            "{} is locked by {who}; waiting up to {}",
                            path.display(),
                            humantime::format_duration(timeout)
                        ));
                        told = true;
                    }
                    if start.elapsed() >= timeout {
                        return Err(Error::LockTimeout {
                            lock: path.to_path_buf(),
                            holder: who,
                            waited: Duration::from_secs(start.elapsed().as_secs()),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        // Best effort: the holder line only informs whoever waits next.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = file.write_all(format!("{holder}\n").as_bytes());
        Ok(FileLock {
            file,
            path: path.to_path_buf(),
        })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // The holder line goes with the lock, so a later waiter never names a process long gone.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn read_holder(file: &mut File) -> String {
    let mut s = String::new();
    let _ = file.rewind();
    let _ = file.take(4096).read_to_string(&mut s);
    let line = s.trim();
    if line.is_empty() {
        return "another process (holder unknown)".to_string();
    }
    // The line is written by whoever took the lock last through us. A lock taken some other way
    // (`flock FILE cmd`) leaves an older holder's line, maybe of a process that has exited.
    match line_pid(line) {
        Some(pid) if !alive(pid) => format!(
            "another process (the last holder written there, pid {pid}, is not running here: it \
             has exited, or runs in another pid namespace: {line})"
        ),
        _ => line.to_string(),
    }
}

/// The pid of a [`holder_line`].
fn line_pid(line: &str) -> Option<i32> {
    line.strip_prefix("pid ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|&p| p > 0)
}

/// Whether process `pid` exists (one of another user's counts: the kernel says EPERM).
fn alive(pid: i32) -> bool {
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

/// Who holds the swapctl deploy lock of `config`, if a deploy is running now.
pub fn deploy_holder(config: &Path) -> Option<String> {
    let path = deploy_lock_path(config);
    let mut file = File::open(&path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => Some(read_holder(&mut file)),
        Err(TryLockError::Error(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deploy lock held some other way than through us names its holder only when that
    /// process still exists.
    #[test]
    fn a_holder_line_of_an_exited_process_is_not_named_as_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("nginx.conf");
        let lock = deploy_lock_path(&config);
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let gone = child.id();
        child.wait().expect("wait");
        for (pid, exited) in [(gone, true), (std::process::id(), false)] {
            let line = format!("pid {pid} (someone) since 2026-01-01T00:00:00Z: rolling deploy");
            std::fs::write(&lock, format!("{line}\n")).expect("write");
            let held = File::open(&lock).expect("open");
            held.lock().expect("lock"); // as `flock FILE cmd` would: the line is not rewritten
            let who = deploy_holder(&config).expect("held");
            assert_eq!(who.contains("is not running here"), exited, "{who}");
            assert!(who.contains(&line), "{who}");
            held.unlock().expect("unlock");
        }
        assert_eq!(deploy_holder(&config), None);
    }
}
