//! Human and JSON renderings of the inventory and of edit outcomes.

use proxyconf::{Applied, Change, Config, Method, Server, State};

fn state_name(s: State) -> &'static str {
    match s {
        State::Enabled => "enabled",
        State::Disabled => "disabled",
    }
}

/// `list` as an aligned table.
pub fn list_table(cfg: &Config, shown: &[usize]) -> String {
    let haproxy = cfg.kind == proxyconf::ProxyKind::Haproxy;
    let mut rows = vec![vec![
        "LOCATION".to_string(),
        if haproxy { "BACKEND" } else { "UPSTREAM" }.to_string(),
        if haproxy { "NAME" } else { "" }.to_string(),
        "ADDRESS".to_string(),
        "STATE".to_string(),
        "NOTES".to_string(),
    ]];
    for s in shown.iter().map(|&i| &cfg.servers[i]) {
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
        if let Some(d) = &s.damaged {
            notes.push(format!("damaged marker: {d}"));
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

/// `--json` for edits: one document.
pub fn outcomes_json(done: &Applied, dry_run: bool) -> String {
    serde_json::to_string_pretty(&crate::json::edit_report(done, dry_run))
        .unwrap_or_else(|_| "{}".into())
}
