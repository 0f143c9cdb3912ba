//! The import structure, read from the code: no circle between the modules of any library,
//! swapctl's layers import only downwards, nothing outside proxyconf reaches into a dialect, and
//! the libraries' messages name no command-line flag (the binaries add those).

use hotswap_tests::workspace_root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src` as (module path, text without tests and comments).
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") || p.ends_with("main.rs") {
                continue;
            }
            let rel = p.strip_prefix(src).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into()).collect();
            if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
                parts.pop();
            }
            out.insert(
                parts.join("::"),
                code(&std::fs::read_to_string(&p).expect("read")),
            );
        }
    }
    out
}

/// The code of a file: without its test module and `//` comments, and with the whitespace inside
/// paths taken out (`use crate::{\n    a::b,\n}` reads as `use crate::{a::b,}`).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod ").next().unwrap_or_default();
    let text: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            let before = out.chars().last();
            while chars.peek().is_some_and(|n| n.is_whitespace()) {
                chars.next();
            }
            let after = chars.peek().copied();
            let joins = |x: Option<char>| matches!(x, Some(':' | '{' | '}' | ','));
            if joins(before) || joins(after) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths of a `use` tree such as `a::{b, c::{d, e}}` (or a plain path `a::b::C`).
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.trim_end_matches("::").to_string()];
    };
    let base = tree[..open].trim_end_matches("::");
    let Some(close) = tree.rfind('}').filter(|&c| c > open) else {
        return vec![base.to_string()];
    };
    let inner = &tree[open + 1..close];
    let (mut depth, mut start, mut out) = (0, 0, Vec::new());
    for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                let part = inner[start..i].trim();
                start = i + 1;
                if part.is_empty() {
                    continue;
                }
                for p in expand(part) {
                    let p = p.split(" as ").next().unwrap_or_default().to_string();
                    out.push(match (base.is_empty(), p == "self") {
                        (_, true) => base.to_string(),
                        (true, false) => p,
                        (false, false) => format!("{base}::{p}"),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The path that starts at `rest` (`a::b::{c, d}` included, braces balanced).
fn path_at(rest: &str) -> String {
    let mut depth = 0;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth == 0 && !(ident(c) || c == ':') => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    rest[..end].to_string()
}

/// The paths a module names: `crate::…`, `super::…` (repeated), `self::…`, and its own
/// children's `child::…`.
fn named(module: &str, text: &str, all: &BTreeMap<String, String>) -> Vec<String> {
    let mut paths = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(|c: char| ident(c)) {
            continue;
        }
        paths.extend(expand(&path_at(&text[i + 7..])));
    }
    let segments: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    for (i, _) in text.match_indices("super::") {
        if text[..i].ends_with(|c: char| ident(c) || c == ':') {
            continue;
        }
        let mut rest = &text[i..];
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            rest = r;
            up += 1;
        }
        let base = segments[..segments.len().saturating_sub(up)].join("::");
        for p in expand(&path_at(rest)) {
            paths.push(if base.is_empty() {
                p
            } else {
                format!("{base}::{p}")
            });
        }
    }
    for (i, _) in text.match_indices("self::") {
        if text[..i].ends_with(|c: char| ident(c) || c == ':') {
            continue;
        }
        for p in expand(&path_at(&text[i + 6..])) {
            paths.push(if module.is_empty() {
                p
            } else {
                format!("{module}::{p}")
            });
        }
    }
    for child in all.keys().filter_map(|k| {
        let rest = if module.is_empty() {
            Some(k.as_str())
        } else {
            k.strip_prefix(&format!("{module}::"))
        }?;
        (!rest.is_empty() && !rest.contains("::")).then_some(rest)
    }) {
        for (i, _) in text.match_indices(&format!("{child}::")) {
            if !text[..i].ends_with(|c: char| ident(c) || c == ':') {
                let p = expand(&path_at(&text[i..]));
                paths.extend(p.into_iter().map(|p| {
                    if module.is_empty() {
                        p
                    } else {
                        format!("{module}::{p}")
                    }
                }));
            }
        }
    }
    paths
}

/// What the crate root re-exports (`pub use error::Error;`): name → the module it comes from.
fn reexports(all: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let root = all.get("").cloned().unwrap_or_default();
    let mut out = BTreeMap::new();
    for stmt in root.split(';') {
        let Some(tree) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        for p in expand(tree) {
            if let Some((m, name)) = p.rsplit_once("::") {
                if let Some(m) = resolve(m, all) {
                    out.insert(name.to_string(), m);
                }
            }
        }
    }
    out
}

/// The module a path lands in: its longest prefix that is a module.
fn resolve(path: &str, all: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|p| all.contains_key(p))
}

fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let all = modules(src);
    let roots = reexports(&all);
    all.iter()
        .map(|(m, text)| {
            let to = named(m, text, &all)
                .iter()
                .filter_map(|p| {
                    // `crate::Error`: the module the root re-exports it from.
                    resolve(p, &all)
                        .or_else(|| roots.get(p.split("::").next().unwrap_or_default()).cloned())
                })
                .filter(|t| t != m && !t.is_empty())
                .collect();
            (m.clone(), to)
        })
        .collect()
}

/// A circle through `graph`, if there is one (as the modules on it).
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            return Some(path[i..].to_vec());
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for n in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(n, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g_keys(graph).find_map(|m| visit(&m, graph, &mut Vec::new(), &mut done))
}

fn g_keys(g: &BTreeMap<String, BTreeSet<String>>) -> impl Iterator<Item = String> + '_ {
    g.keys().cloned()
}

fn src(krate: &str) -> PathBuf {
    workspace_root().join("crates").join(krate).join("src")
}

#[test]
fn no_library_has_an_import_circle() {
    for krate in [
        "proxyconf",
        "healthwait",
        "swapctl",
        "upstream-toggle",
        "hotswap-cli",
    ] {
        let g = graph(&src(krate));
        assert!(g.len() > 1, "{krate}: modules found");
        assert_eq!(circle(&g), None, "{krate}: an import circle");
    }
}

#[test]
fn swapctl_imports_point_down_its_layers() {
    let layers = [
        "adapters", "steps", "drivers", "fleet", "runner", "commands",
    ];
    let rank = |m: &str| {
        let top = m.split("::").next().unwrap_or_default();
        // The binary's side (flags, the commands' error) sits with the commands.
        let top = if matches!(top, "cli" | "error") {
            "commands"
        } else {
            top
        };
        layers.iter().position(|l| *l == top)
    };
    let g = graph(&src("swapctl"));
    for l in layers {
        assert!(g.contains_key(l), "the layer {l} exists");
    }
    let mut up = Vec::new();
    for (from, tos) in &g {
        for to in tos {
            if let (Some(a), Some(b)) = (rank(from), rank(to)) {
                if b > a {
                    up.push(format!("{from} -> {to}"));
                }
            }
        }
    }
    assert!(up.is_empty(), "imports that point up: {up:#?}");
    // Where a rolling step is decided, executed, applied and journaled, by file name.
    for f in [
        "steps/mod.rs",
        "runner/mod.rs",
        "fleet/mod.rs",
        "drivers/mod.rs",
        "runner/journal.rs",
    ] {
        assert!(src("swapctl").join(f).exists(), "{f}");
    }
}

#[test]
fn nothing_outside_proxyconf_reaches_into_a_dialect_and_libraries_name_no_flag() {
    let root = workspace_root();
    for dir in [
        "crates/upstream-toggle",
        "crates/healthwait",
        "crates/swapctl",
        "crates/hotswap-cli",
        "crates/docgen",
        "tests",
        "fuzz",
    ] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() && !p.ends_with("target") {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("layers.rs") {
                    let t = std::fs::read_to_string(&p).expect("read");
                    for bad in ["proxyconf::nginx::", "proxyconf::haproxy::"] {
                        assert!(!t.contains(bad), "{} names {bad}", p.display());
                    }
                }
            }
        }
    }
    // String literals of the engine and of healthwait's library name no `--flag`.
    for (krate, except) in [("proxyconf", ""), ("healthwait", "cli.rs")] {
        for (m, text) in modules(&src(krate)) {
            if !except.is_empty() && m == except.trim_end_matches(".rs") {
                continue;
            }
            for lit in text.split('"').skip(1).step_by(2) {
                let flag = lit.split_whitespace().find(|w| {
                    w.strip_prefix("--")
                        .is_some_and(|f| f.starts_with(|c: char| c.is_ascii_lowercase()))
                });
                assert!(flag.is_none(), "{krate}::{m} names a flag: {lit:?}");
            }
        }
    }
}
