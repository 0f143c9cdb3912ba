//! Proxy drivers: make one change to which servers are routable, and return once it is in effect
//! and the servers taken out have no connection left.

use crate::journal::ServerRef;
use crate::procwatch;
use crate::runtime::Runtime;
use proxyconf::{commit, plan, Config, ProxyKind, Request, Selector};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
    /// Written into the markers of what swapctl disables.
    pub reason: String,
}

/// One routing change: bring some servers in and take others out, in one edit and one apply.
pub trait Driver {
    /// Applies the change and waits until it is in effect and `take_out` is drained.
    fn apply(&mut self, bring_in: &[ServerRef], take_out: &[ServerRef]) -> Result<(), String>;
}

/// The driver for `ctx`: nginx reload, haproxy runtime API, or haproxy master reload.
pub fn for_config(ctx: Ctx, cfg: &Config) -> Box<dyn Driver> {
    match ctx.kind {
        ProxyKind::Nginx => Box::new(Nginx {
            pidfile: nginx_pidfile(cfg),
            ctx,
        }),
        ProxyKind::Haproxy => Box::new(Haproxy {
            runtime: Runtime::from_config(cfg),
            pidfile: haproxy_pidfile(cfg),
            ctx,
        }),
    }
}

/// The validated, atomic config edit both drivers start with.
pub fn edit(ctx: &Ctx, bring_in: &[ServerRef], take_out: &[ServerRef]) -> Result<(), String> {
    let sel = |v: &[ServerRef]| {
        v.iter()
            .map(|s| Selector::parse(&s.selector(), None))
            .collect::<proxyconf::Result<Vec<_>>>()
    };
    let (ins, outs) = (
        sel(bring_in).map_err(|e| e.to_string())?,
        sel(take_out).map_err(|e| e.to_string())?,
    );
    let disable = Request::Disable {
        method: None,
        reason: Some(ctx.reason.clone()),
    };
    commit::edit(
        &ctx.config,
        Some(ctx.kind),
        // swapctl holds the deploy lock itself; another edit's file lock is waited for, bounded.
        commit::Options {
            force: true,
            lock_timeout: std::time::Duration::from_secs(30),
            waiting: Some(|m| eprintln!("swapctl: {m}")),
            ..commit::Options::default()
        },
        None,
        |cfg| {
            let now = SystemTime::now();
            // swapctl keeps its own capacity rule (never more than half out), so the engine's is off here.
            plan(cfg, &ins, &Request::Enable, true, now)?
                .merge(plan(cfg, &outs, &disable, true, now)?)
        },
    )
    .map(|_| ())
    .map_err(|e| format!("editing {}: {e}", ctx.config.display()))
}

fn run_reload(cmd: &str) -> Result<(), String> {
    let st = std::process::Command::new("sh")
        .args(["-c", cmd])
        .status()
        .map_err(|e| format!("cannot run --reload '{cmd}': {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("--reload '{cmd}' failed with {st}"))
    }
}

fn read_pid(path: &Path) -> Result<i32, String> {
    std::fs::read_to_string(path)
        .map_err(|e| {
            format!(
                "cannot read the pid file {}: {e} (is the proxy running with this config?)",
                path.display()
            )
        })?
        .trim()
        .parse()
        .map_err(|_| format!("{} does not hold a pid", path.display()))
}

fn signal(pid: i32, sig: nix::sys::signal::Signal) -> Result<(), String> {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig)
        .map_err(|e| format!("cannot signal pid {pid}: {e}"))
}

/// Reloads and waits for new workers; when `removing`, also until every old worker has exited,
/// since old workers keep routing to what was taken out (nginx signals them ~100 ms after the new
/// ones start). A change that only adds servers is in effect once new workers exist.
fn reload_and_wait(
    ctx: &Ctx,
    pidfile: Option<&Path>,
    sig: nix::sys::signal::Signal,
    removing: bool,
) -> Result<(), String> {
    let master = pidfile.map(read_pid).transpose();
    let master = match (&ctx.reload, master) {
        (None, Err(e)) => return Err(e),
        (_, m) => m.ok().flatten(),
    };
    let old = master.map(procwatch::children).unwrap_or_default();
    match (&ctx.reload, master) {
        (Some(cmd), _) => run_reload(cmd)?,
        (None, Some(pid)) => signal(pid, sig)?,
        (None, None) => return Err("no pid file and no --reload: cannot reload".into()),
    }
    match master {
        Some(pid) if removing => procwatch::wait_replaced(pid, &old, ctx.drain_timeout),
        Some(pid) => procwatch::wait_new_worker(pid, &old, ctx.drain_timeout),
        None => Ok(()),
    }
}

