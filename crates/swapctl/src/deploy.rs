//! Deploy strategies as steps, and the runner that carries them out with the failure policy.

use crate::canary::Figures;
use crate::fleet::{key, ApplyError, Fleet};
use crate::journal::{now, Journal, ServerRef, Step};
use crate::report::{Account, ActionKind, Event, Reporter, StepInfo};
use crate::template::{self, Vars};
use crate::Error;
use healthwait::deadline::{self, Deadline, Polled};
use proxyconf::ProxyKind;
use std::fmt::Display;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a server did not become healthy.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// The `--health` template cannot be filled for the server.
    #[error(transparent)]
    Template(#[from] template::Error),
    /// healthwait refuses the URL; its error as text, whatever its type.
    #[error("{reason}")]
    Probe {
        /// Why, as healthwait says it.
        reason: String,
    },
    /// The check did not pass in time.
    #[error("not healthy within {}: {last}", healthwait::duration::round(*within))]
    NotHealthy {
        /// The bound.
        within: Duration,
        /// The last failure healthwait saw ("no answer" when none).
        last: String,
    },
    /// Ctrl-C cut the wait short.
    #[error("interrupted")]
    Interrupted,
    /// Healthy to swapctl (root), but the proxy's workers cannot open its unix socket.
    #[error("healthy, but {0}")]
    WorkersLockedOut(String),
}

impl HealthError {
    /// healthwait cannot build a probe; takes its error as text, whatever its type.
    pub fn probe(reason: impl Display) -> HealthError {
        HealthError::Probe {
            reason: reason.to_string(),
        }
    }
}

/// Why restarting one server failed.
#[derive(Debug, thiserror::Error)]
pub enum RestartError {
    /// The command template cannot be filled for the server.
    #[error(transparent)]
    Template(#[from] template::Error),
    /// swapctl's stderr cannot be handed to the command.
    #[error("cannot pass stderr to the restart command: {0}")]
    Stderr(#[source] std::io::Error),
    /// The command cannot be started.
    #[error("cannot run restart command: {0}")]
    Spawn(#[source] std::io::Error),
    /// Waiting for the command failed.
    #[error(transparent)]
    Wait(std::io::Error),
    /// The command outlived `--restart-timeout`.
    #[error(
        "restart command did not finish within {}; its process group was ended (TERM, then KILL)",
        healthwait::duration::round(*after)
    )]
    TimedOut {
        /// The bound.
        after: Duration,
    },
    /// The command failed.
    #[error("restart command '{command}' failed with {status}")]
    Failed {
        /// The command, placeholders filled.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// The server did not become healthy afterwards.
    #[error(transparent)]
    Health(#[from] HealthError),
    /// The thread that ran it panicked.
    #[error("restart thread failed")]
    Panicked,
}

/// Why one step of a deploy failed (what the journal and the account say about it).
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The journal cannot be written.
    #[error(transparent)]
    Journal(#[from] crate::journal::Error),
    /// The routing change failed (and was undone where it could be).
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The canary gate could not watch.
    #[error(transparent)]
    Canary(#[from] crate::canary::Error),
    /// No request reached the canaries.
    #[error(
        "canary: no request reached {} in {}: the gate cannot see them (does the access log \
         record the location that proxies to them, and does the address match?); the deploy \
         stops with the canaries in rotation",
        names(canaries),
        ms(*window)
    )]
    CanaryBlind {
        /// The canaries.
        canaries: Vec<ServerRef>,
        /// The window.
        window: Duration,
    },
    /// Fewer than `--min-requests` reached the canaries by `--observe-max`.
    #[error(
        "canary: {} reached {} (fewer than --min-requests {min_requests}): the gate cannot judge, \
         and the deploy stops with the canaries in rotation; watch them, then run the deploy again \
         (with --on-unjudged proceed to go on unjudged, or a longer --observe-max)",
        figures.seen_text(),
        names(canaries)
    )]
    CanaryUnjudged {
        /// The canaries.
        canaries: Vec<ServerRef>,
        /// What the window saw.
        figures: Figures,
        /// `--min-requests`.
        min_requests: u64,
    },
    /// The gate failed, and taking the canaries out failed too.
    #[error("canary failed: {figures}; taking the canaries out failed: {source}")]
    CanaryTakeOut {
        /// What the window saw.
        figures: Figures,
        /// Why.
        source: ApplyError,
    },
    /// The gate failed; with no `--rollback`, the canaries stay out.
    #[error(
        "canary failed: {figures}; {} stay out of rotation (no --rollback was given)",
        names(canaries)
    )]
    CanaryKeptOut {
        /// What the window saw.
        figures: Figures,
        /// The canaries.
        canaries: Vec<ServerRef>,
    },
    /// The gate failed and `--rollback` ran.
    #[error(
        "canary failed: {figures}; rolled back {} with --rollback{}; no other server was restarted",
        names(healthy),
        still_out(still)
    )]
    CanaryRolledBack {
        /// What the window saw.
        figures: Figures,
        /// Rolled back, healthy and back in rotation.
        healthy: Vec<ServerRef>,
        /// Still out.
        still: Vec<ServerRef>,
    },
    /// Restarts failed: each server with its reason.
    #[error("{}", restart_failures(.0))]
    Restart(Vec<(ServerRef, RestartError)>),
    /// Ctrl-C came.
    #[error("interrupted")]
    Interrupted,
}

