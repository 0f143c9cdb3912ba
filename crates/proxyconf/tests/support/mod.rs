#![allow(dead_code, unused_imports)]
//! Shared by the grammar tests: files in a temp dir, and edits made through proxyconf's public
//! API exactly as a tool makes them (lock, plan, real `nginx -t`/`haproxy -c`, atomic rename).

use proxyconf::{commit, plan, Applied, Config, Method, ProxyKind, Request, Result, Selector};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub use hotswap_tests::files::{read, text, tmp, write};
pub use hotswap_tests::{haproxy_c, haproxy_conf, nginx_conf, nginx_t, TempDir};

/// The fixtures name haproxy configs `*.cfg` and nginx ones anything else.
pub fn kind_of(conf: &Path) -> ProxyKind {
    if conf.extension().is_some_and(|e| e == "cfg") {
        ProxyKind::Haproxy
    } else {
        ProxyKind::Nginx
    }
}

/// The whole inventory, as `list` reads it.
pub fn load(conf: &Path) -> Config {
    Config::load(conf, Some(kind_of(conf))).expect("the config loads")
}

/// Indices of the servers written with this address.
pub fn at(cfg: &Config, address: &str) -> Vec<usize> {
    (0..cfg.servers.len())
        .filter(|&i| cfg.servers[i].address == address)
        .collect()
}

/// Indices of the haproxy servers with this name.
pub fn named(cfg: &Config, name: &str) -> Vec<usize> {
    (0..cfg.servers.len())
        .filter(|&i| cfg.servers[i].name.as_deref() == Some(name))
        .collect()
}

/// The one server with this haproxy name.
pub fn the<'c>(cfg: &'c Config, name: &str) -> &'c proxyconf::Server {
    let found = named(cfg, name);
    assert_eq!(found.len(), 1, "one server named {name}: {found:?}");
    &cfg.servers[found[0]]
}

/// Plans `req` for `selectors` and commits it; `validate` runs the real validator on the edited
/// copy before anything is renamed into place (it must be installed: this never skips it).
pub fn try_edit(
    conf: &Path,
    selectors: &[&str],
    req: Request,
    force: bool,
    validate: bool,
) -> Result<Applied> {
    let kind = kind_of(conf);
    if validate {
        hotswap_tests::require(kind.binary());
    }
    let sels: Vec<Selector> = selectors
        .iter()
        .map(|s| Selector::parse(s, None).expect("selector"))
        .collect();
    let opts = commit::Options {
        no_validate: !validate,
        lock_timeout: Duration::from_secs(10),
        ..commit::Options::default()
    };
    let done = commit::edit(conf, Some(kind), opts, None, |cfg| {
        plan(cfg, &sels, &req, force, SystemTime::now())
    })?;
    assert!(
        !done.warnings.iter().any(|w| w.contains("not validated")),
        "the real validator ran: {:?}",
        done.warnings
    );
    Ok(done)
}

/// A validated disable that must succeed.
pub fn disable(conf: &Path, selectors: &[&str], method: Option<Method>) -> Applied {
    let req = Request::Disable {
        method,
        reason: None,
    };
    try_edit(conf, selectors, req, false, true).expect("disable")
}

/// A validated enable that must succeed.
pub fn enable(conf: &Path, selectors: &[&str]) -> Applied {
    try_edit(conf, selectors, Request::Enable, false, true).expect("enable")
}

/// Enables every server the tool marked (`enable --all`).
pub fn enable_all(conf: &Path) -> Applied {
    try_edit(
        conf,
        &[],
        Request::EnableMarked { upstream: None },
        false,
        true,
    )
    .expect("enable --all")
}

/// Names of the files in `dir` left behind by an edit (`*.tmp`).
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}
