//! `recover` and `status`: finish what an interrupted or failed deploy left out, and say where
//! things stand.

use crate::fleet::Fleet;
use crate::runner::health::wait_healthy;
use crate::runner::journal::Journal;
use crate::runner::report::{Event, Reporter};
use crate::steps::{key, names, Options, ServerRef};
use crate::Error;
use proxyconf::State;
use serde::Serialize;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Brings back every server swapctl took out that is healthy now; reports the others. Ctrl-C stops
/// the health checks: the servers found healthy by then still come back, the rest stay out.
pub fn recover(opts: &Options, cancel: &AtomicBool, reporter: Reporter) -> Result<String, Error> {
    let mut fleet = Fleet::load(opts, "swapctl recover")?;
    fleet.preflight()?;
    crate::commands::deploy::wait_for_orphans(opts, cancel, &reporter)?;
    // An unreadable journal must not block recovery: the markers in the files still say.
    let mut journal = Journal::load(&opts.configs[0]).unwrap_or_else(|e| {
        reporter.emit(&Event::Note {
            message: format!("{e}; going by swapctl's markers in the config files instead"),
        });
        None
    });
    if let Some(j) = &journal {
        let others: Vec<String> = j
            .all_configs()
            .iter()
            .filter(|c| !opts.configs.contains(c))
            .map(|c| c.display().to_string())
            .collect();
        if !others.is_empty() {
            reporter.emit(&Event::Note {
                message: format!(
                    "the last deploy also covered {}: this recover leaves them as they are; give a -c for each to recover them too",
                    others.join(", ")
                ),
            });
        }
    }
    let mut out: Vec<ServerRef> = journal.as_ref().map(|j| j.out.clone()).unwrap_or_default();
    // Canaries that failed the gate run the bad release: healthy is not good enough.
    let failed_canaries: Vec<ServerRef> = journal
        .as_ref()
        .filter(|j| j.status == "rolled-back")
        .map(|j| j.out.clone())
        .unwrap_or_default();
    // Belt and braces: anything marked by swapctl in any file counts too.
    for m in &fleet.members {
        for s in m.cfg.servers.iter().filter(|s| {
            m.cfg.upstream_of(s).name == m.upstream
                && s.state == State::Disabled
                && s.marker
                    .as_ref()
                    .and_then(|mk| mk.reason.as_deref())
                    .is_some_and(|r| r.starts_with("swapctl"))
        }) {
            if !out.iter().any(|o| key(&o.address) == key(&s.address)) {
                out.push(ServerRef {
                    upstream: m.upstream.clone(),
                    name: s.name.clone(),
                    address: s.address.clone(),
                });
            }
        }
    }
    out.retain(|s| {
        !failed_canaries
            .iter()
            .any(|c| key(&c.address) == key(&s.address))
    });
    if !failed_canaries.is_empty() {
        reporter.emit(&Event::Note {
            message: format!(
                "{} failed the canary gate and stay out: put them on a good release, then `swapctl ... in`",
                names(&failed_canaries)
            ),
        });
    }
    let upstream = fleet.upstream();
    let mode_note = modes_after_recover(opts, &mut fleet, journal.as_ref(), reporter)?;
    if out.is_empty() {
        // Nothing is out: the last deploy needs no one any more, so status stops saying so.
        if let Some(j) = journal.as_mut().filter(|j| {
            matches!(
                j.status.as_str(),
                "failed" | "interrupted" | "running" | "rolled-back"
            )
        }) {
            j.status = "recovered".into();
            let _ = j.save();
        }
        return Ok(format!(
            "nothing to recover: swapctl has no server of {upstream} out of rotation{mode_note}"
        ));
    }
    let never = AtomicBool::new(false);
    let bound = opts.health_timeout.min(Duration::from_secs(5));
    let (mut healthy, mut sick, mut unchecked) = (Vec::new(), Vec::new(), Vec::new());
    let interrupted = || cancel.load(std::sync::atomic::Ordering::SeqCst);
    for s in &out {
        if interrupted() {
            unchecked.push(s.clone());
            continue;
        }
        match wait_healthy(opts, s, bound, cancel) {
            Ok(()) => healthy.push(s.clone()),
            Err(_) if interrupted() => unchecked.push(s.clone()),
            Err(e) => {
                reporter.emit(&Event::Note {
                    message: format!("{s}: not healthy: {e}"),
                });
                sick.push(s.clone());
            }
        }
    }
    if !healthy.is_empty() {
        fleet
            .apply(&healthy, &[], &never)
            .map_err(|source| Error::BringBack {
                servers: healthy.clone(),
                source,
            })?;
    }
    let left: Vec<ServerRef> = sick.iter().chain(&unchecked).cloned().collect();
    if let Some(j) = journal.as_mut() {
        j.out = left.clone();
        j.failed.retain(|f| left.contains(f));
        j.status = if left.is_empty() {
            "recovered".into()
        } else if !unchecked.is_empty() {
            "interrupted".into()
        } else {
            "failed".into()
        };
        j.message = Some(format!(
            "recover: brought back {}; still out: {}",
            names(&healthy),
            names(&left)
        ));
        j.save()?;
    }
    if !unchecked.is_empty() {
        return Err(crate::runner::Error::Interrupted {
            account: Box::new(crate::runner::report::Account::text(format!(
                "interrupted: recover brought back {}; not checked, so still out: {}{}; run recover again",
                names(&healthy),
                names(&unchecked),
                if sick.is_empty() {
                    String::new()
                } else {
                    format!("; unhealthy, still out: {}", names(&sick))
                }
            ))),
        }
        .into());
    }
    if sick.is_empty() {
        Ok(format!("recovered: brought back {}; every server of {upstream} swapctl took out is in rotation{mode_note}", names(&healthy)))
    } else {
        Err(Error::StillOut { healthy, sick })
    }
}

