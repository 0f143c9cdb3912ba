//! hot-swap, rolling and resume: read the options, build the steps, hand them to the runner.

use crate::commands::checks::check_programs;
use crate::commands::checks::check_templates;
use crate::fleet::select;
use crate::fleet::Fleet;
use crate::runner::journal::Journal;
use crate::runner::report::Event;
use crate::runner::report::Reporter;
use crate::runner::Runner;
use crate::steps::fuse;
use crate::steps::key;
use crate::steps::steps;
use crate::steps::Action;
use crate::steps::ActionKind;
use crate::steps::Options;
use crate::steps::ServerRef;
use crate::steps::Strategy;
use crate::Error;
use std::sync::atomic::AtomicBool;

/// The steps with one routing change per step where every proxy keeps a server serving through
/// each swap; else as given (still checked: no step may leave a proxy empty).
pub fn one_change_per_step(fleet: &Fleet, separate: Vec<Action>) -> Result<Vec<Action>, Error> {
    let fused = fuse(separate.clone());
    if fleet.check_capacity(&fused).is_ok() {
        return Ok(fused);
    }
    fleet.check_capacity(&separate)?;
    Ok(separate)
}

/// With `--canary N`, the first N servers are deployed (in the deploy's batches), then watched,
/// then the rest follow.
pub fn with_canary(
    actions: Vec<Action>,
    servers: &[ServerRef],
    strategy: Strategy,
    opts: &Options,
    fleet: &Fleet,
) -> Result<Vec<Action>, Error> {
    let Some(gate) = &opts.canary else {
        return Ok(actions);
    };
    let Strategy::Rolling(batch) = strategy else {
        return Err(crate::steps::Error::CanaryOnHotSwap.into());
    };
    if gate.count == 0 || gate.count >= servers.len() {
        return Err(crate::steps::Error::CanaryCount {
            count: gate.count,
            servers: servers.len(),
        }
        .into());
    }
    crate::runner::canary::sources_check(fleet, gate).map_err(Error::CanarySetup)?;
    let (first, rest) = servers.split_at(gate.count);
    let chunk = |v: &[ServerRef]| -> Vec<Action> {
        v.chunks(batch)
            .flat_map(|c| {
                [
                    Action::Out(c.to_vec()),
                    Action::Restart(c.to_vec()),
                    Action::In(c.to_vec()),
                ]
            })
            .collect()
    };
    let mut out = chunk(first);
    out.push(Action::Observe(first.to_vec()));
    out.extend(chunk(rest));
    Ok(out)
}

/// The reason written into the markers of what swapctl takes out.
pub fn reason(what: &str) -> String {
    format!("swapctl {what} pid {}", std::process::id())
}

/// A hot-swap or rolling deploy.
pub fn run(
    opts: &Options,
    strategy: Strategy,
    cancel: &AtomicBool,
    reporter: Reporter,
) -> Result<String, Error> {
    let fleet = Fleet::load(opts, &reason(strategy.name()))?;
    if opts.restart.is_none() {
        return Err(Error::NoRestart);
    }
    if strategy == Strategy::HotSwap && !opts.only.is_empty() {
        return Err(Error::OnlyOnHotSwap);
    }
    let serving = fleet.serving();
    let servers = select(&serving, &opts.only, "--only", &fleet)?;
    let actions = one_change_per_step(
        &fleet,
        with_canary(
            steps(strategy, &servers, serving.len())?,
            &servers,
            strategy,
            opts,
            &fleet,
        )?,
    )?;
    check_templates(opts, &fleet.all())?;
    check_programs(opts, &fleet.all())?;
    fleet.preflight()?;
    let batch = match strategy {
        Strategy::Rolling(b) => Some(b),
        Strategy::HotSwap => None,
    };
    let journal = Journal::start(strategy.name(), opts, &fleet, &actions, servers, batch);
    Ok(Runner::new(opts, fleet, journal, cancel, reporter).execute(&actions, strategy.name())?)
}