fn still_out(still: &[ServerRef]) -> String {
    if still.is_empty() {
        String::new()
    } else {
        format!(
            "; still out (rollback failed or unhealthy): {}",
            names(still)
        )
    }
}

fn restart_failures(failed: &[(ServerRef, RestartError)]) -> String {
    failed
        .iter()
        .map(|(s, e)| format!("{s}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Settings shared by every command.
#[derive(Debug, Clone)]
pub struct Options {
    /// Config files, one per proxy (`-c` repeated).
    pub configs: Vec<PathBuf>,
    /// nginx or haproxy (detected when None).
    pub kind: Option<ProxyKind>,
    /// Upstream or backend (needed when the config has several).
    pub upstream: Option<String>,
    /// `--restart` template.
    pub restart: Option<String>,
    /// `--health` template (default `tcp://{address}`).
    pub health: Option<String>,
    /// `--health-status`, `--health-body`, ...: what the health check expects, read by
    /// healthwait's own code; `health_args` repeats them in printed next commands.
    pub health_expect: healthwait::ProbeOptions,
    /// The `--health-*` flags as given.
    pub health_args: Vec<String>,
    /// Bound on each health wait.
    pub health_timeout: Duration,
    /// Bound on each restart command.
    pub restart_timeout: Duration,
    /// Bound on new workers and on draining.
    pub drain_timeout: Duration,
    /// `out`, `in`, `status`: without `--upstream`, every upstream that holds servers.
    pub every_upstream: bool,
    /// `--on-drain-timeout proceed`: a drain that outlasts its bound does not stop a deploy.
    pub drain_timeout_proceeds: bool,
    /// `out`: a drain that outlasts its bound leaves the server out and is noted here, never
    /// undone (an out is not a deploy step to roll back).
    pub late_drains: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
    /// `--reload CMD`.
    pub reload: Option<String>,
    /// `--socket`: haproxy's admin socket.
    pub socket: Option<String>,
    /// `--pid-file`: the proxy master's pid file.
    pub pid_file: Option<PathBuf>,
    /// `--prefix`: nginx's `-p`.
    pub prefix: Option<PathBuf>,
    /// `--profile NAME`, repeated in the next command of an account.
    pub profile: Option<String>,
    /// `rolling --only`: deploy just these servers (address, name, or UPSTREAM/SERVER).
    pub only: Vec<String>,
    /// `-q`: no step lines and no live indicator.
    pub quiet: bool,
    /// `-v`: health checks' state changes too.
    pub verbose: bool,
    /// `--json`: events as JSON Lines on stdout.
    pub json: bool,
    /// `rolling --canary ...`: the gate after the first servers.
    pub canary: Option<crate::canary::Gate>,
}

impl Options {
    /// The exact command that runs `subcommand` with these settings (shell-quoted), for accounts.
    pub fn command_for(&self, subcommand: &str) -> String {
        let mut args: Vec<String> = vec!["swapctl".into()];
        if let Some(p) = &self.profile {
            args.extend(["--profile".into(), p.clone()]);
        } else {
            for c in &self.configs {
                args.extend(["-c".into(), c.display().to_string()]);
            }
            match self.kind {
                Some(ProxyKind::Nginx) => args.extend(["-k".into(), "nginx".into()]),
                Some(ProxyKind::Haproxy) => args.extend(["-k".into(), "haproxy".into()]),
                None => {}
            }
            let flags = [
                ("--upstream", &self.upstream),
                ("--socket", &self.socket),
                ("--reload", &self.reload),
            ];
            for (flag, v) in flags {
                if let Some(v) = v {
                    args.extend([flag.into(), v.clone()]);
                }
            }
            for (flag, v) in [("--pid-file", &self.pid_file), ("--prefix", &self.prefix)] {
                if let Some(v) = v {
                    args.extend([flag.into(), v.display().to_string()]);
                }
            }
            if subcommand == "resume" {
                if let Some(r) = &self.restart {
                    args.extend(["--restart".into(), r.clone()]);
                }
            }
            if let Some(h) = self.health.as_ref().filter(|_| subcommand != "status") {
                args.extend(["--health".into(), h.clone()]);
                args.extend(self.health_args.iter().cloned());
            }
        }
        // With a profile, the command stays the one sudoers pins: the profile holds the bounds.
        if subcommand != "status" && self.profile.is_none() {
            let defaults = [
                ("--health-timeout", self.health_timeout, 60),
                ("--restart-timeout", self.restart_timeout, 120),
                ("--drain-timeout", self.drain_timeout, 30),
            ];
            for (flag, d, default) in defaults {
                if d != Duration::from_secs(default) {
                    args.extend([flag.into(), humantime::format_duration(d).to_string()]);
                }
            }
            if self.drain_timeout_proceeds {
                args.extend(["--on-drain-timeout".into(), "proceed".into()]);
            }
        }
        args.extend(subcommand.split_whitespace().map(String::from));
        shell_words::join(args)
    }
}

/// Which deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Halves, swapped in one edit.
    HotSwap,
    /// N servers at a time.
    Rolling(usize),
}

impl Strategy {
    /// `hot-swap` or `rolling`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::HotSwap => "hot-swap",
            Strategy::Rolling(_) => "rolling",
        }
    }
}

/// One planned step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Take these out (edit, apply, drain).
    Out(Vec<ServerRef>),
    /// Restart these and wait until they are healthy.
    Restart(Vec<ServerRef>),
    /// In one edit and one apply: bring `0` in and take `1` out.
    Swap(Vec<ServerRef>, Vec<ServerRef>),
    /// Bring these back.
    In(Vec<ServerRef>),
    /// Watch these canaries' error rate; roll them back when it is over the limit.
    Observe(Vec<ServerRef>),
}

