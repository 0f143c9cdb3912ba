//! Proxy drivers: make one change to which servers are routable, and return once it is in effect
//! and the servers taken out carry none of that proxy's connections.

use crate::adapters::procwatch;
use crate::adapters::runtime::{Runtime, SetupError};
use crate::steps::ServerRef;
use proxyconf::{commit, plan, Config, ProxyKind, Request, Selector};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

/// Why a routing change (or a reload) could not be applied and confirmed on one proxy.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A server could not be named to the engine.
    #[error("{}", hotswap_cli::engine::describe(.0))]
    Selector(#[source] Box<proxyconf::Error>),
    /// The engine refused or failed the config edit (nothing was written).
    #[error("editing {}: {}", config.display(), hotswap_cli::engine::describe(source))]
    Edit {
        /// The config file.
        config: PathBuf,
        /// Why.
        source: Box<proxyconf::Error>,
    },
    /// `--reload` could not be started.
    #[error("cannot run --reload '{command}': {source}")]
    ReloadSpawn {
        /// The command.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// `--reload` failed.
    #[error("--reload '{command}' failed with {status}: {stderr}")]
    ReloadFailed {
        /// The command.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it said on stderr, trimmed.
        stderr: String,
    },
    /// The master's pid file cannot be read.
    #[error(
        "cannot read the pid file {}: {source} (is the proxy running with this config? \
         --pid-file names another)",
        path.display()
    )]
    PidFile {
        /// The pid file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The pid file does not lead to the proxy's master.
    #[error(transparent)]
    Master(#[from] crate::adapters::master::Error),
    /// The pid file holds something else than a pid.
    #[error("{} does not hold a pid", path.display())]
    NotAPid {
        /// The pid file.
        path: PathBuf,
    },
    /// The master could not be signalled.
    #[error("cannot signal pid {pid}: {source}")]
    Signal {
        /// The master's pid.
        pid: i32,
        /// Why.
        source: nix::errno::Errno,
    },
    /// Waiting for new workers, old ones or the drain failed.
    #[error(transparent)]
    Wait(#[from] procwatch::Error),
    /// The configured admin socket cannot be used at all.
    #[error(transparent)]
    Socket(#[from] SetupError),
    /// The admin socket failed or refused a command.
    #[error(transparent)]
    Runtime(#[from] crate::adapters::runtime::Error),
    /// A standalone haproxy and no `--reload` to start its successor.
    #[error(
        "haproxy pid {pid} (from {}) runs without a master process, so it cannot be reloaded \
         by a signal: pass --reload 'haproxy -D -p {} -f {} -sf $(cat {})', or run it with -W \
         or a `stats socket ... level admin`",
        pidfile.display(),
        pidfile.display(),
        config.display(),
        pidfile.display()
    )]
    Standalone {
        /// The running haproxy.
        pid: i32,
        /// Its pid file.
        pidfile: PathBuf,
        /// The config file.
        config: PathBuf,
    },
    /// A haproxy with no admin socket, no pid file and no `--reload`.
    #[error(
        "{} has no `stats socket` and no `pidfile`: pass --socket, --pid-file or --reload",
        config.display()
    )]
    NoWayToApply {
        /// The config file.
        config: PathBuf,
    },
    /// A mode change on a haproxy with no pid file and no `--reload`.
    #[error(
        "{}: a mode change needs a reload, and there is no `pidfile`: pass --pid-file or --reload",
        config.display()
    )]
    NoWayToReload {
        /// The config file.
        config: PathBuf,
    },
    /// The thread that applied the change on this proxy panicked.
    #[error("the proxy's thread panicked")]
    Panicked,
}

