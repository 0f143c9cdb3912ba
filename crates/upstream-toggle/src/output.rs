//! Human and JSON renderings of the inventory and of edit outcomes.

use proxyconf::{Applied, Change, Config, Method, Server, State};
use serde_json::{json, Value};

fn method_name(m: Option<Method>) -> Value {
    match m {
        None => Value::Null,
        Some(Method::Comment) => json!("comment"),
        Some(Method::Down) => json!("down"),
        Some(Method::Disabled) => json!("disabled"),
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Enabled => "enabled",
        State::Disabled => "disabled",
    }
}

fn server_json(cfg: &Config, i: usize) -> Value {
    let s = &cfg.servers[i];
    let up = cfg.upstream_of(s);
    json!({
        "file": cfg.files[s.file].path,
        "line": s.line,
        "upstream": up.name,
        "context": up.context,
        "name": s.name,
        "address": s.address,
        "params": cfg.params(s),
        "state": state_name(s.state),
        "method": method_name(s.method),
        "backup": s.backup,
        "marked": s.marked(),
        "disabled_at": s.marker.as_ref().map(|m| m.at.clone()),
        "reason": s.marker.as_ref().and_then(|m| m.reason.clone()),
        "template": s.template,
        "conditional": s.conditional,
        "serves": cfg.serves(i),
    })
}

/// `list --json`.
pub fn list_json(cfg: &Config) -> String {
    let rows: Vec<Value> = (0..cfg.servers.len())
        .map(|i| server_json(cfg, i))
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into())
}

/// `list` as an aligned table.
pub fn list_table(cfg: &Config) -> String {
    let haproxy = cfg.kind == proxyconf::ProxyKind::Haproxy;
    let mut rows = vec![vec![
        "LOCATION".to_string(),
        if haproxy { "BACKEND" } else { "UPSTREAM" }.to_string(),
        if haproxy { "NAME" } else { "" }.to_string(),
        "ADDRESS".to_string(),
        "STATE".to_string(),
        "NOTES".to_string(),
    ]];
    for s in &cfg.servers {
        let mut state = state_name(s.state).to_string();
        if let Some(m) = s.method {
            state.push_str(match m {
                Method::Comment => " (comment)",
                Method::Down => " (down)",
                Method::Disabled
                    if s.inherited_disabled && cfg.params(s).iter().all(|p| p != "disabled") =>
                {
                    " (default-server disabled)"
                }
                Method::Disabled => " (disabled)",
            });
        }
        let mut notes = Vec::new();
        if s.backup {
            notes.push("backup".to_string());
        }
        if let Some(t) = &s.template {
            notes.push(format!("server-template {t}"));
        }
        if s.conditional {
            notes.push("inside .if".into());
        }
        if let Some(m) = &s.marker {
            let mut n = format!("by upstream-toggle at {}", m.at);
            if let Some(r) = &m.reason {
                n.push_str(&format!(": {r}"));
            }
            notes.push(n);
        }
        rows.push(vec![
            cfg.location(s),
            cfg.upstream_of(s).name.clone(),
            s.name.clone().unwrap_or_default(),
            s.address.clone(),
            state,
            notes.join("; "),
        ]);
    }
    let mut widths = [0usize; 6];
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .filter(|(i, _)| haproxy || *i != 2)
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn label(cfg: &Config, s: &Server) -> String {
    format!(
        "{}/{}",
        cfg.upstream_of(s).name,
        s.name.as_deref().unwrap_or(&s.address)
    )
}

/// One line per server: what changed, where.
pub fn outcomes_text(done: &Applied, dry_run: bool) -> String {
    let cfg = &done.config;
    let mut out = String::new();
    for o in &done.plan.outcomes {
        let s = &cfg.servers[o.server];
        let would = if dry_run { "would be " } else { "" };
        let what = match &o.change {
            Change::Disabled { method, marked } => format!(
                "{would}disabled ({}{})",
                match method {
                    Method::Comment => "commented out",
                    Method::Down => "down",
                    Method::Disabled => "disabled",
                },
                if *marked { ", marked" } else { "" }
            ),
            Change::Enabled => format!("{would}enabled"),
            Change::AlreadyDisabled => "already disabled, nothing to do".into(),
            Change::AlreadyEnabled => "already enabled, nothing to do".into(),
        };
        out.push_str(&format!(
            "{}: {}  {}\n",
            cfg.location(s),
            label(cfg, s),
            what
        ));
        if let Some(n) = &o.note {
            out.push_str(&format!("  note: {n}\n"));
        }
    }
    out
}

/// `--json` for edits: one object per server.
pub fn outcomes_json(done: &Applied, dry_run: bool) -> String {
    let cfg = &done.config;
    let rows: Vec<Value> = done
        .plan
        .outcomes
        .iter()
        .map(|o| {
            let mut v = server_json(cfg, o.server);
            let (change, method, marked) = match &o.change {
                Change::Disabled { method, marked } => {
                    ("disabled", method_name(Some(*method)), *marked)
                }
                Change::Enabled => ("enabled", Value::Null, false),
                Change::AlreadyDisabled => ("already-disabled", Value::Null, false),
                Change::AlreadyEnabled => ("already-enabled", Value::Null, false),
            };
            v["change"] = json!(change);
            v["new_method"] = method;
            v["new_marked"] = json!(marked);
            v["dry_run"] = json!(dry_run);
            v["note"] = json!(o.note);
            v
        })
        .collect();
    let doc = json!({
        "outcomes": rows,
        "dry_run": dry_run,
        "diff": dry_run.then(|| String::from_utf8_lossy(&done.diff).into_owned()),
        "written": done.written,
        "warnings": done.warnings,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// An error under `--json`: one JSON document on stdout, the exit code unchanged.
pub fn error_json(message: &str, exit_code: i32) -> String {
    json!({ "error": { "message": message, "exit_code": exit_code } }).to_string()
}