impl Action {
    /// The step this action is, as events, the journal and `plan` show it.
    pub fn info(&self, step: usize, total: usize) -> StepInfo {
        let (kind, servers, bring_in, take_out) = match self {
            Action::Out(s) => (ActionKind::TakeOut, s.clone(), vec![], vec![]),
            Action::Restart(s) => (ActionKind::Restart, s.clone(), vec![], vec![]),
            Action::Swap(i, o) => (
                ActionKind::Swap,
                i.iter().chain(o).cloned().collect(),
                i.clone(),
                o.clone(),
            ),
            Action::In(s) => (ActionKind::BringIn, s.clone(), vec![], vec![]),
            Action::Observe(s) => (ActionKind::Observe, s.clone(), vec![], vec![]),
        };
        StepInfo {
            step,
            total,
            action: kind,
            description: label(self),
            servers,
            bring_in,
            take_out,
        }
    }

    /// What it does, and the servers it acts on.
    pub fn describe(&self) -> (String, Vec<String>) {
        let names = |v: &[ServerRef]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        match self {
            Action::Out(s) => ("take out".into(), names(s)),
            Action::Restart(s) => ("restart + health check".into(), names(s)),
            Action::Swap(i, o) => (
                format!(
                    "swap: bring in {} / take out {}",
                    names(i).join(", "),
                    names(o).join(", ")
                ),
                names(i).into_iter().chain(names(o)).collect(),
            ),
            Action::In(s) => ("bring in".into(), names(s)),
            Action::Observe(s) => ("observe the canary error rate".into(), names(s)),
        }
    }
}

/// The steps of a strategy over `servers`.
/// `enabled` is how many servers of the upstream serve now (more than `servers` with `--only`).
pub fn steps(
    strategy: Strategy,
    servers: &[ServerRef],
    enabled: usize,
) -> Result<Vec<Action>, Error> {
    let n = enabled.max(servers.len());
    match strategy {
        Strategy::HotSwap => {
            if n < 2 {
                return Err(Error::HotSwapTooFew { enabled: n });
            }
            let (a, b) = servers.split_at(n.div_ceil(2));
            Ok(vec![
                Action::Out(a.to_vec()),
                Action::Restart(a.to_vec()),
                Action::Swap(a.to_vec(), b.to_vec()),
                Action::Restart(b.to_vec()),
                Action::In(b.to_vec()),
            ])
        }
        Strategy::Rolling(batch) => {
            if batch == 0 {
                return Err(Error::BatchZero);
            }
            if batch >= n {
                return Err(Error::BatchTooLarge { batch, enabled: n });
            }
            Ok(servers
                .chunks(batch)
                .flat_map(|c| {
                    [
                        Action::Out(c.to_vec()),
                        Action::Restart(c.to_vec()),
                        Action::In(c.to_vec()),
                    ]
                })
                .collect())
        }
    }
}

/// Bringing a batch back and taking the next one out is one routing change (one reload on nginx),
/// as hot-swap's swap is: an `In(a)` followed by an `Out(b)` becomes `Swap(a, b)`. Nothing else
/// moves: a restart still runs only once its servers are out, and the canary's watch still
/// follows its servers' return.
pub fn fuse(actions: Vec<Action>) -> Vec<Action> {
    let mut out = Vec::with_capacity(actions.len());
    let mut rest = actions.into_iter().peekable();
    while let Some(a) = rest.next() {
        if let Action::In(back) = &a {
            if let Some(Action::Out(next)) = rest.next_if(|n| matches!(n, Action::Out(_))) {
                out.push(Action::Swap(back.clone(), next));
                continue;
            }
        }
        out.push(a);
    }
    out
}

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
        return Err(Error::CanaryOnHotSwap);
    };
    if gate.count == 0 || gate.count >= servers.len() {
        return Err(Error::CanaryCount {
            count: gate.count,
            servers: servers.len(),
        });
    }
    crate::canary::sources_check(fleet, gate).map_err(Error::CanarySetup)?;
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

/// The servers of `pool` that `wanted` names (all of `pool` when it is empty), by the engine's
/// selector rules on every proxy; `flag` names the argument in errors.
pub fn select(
    pool: &[ServerRef],
    wanted: &[String],
    flag: &str,
    fleet: &Fleet,
) -> Result<Vec<ServerRef>, Error> {
    if wanted.is_empty() {
        return Ok(pool.to_vec());
    }
    let mut kept = Vec::new();
    for w in wanted {
        let hits = fleet.named(w).map_err(|source| Error::Selector {
            flag: flag.to_string(),
            wanted: w.clone(),
            source: Box::new(source),
        })?;
        let hits: Vec<&ServerRef> = pool
            .iter()
            .filter(|p| hits.iter().any(|h| key(&h.address) == key(&p.address)))
            .collect();
        if hits.is_empty() {
            return Err(Error::NoSuchServer {
                flag: flag.to_string(),
                wanted: w.clone(),
                known: pool.iter().map(ToString::to_string).collect(),
            });
        }
        for h in hits {
            if !kept.contains(h) {
                kept.push(h.clone());
            }
        }
    }
    Ok(kept)
}

