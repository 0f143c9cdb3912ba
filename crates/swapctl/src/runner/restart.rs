//! Restart commands: each in its own process group, stdin closed, stdout to stderr, bounded by
//! `--restart-timeout`, recorded beside the journal while it runs.

use crate::adapters::template;
use crate::adapters::template::Vars;
use crate::runner::health::wait_healthy;
use crate::runner::health::HealthError;
use crate::steps::Options;
use crate::steps::ServerRef;
use healthwait::deadline::{self, Deadline, Polled};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Why restarting one server failed.
#[derive(Debug, thiserror::Error)]
pub enum RestartError {
    /// The command template cannot be filled for the server.
    #[error(transparent)]
    Template(#[from] template::Error),
    /// swapctl's stderr cannot be handed to the command.
    #[error("cannot pass stderr to the restart command: {0}")]
    Stderr(#[source] std::io::Error),
    /// The command cannot be started.
    #[error("cannot run restart command: {0}")]
    Spawn(#[source] std::io::Error),
    /// Waiting for the command failed.
    #[error(transparent)]
    Wait(std::io::Error),
    /// The command outlived `--restart-timeout`.
    #[error(
        "restart command did not finish within {}; its process group was ended (TERM, then KILL)",
        healthwait::duration::round(*after)
    )]
    TimedOut {
        /// The bound.
        after: Duration,
    },
    /// The command failed.
    #[error("restart command '{command}' failed with {status}")]
    Failed {
        /// The command, placeholders filled.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// The server did not become healthy afterwards.
    #[error(transparent)]
    Health(#[from] HealthError),
    /// The thread that ran it panicked.
    #[error("restart thread failed")]
    Panicked,
}

/// Restarts each server (in parallel) and waits until it is healthy.
pub(crate) fn restart_all(
    servers: &[ServerRef],
    opts: &Options,
    cancel: &AtomicBool,
) -> Vec<Result<(), RestartError>> {
    let template = opts.restart.as_deref().unwrap_or_default();
    run_all(servers, opts, template, cancel)
}

/// Runs `template` for each server (in parallel) and waits until each is healthy.
pub(crate) fn run_all(
    servers: &[ServerRef],
    opts: &Options,
    template: &str,
    cancel: &AtomicBool,
) -> Vec<Result<(), RestartError>> {
    std::thread::scope(|sc| {
        let hs: Vec<_> = servers
            .iter()
            .map(|s| sc.spawn(move || restart_one(s, opts, template, cancel)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or(Err(RestartError::Panicked)))
            .collect()
    })
}

/// Runs the restart command (never cut short by Ctrl-C: an app must not be left half-restarted),
/// then waits until the server is healthy.
fn restart_one(
    s: &ServerRef,
    opts: &Options,
    template: &str,
    cancel: &AtomicBool,
) -> Result<(), RestartError> {
    let vars = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
    let cmd = vars.fill(template)?;
    // Its own process group, so a timeout ends everything it started and the terminal's Ctrl-C
    // does not reach it; stdin closed; its stdout goes to our stderr, so our stdout stays data.
    let out = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_err(RestartError::Stderr)?;
    let mut child = std::process::Command::new("sh")
        .args(["-c", &cmd])
        .envs(vars.env())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(out))
        .process_group(0)
        .spawn()
        .map_err(RestartError::Spawn)?;
    // Kept beside the journal while it runs, so a recover after a kill waits for it.
    let _running = crate::runner::orphans::record(
        &crate::runner::journal::journal_path(&opts.configs[0]),
        child.id() as i32,
        &s.address,
        &cmd,
    );
    // Ctrl-C does not cut it short: only --restart-timeout does.
    let never = AtomicBool::new(false);
    let finished = deadline::poll(
        Deadline::after(opts.restart_timeout),
        Duration::from_millis(2),
        &never,
        || match child.try_wait() {
            Ok(Some(st)) => Ok(Ok(st)),
            Ok(None) => Err(()),
            Err(e) => Ok(Err(e)),
        },
    );
    let status = match finished {
        Polled::Ready(st) => st.map_err(RestartError::Wait)?,
        Polled::Late(()) | Polled::Cancelled => {
            end_group(&mut child);
            return Err(RestartError::TimedOut {
                after: opts.restart_timeout,
            });
        }
    };
    if !status.success() {
        return Err(RestartError::Failed {
            command: cmd,
            status,
        });
    }
    Ok(wait_healthy(opts, s, opts.health_timeout, cancel)?)
}

/// Ends a restart command's whole process group: TERM, a short grace, then KILL.
fn end_group(child: &mut std::process::Child) {
    use nix::sys::signal::{killpg, Signal};
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = killpg(pgid, Signal::SIGTERM);
    let never = AtomicBool::new(false);
    let gone = deadline::poll(
        Deadline::after(Duration::from_secs(2)),
        Duration::from_millis(20),
        &never,
        || {
            if matches!(child.try_wait(), Ok(Some(_))) && killpg(pgid, None).is_err() {
                Ok(())
            } else {
                Err(())
            }
        },
    );
    if gone == Polled::Ready(()) {
        return;
    }
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = child.wait();
}
