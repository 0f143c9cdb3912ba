//! What the running proxy does with each server now, as `status` reports it beside the file:
//! haproxy answers over its admin socket; for nginx, the running master has loaded the file
//! unless a file of the config changed after its newest worker started (then what differs is
//! `pending`).

use crate::fleet::Member;
use proxyconf::ProxyKind;
use std::time::{Duration, SystemTime};

/// Per server (in the member's server order): serving, draining, out, down, pending or unknown;
/// whether a reload is pending (nginx: None when that cannot be told); and why it is unknown.
pub struct Live {
    /// One word per server of the member's upstream, in `servers` order.
    pub states: Vec<String>,
    /// nginx: a file of the config changed after the running workers started.
    pub reload_pending: Option<bool>,
    /// Why nothing could be asked, when nothing could.
    pub unknown_why: Option<String>,
    /// The proxy is not running (nginx: no live master behind its pid file).
    pub down: bool,
}

/// One server as the file has it.
pub struct FileServer<'a> {
    /// haproxy's server name.
    pub name: Option<&'a str>,
    /// Enabled in the file.
    pub enabled: bool,
    /// Its marker's time, when a tool took it out.
    pub marked_at: Option<&'a str>,
}

/// The live state of `servers` (of `m`'s upstream).
pub fn of(m: &Member, servers: &[FileServer<'_>]) -> Live {
    match m.kind {
        ProxyKind::Haproxy => haproxy(m, servers),
        ProxyKind::Nginx => nginx(m, servers),
    }
}

fn unknown(n: usize, why: String) -> Live {
    Live {
        states: vec!["unknown".into(); n],
        reload_pending: None,
        unknown_why: Some(why),
        down: false,
    }
}

fn haproxy(m: &Member, servers: &[FileServer<'_>]) -> Live {
    let n = servers.len();
    let Some(rt) = m.runtime() else {
        return unknown(
            n,
            "no usable admin socket (`stats socket ... level admin`) to ask".into(),
        );
    };
    let text = match rt.send("show stat") {
        Ok(t) => t,
        Err(e) => return unknown(n, format!("the admin socket did not answer: {e}")),
    };
    let states = servers
        .iter()
        .map(|s| {
            let name = s.name.unwrap_or_default();
            let status = crate::adapters::runtime::stat_field(&text, &m.upstream, name, "status")
                .ok()
                .flatten()
                .unwrap_or_default();
            let word = if status.starts_with("MAINT") {
                "out"
            } else if status.starts_with("DRAIN") || status.starts_with("NOLB") {
                "draining"
            } else if status.starts_with("DOWN") {
                "down"
            } else if status.starts_with("UP") || status == "no check" {
                "serving"
            } else {
                "unknown"
            };
            word.to_string()
        })
        .collect();
    Live {
        states,
        reload_pending: None,
        unknown_why: None,
        down: false,
    }
}

fn nginx(m: &Member, servers: &[FileServer<'_>]) -> Live {
    let n = servers.len();
    let Some(master) = m.master() else {
        return Live {
            down: true,
            ..unknown(
                n,
                "no running nginx master found through its pid file: nginx is down, or its pid \
                 file is stale (start it, or give --pid-file)"
                    .into(),
            )
        };
    };
    let Some(loaded) = crate::adapters::procwatch::children(master)
        .iter()
        .filter_map(|&w| started(w))
        .max()
    else {
        return unknown(n, format!("nginx master {master} has no worker"));
    };
    // Start times are in clock ticks: a file written just before the reload must not look newer.
    let slack = Duration::from_millis(20);
    let newer = |t: SystemTime| t > loaded + slack;
    let pending = m
        .cfg
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(&f.path).and_then(|md| md.modified()).ok())
        .any(newer);
    let states = servers
        .iter()
        .map(|s| {
            let on = s.enabled;
            let taken_out_since = s
                .marked_at
                .and_then(|a| humantime::parse_rfc3339(a).ok())
                .is_some_and(|t| t + Duration::from_secs(1) > loaded);
            match (on, pending) {
                (false, true) if taken_out_since => "pending",
                (true, true) => "pending",
                (false, _) => "out",
                (true, false) => "serving",
            }
            .to_string()
        })
        .collect();
    Live {
        states,
        reload_pending: Some(pending),
        unknown_why: None,
        down: false,
    }
}

/// When process `pid` started, from /proc (clock ticks since boot).
fn started(pid: i32) -> Option<SystemTime> {
    let ticks = crate::adapters::procwatch::start_ticks(pid)?;
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let since_start = Duration::from_secs_f64((uptime - ticks as f64 / hz as f64).max(0.0));
    SystemTime::now().checked_sub(since_start)
}

/// Whether a server's live word disagrees with its file state (something a person should see).
pub fn differs(file_enabled: bool, live: &str) -> bool {
    match live {
        "unknown" => false,
        "pending" => true,
        "serving" => !file_enabled,
        _ => file_enabled,
    }
}