/// What a runner needs besides the plan.
pub struct Runner<'a> {
    /// Settings.
    pub opts: &'a Options,
    /// The proxies.
    pub fleet: Fleet,
    /// Written at every step.
    pub journal: Journal,
    /// Ctrl-C.
    pub cancel: &'a AtomicBool,
    /// Where events go.
    pub reporter: Reporter,
    /// Out before this command began (an earlier `out`): an interrupt leaves them out.
    pub carried: Vec<ServerRef>,
    /// The canary gate failed and rolled back.
    pub rolled_back: bool,
}

impl<'a> Runner<'a> {
    /// A runner with nothing carried over and no rollback yet.
    pub fn new(
        opts: &'a Options,
        fleet: Fleet,
        journal: Journal,
        cancel: &'a AtomicBool,
        reporter: Reporter,
    ) -> Self {
        Runner {
            opts,
            fleet,
            journal,
            cancel,
            reporter,
            carried: Vec::new(),
            rolled_back: false,
        }
    }

    /// The canary gate: watch, and when the error rate is over the limit, take the canaries
    /// out, run `--rollback` for each, and bring back those that are healthy.
    fn observe(&mut self, canaries: &[ServerRef]) -> Result<(), StepError> {
        let Some(gate) = self.opts.canary.clone() else {
            return Ok(());
        };
        use crate::canary::Verdict;
        let figures = match crate::canary::observe(&self.fleet, &gate, canaries, self.cancel)? {
            // Nothing seen is never a pass, whatever --min-requests or --on-unjudged say: the
            // gate cannot see the canaries (a log that does not record them).
            Verdict::Judged(f) | Verdict::Unjudged(f) if f.seen.requests == 0 => {
                return Err(StepError::CanaryBlind {
                    canaries: canaries.to_vec(),
                    window: f.window,
                });
            }
            Verdict::Judged(f) if f.seen.rate() <= gate.max_error_rate => {
                self.reporter.emit(&Event::Note {
                    message: format!("canary passed: {f}"),
                });
                return Ok(());
            }
            Verdict::Judged(f) | Verdict::TooManyErrors(f) => f,
            Verdict::Unjudged(f) if gate.proceed_unjudged => {
                self.reporter.emit(&Event::Note {
                    message: format!(
                        "canary: {} reached {} (fewer than --min-requests {}): the gate cannot judge; going on as --on-unjudged proceed asks",
                        f.seen_text(),
                        names(canaries),
                        gate.min_requests
                    ),
                });
                return Ok(());
            }
            Verdict::Unjudged(figures) => {
                return Err(StepError::CanaryUnjudged {
                    canaries: canaries.to_vec(),
                    figures,
                    min_requests: gate.min_requests,
                });
            }
        };
        self.rolled_back = true;
        let never = AtomicBool::new(false);
        add(&mut self.journal.out, canaries);
        self.journal.deployed.retain(|d| !canaries.contains(d));
        // Recorded before anything is undone, so a kill during the rollback cannot make the
        // rest of the deploy look resumable.
        self.journal.status = "rolled-back".into();
        self.journal.save()?;
        if let Err(source) = self.fleet.apply(&[], canaries, &never) {
            return Err(StepError::CanaryTakeOut { figures, source });
        }
        let Some(rollback) = gate.rollback.clone() else {
            return Err(StepError::CanaryKeptOut {
                figures,
                canaries: canaries.to_vec(),
            });
        };
        let results = run_all(canaries, self.opts, &rollback, &never);
        let healthy: Vec<ServerRef> = canaries
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_ok())
            .map(|(s, _)| s.clone())
            .collect();
        if !healthy.is_empty() && self.fleet.apply(&healthy, &[], &never).is_ok() {
            self.journal.out.retain(|x| !healthy.contains(x));
        }
        Err(StepError::CanaryRolledBack {
            figures,
            healthy,
            still: self.journal.out.clone(),
        })
    }
}

/// The reason written into the markers of what swapctl takes out.
pub fn reason(what: &str) -> String {
    format!("swapctl {what} pid {}", std::process::id())
}

/// Refuses a bad template before anything changes: unknown placeholders, `{port}` of a
/// unix-socket server, a health URL without a scheme.
pub fn check_templates(opts: &Options, servers: &[ServerRef]) -> Result<(), Error> {
    let bad = |flag| move |source| Error::Template { flag, source };
    for s in servers {
        let v = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
        if let Some(r) = &opts.restart {
            v.fill(r).map_err(bad("--restart"))?;
        }
        if let Some(r) = opts.canary.as_ref().and_then(|g| g.rollback.as_ref()) {
            v.fill(r).map_err(bad("--rollback"))?;
        }
        let url = template::health_url(health_template(opts, s), &v).map_err(bad("--health"))?;
        let target = healthwait::Target::parse(&url).map_err(|e| Error::health_target(s, e))?;
        // An expectation the target cannot have (a status for a tcp:// check) is refused here.
        let expect = healthwait::ProbeOptions {
            unix_socket: template::unix_path(&s.address)
                .filter(|_| url.starts_with("http://"))
                .map(PathBuf::from),
            ..opts.health_expect.clone()
        };
        if opts.health_args.iter().any(|a| a.starts_with("--health-")) {
            if !matches!(target, healthwait::target::Target::Http { .. }) {
                return Err(Error::health_target(
                    s,
                    format!("--health-* expectations need an http(s):// --health, not {target}"),
                ));
            }
            healthwait::Probe::new(target, expect).map_err(|e| Error::health_target(s, e))?;
        }
    }
    Ok(())
}