/// A mode change that did not finish (killed, interrupted, failed half-way) is undone: every
/// proxy goes back to normal. A mode that was put in place on purpose stays, and is named.
fn modes_after_recover(
    opts: &Options,
    fleet: &mut Fleet,
    journal: Option<&Journal>,
    reporter: Reporter,
) -> Result<String, Error> {
    let unfinished = journal
        .and_then(|j| j.mode_change.as_ref())
        .filter(|mc| matches!(mc.status.as_str(), "running" | "failed"));
    let on: Vec<String> = fleet
        .members
        .iter()
        .filter_map(|m| {
            let (mode, since) = proxyconf::mode::current(&m.cfg, &m.upstream);
            (mode != proxyconf::mode::Mode::Normal).then(|| {
                format!(
                    "{} is {} on {} since {}",
                    m.upstream,
                    mode.word(),
                    m.config.display(),
                    since.unwrap_or_default()
                )
            })
        })
        .collect();
    if on.is_empty() && unfinished.is_none() {
        return Ok(String::new());
    }
    if let Some(mc) = unfinished {
        // Put back what was there before the change, exactly: a read-only that was on stays on.
        let back = mc.before.as_ref().map_or_else(
            || proxyconf::mode::Spec {
                mode: proxyconf::mode::Mode::Normal,
                message: String::new(),
                retry_after: 1,
                at: crate::runner::journal::now(),
            },
            crate::runner::journal::SavedMode::spec,
        );
        reporter.emit(&Event::Note {
            message: format!(
                "the change to mode {} did not finish: putting every proxy back to {}",
                mc.to,
                back.mode.word()
            ),
        });
        fleet
            .set_mode(&back, &AtomicBool::new(false))
            .map_err(Error::ModeRestore)?;
        if let Some(mut j) = Journal::load(&opts.configs[0]).ok().flatten() {
            if let Some(m) = j.mode_change.as_mut() {
                m.status = "undone".into();
            }
            let _ = j.save();
        }
        return Ok(format!(
            "; the unfinished change to mode {} was undone: every proxy is {} again",
            mc.to,
            back.mode.word()
        ));
    }
    Ok(format!(
        "; note: {} (set on purpose; `{}` ends it)",
        on.join("; "),
        opts.command_for("mode normal")
    ))
}

