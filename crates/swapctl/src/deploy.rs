//! Deploy strategies as steps, and the runner that carries them out with the failure policy.

use crate::driver::{self, Ctx, Driver};
use crate::journal::{now, Journal, ServerRef, Step};
use crate::template::Vars;
use proxyconf::{Config, ProxyKind, State};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Settings shared by every command.
#[derive(Debug, Clone)]
pub struct Options {
    /// Config file.
    pub config: PathBuf,
    /// nginx or haproxy (detected when None).
    pub kind: Option<ProxyKind>,
    /// Upstream or backend (needed when the config has several).
    pub upstream: Option<String>,
    /// `--restart` template.
    pub restart: Option<String>,
    /// `--health` template (default `tcp://{address}`).
    pub health: Option<String>,
    /// Bound on each health wait.
    pub health_timeout: Duration,
    /// Bound on each restart command.
    pub restart_timeout: Duration,
    /// Bound on new workers and on draining.
    pub drain_timeout: Duration,
    /// `--reload CMD`.
    pub reload: Option<String>,
    /// `rolling --only`: deploy just these servers (address, name, or UPSTREAM/SERVER).
    pub only: Vec<String>,
    /// `-q`: no step lines and no live indicator.
    pub quiet: bool,
    /// `-v`: health checks' state changes too.
    pub verbose: bool,
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
    fn name(self) -> &'static str {
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
}

impl Action {
    fn describe(&self) -> (String, Vec<String>) {
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
        }
    }
}

/// An error with its exit status.
#[derive(Debug)]
pub struct Failure {
    /// Exit status: 1 stopped, 2 usage, 3 locked, 130 interrupted.
    pub code: i32,
    /// What to tell the operator.
    pub message: String,
}

impl Failure {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// The config, the chosen upstream and the servers a deploy restarts (live, enabled, not backup).
pub fn inventory(opts: &Options) -> Result<(Config, String, Vec<ServerRef>), Failure> {
    let cfg = Config::load(&opts.config, opts.kind)
        .map_err(|e| Failure::new(e.exit_code(), e.to_string()))?;
    let names: Vec<String> = {
        let mut n: Vec<String> = cfg.upstreams.iter().map(|u| u.name.clone()).collect();
        n.dedup();
        n
    };
    let upstream = match &opts.upstream {
        Some(u) if names.contains(u) => u.clone(),
        Some(u) => {
            return Err(Failure::new(
                2,
                format!(
                    "no upstream or backend named '{u}'; there are: {}",
                    names.join(", ")
                ),
            ))
        }
        None => {
            let with_servers: Vec<&String> = names
                .iter()
                .filter(|n| cfg.servers.iter().any(|s| &cfg.upstream_of(s).name == *n))
                .collect();
            match with_servers.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(Failure::new(
                        2,
                        format!(
                            "{} has no upstream or backend with servers; check -c (and -k)",
                            opts.config.display()
                        ),
                    ))
                }
                _ => {
                    return Err(Failure::new(
                        2,
                        format!(
                            "the config has several upstreams; pick one with --upstream ({})",
                            names.join(", ")
                        ),
                    ))
                }
            }
        }
    };
    let servers = cfg
        .servers
        .iter()
        .filter(|s| {
            cfg.upstream_of(s).name == upstream
                && s.is_live()
                && s.state == State::Enabled
                && !s.backup
                && s.template.is_none()
        })
        .map(|s| ServerRef {
            upstream: upstream.clone(),
            name: s.name.clone(),
            address: s.address.clone(),
        })
        .collect();
    Ok((cfg, upstream, servers))
}