/// Words `sh` runs without looking a program up.
const SHELL_WORDS: &[&str] = &[
    "!", ".", ":", "[", "{", "(", "case", "cd", "command", "echo", "eval", "exec", "exit",
    "export", "false", "for", "if", "kill", "printf", "set", "test", "trap", "true", "ulimit",
    "umask", "until", "wait", "while",
];

/// The program a filled command starts (after `VAR=value` words), when it is one `sh` must find;
/// Err names it when it does not exist or cannot be run. Refused before anything changes: else
/// the deploy fails after a server is already out.
pub fn check_programs(opts: &Options, servers: &[ServerRef]) -> Result<(), Error> {
    let templates = [
        ("--restart", opts.restart.as_deref()),
        (
            "--rollback",
            opts.canary.as_ref().and_then(|g| g.rollback.as_deref()),
        ),
    ];
    for (flag, template) in templates {
        let (Some(template), Some(s)) = (template, servers.first()) else {
            continue;
        };
        let v = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
        let Ok(cmd) = v.fill(template) else {
            continue;
        };
        let Ok(words) = shell_words::split(&cmd) else {
            continue;
        };
        // `NAME=value` words set the environment, whatever the value holds.
        let assignment = |w: &str| {
            w.split_once('=').is_some_and(|(name, _)| {
                name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        };
        let Some(program) = words.iter().find(|w| !assignment(w)) else {
            continue;
        };
        if SHELL_WORDS.contains(&program.as_str()) || program.contains(['$', '`']) {
            continue;
        }
        let runnable = |p: &std::path::Path| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        };
        let found = if program.contains('/') {
            runnable(std::path::Path::new(program))
        } else {
            std::env::var_os("PATH").is_some_and(|path| {
                std::env::split_paths(&path).any(|d| runnable(&d.join(program)))
            })
        };
        if !found {
            return Err(Error::NoProgram {
                flag,
                program: program.clone(),
            });
        }
    }
    Ok(())
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
    Runner::new(opts, fleet, journal, cancel, reporter).execute(&actions, strategy.name())
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
    Runner::new(opts, fleet, journal, cancel, reporter).execute(&actions, "resume")
}

/// Waits (up to `--restart-timeout`) for restarts a killed swapctl left running on this journal,
/// before anything touches their servers.
pub fn wait_for_orphans(
    opts: &Options,
    cancel: &AtomicBool,
    reporter: &Reporter,
) -> Result<(), Error> {
    let journal = crate::journal::journal_path(&opts.configs[0]);
    let note = |message: String| reporter.emit(&Event::Note { message });
    crate::orphans::wait(&journal, &[], opts.restart_timeout, cancel, &note).map_err(|running| {
        Error::RestartsRunning {
            running,
            after: opts.restart_timeout,
        }
    })
}

fn label(action: &Action) -> String {
    let (what, names) = action.describe();
    match action {
        Action::Swap(..) => what,
        _ => format!("{what} {}", names.join(", ")),
    }
}

impl Runner<'_> {
    /// Carries out `actions` with the failure policy; the journal is written at every step.
    pub fn execute(mut self, actions: &[Action], what: &str) -> Result<String, Error> {
        let started = Instant::now();
        let originals: Vec<Option<Vec<u8>>> = self
            .opts
            .configs
            .iter()
            .map(|c| std::fs::read(c).ok())
            .collect();
        self.journal.save()?;
        let total = actions.len();
        // A journal that cannot be written (a full disk) stops the deploy like a failed step:
        // what is healthy comes back, and the account is printed.
        macro_rules! persist {
            ($step:expr) => {
                if let Err(e) = self.journal.save() {
                    return Err(self.journal_failed($step, total, e));
                }
            };
        }
        for (i, action) in actions.iter().enumerate() {
            if self.cancel.load(Ordering::SeqCst) {
                return Err(self.interrupted(&format!("interrupted before step {}/{total}", i + 1)));
            }
            self.journal.steps[i].state = "running".into();
            persist!(i + 1);
            let info = action.info(i + 1, total);
            let step_label = info.description.clone();
            self.reporter.emit(&Event::StepStarted(info.clone()));
            // On a terminal, keep the elapsed time of this (waiting) step live.
            let ticker = healthwait::progress::Ticker::start(
                &format!("step {}/{total}: {step_label}", i + 1),
                self.opts.quiet || self.opts.json,
            );
            let t = Instant::now();
            let result = self.step(action);
            ticker.finish();
            let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.journal.steps[i].millis = Some(millis);
            match result {
                Ok(()) => {
                    self.journal.steps[i].state = "done".into();
                    persist!(i + 1);
                    self.reporter.emit(&Event::StepDone { step: info, millis });
                }
                Err(_) if self.cancel.load(Ordering::SeqCst) => {
                    self.journal.steps[i].state = "interrupted".into();
                    return Err(self.interrupted(&format!(
                        "interrupted at step {}/{total} ({step_label})",
                        i + 1
                    )));
                }
                Err(cause) => {
                    self.journal.steps[i].state = "failed".into();
                    self.journal.steps[i].detail = Some(cause.to_string());
                    self.reporter.emit(&Event::StepFailed {
                        step: info,
                        millis,
                        reason: cause.to_string(),
                    });
                    if self.rolled_back {
                        let err = Error::RolledBack {
                            step: i + 1,
                            total,
                            cause: Box::new(cause),
                            out: self.journal.out.clone(),
                        };
                        self.journal.status = "rolled-back".into();
                        self.journal.message = Some(err.to_string());
                        let _ = self.journal.save();
                        return Err(err);
                    }
                    let account = account(
                        &self.journal,
                        &self.fleet,
                        &format!("stopped at step {}/{total} ({step_label}): {cause}", i + 1),
                        self.opts,
                    );
                    self.journal.status = "failed".into();
                    self.journal.message = Some(account.text.clone());
                    let _ = self.journal.save();
                    return Err(Error::Stopped {
                        step: i + 1,
                        total,
                        cause: Box::new(cause),
                        account: Box::new(account),
                    });
                }
            }
        }
        self.journal.status = "done".into();
        let same = originals
            .iter()
            .zip(&self.opts.configs)
            .all(|(o, c)| o.is_some() && std::fs::read(c).ok() == *o);
        let msg = if matches!(what, "out" | "in") {
            format!(
                "{what} {} done in {}",
                names(&self.journal.steps[0].servers),
                ms(started.elapsed())
            )
        } else {
            format!(
                "{what} of {} done in {}: {} server(s) restarted, all back in rotation{}",
                self.fleet.upstream(),
                ms(started.elapsed()),
                self.journal
                    .steps
                    .iter()
                    .filter(|s| s.action == ActionKind::Restart)
                    .map(|s| s.servers.len())
                    .sum::<usize>(),
                match (same, self.opts.configs.len()) {
                    (true, 1) => "; the config is byte-identical to before",
                    (true, _) => "; every config is byte-identical to before",
                    _ => "",
                }
            )
        };
        self.journal.message = Some(msg.clone());
        if let Err(e) = self.journal.save() {
            // Everything is done and back: only the record is behind.
            self.reporter.emit(&Event::Note {
                message: format!("{e}: `status` may still show this deploy as running"),
            });
        }
        Ok(msg)
    }

    /// One step; the journal records what is out before anything is taken out, so a kill at
    /// any moment leaves `recover` knowing.
    fn step(&mut self, action: &Action) -> Result<(), StepError> {
        let cancel = self.cancel;
        let apply = |fleet: &mut Fleet, j: &mut Journal, i: &[ServerRef], o: &[ServerRef]| {
            fleet.apply(i, o, cancel).map_err(|e| {
                if e.undone {
                    j.out.retain(|x| !o.contains(x));
                }
                StepError::Apply(e)
            })
        };
        match action {
            Action::Out(s) => {
                self.record_out(s)?;
                apply(&mut self.fleet, &mut self.journal, &[], s)
            }
            Action::Swap(i, o) => {
                self.record_out(o)?;
                apply(&mut self.fleet, &mut self.journal, i, o)?;
                self.journal.out.retain(|x| !i.contains(x));
                add(&mut self.journal.deployed, i);
                Ok(())
            }
            Action::In(s) => {
                apply(&mut self.fleet, &mut self.journal, s, &[])?;
                self.journal.out.retain(|x| !s.contains(x));
                add(&mut self.journal.deployed, s);
                Ok(())
            }
            Action::Observe(s) => self.observe(s),
            Action::Restart(s) => {
                let results: Vec<Result<(), RestartError>> = restart_all(s, self.opts, cancel)
                    .into_iter()
                    .zip(s)
                    .map(|(r, srv)| {
                        r.and_then(|()| {
                            self.fleet
                                .workers_can_open(srv)
                                .map_err(|why| HealthError::WorkersLockedOut(why).into())
                        })
                    })
                    .collect();
                if cancel.load(Ordering::SeqCst) {
                    return Err(StepError::Interrupted);
                }
                let failed: Vec<(ServerRef, RestartError)> = s
                    .iter()
                    .zip(results)
                    .filter_map(|(srv, r)| r.err().map(|e| (srv.clone(), e)))
                    .collect();
                if failed.is_empty() {
                    return Ok(());
                }
                // Failure policy: only the failed ones stay out; the healthy ones of this batch come back.
                let bad: Vec<ServerRef> = failed.iter().map(|(s, _)| s.clone()).collect();
                let good: Vec<ServerRef> = s.iter().filter(|x| !bad.contains(x)).cloned().collect();
                self.journal.failed = bad;
                let never = AtomicBool::new(false);
                if !good.is_empty() && self.fleet.apply(&good, &[], &never).is_ok() {
                    self.journal.out.retain(|x| !good.contains(x));
                    add(&mut self.journal.deployed, &good);
                }
                Err(StepError::Restart(failed))
            }
        }
    }

    /// Records `s` as out before it is taken out; when that cannot be written, nothing is.
    fn record_out(&mut self, s: &[ServerRef]) -> Result<(), StepError> {
        let before = self.journal.out.clone();
        add(&mut self.journal.out, s);
        self.journal.save().map_err(|e| {
            self.journal.out = before;
            StepError::from(e)
        })
    }

    /// The journal cannot be written: stop as after a failed step. What this deploy has out and
    /// is healthy comes back, the account names the journal, exit 1.
    fn journal_failed(&mut self, step: usize, total: usize, e: crate::journal::Error) -> Error {
        self.journal.steps[step - 1].state = "failed".into();
        self.bring_back_healthy("the journal cannot be written");
        let account = account(
            &self.journal,
            &self.fleet,
            &format!("stopped at step {step}/{total}: {e}; nothing more is changed"),
            self.opts,
        );
        self.journal.status = "failed".into();
        self.journal.message = Some(account.text.clone());
        // Worth one more try: a little space may have come free.
        let _ = self.journal.save();
        Error::Stopped {
            step,
            total,
            cause: Box::new(StepError::from(e)),
            account: Box::new(account),
        }
    }

    /// After the first Ctrl-C: bring back what this deploy took out and is healthy now (a short,
    /// bounded check each), journal, and return exit 130 with the account.
    fn interrupted(&mut self, headline: &str) -> Error {
        self.bring_back_healthy("interrupted");
        let account = account(&self.journal, &self.fleet, headline, self.opts);
        self.journal.status = "interrupted".into();
        self.journal.message = Some(account.text.clone());
        let _ = self.journal.save();
        Error::Interrupted {
            account: Box::new(account),
        }
    }

    /// Brings back what this deploy took out and is healthy now (a short, bounded check each).
    fn bring_back_healthy(&mut self, why: &str) {
        let never = AtomicBool::new(false);
        let out: Vec<ServerRef> = self
            .journal
            .out
            .iter()
            .filter(|s| !self.carried.contains(s))
            .cloned()
            .collect();
        let bound = self.opts.health_timeout.min(Duration::from_secs(5));
        if !out.is_empty() {
            self.reporter.emit(&Event::Note {
                message: format!(
                    "{why}: checking {} for up to {} before bringing it back",
                    names(&out),
                    ms(bound)
                ),
            });
        }
        let healthy: Vec<ServerRef> = out
            .iter()
            .filter(|s| wait_healthy(self.opts, s, bound, &never).is_ok())
            .cloned()
            .collect();
        if !healthy.is_empty() {
            match self.fleet.apply(&healthy, &[], &never) {
                Ok(()) => self.journal.out.retain(|x| !healthy.contains(x)),
                Err(e) => self.reporter.emit(&Event::Note {
                    message: format!("bringing back {} failed: {e}", names(&healthy)),
                }),
            }
        }
    }
}

