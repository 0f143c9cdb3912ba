//! Every proxy of one deploy (`-c` repeated): servers matched across proxies by address, and each
//! routing change applied to all that hold the server, confirmed on all, or undone on all.

use crate::drivers::Ctx;
use crate::drivers::Driver;
use crate::steps::Action;
use crate::steps::Options;
use crate::steps::ServerRef;
use proxyconf::{Config, ProxyKind, State};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

mod error;
pub mod live;

use crate::drivers;

pub use error::Error;

pub use crate::steps::key;
/// One proxy: its config, the upstream deployed, and how changes reach it.
pub struct Member {
    /// The config file.
    pub config: PathBuf,
    /// nginx or haproxy.
    pub kind: ProxyKind,
    /// The upstream or backend in this config.
    pub upstream: String,
    /// Every server of that upstream.
    pub servers: Vec<Held>,
    /// The loaded config, for `status`.
    pub cfg: Config,
    ctx: Ctx,
    driver: Box<dyn Driver>,
}

/// One server as one proxy holds it.
#[derive(Debug, Clone)]
pub struct Held {
    /// This proxy's name for it.
    pub r: ServerRef,
    /// It serves now: live, enabled, not a backup.
    pub serves: bool,
    /// swapctl may change it here: it is live and enabled (a backup too), or a tool took it out
    /// (its marker says so). A line a person commented out or marked `down` is never touched,
    /// even when the same address serves in another proxy.
    pub managed: bool,
    /// Out of rotation here (taken out by a tool, or a person).
    pub disabled: bool,
}

impl Member {
    /// This proxy's own references to the servers of `wanted` (matched by address).
    fn mine(&self, wanted: &[ServerRef]) -> Vec<ServerRef> {
        self.servers
            .iter()
            .filter(|h| h.managed && wanted.iter().any(|w| key(&w.address) == key(&h.r.address)))
            .map(|h| h.r.clone())
            .collect()
    }

    /// How this proxy applies changes.
    pub fn describe(&self) -> String {
        self.driver.describe()
    }

    /// This proxy's own references to `wanted`, for readers of per-server figures.
    pub fn mine_public(&self, wanted: &[ServerRef]) -> Vec<ServerRef> {
        self.mine(wanted)
    }

    /// haproxy's admin socket, when one is usable.
    pub fn runtime(&self) -> Option<crate::adapters::runtime::Runtime> {
        self.driver.runtime()
    }

    /// The running master's pid, when its pid file names one.
    pub fn master(&self) -> Option<i32> {
        self.driver.master()
    }

    /// nginx's `-p`.
    pub fn prefix(&self) -> Option<PathBuf> {
        self.ctx.prefix.clone()
    }
}

/// The proxies of one deploy.
pub struct Fleet {
    /// In command-line order.
    pub members: Vec<Member>,
}

/// One proxy's part of a failed change.
#[derive(Debug)]
pub struct ProxyError {
    /// The proxy's config file.
    pub config: PathBuf,
    /// What went wrong there.
    pub error: drivers::Error,
}

