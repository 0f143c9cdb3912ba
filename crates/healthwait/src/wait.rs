//! The polling loop: all targets healthy at once, N times in a row, within a deadline; cancellable.

use crate::deadline::Deadline;
use crate::probe::{Failure, Probe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How to wait.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Overall deadline; zero means none.
    pub timeout: Duration,
    /// Fixed pause between rounds; None backs off from 10 ms to 50 ms.
    pub interval: Option<Duration>,
    /// Bound on each attempt (also cut to what is left of the deadline).
    pub attempt_timeout: Duration,
    /// Consecutive passing rounds needed.
    pub successes: u32,
    /// Wait until every target fails instead.
    pub down: bool,
    /// Report every round's result, not only changes (`-v`).
    pub every_round: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(60),
            interval: None,
            attempt_timeout: Duration::from_secs(2),
            successes: 1,
            down: false,
            every_round: false,
        }
    }
}

/// A state change of one target, for progress lines.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The target, as given.
    pub target: String,
    /// Whether it now passes (is healthy, or is down with `--down`).
    pub passing: bool,
    /// What was seen: a failure reason or what passed.
    pub detail: &'a str,
    /// Time since the wait started.
    pub elapsed: Duration,
    /// The state or reason differs from the last round (false only with `every_round`).
    pub changed: bool,
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every target passed `successes` rounds in a row.
    Passed {
        /// Time taken.
        elapsed: Duration,
    },
    /// The deadline came first; the last reason per target that was not passing.
    TimedOut {
        /// Time taken.
        elapsed: Duration,
        /// (target, last failure reason).
        last: Vec<(String, String)>,
    },
    /// `cancel` was set.
    Cancelled,
}

/// The cap of the default back-off between rounds.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// `d` give or take a quarter.
fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.75 + fastrand::f64() * 0.5)
}

/// Polls `probes` until they all pass together, the deadline passes, or `cancel` is set.
pub fn wait(
    probes: &[Probe],
    opts: &WaitOptions,
    cancel: &AtomicBool,
    on_change: &mut dyn FnMut(&Change),
) -> Outcome {
    let start = Instant::now();
    // A zero timeout (`-t 0`) means no deadline, as GNU timeout and wait4x read it.
    let deadline = match opts.timeout {
        t if t.is_zero() => Deadline::never(),
        t => Deadline::after(t),
    };
    let mut last: Vec<Option<(bool, String)>> = vec![None; probes.len()];
    let mut streak = 0u32;
    let mut pause = Duration::from_millis(10);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Outcome::Cancelled;
        }
        let left = deadline.left();
        if left.is_zero() {
            return timed_out(probes, &last, start);
        }
        let attempt = opts.attempt_timeout.min(left);
        // The last attempt may get only what is left of the deadline; its "no answer within
        // 2ms" says nothing about the target, so it never replaces an earlier, real reason.
        let cut_short = attempt < opts.attempt_timeout;
        let results = round(probes, attempt);
        let mut all = true;
        for (i, r) in results.into_iter().enumerate() {
            let (passing, detail, no_answer) = match r {
                Ok(d) => (!opts.down, d, false),
                Err(f) => (opts.down, f.to_string(), f.is_no_answer()),
            };
            all &= passing;
            let had_reason = matches!(&last[i], Some((false, _)));
            if cut_short && !passing && had_reason && no_answer {
                continue;
            }
            let changed = last[i].as_ref() != Some(&(passing, detail.clone()));
            if changed || opts.every_round {
                on_change(&Change {
                    target: probes[i].target.to_string(),
                    passing,
                    detail: &detail,
                    elapsed: start.elapsed(),
                    changed,
                });
                last[i] = Some((passing, detail));
            }
        }
        streak = if all { streak + 1 } else { 0 };
        if streak >= opts.successes.max(1) {
            return Outcome::Passed {
                elapsed: start.elapsed(),
            };
        }
        // Backing off to a small cap keeps detection within ~100 ms of the service answering;
        // the jitter keeps many waiters (a rolling deploy's) from probing in lockstep.
        let sleep = opts.interval.unwrap_or_else(|| jitter(pause));
        pause = (pause * 2).min(MAX_PAUSE);
        if !deadline.nap(sleep, cancel) {
            return Outcome::Cancelled;
        }
    }
}

/// Probes every target once, in parallel when there are several.
fn round(probes: &[Probe], attempt: Duration) -> Vec<Result<String, Failure>> {
    if probes.len() == 1 {
        return vec![probes[0].check(attempt)];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = probes
            .iter()
            .map(|p| s.spawn(move || p.check(attempt)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Failure::Crashed)))
            .collect()
    })
}

fn timed_out(probes: &[Probe], last: &[Option<(bool, String)>], start: Instant) -> Outcome {
    let last = probes
        .iter()
        .zip(last)
        .filter_map(|(p, l)| match l {
            Some((true, _)) => None,
            Some((false, why)) => Some((p.target.to_string(), why.clone())),
            None => Some((p.target.to_string(), "never probed".into())),
        })
        .collect();
    Outcome::TimedOut {
        elapsed: start.elapsed(),
        last,
    }
}