/// The steps of a strategy over `servers`.
/// `enabled` is how many servers of the upstream serve now (more than `servers` with `--only`).
pub fn steps(
    strategy: Strategy,
    servers: &[ServerRef],
    enabled: usize,
) -> Result<Vec<Action>, Failure> {
    let n = enabled.max(servers.len());
    match strategy {
        Strategy::HotSwap => {
            if n < 2 {
                return Err(Failure::new(
                    2,
                    format!(
                        "hot-swap needs at least 2 enabled servers in the upstream; it has {n}"
                    ),
                ));
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
            if batch == 0 || batch >= n {
                return Err(Failure::new(
                    2,
                    format!(
                        "--batch {batch} would take all {n} enabled servers out at once; use 1..{}",
                        n.saturating_sub(1).max(1)
                    ),
                ));
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

/// Keeps the servers named by `--only` (all when it is empty).
fn only(servers: Vec<ServerRef>, wanted: &[String]) -> Result<Vec<ServerRef>, Failure> {
    if wanted.is_empty() {
        return Ok(servers);
    }
    let norm = |a: &str| proxyconf::address::normalize(a, None);
    let mut kept = Vec::new();
    for w in wanted {
        let bare = w
            .split_once('/')
            .filter(|(u, _)| !u.starts_with("unix"))
            .map_or(w.as_str(), |(_, s)| s);
        let hits: Vec<&ServerRef> = servers
            .iter()
            .filter(|s| s.name.as_deref() == Some(bare) || norm(&s.address) == norm(bare))
            .collect();
        if hits.is_empty() {
            let known: Vec<String> = servers.iter().map(ToString::to_string).collect();
            return Err(Failure::new(
                2,
                format!(
                    "--only {w}: no such enabled server; there are: {}",
                    known.join(", ")
                ),
            ));
        }
        for h in hits {
            if !kept.contains(h) {
                kept.push(h.clone());
            }
        }
    }
    Ok(kept)
}

/// Prints the plan.
pub fn describe(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (what, servers) = a.describe();
            match a {
                Action::Swap(..) => format!("{}. {what}", i + 1),
                _ => format!("{}. {what}: {}", i + 1, servers.join(", ")),
            }
        })
        .collect()
}

/// Runs a deploy; `log` gets one line per step.
pub fn run(
    opts: &Options,
    strategy: Strategy,
    cancel: &AtomicBool,
    log: &mut dyn FnMut(String),
) -> Result<String, Failure> {
    let started = Instant::now();
    let (cfg, upstream, servers) = inventory(opts)?;
    let Some(restart) = opts.restart.clone() else {
        return Err(Failure::new(
            2,
            "a deploy needs --restart 'CMD {port}' to restart each server",
        ));
    };
    let enabled = servers.len();
    let servers = only(servers, &opts.only)?;
    if strategy == Strategy::HotSwap && !opts.only.is_empty() {
        return Err(Failure::new(
            2,
            "--only applies to rolling; hot-swap always swaps the whole upstream",
        ));
    }
    let actions = steps(strategy, &servers, enabled)?;
    // Fail on a bad template before touching anything.
    for s in &servers {
        let v = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
        v.fill(&restart).map_err(|e| Failure::new(2, e))?;
        v.fill(health_template(opts, s))
            .map_err(|e| Failure::new(2, e))?;
    }
    let original = std::fs::read(&opts.config).ok();
    let mut journal = Journal {
        strategy: strategy.name().into(),
        status: "running".into(),
        config: opts.config.clone(),
        upstream: upstream.clone(),
        pid: std::process::id(),
        started: now(),
        updated: now(),
        steps: actions
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let (action, servers) = a.describe();
                Step {
                    n: i + 1,
                    action,
                    servers,
                    state: "pending".into(),
                    millis: None,
                    detail: None,
                }
            })
            .collect(),
        out: Vec::new(),
        failed: Vec::new(),
        message: None,
    };
    journal.save().map_err(|e| Failure::new(1, e))?;
    let ctx = Ctx {
        config: opts.config.clone(),
        kind: cfg.kind,
        reload: opts.reload.clone(),
        drain_timeout: opts.drain_timeout,
        reason: format!("swapctl {} pid {}", strategy.name(), std::process::id()),
    };
    let mut drv = driver::for_config(ctx, &cfg);
    let total = actions.len();
    for (i, action) in actions.iter().enumerate() {
        if cancel.load(Ordering::SeqCst) {
            let msg = account(
                &journal,
                &servers,
                &format!("interrupted before step {}/{total}", i + 1),
                opts,
            );
            journal.status = "interrupted".into();
            journal.message = Some(msg.clone());
            let _ = journal.save();
            return Err(Failure::new(130, msg));
        }
        journal.steps[i].state = "running".into();
        journal.save().map_err(|e| Failure::new(1, e))?;
        let (what, names) = action.describe();
        let label = match action {
            Action::Swap(..) => what.clone(),
            _ => format!("{what} {}", names.join(", ")),
        };
        // Steps wait (restarts, health, workers, drains): say so when one starts, and on a
        // terminal keep the elapsed time live.
        log(format!("starting step {}/{total}: {label}", i + 1));
        let ticker = healthwait::progress::Ticker::start(
            &format!("step {}/{total}: {label}", i + 1),
            opts.quiet,
        );
        let t = Instant::now();
        let result = execute(drv.as_mut(), action, opts, &restart, &mut journal);
        ticker.finish();
        journal.steps[i].millis = Some(t.elapsed().as_millis());
        match result {
            Ok(()) => {
                journal.steps[i].state = "done".into();
                journal.save().map_err(|e| Failure::new(1, e))?;
                log(format!(
                    "step {}/{total} {label}: ok in {}",
                    i + 1,
                    ms(t.elapsed())
                ));
            }
            Err(e) => {
                journal.steps[i].state = "failed".into();
                journal.steps[i].detail = Some(e.clone());
                log(format!(
                    "step {}/{total} {label}: FAILED after {}: {e}",
                    i + 1,
                    ms(t.elapsed())
                ));
                let msg = account(
                    &journal,
                    &servers,
                    &format!("stopped at step {}/{total} ({label}): {e}", i + 1),
                    opts,
                );
                journal.status = "failed".into();
                journal.message = Some(msg.clone());
                let _ = journal.save();
                return Err(Failure::new(1, msg));
            }
        }
    }
    journal.status = "done".into();
    let same = original.is_some() && std::fs::read(&opts.config).ok() == original;
    let msg = format!(
        "{} of {upstream} done in {}: {} server(s) restarted, all back in rotation{}",
        strategy.name(),
        ms(started.elapsed()),
        servers.len(),
        if same {
            "; the config is byte-identical to before"
        } else {
            ""
        }
    );
    journal.message = Some(msg.clone());
    journal.save().map_err(|e| Failure::new(1, e))?;
    Ok(msg)
}

fn execute(
    drv: &mut dyn Driver,
    action: &Action,
    opts: &Options,
    restart: &str,
    j: &mut Journal,
) -> Result<(), String> {
    match action {
        Action::Out(s) => {
            // Journal first: if swapctl dies mid-apply, recover still knows these may be out.
            add(&mut j.out, s);
            j.save()?;
            drv.apply(&[], s)
        }
        Action::Swap(i, o) => {
            add(&mut j.out, o);
            j.save()?;
            drv.apply(i, o)?;
            j.out.retain(|x| !i.contains(x));
            Ok(())
        }
        Action::In(s) => {
            drv.apply(s, &[])?;
            j.out.retain(|x| !s.contains(x));
            Ok(())
        }
        Action::Restart(s) => {
            let results = restart_all(s, opts, restart);
            let failed: Vec<(ServerRef, String)> = s
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
            j.failed = bad;
            if !good.is_empty() && drv.apply(&good, &[]).is_ok() {
                j.out.retain(|x| !good.contains(x));
            }
            Err(failed
                .iter()
                .map(|(s, e)| format!("{s}: {e}"))
                .collect::<Vec<_>>()
                .join("; "))
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

fn health_template<'a>(opts: &'a Options, s: &ServerRef) -> &'a str {
    match &opts.health {
        Some(t) => t,
        None if s.address.starts_with("unix:") => "http://localhost/",
        None => "tcp://{address}",
    }
}

/// Restarts each server (in parallel) and waits until it is healthy.
fn restart_all(servers: &[ServerRef], opts: &Options, restart: &str) -> Vec<Result<(), String>> {
    std::thread::scope(|sc| {
        let hs: Vec<_> = servers
            .iter()
            .map(|s| sc.spawn(move || restart_one(s, opts, restart)))
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("restart thread failed".into()))
            })
            .collect()
    })
}

