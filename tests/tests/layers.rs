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

/// The text before `#[cfg(test)]`, without `//` comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a module names: `crate::a::b` (also inside `use crate::{a, b::c}`), `super::x`, and
/// its own children's `child::x`.
fn named(module: &str, text: &str, all: &BTreeMap<String, String>) -> Vec<String> {
    let mut paths = Vec::new();
    let take = |rest: &str| -> String {
        rest.chars()
            .take_while(|&c| ident(c) || c == ':')
            .collect::<String>()
            .trim_end_matches(':')
            .to_string()
    };
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or_default();
            paths.extend(inner.split(',').map(|p| take(p.trim())));
        } else {
            paths.push(take(rest));
        }
    }
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    for (i, _) in text.match_indices("super::") {
        let p = take(&text[i + 7..]);
        paths.push(if parent.is_empty() {
            p
        } else {
            format!("{parent}::{p}")
        });
    }
    for child in all.keys().filter_map(|k| {
        let rest = if module.is_empty() {
            Some(k.as_str())
        } else {
            k.strip_prefix(&format!("{module}::"))
        }?;
        (!rest.is_empty() && !rest.contains("::")).then_some(rest)
    }) {
        let used = text
            .match_indices(&format!("{child}::"))
            .any(|(i, _)| !text[..i].ends_with(|c: char| ident(c) || c == ':'));
        if used {
            paths.push(if module.is_empty() {
                child.to_string()
            } else {
                format!("{module}::{child}")
            });
        }
    }
    paths
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
    all.iter()
        .map(|(m, text)| {
            let to = named(m, text, &all)
                .iter()
                .filter_map(|p| resolve(p, &all))
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