/// Why an apply failed: what failed, on which proxy, and what was undone.
#[derive(Debug)]
pub struct ApplyError {
    /// The proxies where the change failed, in command-line order.
    pub failed: Vec<ProxyError>,
    /// The proxies where undoing the change failed too.
    pub undo_failed: Vec<ProxyError>,
    /// The deploy has several proxies: each failure names its config.
    pub several: bool,
    /// The step is undone everywhere: what it took out serves again and what it brought in is out.
    pub undone: bool,
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.failed.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if self.several {
                write!(f, "{}: {}", p.config.display(), p.error)?;
            } else {
                write!(f, "{}", p.error)?;
            }
        }
        for p in &self.undo_failed {
            write!(
                f,
                "; undoing on {} failed too: {}",
                p.config.display(),
                p.error
            )?;
        }
        if self.undone && self.several {
            f.write_str("; the step was undone on every proxy")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApplyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failed
            .first()
            .map(|p| &p.error as &(dyn std::error::Error + 'static))
    }
}

/// Why a mode change failed on a proxy, and which proxies could not be put back.
#[derive(Debug, thiserror::Error)]
#[error("{}{error}{}", mode_prefix(config, *several), put_back(put_back_failed))]
pub struct ModeError {
    /// The proxy where the change failed.
    pub config: PathBuf,
    /// The deploy has several proxies: the message names the config.
    pub several: bool,
    /// What went wrong there.
    #[source]
    pub error: drivers::Error,
    /// Proxies that could not be put back fully.
    pub put_back_failed: Vec<PutBack>,
}

/// A proxy that could not be put back fully after a failed mode change.
#[derive(Debug)]
pub struct PutBack {
    /// Its config.
    pub config: PathBuf,
    /// The mode it was to get back.
    pub mode: &'static str,
    /// Its files have that mode again; only the reload failed (as it does with no proxy running).
    pub on_disk: bool,
    /// Why.
    pub error: drivers::Error,
}

fn mode_prefix(config: &std::path::Path, several: bool) -> String {
    if several {
        format!("{}: ", config.display())
    } else {
        String::new()
    }
}

fn put_back(failed: &[PutBack]) -> String {
    failed
        .iter()
        .map(|p| {
            let (config, mode, e) = (p.config.display(), p.mode, &p.error);
            if p.on_disk {
                format!("; {config} is back to {mode} on disk, but reloading it failed too: {e}")
            } else {
                format!("; putting {config} back to {mode} failed too: {e}")
            }
        })
        .collect()
}

impl Fleet {
    /// Loads every config of `opts` and picks the upstream in each.
    pub fn load(opts: &Options, reason: &str) -> Result<Fleet, Error> {
        if opts.configs.len() > 1
            && (opts.socket.is_some() || opts.pid_file.is_some() || opts.prefix.is_some())
        {
            return Err(Error::OneProxyFlags);
        }
        let mut members = Vec::new();
        for config in &opts.configs {
            let cfg = Config::load(config, opts.kind)?;
            if opts.socket.is_some() && cfg.kind == ProxyKind::Nginx {
                return Err(Error::SocketOnNginx {
                    config: config.clone(),
                });
            }
            // `out`, `in` and `status` act on every upstream that holds servers when none is named.
            let upstreams = match pick_upstream(&cfg, config, opts.upstream.as_deref()) {
                Ok(u) => vec![u],
                Err(Error::SeveralUpstreams { names, .. }) if opts.every_upstream => names
                    .into_iter()
                    .filter(|n| cfg.servers.iter().any(|s| &cfg.upstream_of(s).name == n))
                    .collect(),
                Err(e) => return Err(e),
            };
            for upstream in upstreams {
                members.push(member(opts, reason, config, cfg.clone(), upstream));
            }
        }
        Ok(Fleet { members })
    }

    /// Whether every proxy that holds unix-socket server `s` can open it as its workers run (a
    /// socket root may open can still be closed to them). Err names the proxy and what stops it.
    pub fn workers_can_open(&self, s: &ServerRef) -> Result<(), String> {
        let Some(path) = crate::adapters::template::unix_path(&s.address) else {
            return Ok(());
        };
        for m in self.members.iter().filter(|m| {
            m.servers
                .iter()
                .any(|h| key(&h.r.address) == key(&s.address))
        }) {
            let Some(master) = m.driver.master() else {
                continue;
            };
            let workers = crate::adapters::procwatch::children(master);
            let Some(creds) = workers
                .iter()
                .find_map(|&w| crate::adapters::socket_access::Creds::of_process(w))
            else {
                continue;
            };
            crate::adapters::socket_access::check(std::path::Path::new(path), &creds)
                .map_err(|why| format!("{}'s workers cannot open it: {why}", m.config.display()))?;
        }
        Ok(())
    }

    /// Fails before anything changes when a proxy cannot take changes (exit 1).
    pub fn preflight(&self) -> Result<(), Error> {
        for m in &self.members {
            m.driver.preflight().map_err(|source| Error::Preflight {
                config: m.config.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// The upstream names, joined (`app`, or `app, web` when proxies name it differently).
    pub fn upstream(&self) -> String {
        let mut names: Vec<&str> = self.members.iter().map(|m| m.upstream.as_str()).collect();
        names.dedup();
        names.join(", ")
    }

    /// Servers that serve in at least one proxy, once each (by address), in config order.
    pub fn serving(&self) -> Vec<ServerRef> {
        self.collect(|h| h.serves)
    }

    /// Every server of the upstream swapctl may change in some proxy, once each.
    pub fn all(&self) -> Vec<ServerRef> {
        self.collect(|h| h.managed)
    }

    fn collect(&self, want: impl Fn(&Held) -> bool) -> Vec<ServerRef> {
        let mut out: Vec<ServerRef> = Vec::new();
        for m in &self.members {
            for h in m.servers.iter().filter(|h| want(h)) {
                if !out.iter().any(|o| key(&o.address) == key(&h.r.address)) {
                    out.push(h.r.clone());
                }
            }
        }
        out
    }

    /// The servers of the upstream that `selector` names on any proxy.
    pub fn named(&self, selector: &str) -> Result<Vec<ServerRef>, proxyconf::Error> {
        let mut out = Vec::new();
        for m in &self.members {
            let sel = proxyconf::Selector::parse(selector, Some(&m.upstream))?;
            for s in m.cfg.servers.iter().filter(|s| sel.names(&m.cfg, s)) {
                if let Some(h) = m
                    .servers
                    .iter()
                    .find(|h| h.managed && h.r.address == s.address)
                {
                    out.push(h.r.clone());
                }
            }
        }
        Ok(out)
    }

    /// How many servers the proxy with the fewest left would still have in rotation with `out`
    /// taken out: the capacity left while they are out.
    pub fn left_serving(&self, out: &[ServerRef]) -> usize {
        self.members
            .iter()
            .map(|m| {
                m.servers
                    .iter()
                    .filter(|h| {
                        h.serves && !out.iter().any(|o| key(&o.address) == key(&h.r.address))
                    })
                    .count()
            })
            .min()
            .unwrap_or(0)
    }

    /// Walks the steps and refuses (exit 2) a plan that would leave any proxy with no server in
    /// rotation: each proxy counts for itself, since one may hold fewer servers than another.
    pub fn check_capacity(&self, actions: &[Action]) -> Result<(), Error> {
        for m in &self.members {
            // Addresses in rotation in this proxy, as the steps go.
            let mut serving: Vec<String> = m
                .servers
                .iter()
                .filter(|h| h.serves)
                .map(|h| key(&h.r.address))
                .collect();
            let managed = |s: &ServerRef| {
                m.servers
                    .iter()
                    .any(|h| h.managed && key(&h.r.address) == key(&s.address))
            };
            for (n, a) in actions.iter().enumerate() {
                let (bring, take): (&[ServerRef], &[ServerRef]) = match a {
                    Action::Out(s) => (&[], s),
                    Action::Swap(i, o) => (i, o),
                    Action::In(s) => (s, &[]),
                    Action::Restart(_) | Action::Observe(_) => (&[], &[]),
                };
                for s in bring.iter().filter(|s| managed(s)) {
                    if !serving.contains(&key(&s.address)) {
                        serving.push(key(&s.address));
                    }
                }
                serving.retain(|k| !take.iter().any(|t| key(&t.address) == *k));
                if serving.is_empty() {
                    return Err(Error::NoCapacity {
                        step: n + 1,
                        action: a.describe().0,
                        config: m.config.clone(),
                        upstream: m.upstream.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Applies one change on every proxy that holds one of the servers, in parallel, and returns
    /// once it is confirmed on all. When one fails, the others are put back as they were.
    pub fn apply(
        &mut self,
        bring_in: &[ServerRef],
        take_out: &[ServerRef],
        cancel: &AtomicBool,
    ) -> Result<(), ApplyError> {
        let results: Vec<Option<Result<(), drivers::Error>>> = std::thread::scope(|sc| {
            let handles: Vec<_> = self
                .members
                .iter_mut()
                .map(|m| {
                    let (i, o) = (m.mine(bring_in), m.mine(take_out));
                    sc.spawn(move || {
                        (!i.is_empty() || !o.is_empty()).then(|| m.driver.apply(&i, &o, cancel))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Some(Err(drivers::Error::Panicked))))
                .collect()
        });
        let touched: Vec<bool> = results.iter().map(Option::is_some).collect();
        let failed_here: Vec<bool> = results.iter().map(|r| matches!(r, Some(Err(_)))).collect();
        let failed: Vec<ProxyError> = self
            .members
            .iter()
            .zip(results)
            .filter_map(|(m, r)| match r {
                Some(Err(error)) => Some(ProxyError {
                    config: m.config.clone(),
                    error,
                }),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            return Ok(());
        }
        let several = self.members.len() > 1;
        if cancel.load(Ordering::SeqCst) {
            // The interrupt handler decides what comes back.
            return Err(ApplyError {
                failed,
                undo_failed: Vec::new(),
                several,
                undone: false,
            });
        }
        // Undo on every proxy the change touched, the failed ones too (their edit may be on disk).
        let never = AtomicBool::new(false);
        let mut undo_failed = Vec::new();
        for ((m, touched), failed_here) in self.members.iter_mut().zip(touched).zip(failed_here) {
            if !touched {
                continue;
            }
            let (i, o) = (m.mine(bring_in), m.mine(take_out));
            match m.driver.apply(&o, &i, &never) {
                Ok(()) => {}
                // A failed proxy whose edit never happened has nothing to undo.
                Err(_) if failed_here => {}
                Err(error) => undo_failed.push(ProxyError {
                    config: m.config.clone(),
                    error,
                }),
            }
        }
        Err(ApplyError {
            undone: undo_failed.is_empty(),
            failed,
            undo_failed,
            several,
        })
    }
}

impl Fleet {
    /// Puts a traffic mode in place on every proxy (edit, reload, confirm). When one cannot take
    /// it, the ones already changed are put back to the mode they had.
    pub fn set_mode(
        &mut self,
        spec: &proxyconf::mode::Spec,
        cancel: &AtomicBool,
    ) -> Result<(), Box<ModeError>> {
        let never = AtomicBool::new(false);
        // What each proxy had, to put it back exactly (same message, Retry-After and time).
        let normal = proxyconf::mode::Spec {
            mode: proxyconf::mode::Mode::Normal,
            ..spec.clone()
        };
        let mut done: Vec<(usize, proxyconf::mode::Spec)> = Vec::new();
        let several = self.members.len() > 1;
        for i in 0..self.members.len() {
            let m = &mut self.members[i];
            let before = proxyconf::mode::current_spec(&m.cfg, &m.upstream)
                .unwrap_or_else(|| normal.clone());
            let result = drivers::edit_mode(&m.ctx, &m.upstream, spec)
                .and_then(|()| m.driver.reload(cancel));
            done.push((i, before));
            if let Err(error) = result {
                let mut failure = ModeError {
                    config: m.config.clone(),
                    several,
                    error,
                    put_back_failed: Vec::new(),
                };
                for (j, back) in done {
                    let m = &mut self.members[j];
                    let (on_disk, result) = match drivers::edit_mode(&m.ctx, &m.upstream, &back) {
                        Ok(()) => (true, m.driver.reload(&never)),
                        Err(e) => (false, Err(e)),
                    };
                    if let Err(error) = result {
                        failure.put_back_failed.push(PutBack {
                            config: m.config.clone(),
                            mode: back.mode.word(),
                            on_disk,
                            error,
                        });
                    }
                }
                return Err(Box::new(failure));
            }
        }
        Ok(())
    }

    /// The mode each proxy has now, as the first proxy shows it (for the journal).
    pub fn mode_now(&self) -> Option<proxyconf::mode::Spec> {
        self.members
            .first()
            .and_then(|m| proxyconf::mode::current_spec(&m.cfg, &m.upstream))
    }
}

/// The upstream of one config: `--upstream`, or the only one with servers.
/// One proxy's member for `upstream` of its `cfg`.
fn member(
    opts: &Options,
    reason: &str,
    config: &std::path::Path,
    cfg: Config,
    upstream: String,
) -> Member {
    let servers = cfg
        .servers
        .iter()
        .filter(|s| cfg.upstream_of(s).name == upstream && s.template.is_none())
        .map(|s| {
            let live = s.is_live() && s.state == State::Enabled;
            Held {
                r: ServerRef {
                    upstream: upstream.clone(),
                    name: s.name.clone(),
                    address: s.address.clone(),
                },
                serves: live && !s.backup,
                managed: live || s.marker.is_some(),
                disabled: s.state == State::Disabled,
            }
        })
        .collect();
    let ctx = Ctx {
        config: config.to_path_buf(),
        kind: cfg.kind,
        reload: opts.reload.clone(),
        drain_timeout: opts.drain_timeout,
        drain_timeout_proceeds: opts.drain_timeout_proceeds,
        late_drains: opts.late_drains.clone(),
        reason: reason.to_string(),
        pid_file: opts.pid_file.clone(),
        prefix: opts.prefix.clone(),
        socket: opts.socket.clone(),
    };
    let driver = drivers::for_config(ctx.clone(), &cfg);
    Member {
        config: config.to_path_buf(),
        kind: cfg.kind,
        upstream,
        servers,
        cfg,
        ctx,
        driver,
    }
}

fn pick_upstream(
    cfg: &Config,
    config: &std::path::Path,
    wanted: Option<&str>,
) -> Result<String, Error> {
    let mut names: Vec<String> = cfg.upstreams.iter().map(|u| u.name.clone()).collect();
    names.dedup();
    match wanted {
        Some(u) if names.iter().any(|n| n == u) => Ok(u.to_string()),
        Some(u) if names.is_empty() => Err(Error::NoUpstreams {
            config: config.to_path_buf(),
            wanted: u.to_string(),
        }),
        Some(u) => Err(Error::NoSuchUpstream {
            config: config.to_path_buf(),
            wanted: u.to_string(),
            known: names,
        }),
        None => {
            let with_servers: Vec<&String> = names
                .iter()
                .filter(|n| cfg.servers.iter().any(|s| &cfg.upstream_of(s).name == *n))
                .collect();
            match with_servers.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(Error::NoServers {
                    config: config.to_path_buf(),
                }),
                _ => Err(Error::SeveralUpstreams {
                    config: config.to_path_buf(),
                    names: names.clone(),
                }),
            }
        }
    }
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
