//! Shell completion of upstream and server names, read from the config named on the command line
//! being completed (clap_complete's dynamic completion: the shell asks the binary itself).

use clap_complete::engine::CompletionCandidate;
use std::ffi::OsStr;
use std::path::PathBuf;

/// The `-c/--config` and `-k/--kind` of the command line being completed.
fn config_from_line() -> (PathBuf, Option<proxyconf::ProxyKind>) {
    let args: Vec<String> = std::env::args().collect();
    let mut config = None;
    let mut kind = None;
    for (i, a) in args.iter().enumerate() {
        let next = args.get(i + 1);
        match a.as_str() {
            "-c" | "--config" => config = next.cloned(),
            "-k" | "--kind" => kind = next.cloned(),
            _ => {
                if let Some(v) = a.strip_prefix("--config=") {
                    config = Some(v.to_string());
                }
            }
        }
    }
    let kind = match kind.as_deref() {
        Some("haproxy") => Some(proxyconf::ProxyKind::Haproxy),
        Some("nginx") => Some(proxyconf::ProxyKind::Nginx),
        _ => None,
    };
    let default = match kind {
        Some(proxyconf::ProxyKind::Haproxy) => "/etc/haproxy/haproxy.cfg",
        _ => "/etc/nginx/nginx.conf",
    };
    (
        PathBuf::from(config.unwrap_or_else(|| default.into())),
        kind,
    )
}

fn candidates(words: impl Iterator<Item = String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    let mut seen: Vec<String> = words.filter(|w| w.starts_with(prefix.as_ref())).collect();
    seen.sort();
    seen.dedup();
    seen.into_iter().map(CompletionCandidate::new).collect()
}

/// SERVER: addresses, haproxy names and UPSTREAM/SERVER forms from the config.
pub fn servers(current: &OsStr) -> Vec<CompletionCandidate> {
    let (path, kind) = config_from_line();
    let Ok(cfg) = proxyconf::Config::load(&path, kind) else {
        return Vec::new();
    };
    let words = cfg.servers.iter().flat_map(|s| {
        let up = &cfg.upstream_of(s).name;
        let id = s.name.clone().unwrap_or_else(|| s.address.clone());
        [s.address.clone(), id.clone(), format!("{up}/{id}")]
    });
    candidates(words, current)
}

/// `--upstream`: the upstream and backend names.
pub fn upstreams(current: &OsStr) -> Vec<CompletionCandidate> {
    let (path, kind) = config_from_line();
    let Ok(cfg) = proxyconf::Config::load(&path, kind) else {
        return Vec::new();
    };
    candidates(cfg.upstreams.iter().map(|u| u.name.clone()), current)
}
