//! `plan`: the steps of a deploy and the capacity left during each, changing nothing.

use crate::commands::checks::check_templates;
use crate::fleet::{select, Fleet};
use crate::steps::{key, steps, Action, Options, ServerRef, StepInfo, Strategy};
use serde::Serialize;

/// One planned step.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanStep {
    /// The step: number, action, servers.
    #[serde(flatten)]
    pub step: StepInfo,
    /// Servers in rotation on the old release while this step runs.
    pub serving_old: usize,
    /// Servers in rotation on the new release while this step runs.
    pub serving_new: usize,
}

/// One proxy of the plan.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanProxy {
    /// The config file.
    pub config: String,
    /// The upstream or backend.
    pub upstream: String,
    /// How swapctl applies changes to it.
    pub applies_by: String,
}

/// What the deploy runs for one server, templates filled.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanCommand {
    /// The server.
    pub server: ServerRef,
    /// `--restart`, filled.
    pub restart: Option<String>,
    /// `--health`, filled.
    pub health: String,
}

/// `plan --json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanReport {
    /// hot-swap or rolling.
    pub strategy: String,
    /// The upstream (names joined when proxies differ).
    pub upstream: String,
    /// Servers in rotation now.
    pub serving: usize,
    /// The proxies.
    pub proxies: Vec<PlanProxy>,
    /// The steps.
    pub steps: Vec<PlanStep>,
    /// Per server: the restart command and the health URL, filled in.
    pub commands: Vec<PlanCommand>,
    /// The bounds: `--health-timeout`, `--restart-timeout`, `--drain-timeout` (and what a drain
    /// timeout does).
    pub timeouts: String,
    /// The canary's gate, in words, when there is one.
    pub canary: Option<String>,
    /// Servers an earlier `out` (or a failed deploy) left out, as the journal records them.
    pub left_out: Vec<ServerRef>,
    /// The same bounds as numbers.
    pub bounds: PlanBounds,
    /// The canary's gate as numbers, when there is one.
    pub gate: Option<PlanGate>,
}

/// The bounds of a deploy, in milliseconds.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanBounds {
    /// `--health-timeout`.
    pub health_timeout_ms: u64,
    /// `--restart-timeout`.
    pub restart_timeout_ms: u64,
    /// `--drain-timeout`.
    pub drain_timeout_ms: u64,
    /// What a drain past its bound does: `stop` or `proceed`.
    pub on_drain_timeout: String,
}

