//! What a running command tells the operator: one line per event on stderr, or with `--json`
//! one JSON object per event on stdout (JSON Lines), so stdout stays data.

use crate::steps::ServerRef;
use crate::steps::StepInfo;
use serde::Serialize;
use std::io::Write;

pub use crate::adapters::stderr::say;
/// One event of a deploy, `out`, `in`, `recover` or `mode`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A step begins.
    StepStarted(StepInfo),
    /// A step is confirmed on every proxy.
    StepDone {
        /// The step.
        #[serde(flatten)]
        step: StepInfo,
        /// How long it took.
        millis: u64,
    },
    /// A step failed; the deploy stops.
    StepFailed {
        /// The step.
        #[serde(flatten)]
        step: StepInfo,
        /// How long it ran.
        millis: u64,
        /// Why, in words (the `finished` event carries the error object).
        reason: String,
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
        /// Why it failed, when it did: the toolkit's error object.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<hotswap_cli::ErrorObject>,
        /// Where a deploy that stopped left things.
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<Account>,
    },
}

/// An event as printed: with the time it happened.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Stamped<'a> {
    /// RFC 3339, milliseconds, UTC.
    pub ts: String,
    /// The event.
    #[serde(flatten)]
    pub event: &'a Event,
}

/// Where a command that stopped left things, for a script: the servers out, those that failed,
/// those serving, and the commands to run next. `text` is the same account in words.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Account {
    /// The account as printed without `--json`.
    #[serde(skip)]
    pub text: String,
    /// Servers out of rotation now.
    pub out: Vec<ServerRef>,
    /// Servers whose restart or health check failed.
    pub failed: Vec<ServerRef>,
    /// Servers in rotation now.
    pub serving: Vec<ServerRef>,
    /// The commands to run next, best first.
    pub next: Vec<String>,
}

impl Account {
    /// An account known only in words.
    pub fn text(text: String) -> Self {
        Account {
            text,
            ..Account::default()
        }
    }
}

impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where events go.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    /// JSON Lines on stdout.
    pub json: bool,
    /// No step lines (errors and the final account still print).
    pub quiet: bool,
}

impl Reporter {
    /// Emits one event.
    pub fn emit(&self, ev: &Event) {
        if self.json {
            let stamped = Stamped {
                ts: hotswap_cli::contract::timestamp(),
                event: ev,
            };
            if let Ok(line) = serde_json::to_string(&stamped) {
                let mut out = std::io::stdout().lock();
                // A reader that hung up is not a reason to stop a deploy half-way.
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
            return;
        }
        let text = match ev {
            Event::StepStarted(s) => {
                format!("starting step {}/{}: {}", s.step, s.total, s.description)
            }
            Event::StepDone { step: s, millis } => format!(
                "step {}/{} {}: ok in {}",
                s.step,
                s.total,
                s.description,
                ms(*millis)
            ),
            Event::StepFailed {
                step: s,
                millis,
                reason,
            } if reason == "interrupted" => format!(
                "step {}/{} {}: interrupted after {}",
                s.step,
                s.total,
                s.description,
                ms(*millis)
            ),
            Event::StepFailed {
                step: s,
                millis,
                reason,
            } => format!(
                "step {}/{} {}: FAILED after {}: {reason}",
                s.step,
                s.total,
                s.description,
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

fn ms(millis: u64) -> String {
    healthwait::duration::round(std::time::Duration::from_millis(millis))
}