/// What every driver needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The config file.
    pub config: PathBuf,
    /// nginx or haproxy.
    pub kind: ProxyKind,
    /// `--reload CMD`, replacing the built-in reload.
    pub reload: Option<String>,
    /// Bound on every wait (new workers, drain).
    pub drain_timeout: Duration,
    /// `--on-drain-timeout proceed`: a drain that outlasts its bound is reported, not an error.
    pub drain_timeout_proceeds: bool,
    /// `out`: a drain that outlasts its bound is recorded here and the change stays.
    pub late_drains: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
    /// Written into the markers of what swapctl disables.
    pub reason: String,
    /// `--pid-file`: the master's pid file, instead of the config's.
    pub pid_file: Option<PathBuf>,
    /// `--prefix`: nginx's `-p`, for relative paths and the validator.
    pub prefix: Option<PathBuf>,
    /// `--socket`: haproxy's admin socket, instead of the config's `stats socket`.
    pub socket: Option<String>,
}

/// One routing change: bring some servers in and take others out, in one edit and one apply.
pub trait Driver: Send {
    /// Applies the change and waits until it is in effect and `take_out` is drained.
    /// `cancel` (Ctrl-C) cuts the waits short with an error.
    fn apply(
        &mut self,
        bring_in: &[ServerRef],
        take_out: &[ServerRef],
        cancel: &AtomicBool,
    ) -> Result<(), Error>;
    /// How this driver applies changes, for `plan` and `status`.
    fn describe(&self) -> String;
    /// Makes the file live (a mode change) and returns once no process of the old config
    /// takes new requests.
    fn reload(&mut self, cancel: &AtomicBool) -> Result<(), Error>;
    /// Checks, before anything changes, that changes can be applied: a configured admin socket
    /// answers at admin level, or the pid file names the proxy's running master. `status` never
    /// needs it; `plan` runs it.
    fn preflight(&self) -> Result<(), Error> {
        Ok(())
    }
    /// haproxy's admin socket, for per-server counters.
    fn runtime(&self) -> Option<Runtime> {
        None
    }
    /// The running master's pid, when its pid file names one.
    fn master(&self) -> Option<i32> {
        None
    }
}

/// The driver for `ctx`: nginx reload, haproxy runtime API, or haproxy reload (master or `-sf`).
/// A configured admin socket that cannot be used is an error, never a silent fallback to reloads.
pub fn for_config(ctx: Ctx, cfg: &Config) -> Box<dyn Driver> {
    match ctx.kind {
        ProxyKind::Nginx => Box::new(Nginx {
            pidfile: ctx
                .pid_file
                .clone()
                .unwrap_or_else(|| nginx_pidfile(cfg, ctx.prefix.as_deref())),
            ctx,
        }),
        ProxyKind::Haproxy => {
            let runtime = match &ctx.socket {
                Some(s) => Runtime::parse(s, "--socket").map(Some),
                None => Runtime::from_config(cfg),
            };
            let (runtime, problem) = match runtime {
                Ok(r) => (r, None),
                Err(e) => (None, Some(e)),
            };
            Box::new(Haproxy {
                runtime,
                problem,
                pidfile: ctx.pid_file.clone().or_else(|| haproxy_pidfile(cfg)),
                ctx,
            })
        }
    }
}

/// The validated, atomic config edit every driver starts with.
pub fn edit(ctx: &Ctx, bring_in: &[ServerRef], take_out: &[ServerRef]) -> Result<(), Error> {
    let sel = |v: &[ServerRef]| {
        v.iter()
            .map(|s| Selector::parse(&s.selector(), None))
            .collect::<proxyconf::Result<Vec<_>>>()
    };
    let (ins, outs) = (
        sel(bring_in).map_err(|e| Error::Selector(Box::new(e)))?,
        sel(take_out).map_err(|e| Error::Selector(Box::new(e)))?,
    );
    let disable = Request::Disable {
        method: None,
        reason: Some(ctx.reason.clone()),
    };
    commit_edit(ctx, |cfg| {
        let now = SystemTime::now();
        // swapctl keeps its own capacity rule (never more than half out), so the engine's is off here.
        plan(cfg, &ins, &Request::Enable, true, now)?.merge(plan(cfg, &outs, &disable, true, now)?)
    })
}

