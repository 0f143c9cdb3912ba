//! healthwait: wait until services are healthy. The library (probes, expectations, a cancellable
//! wait loop) is what swapctl calls; `main.rs` only calls [`run`].

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
pub use probe::{Method, Probe, ProbeOptions};
pub use target::Target;
pub use wait::{wait, Change, Outcome, WaitOptions};

use clap::Parser;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Exit status for a timeout, as timeout(1) uses.
pub const EXIT_TIMEOUT: i32 = 124;

/// Parses arguments, waits, runs CMD when healthy; returns the exit code.
pub fn run() -> i32 {
    let cli = cli::Cli::parse();
    let (probes, opts) = match build(&cli) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("healthwait: error: {e}");
            return 2;
        }
    };
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
            run_command(&cli.command)
        }
        Outcome::TimedOut { elapsed, last } => {
            if !quiet {
                eprintln!("healthwait: timed out after {}", secs(elapsed));
                for (t, why) in last {
                    eprintln!("healthwait:   {t}: last failure: {why}");
                }
            }
            EXIT_TIMEOUT
        }
        Outcome::Cancelled => 1,
    }
}

fn secs(d: Duration) -> String {
    duration::round(d)
}

/// Turns the flags into probes and wait options; errors are usage errors (exit 2).
pub fn build(cli: &cli::Cli) -> Result<(Vec<Probe>, WaitOptions), String> {
    let body = match (&cli.body, &cli.body_regex) {
        (Some(t), _) => Some(Body::Contains(t.clone())),
        (None, Some(re)) => Some(Body::Matches(
            regex::bytes::Regex::new(re).map_err(|e| format!("invalid --body-regex: {e}"))?,
        )),
        (None, None) => None,
    };
    let headers = cli
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty() && !k.contains(char::is_whitespace))
                .ok_or_else(|| format!("invalid --header '{h}': write it as 'Name: value'"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let expect_headers = cli
        .expect_headers
        .iter()
        .map(|h| {
            let (k, v) = h
                .split_once(':')
                .filter(|(k, _)| !k.trim().is_empty())
                .ok_or_else(|| {
                    format!("invalid --expect-header '{h}': write it as 'Name: value-regex'")
                })?;
            let re = regex::Regex::new(v.trim())
                .map_err(|e| format!("invalid --expect-header '{h}': {e}"))?;
            Ok((k.trim().to_ascii_lowercase(), re))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let opts = ProbeOptions {
        unix_socket: cli.unix_socket.clone(),
        method: Some(match cli.method {
            cli::MethodArg::Get => Method::Get,
            cli::MethodArg::Head => Method::Head,
        }),
        headers,
        status: StatusSet::parse(&cli.status)?,
        body,
        insecure: cli.insecure,
        cacert: cli.cacert.clone(),
        expect_headers,
    };
    let probes = cli
        .targets
        .iter()
        .map(|t| Probe::new(Target::parse(t)?, opts.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let wait = WaitOptions {
        timeout: duration::parse(&cli.timeout)?,
        interval: cli.interval.as_deref().map(duration::parse).transpose()?,
        attempt_timeout: duration::parse(&cli.attempt_timeout)?,
        successes: cli.successes,
        down: cli.down,
        every_round: cli.verbose,
    };
    Ok((probes, wait))
}

/// Runs CMD and passes its status through (128+signal when killed); 0 when there is none.
fn run_command(cmd: &[String]) -> i32 {
    let Some((prog, args)) = cmd.split_first() else {
        return 0;
    };
    match std::process::Command::new(prog).args(args).status() {
        Ok(s) => s.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + s.signal().unwrap_or(0)
        }),
        Err(e) => {
            eprintln!("healthwait: error: cannot run {prog}: {e}");
            if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            }
        }
    }
}
