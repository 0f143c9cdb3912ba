//! healthwait: wait until services are healthy. The library (probes, expectations, a cancellable
//! wait loop) is what swapctl calls; `main.rs` only calls [`run`]. The library's errors are
//! typed and name no flag and no exit code: [`run`] and [`cli`] are the binary's side.
#![warn(missing_docs)]

pub mod cli;
pub mod deadline;
pub mod duration;
pub mod expect;
pub mod probe;
pub mod progress;
pub mod target;
mod unix_http;
pub mod wait;

pub use expect::{Body, StatusSet};
pub use probe::{Failure, Method, Probe, ProbeOptions};
pub use target::Target;
pub use wait::{wait, Change, Outcome, WaitOptions};

use cli::EXIT_TIMEOUT;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Parses arguments, waits, runs CMD when healthy; returns the exit code.
pub fn run() -> i32 {
    // healthwait has no --json, so no error document (a `--json` of CMD's is not one).
    let cli: cli::Cli = match hotswap_cli::parse_args(cli::TOOL, None) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match wait_then_run(&cli) {
        Ok(code) => code,
        Err(e) => hotswap_cli::finish(cli::TOOL, Err(e)),
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
    let mut on_change = |c: &Change| {
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
    let outcome = wait(&probes, &opts, &AtomicBool::new(false), &mut on_change);
    ticker.finish();
    match outcome {
        Outcome::Passed { elapsed } => {
            if !quiet && probes.len() > 1 {
                eprintln!(
                    "healthwait: all {} targets {} [{}]",
                    probes.len(),
                    if cli.down { "down" } else { "healthy" },
                    secs(elapsed)
                );
            }
            cli::run_command(&cli.command)
        }
        Outcome::TimedOut { elapsed, last } => {
            if !quiet {
                eprintln!("healthwait: timed out after {}", secs(elapsed));
                for (t, why) in last {
                    eprintln!("healthwait:   {t}: last failure: {why}");
                }
            }
            Ok(EXIT_TIMEOUT)
        }
        Outcome::Cancelled => Ok(hotswap_cli::EXIT_RUNTIME),
    }
}

fn secs(d: Duration) -> String {
    duration::round(d)
}