/// One server's live state in one proxy.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LiveServer {
    /// The upstream or backend.
    pub upstream: String,
    /// haproxy server name.
    pub name: Option<String>,
    /// Address as the config writes it.
    pub address: String,
    /// What the file says: enabled or disabled (the same as `file`, as upstream-toggle lists it).
    pub state: String,
    /// How a disabled server is out: comment, down or disabled (null when enabled).
    pub method: Option<String>,
    /// A backup server.
    pub backup: bool,
    /// When upstream-toggle or swapctl took it out (its marker), RFC 3339.
    pub disabled_at: Option<String>,
    /// What the file says: enabled or disabled.
    pub file: String,
    /// What the running proxy does now: serving, draining, out, down (its own health checks),
    /// pending (the file changed and the proxy has not loaded it) or unknown.
    pub live: String,
    /// The file and the running proxy disagree, or a server the file enables is down.
    pub differs: bool,
}

/// One proxy's live state.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LiveProxy {
    /// The config file.
    pub config: String,
    /// nginx or haproxy.
    pub kind: String,
    /// The upstream or backend.
    pub upstream: String,
    /// How swapctl applies changes to it.
    pub applies_by: String,
    /// Traffic mode of the upstream: normal, read-only or maintenance.
    pub mode: String,
    /// Since when that mode is in place, RFC 3339.
    pub mode_since: Option<String>,
    /// Its servers.
    pub servers: Vec<LiveServer>,
    /// nginx: a file of the config changed after the running workers started (null: cannot tell).
    pub reload_pending: Option<bool>,
    /// Why the live state is unknown, when it is.
    pub live_unknown: Option<String>,
    /// The proxy is not running (nginx: no live master behind its pid file); status exits 1.
    pub down: bool,
}

/// `status --json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StatusReport {
    /// The last deploy's journal, if one has run.
    pub journal: Option<Journal>,
    /// Why the journal could not be read (move it aside; `recover` goes by the markers).
    pub unreadable: Option<String>,
    /// False when something needs a person (exit 1): the last deploy failed, was interrupted,
    /// rolled back or died, or its journal cannot be read.
    pub ok: bool,
    /// The journal says running, but the swapctl that wrote it is gone (killed).
    pub died: bool,
    /// Restart commands a killed swapctl left running.
    pub restarts_running: Vec<crate::runner::orphans::Orphan>,
    /// Each proxy.
    pub proxies: Vec<LiveProxy>,
}

