//! `mode`: read-only, maintenance and normal, on every proxy of the deploy. Each change is a
//! marked engine edit (see `proxyconf::mode`), validated, made live by a reload and confirmed
//! (no old worker takes new requests), journaled; `normal` gives the files back byte for byte.

use crate::deploy::{Failure, Options};
use crate::fleet::Fleet;
use crate::journal::{now, Journal, Step};
use crate::report::{Event, Reporter};
use proxyconf::mode::{self, Mode, Spec};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// The settings of one mode change.
#[derive(Debug, Clone)]
pub struct Change {
    /// The mode.
    pub mode: Mode,
    /// The 503 body.
    pub message: Option<String>,
    /// `Retry-After`.
    pub retry_after: Duration,
}

fn default_message(m: Mode) -> &'static str {
    match m {
        Mode::ReadOnly => {
            "Read-only for maintenance: reading works, changes are paused. Please retry shortly."
        }
        _ => "Down for maintenance. Please retry shortly.",
    }
}

/// Each proxy's mode, one line each.
pub fn show(opts: &Options) -> Result<String, Failure> {
    let fleet = Fleet::load(opts, "swapctl mode")?;
    let mut out = String::new();
    for m in &fleet.members {
        let (mode, since) = mode::current(&m.cfg, &m.upstream);
        out.push_str(&format!(
            "{}: {} {}{}\n",
            m.config.display(),
            m.upstream,
            mode.word(),
            since.map(|s| format!(" since {s}")).unwrap_or_default()
        ));
    }
    Ok(out)
}

/// Puts the mode in place on every proxy; when one cannot take it, the others are put back.
pub fn set(
    opts: &Options,
    change: &Change,
    cancel: &AtomicBool,
    reporter: Reporter,
) -> Result<String, Failure> {
    let mut fleet = Fleet::load(opts, "swapctl mode")?;
    let spec = Spec {
        mode: change.mode,
        message: change
            .message
            .clone()
            .unwrap_or_else(|| default_message(change.mode).to_string()),
        retry_after: change.retry_after.as_secs().max(1),
        at: now(),
    };
    if spec.mode != Mode::Normal {
        mode::check_message(&spec.message).map_err(|e| Failure::new(2, e.to_string()))?;
    }
    fleet.preflight()?;
    let label = format!("mode {}", spec.mode.word());
    let mut journal = Journal::start(&label, opts, &fleet, &[], Vec::new(), None);
    journal.steps = vec![Step {
        n: 1,
        action: label.clone(),
        servers: Vec::new(),
        state: "running".into(),
        millis: None,
        detail: None,
    }];
    journal.save().map_err(|e| Failure::new(1, e))?;
    reporter.emit(&Event::StepStarted {
        step: 1,
        total: 1,
        action: label.clone(),
        servers: Vec::new(),
    });
    let t = Instant::now();
    let result = fleet.set_mode(&spec, cancel);
    let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
    journal.steps[0].millis = Some(millis);
    match result {
        Ok(()) => {
            journal.steps[0].state = "done".into();
            journal.status = "done".into();
            let msg = format!(
                "{} is {} on {} prox{}{}",
                fleet.upstream(),
                spec.mode.word(),
                fleet.members.len(),
                if fleet.members.len() == 1 { "y" } else { "ies" },
                if spec.mode == Mode::Normal {
                    "; the config is as it was before the mode"
                } else {
                    ""
                }
            );
            journal.message = Some(msg.clone());
            journal.save().map_err(|e| Failure::new(1, e))?;
            reporter.emit(&Event::StepDone {
                step: 1,
                total: 1,
                action: label,
                servers: Vec::new(),
                millis,
            });
            Ok(msg)
        }
        Err(e) => {
            journal.steps[0].state = "failed".into();
            journal.steps[0].detail = Some(e.clone());
            journal.status = "failed".into();
            journal.message = Some(e.clone());
            let _ = journal.save();
            reporter.emit(&Event::StepFailed {
                step: 1,
                total: 1,
                action: label,
                servers: Vec::new(),
                millis,
                error: e.clone(),
            });
            Err(Failure::new(1, e))
        }
    }
}
