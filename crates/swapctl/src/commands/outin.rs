//! `out` and `in`: one server at a time for orchestrators that walk their hosts (Ansible
//! `serial: 1` with `delegate_to` each load balancer, Capistrano `on roles(:lb)`). Each is
//! journaled, locked and recoverable like a deploy.

use crate::commands::checks::check_templates;
use crate::commands::deploy::reason;
use crate::fleet::{select, Fleet};
use crate::runner::health::wait_healthy;
use crate::runner::journal::Journal;
use crate::runner::report::Reporter;
use crate::runner::Runner;
use crate::steps::{key, names, Action, Options, ServerRef};
use crate::Error;
use std::sync::atomic::AtomicBool;

/// Takes `wanted` out of every proxy that holds them and returns once none sends them traffic.
pub fn out(
    opts: &Options,
    wanted: &[String],
    why: Option<&str>,
    cancel: &AtomicBool,
    reporter: Reporter,
) -> Result<String, Error> {
    // A drain that outlasts --drain-timeout leaves the server out: hung requests are what a sick
    // backend makes, and putting it back would send it traffic again.
    let late = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let opts = &Options {
        late_drains: Some(late.clone()),
        ..opts.clone()
    };
    let marker = match why {
        Some(w) => format!("swapctl out: {w}"),
        None => reason("out"),
    };
    let fleet = Fleet::load(opts, &marker)?;
    let serving = fleet.serving();
    let all = fleet.all();
    let chosen = select(&all, wanted, "out", &fleet)?;
    let todo: Vec<ServerRef> = chosen
        .iter()
        .filter(|s| serving.iter().any(|x| key(&x.address) == key(&s.address)))
        .cloned()
        .collect();
    if todo.is_empty() {
        return Ok(format!(
            "{} already out of rotation on every proxy",
            names(&chosen)
        ));
    }
    if fleet.left_serving(&todo) == 0 {
        return Err(Error::WouldEmpty {
            servers: todo,
            upstream: fleet.upstream(),
        });
    }
    fleet.preflight()?;
    let done = run_one(
        opts,
        fleet,
        "out",
        Action::Out(todo.clone()),
        cancel,
        reporter,
    )?;
    let late = late.lock().map(|v| v.clone()).unwrap_or_default();
    if late.is_empty() {
        return Ok(done);
    }
    let err = Error::StillDraining {
        servers: todo.clone(),
        late,
        next: opts.command_for(&format!(
            "in {}",
            todo.iter()
                .map(|s| s.address.clone())
                .collect::<Vec<_>>()
                .join(" ")
        )),
    };
    // The journal says so too: `status` must not call an undrained out done.
    if let Ok(Some(mut j)) = Journal::load(&opts.configs[0]) {
        j.status = "failed".into();
        j.message = Some(err.to_string());
        let _ = j.save();
    }
    Err(err)
}

/// Health-checks `wanted` (with `--health`) and brings them back into every proxy.
pub fn bring_in(
    opts: &Options,
    wanted: &[String],
    cancel: &AtomicBool,
    reporter: Reporter,
) -> Result<String, Error> {
    let fleet = Fleet::load(opts, &reason("in"))?;
    let chosen = select(&fleet.all(), wanted, "in", &fleet)?;
    check_templates(opts, &chosen)?;
    let out_somewhere = |s: &ServerRef| {
        fleet.members.iter().any(|m| {
            m.servers
                .iter()
                .any(|h| h.managed && h.disabled && key(&h.r.address) == key(&s.address))
        })
    };
    if !chosen.iter().any(out_somewhere) {
        return Ok(format!(
            "{} already in rotation on every proxy",
            names(&chosen)
        ));
    }
    for s in &chosen {
        let healthy = match opts.health {
            Some(_) => wait_healthy(opts, s, opts.health_timeout, cancel),
            None => Ok(()),
        };
        healthy
            .and_then(|()| {
                fleet
                    .workers_can_open(s)
                    .map_err(crate::runner::health::HealthError::WorkersLockedOut)
            })
            .map_err(|cause| Error::NotBroughtBack {
                server: s.clone(),
                cause: Box::new(cause),
                interrupted: cancel.load(std::sync::atomic::Ordering::SeqCst),
            })?;
    }
    fleet.preflight()?;
    run_one(opts, fleet, "in", Action::In(chosen), cancel, reporter)
}

/// One step under the journal; what earlier `out`s left out stays recorded.
fn run_one(
    opts: &Options,
    fleet: Fleet,
    what: &str,
    action: Action,
    cancel: &AtomicBool,
    reporter: Reporter,
) -> Result<String, Error> {
    let earlier = Journal::load(&opts.configs[0])
        .ok()
        .flatten()
        .map(|j| j.out)
        .unwrap_or_default();
    let servers = match &action {
        Action::Out(s)
        | Action::In(s)
        | Action::Restart(s)
        | Action::Swap(s, _)
        | Action::Observe(s) => s.clone(),
    };
    let mut journal = Journal::start(
        what,
        opts,
        &fleet,
        std::slice::from_ref(&action),
        servers.clone(),
        None,
    );
    journal.out = earlier
        .into_iter()
        .filter(|e| !servers.iter().any(|s| key(&s.address) == key(&e.address)))
        .collect();
    if what == "in" {
        // Brought back means no longer out, whichever command took it out.
        journal.out.retain(|e| !servers.contains(e));
    }
    let n = fleet.members.len();
    let upstream = fleet.upstream();
    let carried = journal.out.clone();
    let mut runner = Runner::new(opts, fleet, journal, cancel, reporter);
    runner.carried = carried;
    runner.execute(std::slice::from_ref(&action), what)?;
    Ok(match what {
        "out" => format!(
            "{} out of rotation of {upstream} on {n} prox{}: none of them sends it traffic",
            names(&servers),
            if n == 1 { "y" } else { "ies" }
        ),
        _ => format!(
            "{} back in rotation of {upstream} on {n} prox{}",
            names(&servers),
            if n == 1 { "y" } else { "ies" }
        ),
    })
}