impl Journal {
    /// A fresh journal for a command over `fleet`.
    pub fn start(
        strategy: &str,
        opts: &Options,
        fleet: &Fleet,
        actions: &[Action],
        servers: Vec<ServerRef>,
        batch: Option<usize>,
    ) -> Journal {
        Journal {
            strategy: strategy.into(),
            status: "running".into(),
            config: opts.configs[0].clone(),
            configs: opts.configs.clone(),
            batch,
            servers,
            deployed: Vec::new(),
            upstream: fleet.upstream(),
            pid: std::process::id(),
            started: now(),
            updated: now(),
            steps: actions
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let info = a.info(i + 1, actions.len());
                    Step {
                        step: i + 1,
                        action: info.action,
                        description: info.description,
                        servers: info.servers,
                        state: "pending".into(),
                        millis: None,
                        detail: None,
                    }
                })
                .collect(),
            out: Vec::new(),
            failed: Vec::new(),
            message: None,
            // A mode change is kept across deploys: recover needs it.
            mode_change: Journal::load(&opts.configs[0])
                .ok()
                .flatten()
                .and_then(|j| j.mode_change),
            settings: Some(crate::journal::Settings {
                restart: opts.restart.clone(),
                health: opts.health.clone(),
                health_timeout: Some(humantime::format_duration(opts.health_timeout).to_string()),
                restart_timeout: Some(humantime::format_duration(opts.restart_timeout).to_string()),
                drain_timeout: Some(humantime::format_duration(opts.drain_timeout).to_string()),
                on_drain_timeout: Some(
                    if opts.drain_timeout_proceeds {
                        "proceed"
                    } else {
                        "stop"
                    }
                    .into(),
                ),
                reload: opts.reload.clone(),
                socket: opts.socket.clone(),
                pid_file: opts.pid_file.clone(),
                prefix: opts.prefix.clone(),
                health_args: opts.health_args.clone(),
            }),
        }
    }
}

