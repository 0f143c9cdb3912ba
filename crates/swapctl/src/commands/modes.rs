//! `mode`: read-only, maintenance and normal, on every proxy of the deploy. Each change is a
//! marked engine edit (see `proxyconf::mode`), validated, made live by a reload and confirmed
//! (no old worker takes new requests), journaled; `normal` gives the files back byte for byte.

use crate::fleet::Fleet;
use crate::runner::journal::{now, Journal, ModeChange, SavedMode};
use crate::runner::report::{Event, Reporter};
use crate::steps::Options;
use crate::steps::{ActionKind, StepInfo};
use crate::Error;
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

impl Change {
    /// From the command line; `--retry-after` takes 1s to 7d (exit 2 otherwise).
    pub fn from_args(
        mode: Mode,
        message: Option<String>,
        retry_after: &str,
    ) -> Result<Change, Error> {
        let d = healthwait::duration::parse(retry_after)
            .map_err(|e| Error::duration("--retry-after", e))?;
        if !(1..=7 * 86_400).contains(&d.as_secs()) {
            return Err(Error::RetryAfterRange {
                given: retry_after.to_string(),
            });
        }
        Ok(Change {
            mode,
            message,
            retry_after: d,
        })
    }
}

fn default_message(m: Mode) -> &'static str {
    match m {
        Mode::ReadOnly => {
            "Read-only for maintenance: reading works, changes are paused. Please retry shortly."
        }
        _ => "Down for maintenance. Please retry shortly.",
    }
}

/// One proxy's mode, as `mode --json` (no argument) prints it: an array of these.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ModeRow {
    /// The config file.
    pub config: String,
    /// The upstream or backend.
    pub upstream: String,
    /// normal, read-only or maintenance.
    pub mode: String,
    /// Since when, RFC 3339 (null for normal).
    pub since: Option<String>,
}

/// `mode` with no argument: each proxy's mode, one line each.
pub fn show(opts: &Options) -> Result<String, Error> {
    let fleet = Fleet::load(opts, "swapctl mode")?;
    if opts.json {
        let rows: Vec<ModeRow> = fleet
            .members
            .iter()
            .map(|m| {
                let (mode, since) = mode::current(&m.cfg, &m.upstream);
                ModeRow {
                    config: m.config.display().to_string(),
                    upstream: m.upstream.clone(),
                    mode: mode.word().to_string(),
                    since,
                }
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&rows)?);
    }
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
) -> Result<String, Error> {
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
        mode::check_message(&spec.message).map_err(|e| Error::ModeRefused(Box::new(e)))?;
    }
    // Every refusal (a pass inside `if`, a variable upstream, a tcp backend) before anything changes.
    for m in &fleet.members {
        mode::plan(&m.cfg, &m.upstream, &spec).map_err(|e| Error::ModeRefused(Box::new(e)))?;
    }
    if cancel.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::ModeNotBegun);
    }
    fleet.preflight()?;
    let label = format!("mode {}", spec.mode.word());
    // The change is recorded beside the last deploy's record, never instead of it: a failed
    // deploy must stay resumable while the site is read-only.
    let mut journal = match Journal::load(&opts.configs[0]) {
        Ok(Some(j)) => j,
        _ => {
            let mut j = Journal::start("mode", opts, &fleet, &[], Vec::new(), None);
            j.status = "done".into();
            j
        }
    };
    journal.configs = opts.configs.clone();
    journal.config = opts.configs[0].clone();
    journal.mode_change = Some(ModeChange {
        to: spec.mode.word().into(),
        status: "running".into(),
        at: spec.at.clone(),
        before: fleet.mode_now().map(|s| SavedMode::from_spec(&s)),
        message: None,
    });
    journal.save()?;
    let info = StepInfo {
        step: 1,
        total: 1,
        action: ActionKind::Mode,
        description: label,
        servers: Vec::new(),
        bring_in: Vec::new(),
        take_out: Vec::new(),
    };
    reporter.emit(&Event::StepStarted(info.clone()));
    let t = Instant::now();
    let result = fleet.set_mode(&spec, cancel);
    let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut record = |status: &str, msg: &str| {
        if let Some(mc) = journal.mode_change.as_mut() {
            mc.status = status.into();
            mc.message = Some(msg.to_string());
        }
        journal.save()
    };
    match result {
        Ok(()) => {
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
            record("done", &msg)?;
            reporter.emit(&Event::StepDone { step: info, millis });
            Ok(msg)
        }
        Err(e) => {
            let e = if cancel.load(std::sync::atomic::Ordering::SeqCst) {
                Error::ModeInterrupted {
                    mode: spec.mode.word(),
                    source: e,
                }
            } else {
                Error::ModeFailed(e)
            };
            let _ = record("failed", &e.to_string());
            reporter.emit(&Event::StepFailed {
                step: info,
                millis,
                reason: e.to_string(),
            });
            Err(e)
        }
    }
}
