//! Human and JSON renderings of the inventory and of edit outcomes.

use proxyconf::{Applied, Change, Config, Method, Server, State};

fn state_name(s: State) -> &'static str {
    match s {
        State::Enabled => "enabled",
        State::Disabled => "disabled",
    }
}

/// `list --json`: each row serialised straight into `out` as it is made (no tree, no array).
pub fn list_json(
    cfg: &Config,
    shown: &[usize],
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    use serde::Serializer;
    let rows = shown.iter().map(|&i| crate::json::server_row(cfg, i));
    serde_json::Serializer::with_formatter(&mut *out, Pretty::default())
        .collect_seq(rows)
        .map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// serde_json's pretty layout (two-space indent), written with one call per line break instead
/// of one per indentation level: `list --json` of 20,000 servers makes 320,000 of them.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// `,` then a newline then enough indentation for any config's nesting.
const BREAK: &[u8; 2 + 2 * 32] =
    b",\n                                                                ";

impl Pretty {
    fn line(&self, w: &mut (impl std::io::Write + ?Sized), first: bool) -> std::io::Result<()> {
        let end = (2 + 2 * self.depth).min(BREAK.len());
        w.write_all(&BREAK[usize::from(first)..end])
    }

    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open(
        &mut self,
        w: &mut (impl std::io::Write + ?Sized),
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`, on a line of its own unless the array or object is empty.
    fn close(
        &mut self,
        w: &mut (impl std::io::Write + ?Sized),
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
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

/// An error under `--json`: one JSON document on stdout, the exit code unchanged.
pub fn error_json(message: &str, exit_code: i32) -> String {
    let doc = crate::json::ErrorReport {
        error: crate::json::ErrorBody {
            message: message.to_string(),
            exit_code,
        },
    };
    serde_json::to_string(&doc).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::Pretty;
    use serde::Serialize;

    #[test]
    fn pretty_writes_what_serde_json_pretty_writes() {
        let v = serde_json::json!([
            {"a": 1, "b": [], "c": {}, "d": ["x", {"e": null}], "f": "q\"\n"},
            [],
            {}
        ]);
        let mut ours = Vec::new();
        v.serialize(&mut serde_json::Serializer::with_formatter(
            &mut ours,
            Pretty::default(),
        ))
        .expect("serialize");
        let theirs = serde_json::to_vec_pretty(&v).expect("serialize");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }
}
