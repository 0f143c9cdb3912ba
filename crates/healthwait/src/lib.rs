//! healthwait: wait until services are healthy. The library (probes, expectations, a cancellable
//! wait loop) is what swapctl calls; `main.rs` only calls [`run`]. The library's errors are
//! typed and name no flag and no exit code: [`run`] and [`cli`] are the binary's side.
#![warn(missing_docs)]

pub mod cli;
pub mod deadline;
pub mod duration;
pub mod expect;
mod failure;
pub mod probe;
pub mod progress;
pub mod report;
pub mod target;
mod unix_http;
pub mod wait;

pub use expect::{Body, StatusSet};
pub use probe::{Failure, Method, Probe, ProbeOptions};
pub use target::Target;
pub use wait::{wait, Change, Outcome, WaitOptions};

use hotswap_cli::{ErrorObject, Kind};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Parses arguments, waits, runs CMD when healthy; returns the exit code.
pub fn run() -> i32 {
    let cli: cli::Cli = match hotswap_cli::parse_args(cli::TOOL) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match wait_then_run(&cli) {
        Ok(code) => code,
        Err(e) => hotswap_cli::fail(cli::TOOL, &e, cli.json),
    }
}

/// The whole command: CMD's exit status, or a code of healthwait's own.
fn wait_then_run(cli: &cli::Cli) -> Result<i32, cli::Error> {
    let (probes, opts) = cli::build(cli)?;
    let quiet = cli.quiet;
    let names: Vec<String> = probes.iter().map(|p| p.target.to_string()).collect();
    if !quiet {
        let deadline = if opts.timeout.is_zero() {
            "no deadline".to_string()
        } else {
            format!("up to {}", duration::round(opts.timeout))
        };
        eprintln!(
            "healthwait: waiting for {} to be {} ({deadline})",
            names.join(", "),
            if cli.down { "down" } else { "healthy" }
        );
    }
    let ticker = progress::Ticker::start(&format!("waiting for {}", names.join(", ")), quiet);
    let mut tracker = report::Tracker::new(&names);
    let mut on_change = |c: &Change| {
        tracker.seen(&c.target, c.passing, c.detail);
        if !quiet && (c.changed || cli.verbose) {
            let state = match (c.passing, cli.down) {
                (true, false) => format!("healthy ({})", c.detail),
                (true, true) => format!("down ({})", c.detail),
                (false, _) => c.detail.to_string(),
            };
            ticker.println(&format!(
                "healthwait: {}: {state} [{}]",
                c.target,
                secs(c.elapsed)
            ));
        }
    };
    let started = std::time::Instant::now();
    let outcome = wait(&probes, &opts, &interrupted(), &mut on_change);
    ticker.finish();
    let (passed, elapsed) = match &outcome {
        Outcome::Passed { elapsed } => (true, *elapsed),
        Outcome::TimedOut { elapsed, .. } => (false, *elapsed),
        Outcome::Cancelled => (false, started.elapsed()),
    };
    let mut doc = tracker.report(passed, cli.down, elapsed);
    let code = match outcome {
        Outcome::Passed { elapsed } => {
            if !quiet && probes.len() > 1 {
                eprintln!(
                    "healthwait: all {} targets {} [{}]",
                    probes.len(),
                    if cli.down { "down" } else { "healthy" },
                    secs(elapsed)
                );
            }
            let code = cli::run_command(&cli.command, cli.json)?;
            if !cli.command.is_empty() {
                doc.command = Some(report::CommandReport {
                    argv: cli.command.clone(),
                    exit_code: code,
                });
            }
            code
        }
        Outcome::TimedOut { elapsed, last } => {
            let message = format!(
                "timed out after {} waiting for {} to be {}",
                secs(elapsed),
                names.join(", "),
                doc.waited_for
            );
            if !quiet {
                eprintln!("healthwait: {message}");
                for (t, why) in last {
                    eprintln!("healthwait:   {t}: last failure: {why}");
                }
            }
            doc.error = Some(ErrorObject::new(Kind::Timeout, message));
            Kind::Timeout.code()
        }
        Outcome::Cancelled => {
            let message = format!("interrupted while waiting for {}", names.join(", "));
            if !quiet {
                eprintln!("healthwait: {message}");
            }
            doc.error = Some(ErrorObject::new(Kind::Interrupted, message));
            Kind::Interrupted.code()
        }
    };
    if cli.json {
        hotswap_cli::emit_with(cli::TOOL, |out| {
            serde_json::to_writer(&mut *out, &doc)?;
            std::io::Write::write_all(out, b"\n")
        });
    }
    Ok(code)
}

/// A flag that Ctrl-C or SIGTERM sets: the wait ends as interrupted (130, and the document under
/// `--json`). A second signal ends the process at once, as it would have without a handler.
fn interrupted() -> Arc<AtomicBool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        let _ = signal_hook::flag::register_conditional_default(sig, Arc::clone(&flag));
        let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
    }
    flag
}

fn secs(d: Duration) -> String {
    duration::round(d)
}