/// The last deploy and each proxy's live state, and whether all is well: false when something
/// needs a person (a failed, interrupted, rolled-back or dead deploy, an unreadable journal, a
/// file the running proxy has not loaded, a server it does not treat as the file says).
pub fn status(opts: &Options) -> Result<(String, bool), Error> {
    let fleet = Fleet::load(opts, "swapctl status")?;
    let (journal, unreadable) = match Journal::load(&opts.configs[0]) {
        Ok(j) => (j, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let died = journal
        .as_ref()
        .is_some_and(|j| j.status == "running" && !swapctl_runs(j.pid));
    let ok = unreadable.is_none()
        && !died
        && journal
            .as_ref()
            .is_none_or(|j| !matches!(j.status.as_str(), "failed" | "interrupted" | "rolled-back"));
    let restarts_running =
        crate::runner::orphans::find(&crate::runner::journal::journal_path(&opts.configs[0]));
    let proxies: Vec<LiveProxy> = fleet.members.iter().map(live).collect();
    // The file and the running proxy disagree, a server the file enables is down, or a proxy is.
    let ok = ok
        && proxies.iter().all(|p| {
            !p.down && p.reload_pending != Some(true) && p.servers.iter().all(|s| !s.differs)
        });
    let report = StatusReport {
        journal,
        unreadable,
        ok,
        died,
        restarts_running,
        proxies,
    };
    if opts.json {
        return Ok((serde_json::to_string_pretty(&report)?, ok));
    }
    Ok((render(&report), ok))
}

fn live(m: &crate::fleet::Member) -> LiveProxy {
    let (mode, mode_since) = proxyconf::mode::current(&m.cfg, &m.upstream);
    let listed: Vec<&proxyconf::Server> = m
        .cfg
        .servers
        .iter()
        .filter(|s| m.cfg.upstream_of(s).name == m.upstream)
        .collect();
    let file: Vec<crate::fleet::live::FileServer<'_>> = listed
        .iter()
        .map(|s| crate::fleet::live::FileServer {
            name: s.name.as_deref(),
            enabled: s.state == State::Enabled,
            marked_at: s.marker.as_ref().map(|mk| mk.at.as_str()),
        })
        .collect();
    let now = crate::fleet::live::of(m, &file);
    LiveProxy {
        mode: mode.word().into(),
        mode_since,
        config: m.config.display().to_string(),
        kind: format!("{:?}", m.kind).to_lowercase(),
        upstream: m.upstream.clone(),
        applies_by: m.describe(),
        servers: listed
            .iter()
            .zip(&now.states)
            .map(|(s, live)| {
                let enabled = s.state == State::Enabled;
                LiveServer {
                    upstream: m.upstream.clone(),
                    name: s.name.clone(),
                    address: s.address.clone(),
                    state: if enabled { "enabled" } else { "disabled" }.into(),
                    method: s
                        .method
                        .filter(|_| !enabled)
                        .map(|mt| format!("{mt:?}").to_lowercase()),
                    backup: s.backup,
                    disabled_at: s.marker.as_ref().map(|mk| mk.at.clone()),
                    file: if enabled { "enabled" } else { "disabled" }.into(),
                    live: live.clone(),
                    differs: crate::fleet::live::differs(enabled, live),
                }
            })
            .collect(),
        reload_pending: now.reload_pending,
        live_unknown: now.unknown_why,
        down: now.down,
    }
}

fn render(r: &StatusReport) -> String {
    let mut out = String::new();
    match &r.journal {
        None if r.unreadable.is_some() => out.push_str(&format!(
            "{}\n  move it aside; `recover` goes by swapctl's markers in the config\n",
            r.unreadable.as_deref().unwrap_or_default()
        )),
        None => out.push_str("no deploy has run on this config\n"),
        Some(j) => {
            let state = if r.died {
                format!(
                    "DIED (pid {} is gone: it was killed mid-deploy; run `swapctl recover` or `swapctl resume`)",
                    j.pid
                )
            } else {
                j.status.to_uppercase()
            };
            out.push_str(&format!(
                "last deploy: {} of {} by pid {}, started {}, last update {}: {state}\n",
                j.strategy, j.upstream, j.pid, j.started, j.updated,
            ));
            for s in &j.steps {
                out.push_str(&format!(
                    "  {}. [{}] {}{}\n",
                    s.step,
                    s.state,
                    s.description,
                    s.millis.map(|m| format!(" ({m}ms)")).unwrap_or_default()
                ));
                if let Some(d) = &s.detail {
                    out.push_str(&format!("       {d}\n"));
                }
            }
            if !j.out.is_empty() {
                out.push_str(&format!("  taken out by swapctl: {}\n", names(&j.out)));
            }
            if let Some(mc) = &j.mode_change {
                out.push_str(&format!(
                    "  last mode change: to {} at {}: {}\n",
                    mc.to,
                    mc.at,
                    mc.status.to_uppercase()
                ));
            }
            if let Some(m) = &j.message {
                out.push_str(&format!("  {}\n", m.replace('\n', "\n  ")));
            }
        }
    }
    for o in &r.restarts_running {
        out.push_str(&format!(
            "  {o} is still running: recover and resume wait for it\n"
        ));
    }
    for p in &r.proxies {
        out.push_str(&format!(
            "live state of {} in {} (mode {}{}):\n",
            p.upstream,
            p.config,
            p.mode,
            p.mode_since
                .as_ref()
                .map(|s| format!(" since {s}"))
                .unwrap_or_default()
        ));
        if p.reload_pending == Some(true) {
            out.push_str(
                "  the file changed after nginx's last reload: reload it to make it live\n",
            );
        }
        if let Some(why) = &p.live_unknown {
            out.push_str(&format!("  live state unknown: {why}\n"));
        }
        for s in &p.servers {
            out.push_str(&format!(
                "  {}{}  file {}, live {}{}{}{}\n",
                s.name.as_ref().map(|n| format!("{n} ")).unwrap_or_default(),
                s.address,
                match &s.method {
                    Some(m) => format!("{} ({m})", s.state),
                    None => s.state.clone(),
                },
                s.live,
                if s.backup { ", backup" } else { "" },
                s.disabled_at
                    .as_ref()
                    .map(|a| format!(", by upstream-toggle/swapctl at {a}"))
                    .unwrap_or_default(),
                if s.differs { "   <- differs" } else { "" }
            ));
        }
    }
    out
}

/// Whether `pid` is a live swapctl (a journal's writer).
fn swapctl_runs(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty()
        && !stat.contains(") Z ")
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains("swapctl"))
}
