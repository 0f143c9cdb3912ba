//! Executes steps with the failure and interrupt policy: the journal at every step, events,
//! restarts, health waits and the canary gate.

use crate::fleet::Fleet;
use crate::runner::health::wait_healthy;
use crate::runner::health::HealthError;
use crate::runner::journal::Journal;
use crate::runner::report::Event;
use crate::runner::report::Reporter;
use crate::runner::restart::restart_all;
use crate::runner::restart::run_all;
use crate::runner::restart::RestartError;
use crate::steps::names;
use crate::steps::Action;
use crate::steps::ActionKind;
use crate::steps::Options;
use crate::steps::ServerRef;
pub mod account;
pub mod canary;
mod error;
pub mod health;
pub mod interrupt;
pub mod journal;
pub mod orphans;
pub mod report;
pub mod restart;

pub use error::{Error, StepError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a runner needs besides the plan.
pub struct Runner<'a> {
    /// Settings.
    pub opts: &'a Options,
    /// The proxies.
    pub fleet: Fleet,
    /// Written at every step.
    pub journal: Journal,
    /// Ctrl-C.
    pub cancel: &'a AtomicBool,
    /// Where events go.
    pub reporter: Reporter,
    /// Out before this command began (an earlier `out`): an interrupt leaves them out.
    pub carried: Vec<ServerRef>,
    /// The canary gate failed and rolled back.
    pub rolled_back: bool,
}

impl<'a> Runner<'a> {
    /// A runner with nothing carried over and no rollback yet.
    pub fn new(
        opts: &'a Options,
        fleet: Fleet,
        journal: Journal,
        cancel: &'a AtomicBool,
        reporter: Reporter,
    ) -> Self {
        Runner {
            opts,
            fleet,
            journal,
            cancel,
            reporter,
            carried: Vec::new(),
            rolled_back: false,
        }
    }

    /// The canary gate: watch, and when the error rate is over the limit, take the canaries
    /// out, run `--rollback` for each, and bring back those that are healthy.
    fn observe(&mut self, canaries: &[ServerRef]) -> Result<(), StepError> {
        let Some(gate) = self.opts.canary.clone() else {
            return Ok(());
        };
        use crate::runner::canary::Verdict;
        let figures = match crate::runner::canary::observe(
            &self.fleet,
            &gate,
            canaries,
            self.cancel,
        )? {
            // Nothing seen is never a pass, whatever --min-requests or --on-unjudged say: the
            // gate cannot see the canaries (a log that does not record them).
            Verdict::Judged(f) | Verdict::Unjudged(f) if f.seen.requests == 0 => {
                return Err(StepError::CanaryBlind {
                    canaries: canaries.to_vec(),
                    window: f.window,
                });
            }
            Verdict::Judged(f) if f.seen.rate() <= gate.max_error_rate => {
                self.reporter.emit(&Event::Note {
                    message: format!("canary passed: {f}"),
                });
                return Ok(());
            }
            Verdict::Judged(f) | Verdict::TooManyErrors(f) => f,
            Verdict::Unjudged(f) if gate.proceed_unjudged => {
                self.reporter.emit(&Event::Note {
                    message: format!(
                        "canary: {} reached {} (fewer than --min-requests {}): the gate cannot judge; going on as --on-unjudged proceed asks",
                        f.seen_text(),
                        names(canaries),
                        gate.min_requests
                    ),
                });
                return Ok(());
            }
            Verdict::Unjudged(figures) => {
                return Err(StepError::CanaryUnjudged {
                    canaries: canaries.to_vec(),
                    figures,
                    min_requests: gate.min_requests,
                });
            }
        };
        self.rolled_back = true;
        let never = AtomicBool::new(false);
        add(&mut self.journal.out, canaries);
        self.journal.deployed.retain(|d| !canaries.contains(d));
        // Recorded before anything is undone, so a kill during the rollback cannot make the
        // rest of the deploy look resumable.
        self.journal.status = "rolled-back".into();
        self.journal.save()?;
        if let Err(source) = self.fleet.apply(&[], canaries, &never) {
            return Err(StepError::CanaryTakeOut { figures, source });
        }
        let Some(rollback) = gate.rollback.clone() else {
            return Err(StepError::CanaryKeptOut {
                figures,
                canaries: canaries.to_vec(),
            });
        };
        let results = run_all(canaries, self.opts, &rollback, &never);
        let healthy: Vec<ServerRef> = canaries
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_ok())
            .map(|(s, _)| s.clone())
            .collect();
        if !healthy.is_empty() && self.fleet.apply(&healthy, &[], &never).is_ok() {
            self.journal.out.retain(|x| !healthy.contains(x));
        }
        Err(StepError::CanaryRolledBack {
            figures,
            healthy,
            still: self.journal.out.clone(),
        })
    }
}