/// Goes on with a failed or interrupted deploy: the servers it left out are restarted and
/// brought back first, then the ones it had not reached, in its batches.
pub fn resume(opts: &Options, cancel: &AtomicBool, reporter: Reporter) -> Result<String, Error> {
    let first = &opts.configs[0];
    let last = Journal::load(first)?.ok_or_else(|| Error::NothingToResume {
        config: first.clone(),
    })?;
    let missing: Vec<String> = last
        .all_configs()
        .iter()
        .filter(|c| !opts.configs.contains(c))
        .map(|c| c.display().to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::ResumeMissingConfigs { missing });
    }
    if !matches!(last.strategy.as_str(), "hot-swap" | "rolling" | "resume") {
        return Err(Error::ResumeNotADeploy {
            config: first.clone(),
            strategy: last.strategy,
        });
    }
    if let Some(step) = last
        .steps
        .iter()
        .find(|s| s.action == ActionKind::Observe && s.state != "done")
    {
        return Err(Error::ResumeCanaryPending {
            step: step.step,
            state: step.state.clone(),
        });
    }
    if last.status == "rolled-back" {
        return Err(Error::ResumeRolledBack);
    }
    if matches!(last.status.as_str(), "done" | "recovered") && last.out.is_empty() {
        let rest = last
            .servers
            .iter()
            .filter(|s| !last.deployed.contains(s))
            .count();
        if last.status == "done" || rest == 0 {
            return Ok(format!(
                "the last deploy ({}) ended {}: nothing to resume",
                last.strategy, last.status
            ));
        }
    }
    if opts.restart.is_none() {
        return Err(Error::ResumeNoRestart);
    }
    wait_for_orphans(opts, cancel, &reporter)?;
    let fleet = Fleet::load(opts, &reason("resume"))?;
    let serving = fleet.serving();
    let is_serving = |s: &ServerRef| serving.iter().any(|x| key(&x.address) == key(&s.address));
    let left_out: Vec<ServerRef> = last
        .out
        .iter()
        .filter(|s| !is_serving(s))
        .cloned()
        .collect();
    let rest: Vec<ServerRef> = last
        .servers
        .iter()
        .filter(|s| !last.deployed.contains(s) && !left_out.contains(s) && is_serving(s))
        .cloned()
        .collect();
    let batch = last.batch.unwrap_or(1);
    let mut actions = Vec::new();
    if !left_out.is_empty() {
        actions.push(Action::Restart(left_out.clone()));
        actions.push(Action::In(left_out.clone()));
    }
    if !rest.is_empty() {
        // What the failed deploy left out is back in rotation before these run.
        actions.extend(steps(
            Strategy::Rolling(batch),
            &rest,
            serving.len() + left_out.len(),
        )?);
    }
    if actions.is_empty() {
        return Ok("nothing to resume: every server of the last deploy is deployed".into());
    }
    let actions = one_change_per_step(&fleet, actions)?;
    check_templates(opts, &fleet.all())?;
    check_programs(opts, &fleet.all())?;
    fleet.preflight()?;
    let mut journal = Journal::start("resume", opts, &fleet, &actions, last.servers, Some(batch));
    journal.deployed = last.deployed;
    journal.out = left_out;
    Ok(Runner::new(opts, fleet, journal, cancel, reporter).execute(&actions, "resume")?)
}

/// Waits (up to `--restart-timeout`) for restarts a killed swapctl left running on this journal,
/// before anything touches their servers.
pub fn wait_for_orphans(
    opts: &Options,
    cancel: &AtomicBool,
    reporter: &Reporter,
) -> Result<(), Error> {
    let journal = crate::runner::journal::journal_path(&opts.configs[0]);
    let note = |message: String| reporter.emit(&Event::Note { message });
    crate::runner::orphans::wait(&journal, &[], opts.restart_timeout, cancel, &note).map_err(
        |running| Error::RestartsRunning {
            running,
            after: opts.restart_timeout,
        },
    )
}
