//! Real-world configs from ../shared/corpus: every file nginx does not reject for syntax must parse,
//! and every live server must survive disable → enable byte for byte, with both methods.

use proxyconf::roundtrip::Violation;
use proxyconf::{plan, Config, Method, ProxyKind, Request, State};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

struct Row {
    file: String,
    syntax_rejected: bool,
}

fn rows(corpus: &Path) -> Vec<Row> {
    let tsv = std::fs::read_to_string(corpus.join("VALIDATION.tsv")).expect("VALIDATION.tsv");
    tsv.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let err = format!("{} {}", c.get(2).unwrap_or(&""), c.get(7).unwrap_or(&""));
            Row {
                file: c[0].to_string(),
                // haproxy's `invalid_char()` rule on proxy names is one the engine shares.
                syntax_rejected: err.contains("unexpected")
                    || err.contains("unterminated")
                    || err.contains("is not permitted in"),
            }
        })
        .collect()
}

/// Files the corpus README lists as deliberately invalid (nginx stops at an earlier, unrelated error).
fn meant_invalid(file: &str) -> bool {
    [
        "bad-args",
        "missing-semicolon",
        "spelling-mistake",
        "quote-behavior",
        "invalid-map",
        "if-check",
        "premature-eof",
        "braces",
        "broken.conf",
    ]
    .iter()
    .any(|m| file.contains(m))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let t = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).expect("copy");
        }
    }
}

/// Disables then enables server `i` of the config at `main`, checking every touched file comes back.
fn round_trip(main: &Path, kind: ProxyKind, i: usize, method: Method) -> Result<bool, Violation> {
    let cfg = Config::load(main, Some(kind)).map_err(|e| Violation(e.to_string()))?;
    let r = try_round_trip(&cfg, main, kind, i, method);
    if r.is_err() {
        for f in &cfg.files {
            std::fs::write(&f.path, f.bytes.as_slice()).expect("restore");
        }
    }
    r
}

fn try_round_trip(
    cfg: &Config,
    main: &Path,
    kind: ProxyKind,
    i: usize,
    method: Method,
) -> Result<bool, Violation> {
    let s = &cfg.servers[i];
    if s.state != State::Enabled || !s.is_live() || s.template.is_some() {
        return Ok(false);
    }
    let (addr, line) = (s.address.clone(), s.line);
    let path = cfg.files[s.file].path.clone();
    let original = cfg.files[s.file].bytes.to_vec();
    let req = Request::Disable {
        method: Some(method),
        reason: Some("corpus round trip".into()),
    };
    let p = plan::for_servers(cfg, &[i], &req, true, SystemTime::now())
        .map_err(|e| Violation(e.to_string()))?;
    for proxyconf::Edited { file: f, bytes } in p.apply(cfg) {
        std::fs::write(&cfg.files[f].path, bytes).expect("write");
    }
    let after = Config::load(main, Some(kind))
        .map_err(|e| Violation(format!("edited file no longer parses: {e}")))?;
    let j = after
        .servers
        .iter()
        // A directive that shared its line was given one of its own (split), one line down.
        .position(|t| {
            t.address == addr
                && (t.line == line || t.line == line + 1)
                && after.files[t.file].path == path
        })
        .ok_or("server vanished after disable")?;
    if after.servers[j].state != State::Disabled {
        return Err("server still enabled after disable".into());
    }
    let p = plan::for_servers(&after, &[j], &Request::Enable, true, SystemTime::now())
        .map_err(|e| Violation(e.to_string()))?;
    for proxyconf::Edited { file: f, bytes } in p.apply(&after) {
        std::fs::write(&after.files[f].path, bytes).expect("write");
    }
    let back = std::fs::read(&path).expect("read");
    if back != original {
        return Err(Violation(format!(
            "not byte-identical after {method:?} round trip of {addr} at line {line}"
        )));
    }
    Ok(true)
}

#[test]
fn corpus_parses_and_round_trips() {
    let Some(corpus) = hotswap_tests::corpus_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let (mut files, mut servers, mut trips, mut agreed_rejections) = (0, 0, 0, 0);
    for row in rows(&corpus) {
        let kind = if row.file.starts_with("haproxy/") {
            ProxyKind::Haproxy
        } else {
            ProxyKind::Nginx
        };
        let work = tempfile::tempdir().expect("tempdir");
        // Multi-file configs are copied whole so relative includes still resolve.
        let parts: Vec<&str> = row.file.splitn(3, '/').collect();
        let main: PathBuf = if parts.len() == 3 {
            copy_tree(&corpus.join(parts[0]).join(parts[1]), work.path());
            work.path().join(parts[2])
        } else {
            let src = corpus.join(&row.file);
            let m = work.path().join(src.file_name().expect("name"));
            std::fs::copy(&src, &m).expect("copy");
            m
        };
        let cfg = match Config::load(&main, Some(kind)) {
            Ok(c) => c,
            Err(e)
                if matches!(
                    e,
                    proxyconf::Error::Syntax { .. } | proxyconf::Error::Usage(_)
                ) && (row.syntax_rejected || meant_invalid(&row.file)) =>
            {
                agreed_rejections += 1;
                eprintln!("rejected as nginx does: {}: {e}", row.file);
                continue;
            }
            Err(e) => {
                failures.push(format!("{}: does not parse: {e}", row.file));
                continue;
            }
        };
        files += 1;
        servers += cfg.servers.len();
        for i in 0..cfg.servers.len() {
            for method in [Method::Comment, Method::Down] {
                match round_trip(&main, kind, i, method) {
                    Ok(true) => trips += 1,
                    Ok(false) => {}
                    Err(e) => failures.push(format!("{}: {e}", row.file)),
                }
            }
        }
    }
    eprintln!(
        "corpus: {files} files parsed, {servers} servers, {trips} byte-exact round trips, {agreed_rejections} syntax rejections shared with nginx"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        files > 200 && trips > 1000,
        "the corpus looks too small: {files} files, {trips} trips"
    );
}