fn restart_one(s: &ServerRef, opts: &Options, restart: &str) -> Result<(), String> {
    let vars = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
    let cmd = vars.fill(restart)?;
    // Its own process group, so a timeout ends everything it started; stdin closed; its stdout
    // goes to our stderr, so our stdout stays data (`swapctl ... --json | jq`).
    let out = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| format!("cannot pass stderr to the restart command: {e}"))?;
    let mut child = std::process::Command::new("sh")
        .args(["-c", &cmd])
        .envs(vars.env())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(out))
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run restart command: {e}"))?;
    let deadline = Instant::now() + opts.restart_timeout;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if Instant::now() >= deadline {
            end_group(&mut child);
            return Err(format!(
                "restart command did not finish within {}; its process group was ended (TERM, then KILL)",
                healthwait::duration::round(opts.restart_timeout)
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if !status.success() {
        return Err(format!("restart command '{cmd}' failed with {status}"));
    }
    wait_healthy(opts, s, opts.health_timeout)
}

/// Ends a restart command's whole process group: TERM, a short grace, then KILL.
fn end_group(child: &mut std::process::Child) {
    use nix::sys::signal::{killpg, Signal};
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = killpg(pgid, Signal::SIGTERM);
    let grace = Instant::now() + Duration::from_secs(2);
    while Instant::now() < grace {
        if matches!(child.try_wait(), Ok(Some(_))) && killpg(pgid, None).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = child.wait();
}

/// Waits until `s` passes its health check (`--health`, else `tcp://{address}`), polling every 5 ms.
pub(crate) fn wait_healthy(opts: &Options, s: &ServerRef, timeout: Duration) -> Result<(), String> {
    let vars = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
    let url = vars.fill(health_template(opts, s))?;
    let probe_opts = healthwait::ProbeOptions {
        unix_socket: s.address.strip_prefix("unix:").map(PathBuf::from),
        ..Default::default()
    };
    let probe =
        healthwait::Target::parse(&url).and_then(|t| healthwait::Probe::new(t, probe_opts))?;
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
    match healthwait::wait(&[probe], &wait, &AtomicBool::new(false), &mut report) {
        healthwait::Outcome::Passed { .. } => Ok(()),
        healthwait::Outcome::TimedOut { last, .. } => Err(format!(
            "not healthy within {}: {}",
            healthwait::duration::round(timeout),
            last.first().map(|l| l.1.as_str()).unwrap_or("no answer")
        )),
        healthwait::Outcome::Cancelled => Err("health wait cancelled".into()),
    }
}

/// A plain account: what is out, what serves, and the next command.
pub fn account(j: &Journal, servers: &[ServerRef], headline: &str, opts: &Options) -> String {
    let list = |v: &[ServerRef]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let serving: Vec<ServerRef> = servers
        .iter()
        .filter(|s| !j.out.contains(s))
        .cloned()
        .collect();
    let failed = if j.failed.is_empty() {
        String::new()
    } else {
        format!("\n  failed:            {}", list(&j.failed))
    };
    format!(
        "{headline}\n  out of rotation:   {}{failed}\n  serving:           {}\n  next: fix the cause, then `swapctl -c {} --upstream {} recover` brings back what is healthy (or re-run the deploy); `swapctl ... status` shows the journal",
        list(&j.out),
        list(&serving),
        opts.config.display(),
        j.upstream
    )
}

fn ms(d: Duration) -> String {
    healthwait::duration::round(d)
}
