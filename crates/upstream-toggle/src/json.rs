//! The JSON documents upstream-toggle prints, as types: serialised straight from them, and the
//! JSON Schema files in `schema/` are generated from them (`cargo run -p docgen`), so the
//! published shapes and the documentation cannot drift. Fields are only ever added.

use proxyconf::{Applied, Change, Config, Method, State};
use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;

/// Whether a line is in or out of rotation.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateName {
    /// In rotation, as the line reads.
    Enabled,
    /// Out of rotation.
    Disabled,
}

/// How a server is out of rotation.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MethodName {
    /// Commented out.
    Comment,
    /// nginx `down`.
    Down,
    /// haproxy `disabled` (its own or inherited from `default-server`).
    Disabled,
}

/// What an edit did to one server.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeName {
    /// Taken out.
    Disabled,
    /// Brought back.
    Enabled,
    /// Already out; nothing done.
    AlreadyDisabled,
    /// Already in; nothing done.
    AlreadyEnabled,
}

/// One server line of `list --json` (live or commented out).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServerRow<'a> {
    /// The file the directive is in.
    pub file: Cow<'a, str>,
    /// 1-based line where the directive starts.
    pub line: usize,
    /// The nginx upstream or haproxy backend/listen name.
    pub upstream: &'a str,
    /// `http`, `stream`, `backend` or `listen`.
    pub context: &'a str,
    /// The haproxy server name; null on nginx.
    pub name: Option<&'a str>,
    /// The address as written (`host:port`, `[v6]:port`, `unix:/path`, ...).
    pub address: &'a str,
    /// The remaining parameters, quotes and escapes resolved.
    pub params: Vec<Cow<'a, str>>,
    /// What the line says.
    pub state: StateName,
    /// How it is out; null when enabled.
    pub method: Option<MethodName>,
    /// A backup server.
    pub backup: bool,
    /// upstream-toggle's marker is on the line.
    pub marked: bool,
    /// The marker's RFC 3339 UTC time.
    pub disabled_at: Option<&'a str>,
    /// The marker's `--reason`.
    pub reason: Option<&'a str>,
    /// The marker no longer fits the lines it marks (a person edited them): why, naming the
    /// marker's line. Such a server is restored only when named, never by `enable --all`.
    pub damaged: Option<&'a str>,
    /// The haproxy `server-template` range.
    pub template: Option<&'a str>,
    /// Inside a haproxy `.if` block.
    pub conditional: bool,
    /// Takes traffic as the file stands (enabled, read by the proxy, not `weight 0`, and
    /// whatever it `track`s is up; a backup only while no primary of its group serves: every
    /// backup on nginx, the first on haproxy, or all with `option allbackups`).
    pub serves: bool,
}

/// One server an edit touched.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OutcomeRow<'a> {
    /// The server, as `list --json` shows it (before the edit).
    #[serde(flatten)]
    pub server: ServerRow<'a>,
    /// What the edit did.
    pub change: ChangeName,
    /// How it was taken out, for `disabled`.
    pub new_method: Option<MethodName>,
    /// Whether a marker was written.
    pub new_marked: bool,
    /// Nothing was written (`--dry-run`).
    pub dry_run: bool,
    /// A remark for the operator (a method fallback, a person's line left alone, a shared line).
    pub note: Option<String>,
}

/// The one document `disable`/`enable --json` prints.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EditReport<'a> {
    /// One entry per server touched or asked for.
    pub outcomes: Vec<OutcomeRow<'a>>,
    /// `--dry-run`: nothing was written.
    pub dry_run: bool,
    /// With `--dry-run`, the unified diff (raw bytes shown as UTF-8, lossily); else null.
    pub diff: Option<String>,
    /// Files replaced on disk.
    pub written: Vec<String>,
    /// Warnings (a missing include, an unvalidated dry run, ...).
    pub warnings: Vec<String>,
}

fn method(m: Method) -> MethodName {
    match m {
        Method::Comment => MethodName::Comment,
        Method::Down => MethodName::Down,
        Method::Disabled => MethodName::Disabled,
    }
}

/// The row of server `i`.
pub fn server_row(cfg: &Config, i: usize) -> ServerRow<'_> {
    let s = &cfg.servers[i];
    let up = cfg.upstream_of(s);
    ServerRow {
        file: cfg.files[s.file].path.to_string_lossy(),
        line: s.line,
        upstream: &up.name,
        context: &up.context,
        name: s.name.as_deref(),
        address: &s.address,
        params: cfg.params(s),
        state: match s.state {
            State::Enabled => StateName::Enabled,
            State::Disabled => StateName::Disabled,
        },
        method: s.method.map(method),
        backup: s.backup,
        marked: s.marked(),
        disabled_at: s.marker.as_ref().map(|m| m.at.as_str()),
        reason: s.marker.as_ref().and_then(|m| m.reason.as_deref()),
        damaged: s.damaged.as_deref(),
        template: s.template.as_deref(),
        conditional: s.conditional,
        serves: cfg.serves(i),
    }
}

/// The document of an edit.
pub fn edit_report(done: &Applied, dry_run: bool) -> EditReport<'_> {
    let cfg = &done.config;
    let outcomes = done
        .plan
        .outcomes
        .iter()
        .map(|o| {
            let (change, new_method, new_marked) = match &o.change {
                Change::Disabled { method: m, marked } => {
                    (ChangeName::Disabled, Some(method(*m)), *marked)
                }
                Change::Enabled => (ChangeName::Enabled, None, false),
                Change::AlreadyDisabled => (ChangeName::AlreadyDisabled, None, false),
                Change::AlreadyEnabled => (ChangeName::AlreadyEnabled, None, false),
            };
            OutcomeRow {
                server: server_row(cfg, o.server),
                change,
                new_method,
                new_marked,
                dry_run,
                note: o.note.clone(),
            }
        })
        .collect();
    EditReport {
        outcomes,
        dry_run,
        diff: dry_run.then(|| String::from_utf8_lossy(&done.diff).into_owned()),
        written: done
            .written
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        warnings: done.warnings.clone(),
    }
}

/// The JSON Schema files, as (file name, contents).
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty = |s: schemars::Schema| {
        let mut t = serde_json::to_string_pretty(&s).unwrap_or_default();
        t.push('\n');
        t
    };
    vec![
        (
            "upstream-toggle-list.schema.json",
            pretty(schemars::schema_for!(Vec<ServerRow<'static>>)),
        ),
        (
            "upstream-toggle-edit.schema.json",
            pretty(schemars::schema_for!(EditReport<'static>)),
        ),
    ]
}
