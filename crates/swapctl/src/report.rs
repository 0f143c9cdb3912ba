//! What a running command tells the operator: one line per event on stderr, or with `--json`
//! one JSON object per event on stdout (JSON Lines), so stdout stays data.

use crate::journal::ServerRef;
use serde::Serialize;
use std::io::Write;

/// What a step does, as the contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Take servers out: edit, apply, confirm, drain.
    TakeOut,
    /// Restart servers and wait until they are healthy.
    Restart,
    /// In one edit: bring some in and take others out.
    Swap,
    /// Bring servers back.
    BringIn,
    /// Watch canaries' error rate.
    Observe,
    /// Put canaries back on the old release.
    Rollback,
    /// Change the traffic mode.
    Mode,
}

impl ActionKind {
    /// Reads a journal's action: the contract's name, or the words journals of earlier releases
    /// wrote ("take out", "restart + health check", "swap: ...").
    pub fn read(text: &str) -> Option<ActionKind> {
        use ActionKind::*;
        let kinds = [TakeOut, Restart, Swap, BringIn, Observe, Rollback, Mode];
        let named = |k: &ActionKind| serde_json::to_value(k).ok() == Some(text.into());
        if let Some(k) = kinds.iter().find(|k| named(k)) {
            return Some(*k);
        }
        let words = [
            ("take out", TakeOut),
            ("restart", Restart),
            ("swap", Swap),
            ("bring in", BringIn),
            ("observe", Observe),
            ("rollback", Rollback),
        ];
        words
            .iter()
            .find(|(w, _)| text.starts_with(w))
            .map(|(_, k)| *k)
            .or(Some(Mode))
    }
}

impl<'de> serde::Deserialize<'de> for ActionKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ActionKind::read(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown action {text:?}")))
    }
}

/// One step of a deploy as events and `plan` show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StepInfo {
    /// 1-based.
    pub step: usize,
    /// Steps in the plan.
    pub total: usize,
    /// What it does.
    pub action: ActionKind,
    /// The same in words, as printed without `--json`.
    pub description: String,
    /// Every server it acts on.
    pub servers: Vec<ServerRef>,
    /// swap: the servers it brings in.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub bring_in: Vec<ServerRef>,
    /// swap: the servers it takes out.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub take_out: Vec<ServerRef>,
}

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
            pretty(schemars::schema_for!(Stamped<'static>)),
        ),
        (
            "swapctl-plan.schema.json",
            pretty(schemars::schema_for!(crate::plan::PlanReport)),
        ),
        (
            "swapctl-mode.schema.json",
            pretty(schemars::schema_for!(Vec<crate::modes::ModeRow>)),
        ),
        (
            "swapctl-status.schema.json",
            pretty(schemars::schema_for!(crate::recover::StatusReport)),
        ),
    ]
}
