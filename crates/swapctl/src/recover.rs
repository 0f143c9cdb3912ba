//! `recover` and `status`: finish what an interrupted or failed deploy left out.

use crate::deploy::{inventory, Failure, Options};
use crate::driver::{self, Ctx};
use crate::journal::{Journal, ServerRef};
use proxyconf::State;
use std::time::Duration;

/// Brings back every server swapctl took out that is healthy now; reports the others.
pub fn recover(opts: &Options, log: &mut dyn FnMut(String)) -> Result<String, Failure> {
    let (cfg, upstream, _) = inventory(opts)?;
    let mut journal = Journal::load(&opts.config).map_err(|e| Failure::new(1, e))?;
    let mut out: Vec<ServerRef> = journal.as_ref().map(|j| j.out.clone()).unwrap_or_default();
    // Belt and braces: anything marked by swapctl in the file counts too.
    for s in cfg
        .servers
        .iter()
        .filter(|s| cfg.upstream_of(s).name == upstream && s.state == State::Disabled)
    {
        let by_swapctl = s
            .marker
            .as_ref()
            .and_then(|m| m.reason.as_deref())
            .is_some_and(|r| r.starts_with("swapctl"));
        let r = ServerRef {
            upstream: upstream.clone(),
            name: s.name.clone(),
            address: s.address.clone(),
        };
        if by_swapctl && !out.contains(&r) {
            out.push(r);
        }
    }
    out.retain(|s| s.upstream == upstream);
    if out.is_empty() {
        return Ok(format!(
            "nothing to recover: swapctl has no server of {upstream} out of rotation"
        ));
    }
    let (mut healthy, mut sick) = (Vec::new(), Vec::new());
    for s in &out {
        match probe(opts, s) {
            Ok(()) => healthy.push(s.clone()),
            Err(e) => {
                log(format!("{s}: not healthy: {e}"));
                sick.push(s.clone());
            }
        }
    }
    if !healthy.is_empty() {
        let ctx = Ctx {
            config: opts.config.clone(),
            kind: cfg.kind,
            reload: opts.reload.clone(),
            drain_timeout: opts.drain_timeout,
            reason: "swapctl recover".into(),
        };
        driver::for_config(ctx, &cfg)
            .apply(&healthy, &[])
            .map_err(|e| Failure::new(1, format!("bringing back {}: {e}", names(&healthy))))?;
    }
    if let Some(j) = journal.as_mut() {
        j.out = sick.clone();
        j.status = if sick.is_empty() {
            "recovered".into()
        } else {
            "failed".into()
        };
        j.message = Some(format!(
            "recover: brought back {}; still out: {}",
            names(&healthy),
            names(&sick)
        ));
        j.save().map_err(|e| Failure::new(1, e))?;
    }
    if sick.is_empty() {
        Ok(format!("recovered: brought back {}; every server of {upstream} swapctl took out is in rotation", names(&healthy)))
    } else {
        Err(Failure::new(
            1,
            format!("brought back {}; still out because unhealthy: {} (fix them, then run recover again)", names(&healthy), names(&sick)),
        ))
    }
}

fn probe(opts: &Options, s: &ServerRef) -> Result<(), String> {
    crate::deploy::wait_healthy(opts, s, opts.health_timeout.min(Duration::from_secs(5)))
}

fn names(v: &[ServerRef]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The last deploy, step by step, and the upstream's live state.
pub fn status(opts: &Options) -> Result<String, Failure> {
    let (cfg, upstream, _) = inventory(opts)?;
    let mut out = String::new();
    match Journal::load(&opts.config).map_err(|e| Failure::new(1, e))? {
        None => out.push_str("no deploy has run on this config\n"),
        Some(j) => {
            out.push_str(&format!(
                "last deploy: {} of {} by pid {}, started {}, last update {}: {}\n",
                j.strategy,
                j.upstream,
                j.pid,
                j.started,
                j.updated,
                j.status.to_uppercase()
            ));
            for s in &j.steps {
                out.push_str(&format!(
                    "  {}. [{}] {}{}{}\n",
                    s.n,
                    s.state,
                    s.action,
                    if s.action.starts_with("swap") {
                        String::new()
                    } else {
                        format!(": {}", s.servers.join(", "))
                    },
                    s.millis.map(|m| format!(" ({m}ms)")).unwrap_or_default()
                ));
                if let Some(d) = &s.detail {
                    out.push_str(&format!("       {d}\n"));
                }
            }
            if !j.out.is_empty() {
                out.push_str(&format!("  taken out by swapctl: {}\n", names(&j.out)));
            }
            if let Some(m) = &j.message {
                out.push_str(&format!("  {}\n", m.replace('\n', "\n  ")));
            }
        }
    }
    out.push_str(&format!(
        "live state of {upstream} in {}:\n",
        opts.config.display()
    ));
    for s in cfg
        .servers
        .iter()
        .filter(|s| cfg.upstream_of(s).name == upstream)
    {
        let state = match (s.state, s.method) {
            (State::Enabled, _) => "enabled".to_string(),
            (State::Disabled, Some(m)) => format!("disabled ({m:?})").to_lowercase(),
            (State::Disabled, None) => "disabled".into(),
        };
        let by = s
            .marker
            .as_ref()
            .map(|m| format!(", by upstream-toggle/swapctl at {}", m.at))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {}{}  {state}{}{by}\n",
            s.name.as_ref().map(|n| format!("{n} ")).unwrap_or_default(),
            s.address,
            if s.backup { ", backup" } else { "" }
        ));
    }
    Ok(out)
}
