//! What a running command tells the operator: one line per event on stderr, or with `--json`
//! one JSON object per event on stdout (JSON Lines), so stdout stays data.

use serde::Serialize;
use std::io::Write;

/// One event of a deploy, `out`, `in` or `recover`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A step begins.
    StepStarted {
        /// 1-based.
        step: usize,
        /// Steps in the plan.
        total: usize,
        /// What it does.
        action: String,
        /// The servers it acts on.
        servers: Vec<String>,
    },
    /// A step is confirmed on every proxy.
    StepDone {
        /// 1-based.
        step: usize,
        /// Steps in the plan.
        total: usize,
        /// What it did.
        action: String,
        /// The servers it acted on.
        servers: Vec<String>,
        /// How long it took.
        millis: u64,
    },
    /// A step failed; the deploy stops.
    StepFailed {
        /// 1-based.
        step: usize,
        /// Steps in the plan.
        total: usize,
        /// What it tried.
        action: String,
        /// The servers it acted on.
        servers: Vec<String>,
        /// How long it ran.
        millis: u64,
        /// Why.
        error: String,
    },
    /// Something worth knowing that is not a step (a server not healthy during recover, ...).
    Note {
        /// The text.
        message: String,
    },
    /// The last event: how the command ended.
    Finished {
        /// done, failed or interrupted.
        status: String,
        /// swapctl's exit status.
        exit_code: i32,
        /// The plain account printed without `--json`.
        message: String,
    },
}

/// Where events go.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    /// JSON Lines on stdout.
    pub json: bool,
    /// No step lines (errors and the final account still print).
    pub quiet: bool,
}

fn label(action: &str, servers: &[String]) -> String {
    if action.starts_with("swap") || servers.is_empty() {
        action.to_string()
    } else {
        format!("{action} {}", servers.join(", "))
    }
}

impl Reporter {
    /// Emits one event.
    pub fn emit(&self, ev: &Event) {
        if self.json {
            if let Ok(line) = serde_json::to_string(ev) {
                let mut out = std::io::stdout().lock();
                // A reader that hung up is not a reason to stop a deploy half-way.
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
            return;
        }
        let text = match ev {
            Event::StepStarted {
                step,
                total,
                action,
                servers,
            } => format!("starting step {step}/{total}: {}", label(action, servers)),
            Event::StepDone {
                step,
                total,
                action,
                servers,
                millis,
            } => format!(
                "step {step}/{total} {}: ok in {}",
                label(action, servers),
                ms(*millis)
            ),
            Event::StepFailed {
                step,
                total,
                action,
                servers,
                millis,
                error,
            } => format!(
                "step {step}/{total} {}: FAILED after {}: {error}",
                label(action, servers),
                ms(*millis)
            ),
            Event::Note { message } => message.clone(),
            // The final account is printed by the caller, on stdout or as the error.
            Event::Finished { .. } => return,
        };
        if !self.quiet {
            say(&text);
        }
    }
}

/// One `swapctl: TEXT` line on stderr in a single write, so a reader that splits on writes
/// (SSHKit, a log shipper) never sees the prefix apart from its message.
pub fn say(text: &str) {
    let _ = std::io::stderr().write_all(format!("swapctl: {text}\n").as_bytes());
}

fn ms(millis: u64) -> String {
    healthwait::duration::round(std::time::Duration::from_millis(millis))
}

/// The JSON Schema files of swapctl's output: (file name, pretty JSON).
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty = |s: schemars::Schema| {
        let mut t = serde_json::to_string_pretty(&s).unwrap_or_default();
        t.push('\n');
        t
    };
    vec![
        (
            "swapctl-event.schema.json",
            pretty(schemars::schema_for!(Event)),
        ),
        (
            "swapctl-plan.schema.json",
            pretty(schemars::schema_for!(crate::plan::PlanReport)),
        ),
        (
            "swapctl-status.schema.json",
            pretty(schemars::schema_for!(crate::recover::StatusReport)),
        ),
    ]
}