/// The canary gate, in numbers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanGate {
    /// Servers deployed and watched first.
    pub count: usize,
    /// `--observe`, in milliseconds.
    pub observe_ms: u64,
    /// `--observe-max`, in milliseconds.
    pub observe_max_ms: u64,
    /// `--min-requests`.
    pub min_requests: u64,
    /// `--max-error-rate`, in percent.
    pub max_error_rate: f64,
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Builds the plan; templates are checked as a deploy would (exit 2).
pub fn plan(opts: &Options, s: Strategy) -> Result<String, crate::Error> {
    let fleet = Fleet::load(opts, "swapctl plan")?;
    let serving = fleet.serving();
    let servers = select(&serving, &opts.only, "--only", &fleet)?;
    let actions = crate::commands::deploy::with_canary(
        steps(s, &servers, serving.len())?,
        &servers,
        s,
        opts,
        &fleet,
    )?;
    let actions = crate::commands::deploy::one_change_per_step(&fleet, actions)?;
    check_templates(opts, &fleet.all())?;
    crate::commands::checks::check_programs(opts, &fleet.all())?;
    // What the deploy will need on this machine: each proxy's master or admin socket (exit 1).
    fleet.preflight()?;
    let report = PlanReport {
        strategy: s.name().into(),
        upstream: fleet.upstream(),
        serving: serving.len(),
        proxies: fleet
            .members
            .iter()
            .map(|m| PlanProxy {
                config: m.config.display().to_string(),
                upstream: m.upstream.clone(),
                applies_by: m.describe(),
            })
            .collect(),
        steps: capacity(&serving, &actions),
        commands: servers
            .iter()
            .map(|s| {
                let v = crate::adapters::template::Vars::new(&s.upstream, s.name.as_deref(), &s.address);
                PlanCommand {
                    server: s.clone(),
                    restart: opts.restart.as_deref().and_then(|r| v.fill(r).ok()),
                    health: crate::adapters::template::health_url(
                        opts.health.as_deref().unwrap_or("tcp://{address}"),
                        &v,
                    )
                    .unwrap_or_default(),
                }
            })
            .collect(),
        timeouts: format!(
            "health {}, restart {}, drain {} (then {})",
            healthwait::duration::round(opts.health_timeout),
            healthwait::duration::round(opts.restart_timeout),
            healthwait::duration::round(opts.drain_timeout),
            if opts.drain_timeout_proceeds { "proceed" } else { "stop" }
        ),
        bounds: PlanBounds {
            health_timeout_ms: millis(opts.health_timeout),
            restart_timeout_ms: millis(opts.restart_timeout),
            drain_timeout_ms: millis(opts.drain_timeout),
            on_drain_timeout: if opts.drain_timeout_proceeds { "proceed" } else { "stop" }.into(),
        },
        gate: opts.canary.as_ref().map(|g| PlanGate {
            count: g.count,
            observe_ms: millis(g.observe),
            observe_max_ms: millis(g.observe_max),
            min_requests: g.min_requests,
            max_error_rate: g.max_error_rate,
        }),
        canary: opts.canary.as_ref().map(|g| {
            format!(
                "the first {} server(s), watched {} (up to {} until {} requests) for at most {}% errors",
                g.count,
                healthwait::duration::round(g.observe),
                healthwait::duration::round(g.observe_max),
                g.min_requests,
                g.max_error_rate
            )
        }),
        left_out: crate::runner::journal::Journal::load(&opts.configs[0])
            .ok()
            .flatten()
            .map(|j| j.out)
            .unwrap_or_default(),
    };
    if opts.json {
        return Ok(serde_json::to_string_pretty(&report)?);
    }
    let mut out = format!(
        "plan for {} ({} servers serving):\n",
        report.upstream, report.serving
    );
    for p in &report.proxies {
        out.push_str(&format!("  {}: {}\n", p.config, p.applies_by));
    }
    for c in &report.commands {
        out.push_str(&format!(
            "  {}: restart `{}`, health {}\n",
            c.server,
            c.restart.as_deref().unwrap_or("-"),
            c.health
        ));
    }
    out.push_str(&format!("  timeouts: {}\n", report.timeouts));
    if let Some(c) = &report.canary {
        out.push_str(&format!("  canary: {c}\n"));
    }
    if !report.left_out.is_empty() {
        out.push_str(&format!(
            "  left out by an earlier command: {}\n",
            crate::steps::names(&report.left_out)
        ));
    }
    for st in &report.steps {
        out.push_str(&format!(
            "{}. {}   [serving: {} old, {} new]\n",
            st.step.step, st.step.description, st.serving_old, st.serving_new
        ));
    }
    Ok(out)
}

/// Walks the steps: who serves, and on which release, while each runs.
fn capacity(serving: &[crate::steps::ServerRef], actions: &[Action]) -> Vec<PlanStep> {
    // (in rotation, new release) per server.
    let mut state: Vec<(String, bool, bool)> = serving
        .iter()
        .map(|s| (key(&s.address), true, false))
        .collect();
    let mut out = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        match a {
            Action::Out(v) => mark(&mut state, v, |x| x.1 = false),
            Action::Restart(v) => mark(&mut state, v, |x| x.2 = true),
            Action::Swap(i, o) => {
                mark(&mut state, i, |x| x.1 = true);
                mark(&mut state, o, |x| x.1 = false);
            }
            Action::In(v) => mark(&mut state, v, |x| x.1 = true),
            Action::Observe(_) => {}
        }
        out.push(PlanStep {
            step: a.info(i + 1, actions.len()),
            serving_old: state.iter().filter(|x| x.1 && !x.2).count(),
            serving_new: state.iter().filter(|x| x.1 && x.2).count(),
        });
    }
    out
}

fn mark(
    state: &mut [(String, bool, bool)],
    v: &[crate::steps::ServerRef],
    f: impl Fn(&mut (String, bool, bool)),
) {
    for s in v {
        if let Some(x) = state.iter_mut().find(|x| x.0 == key(&s.address)) {
            f(x);
        }
    }
}