/// One validated, atomic engine edit of `ctx`'s config. swapctl holds the deploy lock itself,
/// so the engine's deploy-lock refusal is off; another edit's file lock is waited for, bounded.
fn commit_edit(
    ctx: &Ctx,
    make_plan: impl Fn(&Config) -> proxyconf::Result<proxyconf::Plan>,
) -> Result<(), Error> {
    commit::edit(
        &ctx.config,
        Some(ctx.kind),
        commit::Options {
            force: true,
            prefix: ctx.prefix.clone(),
            lock_timeout: Duration::from_secs(30),
            waiting: Some(crate::adapters::stderr::say),
            ..commit::Options::default()
        },
        None,
        make_plan,
    )
    .map(|_| ())
    .map_err(|source| Error::Edit {
        config: ctx.config.clone(),
        source: Box::new(source),
    })
}

/// The validated, atomic edit that puts a traffic mode in place (or removes it).
pub fn edit_mode(ctx: &Ctx, upstream: &str, spec: &proxyconf::mode::Spec) -> Result<(), Error> {
    commit_edit(ctx, |cfg| proxyconf::mode::plan(cfg, upstream, spec))
}

fn run_reload(cmd: &str) -> Result<(), Error> {
    let out = std::process::Command::new("sh")
        .args(["-c", cmd])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| Error::ReloadSpawn {
            command: cmd.to_string(),
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::ReloadFailed {
            command: cmd.to_string(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn read_pid(path: &Path) -> Result<i32, Error> {
    std::fs::read_to_string(path)
        .map_err(|source| Error::PidFile {
            path: path.to_path_buf(),
            source,
        })?
        .trim()
        .parse()
        .map_err(|_| Error::NotAPid {
            path: path.to_path_buf(),
        })
}

impl Error {
    /// A drain that outlasted `--drain-timeout` (the change itself is in effect).
    fn is_drain_timeout(&self) -> bool {
        matches!(
            self,
            Error::Wait(
                procwatch::Error::OldWorkersHold { .. }
                    | procwatch::Error::NotDrained { .. }
                    | procwatch::Error::StillRuns { .. }
            ) | Error::Runtime(crate::adapters::runtime::Error::NotIdle { .. })
        )
    }
}

/// A drain that outlasted its bound is an error, or with `--on-drain-timeout proceed` a note:
/// the server is out, and what it still holds is cut by the restart.
fn drained(ctx: &Ctx, r: Result<(), Error>) -> Result<(), Error> {
    match r {
        Err(e) if e.is_drain_timeout() && ctx.late_drains.is_some() => {
            if let Some(late) = &ctx.late_drains {
                if let Ok(mut v) = late.lock() {
                    v.push(format!("{}: {e}", ctx.config.display()));
                }
            }
            Ok(())
        }
        Err(e) if ctx.drain_timeout_proceeds && e.is_drain_timeout() => {
            crate::adapters::stderr::say(&format!(
                "{}: {e}; proceeding as --on-drain-timeout proceed asks: the restart cuts what is still open",
                ctx.config.display()
            ));
            Ok(())
        }
        r => r,
    }
}

/// The master's pid from `pidfile`, once it is known to be the proxy that reads `ctx.config`.
fn master_pid(ctx: &Ctx, pidfile: &Path) -> Result<i32, Error> {
    let pid = read_pid(pidfile)?;
    crate::adapters::master::check(ctx.kind, pidfile, pid, &ctx.config)?;
    Ok(pid)
}

fn signal(pid: i32, sig: nix::sys::signal::Signal) -> Result<(), Error> {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig)
        .map_err(|source| Error::Signal { pid, source })
}

/// Reloads a master-worker proxy and waits for new workers; when taking servers out, also until
/// every old worker has let go of them, since old workers keep routing to what was taken out.
/// Without a known master (a `--reload` command and no pid file), the drain is counted on the
/// sockets of every process named like the proxy instead.
fn reload_master(
    ctx: &Ctx,
    pidfile: &Path,
    sig: nix::sys::signal::Signal,
    take_out: &[ServerRef],
    all_old: bool,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    let master = match (&ctx.reload, master_pid(ctx, pidfile)) {
        (None, Err(e)) => return Err(e),
        (_, m) => m.ok(),
    };
    if let (None, Some(pid)) = (&ctx.reload, master) {
        procwatch::wait_catches(pid, sig as i32, sig.as_str(), ctx.drain_timeout, cancel)?;
    }
    // Read once the master is ready: a worker forked during its start-up is not a new one.
    let old = master.map(procwatch::children).unwrap_or_default();
    // Without --reload, a missing pid file has already failed above.
    match (&ctx.reload, master) {
        (Some(cmd), _) => run_reload(cmd)?,
        (None, Some(pid)) => signal(pid, sig)?,
        (None, None) => {}
    }
    let addrs: Vec<String> = take_out.iter().map(|s| s.address.clone()).collect();
    let targets = procwatch::socket_addrs(&addrs);
    // Unix-socket servers cannot be told apart in /proc/net/unix: their old workers must exit.
    let tcp_only = (targets.len() >= addrs.len()).then_some(targets.as_slice());
    let waited = match master {
        Some(pid) if !take_out.is_empty() || all_old => {
            procwatch::wait_old_released(pid, &old, tcp_only, ctx.drain_timeout, cancel)
        }
        Some(pid) => procwatch::wait_new_worker(pid, &old, ctx.drain_timeout, cancel),
        None => procwatch::wait_drained(
            &procwatch::named(ctx.kind.binary()),
            &targets,
            ctx.drain_timeout,
            cancel,
        ),
    };
    drained(ctx, waited.map_err(Error::from))
}

struct Nginx {
    ctx: Ctx,
    pidfile: PathBuf,
}

impl Driver for Nginx {
    fn apply(
        &mut self,
        bring_in: &[ServerRef],
        take_out: &[ServerRef],
        cancel: &AtomicBool,
    ) -> Result<(), Error> {
        edit(&self.ctx, bring_in, take_out)?;
        let sig = nix::sys::signal::Signal::SIGHUP;
        reload_master(&self.ctx, &self.pidfile, sig, take_out, false, cancel)
    }

    fn reload(&mut self, cancel: &AtomicBool) -> Result<(), Error> {
        let sig = nix::sys::signal::Signal::SIGHUP;
        reload_master(&self.ctx, &self.pidfile, sig, &[], true, cancel)
    }

    fn preflight(&self) -> Result<(), Error> {
        match &self.ctx.reload {
            Some(_) => Ok(()),
            None => master_pid(&self.ctx, &self.pidfile).map(|_| ()),
        }
    }

    fn master(&self) -> Option<i32> {
        master_pid(&self.ctx, &self.pidfile).ok()
    }

    fn describe(&self) -> String {
        match &self.ctx.reload {
            Some(cmd) => format!("nginx: edit, `{cmd}`, wait for new workers"),
            None => format!(
                "nginx: edit, SIGHUP to the master in {}, wait for new workers",
                self.pidfile.display()
            ),
        }
    }
}

/// The config's `pid` (relative to the prefix), else Debian's default.
fn nginx_pidfile(cfg: &Config, prefix: Option<&Path>) -> PathBuf {
    match cfg.settings.pid_file.as_ref().map(|p| &p.value) {
        Some(p) if p.is_relative() => prefix.unwrap_or(Path::new("/usr/share/nginx")).join(p),
        Some(p) => p.clone(),
        None => PathBuf::from("/run/nginx.pid"),
    }
}

struct Haproxy {
    ctx: Ctx,
    runtime: Option<Runtime>,
    /// Why the configured admin socket cannot be used.
    problem: Option<SetupError>,
    pidfile: Option<PathBuf>,
}

impl Haproxy {
    fn preflight_problem(&self) -> Result<(), Error> {
        self.problem.clone().map_or(Ok(()), |p| Err(p.into()))
    }

    /// Through the admin socket: no reload. The file first (validated), then drain and maint:
    /// a reload by anyone during the drain then keeps the server out instead of sending it
    /// traffic again while it restarts.
    fn apply_runtime(
        &self,
        rt: &Runtime,
        bring_in: &[ServerRef],
        take_out: &[ServerRef],
        cancel: &AtomicBool,
    ) -> Result<(), Error> {
        let id =
            |s: &ServerRef| format!("{}/{}", s.upstream, s.name.as_deref().unwrap_or_default());
        // The workers before the drain: the admin socket only sees the current one, so a reload
        // during the drain would hide what the old ones still hold.
        let master = self.pidfile.as_deref().and_then(|pf| read_pid(pf).ok());
        let before = master.map(procwatch::children).unwrap_or_default();
        edit(&self.ctx, bring_in, take_out)?;
        let drain = take_out.iter().try_for_each(|s| {
            rt.set(&format!("set server {} state drain", id(s)))?;
            Ok::<(), Error>(())
        });
        let drain = drain.and_then(|()| {
            take_out.iter().try_for_each(|s| {
                let idle = rt.wait_idle(
                    &s.upstream,
                    s.name.as_deref().unwrap_or_default(),
                    self.ctx.drain_timeout,
                    cancel,
                );
                drained(&self.ctx, idle.map_err(Error::from))?;
                rt.set(&format!("set server {} state maint", id(s)))
                    .map_err(Error::from)
            })
        });
        let drain = drain.and_then(|()| match master {
            Some(pid) if procwatch::children(pid).iter().any(|p| !before.contains(p)) => {
                let addrs: Vec<String> = take_out.iter().map(|s| s.address.clone()).collect();
                let targets = procwatch::socket_addrs(&addrs);
                let tcp_only = (targets.len() >= addrs.len()).then_some(targets.as_slice());
                let waited = procwatch::wait_old_released(
                    pid,
                    &before,
                    tcp_only,
                    self.ctx.drain_timeout,
                    cancel,
                );
                drained(&self.ctx, waited.map_err(Error::from))
            }
            _ => Ok(()),
        });
        if let Err(e) = drain {
            // Undo the step: the file as it was, and what it took out back in service.
            let _ = edit(&self.ctx, take_out, bring_in);
            for s in take_out {
                let _ = rt.set(&format!("set server {} state ready", id(s)));
            }
            return Err(e);
        }
        for s in bring_in {
            rt.set(&format!("set server {} state ready", id(s)))?;
            // Our own health check passed; haproxy's slower checks need not hold the server back.
            let _ = rt.set(&format!("set server {} health up", id(s)));
        }
        Ok(())
    }

    /// A standalone haproxy (`-D -p PIDFILE`, no master) is reloaded by starting a new one with
    /// `-sf OLD`; the pid file then names the new process, and the old one exits once its
    /// sessions end.
    fn reload_standalone(
        &self,
        pidfile: &Path,
        old: i32,
        removing: bool,
        cancel: &AtomicBool,
    ) -> Result<(), Error> {
        let Some(cmd) = &self.ctx.reload else {
            return Err(Error::Standalone {
                pid: old,
                pidfile: pidfile.to_path_buf(),
                config: self.ctx.config.clone(),
            });
        };
        run_reload(cmd)?;
        procwatch::wait_pidfile_changed(pidfile, old, self.ctx.drain_timeout, cancel)?;
        if removing {
            // The old process holds every connection it made to what was taken out.
            let waited = procwatch::wait_exited(old, self.ctx.drain_timeout, cancel);
            drained(&self.ctx, waited.map_err(Error::from))?;
        }
        Ok(())
    }
}

impl Driver for Haproxy {
    fn apply(
        &mut self,
        bring_in: &[ServerRef],
        take_out: &[ServerRef],
        cancel: &AtomicBool,
    ) -> Result<(), Error> {
        self.preflight_problem()?;
        if let Some(rt) = &self.runtime {
            return self.apply_runtime(rt, bring_in, take_out, cancel);
        }
        edit(&self.ctx, bring_in, take_out)?;
        match &self.pidfile {
            Some(pf) => match read_pid(pf) {
                Ok(pid) if procwatch::children(pid).is_empty() => {
                    self.reload_standalone(pf, pid, !take_out.is_empty(), cancel)
                }
                _ => reload_master(
                    &self.ctx,
                    pf,
                    nix::sys::signal::Signal::SIGUSR2,
                    take_out,
                    false,
                    cancel,
                ),
            },
            None => match &self.ctx.reload {
                Some(cmd) => {
                    run_reload(cmd)?;
                    let addrs: Vec<String> = take_out.iter().map(|s| s.address.clone()).collect();
                    Ok(procwatch::wait_drained(
                        &procwatch::named(self.ctx.kind.binary()),
                        &procwatch::socket_addrs(&addrs),
                        self.ctx.drain_timeout,
                        cancel,
                    )?)
                }
                None => Err(Error::NoWayToApply {
                    config: self.ctx.config.clone(),
                }),
            },
        }
    }

    fn reload(&mut self, cancel: &AtomicBool) -> Result<(), Error> {
        // Rules cannot be added through the runtime API: a mode always reloads haproxy.
        match &self.pidfile {
            Some(pf) => match read_pid(pf) {
                Ok(pid) if procwatch::children(pid).is_empty() => {
                    self.reload_standalone(pf, pid, true, cancel)
                }
                _ => reload_master(
                    &self.ctx,
                    pf,
                    nix::sys::signal::Signal::SIGUSR2,
                    &[],
                    true,
                    cancel,
                ),
            },
            None => match &self.ctx.reload {
                Some(cmd) => run_reload(cmd),
                None => Err(Error::NoWayToReload {
                    config: self.ctx.config.clone(),
                }),
            },
        }
    }

    fn runtime(&self) -> Option<Runtime> {
        self.runtime.clone()
    }

    fn master(&self) -> Option<i32> {
        master_pid(&self.ctx, self.pidfile.as_deref()?).ok()
    }

    fn preflight(&self) -> Result<(), Error> {
        self.preflight_problem()?;
        match (&self.runtime, &self.ctx.reload, &self.pidfile) {
            (Some(rt), _, _) => Ok(rt.check_admin()?),
            (None, None, Some(pf)) => master_pid(&self.ctx, pf).map(|_| ()),
            _ => Ok(()),
        }
    }

    fn describe(&self) -> String {
        if let Some(p) = &self.problem {
            return format!("haproxy: cannot apply changes: {p}");
        }
        match (&self.runtime, &self.ctx.reload, &self.pidfile) {
            (Some(rt), _, _) => {
                format!("haproxy: runtime API at {rt} (no reload), state kept in the file")
            }
            (None, Some(cmd), _) => format!("haproxy: edit, `{cmd}`, confirm the new process"),
            (None, None, Some(p)) => format!(
                "haproxy: edit, SIGUSR2 to the master in {}, wait for new workers",
                p.display()
            ),
            (None, None, None) => {
                "haproxy: no way to apply a change (no socket, pid file or --reload)".into()
            }
        }
    }
}

/// The `pidfile` of a haproxy global section (haproxy -W -p writes it).
fn haproxy_pidfile(cfg: &Config) -> Option<PathBuf> {
    cfg.settings.pid_file.as_ref().map(|p| p.value.clone())
}
