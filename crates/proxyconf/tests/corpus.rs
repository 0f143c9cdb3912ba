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

/// Where a corpus file is put to be edited: a tree copied whole (so relative includes resolve)
/// or a single file.
fn materialize(corpus: &Path, file: &str, work: &Path) -> PathBuf {
    let parts: Vec<&str> = file.splitn(3, '/').collect();
    if parts.len() == 3 {
        copy_tree(&corpus.join(parts[0]).join(parts[1]), work);
        work.join(parts[2])
    } else {
        let src = corpus.join(file);
        let m = work.join(src.file_name().expect("name"));
        std::fs::copy(&src, &m).expect("copy");
        m
    }
}

/// Disables then enables server `i` of `cfg` (the config at `main` as it is on disk), and checks
/// that every file of the config comes back byte for byte; whatever happens, the files are
/// put back as `cfg` holds them, so `cfg` stays the truth for the next server.
fn round_trip(
    cfg: &Config,
    main: &Path,
    kind: ProxyKind,
    i: usize,
    method: Method,
) -> Result<bool, Violation> {
    let r = try_round_trip(cfg, main, kind, i, method);
    let changed = cfg
        .files
        .iter()
        .find(|f| std::fs::read(&f.path).ok().as_deref() != Some(f.bytes.as_slice()));
    if r.is_err() || changed.is_some() {
        for f in &cfg.files {
            std::fs::write(&f.path, f.bytes.as_slice()).expect("restore");
        }
    }
    match (r, changed) {
        (Ok(true), Some(f)) => Err(Violation(format!(
            "{} not byte-identical after a {method:?} round trip of server {i}",
            f.path.display()
        ))),
        (r, _) => r,
    }
}

/// Writes a plan's edited files over the config's own.
fn write_edits(cfg: &Config, p: &plan::Plan) {
    for proxyconf::Edited { file: f, bytes } in p.apply(cfg) {
        std::fs::write(&cfg.files[f].path, bytes).expect("write");
    }
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
    // A second live copy makes the disabled line a stale leftover, which enable leaves as it is
    // by design: no round trip to check.
    if cfg.live_twin(i).is_some() {
        return Ok(false);
    }
    let (addr, line) = (s.address.clone(), s.line);
    let path = cfg.files[s.file].path.clone();
    let req = Request::Disable {
        method: Some(method),
        reason: Some("corpus round trip".into()),
    };
    let p = plan::for_servers(cfg, &[i], &req, true, SystemTime::now())
        .map_err(|e| Violation(e.to_string()))?;
    write_edits(cfg, &p);
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
    write_edits(&after, &p);
    Ok(true)
}

/// Servers a worker round-trips at a time: a file with thousands (haproxy's test-stats.cfg has
/// 5,000) is shared among the cores instead of holding one.
const CHUNK: usize = 250;

/// One worker's share: servers `from..to` of a corpus file, in a copy of its own.
fn trip_chunk(
    corpus: &Path,
    file: &str,
    kind: ProxyKind,
    from: usize,
    to: usize,
) -> (usize, Vec<String>) {
    let work = tempfile::tempdir().expect("tempdir");
    let main = materialize(corpus, file, work.path());
    let cfg = Config::load(&main, Some(kind)).expect("parsed before");
    let (mut trips, mut failures) = (0, Vec::new());
    for i in from..to.min(cfg.servers.len()) {
        for method in [Method::Comment, Method::Down] {
            match round_trip(&cfg, &main, kind, i, method) {
                Ok(true) => trips += 1,
                Ok(false) => {}
                Err(e) => failures.push(format!("{file}: {e}")),
            }
        }
    }
    (trips, failures)
}

#[test]
fn corpus_parses_and_round_trips() {
    let Some(corpus) = hotswap_tests::corpus_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let mut chunks = Vec::new();
    let (mut files, mut servers, mut agreed_rejections) = (0, 0, 0);
    for row in rows(&corpus) {
        let kind = if row.file.starts_with("haproxy/") {
            ProxyKind::Haproxy
        } else {
            ProxyKind::Nginx
        };
        let work = tempfile::tempdir().expect("tempdir");
        let main = materialize(&corpus, &row.file, work.path());
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
        for from in (0..cfg.servers.len()).step_by(CHUNK) {
            chunks.push((row.file.clone(), kind, from));
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let (mut trips, mut failed) = (0, Vec::new());
                    loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some((file, kind, from)) = chunks.get(n) else {
                            break;
                        };
                        let (t, f) = trip_chunk(&corpus, file, *kind, *from, from + CHUNK);
                        trips += t;
                        failed.extend(f);
                    }
                    (trips, failed)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let mut trips = 0;
    for (t, f) in results {
        trips += t;
        failures.extend(f);
    }
    failures.sort();
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