impl Runner<'_> {
    /// Carries out `actions` with the failure policy; the journal is written at every step.
    pub fn execute(mut self, actions: &[Action], what: &str) -> Result<String, Error> {
        let started = Instant::now();
        let originals: Vec<Option<Vec<u8>>> = self
            .opts
            .configs
            .iter()
            .map(|c| std::fs::read(c).ok())
            .collect();
        self.journal.save()?;
        let total = actions.len();
        // A journal that cannot be written (a full disk) stops the deploy like a failed step:
        // what is healthy comes back, and the account is printed.
        macro_rules! persist {
            ($step:expr) => {
                if let Err(e) = self.journal.save() {
                    return Err(self.journal_failed($step, total, e));
                }
            };
        }
        for (i, action) in actions.iter().enumerate() {
            if self.cancel.load(Ordering::SeqCst) {
                return Err(self.interrupted(&format!("interrupted before step {}/{total}", i + 1)));
            }
            self.journal.steps[i].state = "running".into();
            persist!(i + 1);
            let info = action.info(i + 1, total);
            let step_label = info.description.clone();
            self.reporter.emit(&Event::StepStarted(info.clone()));
            // On a terminal, keep the elapsed time of this (waiting) step live.
            let ticker = healthwait::progress::Ticker::start(
                &format!("step {}/{total}: {step_label}", i + 1),
                self.opts.quiet || self.opts.json,
            );
            let t = Instant::now();
            let result = self.step(action);
            ticker.finish();
            let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.journal.steps[i].millis = Some(millis);
            match result {
                Ok(()) => {
                    self.journal.steps[i].state = "done".into();
                    persist!(i + 1);
                    self.reporter.emit(&Event::StepDone { step: info, millis });
                }
                Err(_) if self.cancel.load(Ordering::SeqCst) => {
                    self.journal.steps[i].state = "interrupted".into();
                    // Every step_started gets its end, so a reader of the events is not left
                    // with a step that seems to run on.
                    self.reporter.emit(&Event::StepFailed {
                        step: info,
                        millis,
                        reason: "interrupted".into(),
                    });
                    return Err(self.interrupted(&format!(
                        "interrupted at step {}/{total} ({step_label})",
                        i + 1
                    )));
                }
                Err(cause) => {
                    self.journal.steps[i].state = "failed".into();
                    self.journal.steps[i].detail = Some(cause.to_string());
                    self.reporter.emit(&Event::StepFailed {
                        step: info,
                        millis,
                        reason: cause.to_string(),
                    });
                    if self.rolled_back {
                        let err = Error::RolledBack {
                            step: i + 1,
                            total,
                            cause: Box::new(cause),
                            out: self.journal.out.clone(),
                        };
                        self.journal.status = "rolled-back".into();
                        self.journal.message = Some(err.to_string());
                        let _ = self.journal.save();
                        return Err(err);
                    }
                    let account = account::account(
                        &self.journal,
                        &self.fleet,
                        &format!("stopped at step {}/{total} ({step_label}): {cause}", i + 1),
                        self.opts,
                    );
                    self.journal.status = "failed".into();
                    self.journal.message = Some(account.text.clone());
                    let _ = self.journal.save();
                    return Err(Error::Stopped {
                        step: i + 1,
                        total,
                        cause: Box::new(cause),
                        account: Box::new(account),
                    });
                }
            }
        }
        self.journal.status = "done".into();
        let same = originals
            .iter()
            .zip(&self.opts.configs)
            .all(|(o, c)| o.is_some() && std::fs::read(c).ok() == *o);
        let msg = if matches!(what, "out" | "in") {
            format!(
                "{what} {} done in {}",
                names(&self.journal.steps[0].servers),
                ms(started.elapsed())
            )
        } else {
            format!(
                "{what} of {} done in {}: {} server(s) restarted, all back in rotation{}",
                self.fleet.upstream(),
                ms(started.elapsed()),
                self.journal
                    .steps
                    .iter()
                    .filter(|s| s.action == ActionKind::Restart)
                    .map(|s| s.servers.len())
                    .sum::<usize>(),
                match (same, self.opts.configs.len()) {
                    (true, 1) => "; the config is byte-identical to before",
                    (true, _) => "; every config is byte-identical to before",
                    _ => "",
                }
            )
        };
        self.journal.message = Some(msg.clone());
        if let Err(e) = self.journal.save() {
            // Everything is done and back: only the record is behind.
            self.reporter.emit(&Event::Note {
                message: format!("{e}: `status` may still show this deploy as running"),
            });
        }
        Ok(msg)
    }

    /// One step; the journal records what is out before anything is taken out, so a kill at
    /// any moment leaves `recover` knowing.
    fn step(&mut self, action: &Action) -> Result<(), StepError> {
        let cancel = self.cancel;
        let apply = |fleet: &mut Fleet, j: &mut Journal, i: &[ServerRef], o: &[ServerRef]| {
            fleet.apply(i, o, cancel).map_err(|e| {
                if e.undone {
                    j.out.retain(|x| !o.contains(x));
                }
                StepError::Apply(e)
            })
        };
        match action {
            Action::Out(s) => {
                self.record_out(s)?;
                apply(&mut self.fleet, &mut self.journal, &[], s)
            }
            Action::Swap(i, o) => {
                self.record_out(o)?;
                if let Err(e) = apply(&mut self.fleet, &mut self.journal, i, o) {
                    // The swap was undone, so the half it brings back (restarted and healthy in
                    // the step before) is out again: it comes back alone, as a restart failure's
                    // healthy servers do; what it would have taken out stays in.
                    let never = AtomicBool::new(false);
                    if !cancel.load(Ordering::SeqCst) && self.fleet.apply(i, &[], &never).is_ok() {
                        self.journal.out.retain(|x| !i.contains(x));
                        add(&mut self.journal.deployed, i);
                    }
                    return Err(e);
                }
                self.journal.out.retain(|x| !i.contains(x));
                add(&mut self.journal.deployed, i);
                Ok(())
            }
            Action::In(s) => {
                apply(&mut self.fleet, &mut self.journal, s, &[])?;
                self.journal.out.retain(|x| !s.contains(x));
                add(&mut self.journal.deployed, s);
                Ok(())
            }
            Action::Observe(s) => self.observe(s),
            Action::Restart(s) => {
                let results: Vec<Result<(), RestartError>> = restart_all(s, self.opts, cancel)
                    .into_iter()
                    .zip(s)
                    .map(|(r, srv)| {
                        r.and_then(|()| {
                            self.fleet
                                .workers_can_open(srv)
                                .map_err(|why| HealthError::WorkersLockedOut(why).into())
                        })
                    })
                    .collect();
                if cancel.load(Ordering::SeqCst) {
                    return Err(StepError::Interrupted);
                }
                let failed: Vec<(ServerRef, RestartError)> = s
                    .iter()
                    .zip(results)
                    .filter_map(|(srv, r)| r.err().map(|e| (srv.clone(), e)))
                    .collect();
                if failed.is_empty() {
                    return Ok(());
                }
                // Failure policy: only the failed ones stay out; the healthy ones of this batch come back.
                let bad: Vec<ServerRef> = failed.iter().map(|(s, _)| s.clone()).collect();
                let good: Vec<ServerRef> = s.iter().filter(|x| !bad.contains(x)).cloned().collect();
                self.journal.failed = bad;
                let never = AtomicBool::new(false);
                if !good.is_empty() && self.fleet.apply(&good, &[], &never).is_ok() {
                    self.journal.out.retain(|x| !good.contains(x));
                    add(&mut self.journal.deployed, &good);
                }
                Err(StepError::Restart(failed))
            }
        }
    }

    /// Records `s` as out before it is taken out; when that cannot be written, nothing is.
    fn record_out(&mut self, s: &[ServerRef]) -> Result<(), StepError> {
        let before = self.journal.out.clone();
        add(&mut self.journal.out, s);
        self.journal.save().map_err(|e| {
            self.journal.out = before;
            StepError::from(e)
        })
    }

    /// The journal cannot be written: stop as after a failed step. What this deploy has out and
    /// is healthy comes back, the account names the journal, exit 1.
    fn journal_failed(
        &mut self,
        step: usize,
        total: usize,
        e: crate::runner::journal::Error,
    ) -> Error {
        self.journal.steps[step - 1].state = "failed".into();
        self.bring_back_healthy("the journal cannot be written");
        let account = account::account(
            &self.journal,
            &self.fleet,
            &format!("stopped at step {step}/{total}: {e}; nothing more is changed"),
            self.opts,
        );
        self.journal.status = "failed".into();
        self.journal.message = Some(account.text.clone());
        // Worth one more try: a little space may have come free.
        let _ = self.journal.save();
        Error::Stopped {
            step,
            total,
            cause: Box::new(StepError::from(e)),
            account: Box::new(account),
        }
    }

    /// After the first Ctrl-C: bring back what this deploy took out and is healthy now (a short,
    /// bounded check each), journal, and return exit 130 with the account.
    fn interrupted(&mut self, headline: &str) -> Error {
        self.bring_back_healthy("interrupted");
        let account = account::account(&self.journal, &self.fleet, headline, self.opts);
        self.journal.status = "interrupted".into();
        self.journal.message = Some(account.text.clone());
        let _ = self.journal.save();
        Error::Interrupted {
            account: Box::new(account),
        }
    }

    /// Brings back what this deploy took out and is healthy now (a short, bounded check each).
    fn bring_back_healthy(&mut self, why: &str) {
        let never = AtomicBool::new(false);
        let out: Vec<ServerRef> = self
            .journal
            .out
            .iter()
            .filter(|s| !self.carried.contains(s))
            .cloned()
            .collect();
        let bound = self.opts.health_timeout.min(Duration::from_secs(5));
        if !out.is_empty() {
            self.reporter.emit(&Event::Note {
                message: format!(
                    "{why}: checking {} for up to {} before bringing it back",
                    names(&out),
                    ms(bound)
                ),
            });
        }
        let healthy: Vec<ServerRef> = out
            .iter()
            .filter(|s| wait_healthy(self.opts, s, bound, &never).is_ok())
            .cloned()
            .collect();
        if !healthy.is_empty() {
            match self.fleet.apply(&healthy, &[], &never) {
                Ok(()) => self.journal.out.retain(|x| !healthy.contains(x)),
                Err(e) => self.reporter.emit(&Event::Note {
                    message: format!("bringing back {} failed: {e}", names(&healthy)),
                }),
            }
        }
    }
}

fn add(set: &mut Vec<ServerRef>, s: &[ServerRef]) {
    for x in s {
        if !set.contains(x) {
            set.push(x.clone());
        }
    }
}

fn ms(d: Duration) -> String {
    healthwait::duration::round(d)
}