fn add(set: &mut Vec<ServerRef>, s: &[ServerRef]) {
    for x in s {
        if !set.contains(x) {
            set.push(x.clone());
        }
    }
}

fn health_template<'a>(opts: &'a Options, _s: &ServerRef) -> &'a str {
    opts.health.as_deref().unwrap_or("tcp://{address}")
}

/// Restarts each server (in parallel) and waits until it is healthy.
fn restart_all(
    servers: &[ServerRef],
    opts: &Options,
    cancel: &AtomicBool,
) -> Vec<Result<(), RestartError>> {
    let template = opts.restart.as_deref().unwrap_or_default();
    run_all(servers, opts, template, cancel)
}

/// Runs `template` for each server (in parallel) and waits until each is healthy.
fn run_all(
    servers: &[ServerRef],
    opts: &Options,
    template: &str,
    cancel: &AtomicBool,
) -> Vec<Result<(), RestartError>> {
    std::thread::scope(|sc| {
        let hs: Vec<_> = servers
            .iter()
            .map(|s| sc.spawn(move || restart_one(s, opts, template, cancel)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or(Err(RestartError::Panicked)))
            .collect()
    })
}

/// Runs the restart command (never cut short by Ctrl-C: an app must not be left half-restarted),
/// then waits until the server is healthy.
fn restart_one(
    s: &ServerRef,
    opts: &Options,
    template: &str,
    cancel: &AtomicBool,
) -> Result<(), RestartError> {
    let vars = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
    let cmd = vars.fill(template)?;
    // Its own process group, so a timeout ends everything it started and the terminal's Ctrl-C
    // does not reach it; stdin closed; its stdout goes to our stderr, so our stdout stays data.
    let out = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_err(RestartError::Stderr)?;
    let mut child = std::process::Command::new("sh")
        .args(["-c", &cmd])
        .envs(vars.env())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(out))
        .process_group(0)
        .spawn()
        .map_err(RestartError::Spawn)?;
    // Kept beside the journal while it runs, so a recover after a kill waits for it.
    let _running = crate::orphans::record(
        &crate::journal::journal_path(&opts.configs[0]),
        child.id() as i32,
        &s.address,
        &cmd,
    );
    // Ctrl-C does not cut it short: only --restart-timeout does.
    let never = AtomicBool::new(false);
    let finished = deadline::poll(
        Deadline::after(opts.restart_timeout),
        Duration::from_millis(2),
        &never,
        || match child.try_wait() {
            Ok(Some(st)) => Ok(Ok(st)),
            Ok(None) => Err(()),
            Err(e) => Ok(Err(e)),
        },
    );
    let status = match finished {
        Polled::Ready(st) => st.map_err(RestartError::Wait)?,
        Polled::Late(()) | Polled::Cancelled => {
            end_group(&mut child);
            return Err(RestartError::TimedOut {
                after: opts.restart_timeout,
            });
        }
    };
    if !status.success() {
        return Err(RestartError::Failed {
            command: cmd,
            status,
        });
    }
    Ok(wait_healthy(opts, s, opts.health_timeout, cancel)?)
}

