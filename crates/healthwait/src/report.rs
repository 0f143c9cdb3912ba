//! `--json`: one document when the wait ends, so a script reads each target's state, the last
//! failure reason and how long it took without parsing stderr.

use hotswap_cli::ErrorObject;
use schemars::JsonSchema;
use serde::Serialize;
use std::time::Duration;

/// What `healthwait --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    /// Every target passed (was healthy, or down with `--down`) at the same time.
    pub passed: bool,
    /// What was waited for: `healthy`, or `down` with `--down`.
    pub waited_for: &'static str,
    /// Time from the first probe to the end of the wait, in milliseconds.
    pub elapsed_ms: u64,
    /// Each target, in the order given.
    pub targets: Vec<TargetReport>,
    /// CMD, when one was given and run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandReport>,
    /// Why healthwait failed (kind `timeout` when the deadline passed), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
}

/// One target's end state.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TargetReport {
    /// The target, as shown on stderr (credentials hidden).
    pub target: String,
    /// It passed in the last round.
    pub passed: bool,
    /// The last failure seen for it (null when it never failed).
    pub last_failure: Option<String>,
}

/// CMD and how it ended.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CommandReport {
    /// The command line.
    pub argv: Vec<String>,
    /// Its exit status (128+N for a signal), which is healthwait's own.
    pub exit_code: i32,
}

/// The last state and failure of each target, as the wait reports changes.
pub struct Tracker {
    targets: Vec<TargetReport>,
}

impl Tracker {
    /// Nothing seen yet for these targets.
    pub fn new(names: &[String]) -> Self {
        let targets = names
            .iter()
            .map(|t| TargetReport {
                target: t.clone(),
                passed: false,
                last_failure: None,
            })
            .collect();
        Tracker { targets }
    }

    /// Notes one round's result for `target`.
    pub fn seen(&mut self, target: &str, passing: bool, detail: &str) {
        if let Some(t) = self.targets.iter_mut().find(|t| t.target == target) {
            t.passed = passing;
            if !passing {
                t.last_failure = Some(detail.to_string());
            }
        }
    }

    /// The document.
    pub fn report(self, passed: bool, down: bool, elapsed: Duration) -> Report {
        let mut targets = self.targets;
        if passed {
            for t in &mut targets {
                t.passed = true;
            }
        }
        Report {
            passed,
            waited_for: if down { "down" } else { "healthy" },
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            targets,
            command: None,
            error: None,
        }
    }
}

/// The JSON Schema of the document: (file name, pretty JSON).
pub fn schema() -> (&'static str, String) {
    let mut t = serde_json::to_string_pretty(&schemars::schema_for!(Report)).unwrap_or_default();
    t.push('\n');
    ("healthwait.schema.json", t)
}