struct Nginx {
    ctx: Ctx,
    pidfile: PathBuf,
}

impl Driver for Nginx {
    fn apply(&mut self, bring_in: &[ServerRef], take_out: &[ServerRef]) -> Result<(), String> {
        edit(&self.ctx, bring_in, take_out)?;
        let sig = nix::sys::signal::Signal::SIGHUP;
        reload_and_wait(&self.ctx, Some(&self.pidfile), sig, !take_out.is_empty())?;
        let addrs: Vec<String> = take_out.iter().map(|s| s.address.clone()).collect();
        procwatch::wait_drained(&procwatch::socket_addrs(&addrs), self.ctx.drain_timeout)
    }
}

/// The top-level `pid` of an nginx config, else Debian's default. A visitor, not a tree, so a
/// hostile config cannot blow the stack.
fn nginx_pidfile(cfg: &Config) -> PathBuf {
    use proxyconf::nginx::parser::{visit, Directive, Visitor};
    struct Pid<'a> {
        src: &'a [u8],
        depth: usize,
        found: Option<PathBuf>,
    }
    impl Visitor for Pid<'_> {
        type Error = std::convert::Infallible;
        fn directive(&mut self, d: &mut Directive) -> Result<(), Self::Error> {
            if self.depth == 0 && d.name_bytes(self.src) == b"pid" {
                self.found = d
                    .arg(self.src, 0)
                    .map(|v| PathBuf::from(String::from_utf8_lossy(&v).into_owned()));
            }
            Ok(())
        }
        fn open(&mut self, _: &mut Directive) -> Result<(), Self::Error> {
            self.depth += 1;
            Ok(())
        }
        fn close(
            &mut self,
            _: usize,
            _: Option<std::ops::Range<usize>>,
        ) -> Result<(), Self::Error> {
            self.depth -= 1;
            Ok(())
        }
        fn comment(&mut self, _: std::ops::Range<usize>) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let src = &cfg.files[0].bytes;
    let mut v = Pid {
        src,
        depth: 0,
        found: None,
    };
    let _ = visit(src, &mut v);
    v.found.unwrap_or_else(|| PathBuf::from("/run/nginx.pid"))
}

struct Haproxy {
    ctx: Ctx,
    runtime: Option<Runtime>,
    pidfile: Option<PathBuf>,
}

impl Driver for Haproxy {
    fn apply(&mut self, bring_in: &[ServerRef], take_out: &[ServerRef]) -> Result<(), String> {
        let Some(rt) = self.runtime.clone() else {
            edit(&self.ctx, bring_in, take_out)?;
            let sig = nix::sys::signal::Signal::SIGUSR2;
            reload_and_wait(
                &self.ctx,
                self.pidfile.as_deref(),
                sig,
                !take_out.is_empty(),
            )?;
            let addrs: Vec<String> = take_out.iter().map(|s| s.address.clone()).collect();
            return procwatch::wait_drained(
                &procwatch::socket_addrs(&addrs),
                self.ctx.drain_timeout,
            );
        };
        let id =
            |s: &ServerRef| format!("{}/{}", s.upstream, s.name.as_deref().unwrap_or_default());
        for s in take_out {
            rt.set(&format!("set server {} state drain", id(s)))?;
        }
        for s in take_out {
            rt.wait_idle(
                &s.upstream,
                s.name.as_deref().unwrap_or_default(),
                self.ctx.drain_timeout,
            )?;
            rt.set(&format!("set server {} state maint", id(s)))?;
        }
        // The file says the same, so a reload or restart cannot undo it.
        edit(&self.ctx, bring_in, take_out)?;
        for s in bring_in {
            rt.set(&format!("set server {} state ready", id(s)))?;
            // Our own health check passed; haproxy's slower checks need not hold the server back.
            let _ = rt.set(&format!("set server {} health up", id(s)));
        }
        Ok(())
    }
}

/// The `pidfile` of a haproxy global section (haproxy -W -p writes it).
fn haproxy_pidfile(cfg: &Config) -> Option<PathBuf> {
    let lines = proxyconf::haproxy::lexer::lines(&cfg.files[0].bytes).ok()?;
    lines.iter().find_map(|l| {
        let w: Vec<String> = l
            .words
            .iter()
            .map(|w| String::from_utf8_lossy(&w.value).into_owned())
            .collect();
        (w.len() >= 2 && w[0] == "pidfile").then(|| PathBuf::from(&w[1]))
    })
}