/// Ends a restart command's whole process group: TERM, a short grace, then KILL.
fn end_group(child: &mut std::process::Child) {
    use nix::sys::signal::{killpg, Signal};
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = killpg(pgid, Signal::SIGTERM);
    let never = AtomicBool::new(false);
    let gone = deadline::poll(
        Deadline::after(Duration::from_secs(2)),
        Duration::from_millis(20),
        &never,
        || {
            if matches!(child.try_wait(), Ok(Some(_))) && killpg(pgid, None).is_err() {
                Ok(())
            } else {
                Err(())
            }
        },
    );
    if gone == Polled::Ready(()) {
        return;
    }
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = child.wait();
}

/// Waits until `s` passes its health check (`--health`, else `tcp://{address}`), polling every 5 ms.
pub(crate) fn wait_healthy(
    opts: &Options,
    s: &ServerRef,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<(), HealthError> {
    let vars = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
    let url = template::health_url(health_template(opts, s), &vars)?;
    // A unix-socket server checked with a fixed URL (`http://localhost/up`) is asked over its socket.
    let probe_opts = healthwait::ProbeOptions {
        unix_socket: template::unix_path(&s.address)
            .filter(|_| url.starts_with("http://"))
            .map(PathBuf::from),
        ..opts.health_expect.clone()
    };
    // healthwait's errors are taken as text, whatever their type.
    let target = healthwait::Target::parse(&url).map_err(HealthError::probe)?;
    let probe = healthwait::Probe::new(target, probe_opts).map_err(HealthError::probe)?;
    // A local probe every 5 ms is cheap, and every millisecond here is deploy time.
    let wait = healthwait::WaitOptions {
        timeout,
        interval: Some(Duration::from_millis(5)),
        ..Default::default()
    };
    let mut report = |c: &healthwait::Change| {
        if opts.verbose {
            eprintln!(
                "swapctl:   {}: {} [{}]",
                c.target,
                c.detail,
                healthwait::duration::round(c.elapsed)
            );
        }
    };
    match healthwait::wait(&[probe], &wait, cancel, &mut report) {
        healthwait::Outcome::Passed { .. } => Ok(()),
        healthwait::Outcome::TimedOut { last, .. } => Err(HealthError::NotHealthy {
            within: timeout,
            last: last
                .first()
                .map_or_else(|| "no answer".to_string(), |l| l.1.to_string()),
        }),
        healthwait::Outcome::Cancelled => Err(HealthError::Interrupted),
    }
}

/// Servers as a list, or "none".
pub fn names(v: &[ServerRef]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A plain account: what is out, what failed, what serves, and the exact next commands.
pub fn account(j: &Journal, fleet: &Fleet, headline: &str, opts: &Options) -> Account {
    let serving: Vec<ServerRef> = fleet
        .all()
        .into_iter()
        .filter(|s| !j.out.iter().any(|o| key(&o.address) == key(&s.address)))
        .collect();
    let failed = if j.failed.is_empty() {
        String::new()
    } else {
        format!("\n  failed:            {}", names(&j.failed))
    };
    let mut next = String::new();
    let mut commands = Vec::new();
    if j.out.is_empty() && j.failed.is_empty() {
        next.push_str("\n  nothing is out of rotation");
    }
    if matches!(j.strategy.as_str(), "hot-swap" | "rolling" | "resume") {
        commands.push(opts.command_for("resume"));
        next.push_str(&format!(
            "\n  next: fix the cause, then go on with the deploy (the servers left out first):\n    {}",
            opts.command_for("resume")
        ));
    }
    if !j.out.is_empty() {
        commands.push(opts.command_for("recover"));
        next.push_str(&format!(
            "\n  or bring back only what is healthy now:\n    {}",
            opts.command_for("recover")
        ));
    }
    let text = format!(
        "{headline}\n  out of rotation:   {}{failed}\n  serving:           {}{next}\n  `{}` shows the journal",
        names(&j.out),
        names(&serving),
        opts.command_for("status")
    );
    Account {
        text,
        out: j.out.clone(),
        failed: j.failed.clone(),
        serving,
        next: commands,
    }
}

fn ms(d: Duration) -> String {
    healthwait::duration::round(d)
}
