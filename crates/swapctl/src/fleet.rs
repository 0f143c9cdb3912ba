//! Every proxy of one deploy (`-c` repeated): servers matched across proxies by address, and each
//! routing change applied to all that hold the server, confirmed on all, or undone on all.

use crate::deploy::{Action, Failure, Options};
use crate::driver::{self, Ctx, Driver};
use crate::journal::ServerRef;
use proxyconf::{Config, ProxyKind, State};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// The identity of a server across proxies.
pub fn key(address: &str) -> String {
    proxyconf::address::normalize(address, None)
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
    pub fn runtime(&self) -> Option<crate::runtime::Runtime> {
        self.driver.runtime()
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

/// Why an apply failed.
#[derive(Debug)]
pub struct ApplyError {
    /// What failed, on which proxy, and what was undone.
    pub message: String,
    /// The step is undone everywhere: what it took out serves again and what it brought in is out.
    pub undone: bool,
}

impl Fleet {
    /// Loads every config of `opts` and picks the upstream in each.
    pub fn load(opts: &Options, reason: &str) -> Result<Fleet, Failure> {
        if opts.configs.len() > 1
            && (opts.socket.is_some() || opts.pid_file.is_some() || opts.prefix.is_some())
        {
            return Err(Failure::new(
                2,
                "--socket, --pid-file and --prefix name one proxy's files: use them with a single -c \
                 (with several, each config's own `pid` / `stats socket` is used)",
            ));
        }
        let mut members = Vec::new();
        for config in &opts.configs {
            let cfg = Config::load(config, opts.kind)
                .map_err(|e| Failure::new(e.exit_code(), e.to_string()))?;
            if opts.socket.is_some() && cfg.kind == ProxyKind::Nginx {
                return Err(Failure::new(
                    2,
                    format!(
                        "--socket is haproxy's admin socket, and {} is an nginx config",
                        config.display()
                    ),
                ));
            }
            let upstream = pick_upstream(&cfg, config, opts.upstream.as_deref())?;
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
                config: config.clone(),
                kind: cfg.kind,
                reload: opts.reload.clone(),
                drain_timeout: opts.drain_timeout,
                reason: reason.to_string(),
                pid_file: opts.pid_file.clone(),
                prefix: opts.prefix.clone(),
                socket: opts.socket.clone(),
            };
            let driver = driver::for_config(ctx.clone(), &cfg);
            members.push(Member {
                config: config.clone(),
                kind: cfg.kind,
                upstream,
                servers,
                cfg,
                ctx,
                driver,
            });
        }
        Ok(Fleet { members })
    }

    /// Fails before anything changes when a proxy cannot take changes (exit 1).
    pub fn preflight(&self) -> Result<(), Failure> {
        for m in &self.members {
            m.driver
                .preflight()
                .map_err(|e| Failure::new(1, format!("{}: {e}", m.config.display())))?;
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
    pub fn named(&self, selector: &str) -> Result<Vec<ServerRef>, String> {
        let mut out = Vec::new();
        for m in &self.members {
            let sel = proxyconf::Selector::parse(selector, Some(&m.upstream))
                .map_err(|e| e.to_string())?;
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
    pub fn check_capacity(&self, actions: &[Action]) -> Result<(), Failure> {
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
                    return Err(Failure::new(
                        2,
                        format!(
                            "step {} ({}) would leave {} with no server of {} in rotation; \
                             use a smaller --batch or deploy that proxy's servers separately",
                            n + 1,
                            a.describe().0,
                            m.config.display(),
                            m.upstream
                        ),
                    ));
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
        let results: Vec<Option<Result<(), String>>> = std::thread::scope(|sc| {
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
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Some(Err("the proxy's thread panicked".into())))
                })
                .collect()
        });
        let failed: Vec<String> = self
            .members
            .iter()
            .zip(&results)
            .filter_map(|(m, r)| match r {
                Some(Err(e)) => Some(if self.members.len() > 1 {
                    format!("{}: {e}", m.config.display())
                } else {
                    e.clone()
                }),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            return Ok(());
        }
        let mut message = failed.join("; ");
        if cancel.load(Ordering::SeqCst) {
            // The interrupt handler decides what comes back.
            return Err(ApplyError {
                message,
                undone: false,
            });
        }
        // Undo on every proxy the change touched, the failed ones too (their edit may be on disk).
        let never = AtomicBool::new(false);
        let mut undone = true;
        for (m, r) in self.members.iter_mut().zip(&results) {
            if r.is_none() {
                continue;
            }
            let (i, o) = (m.mine(bring_in), m.mine(take_out));
            let back = m.driver.apply(&o, &i, &never);
            match (r, back) {
                (_, Ok(())) => {}
                // A failed proxy whose edit never happened has nothing to undo.
                (Some(Err(_)), Err(_)) => {}
                (_, Err(e)) => {
                    undone = false;
                    message.push_str(&format!(
                        "; undoing on {} failed too: {e}",
                        m.config.display()
                    ));
                }
            }
        }
        if undone && self.members.len() > 1 {
            message.push_str("; the step was undone on every proxy");
        }
        Err(ApplyError { message, undone })
    }
}

impl Fleet {
    /// Puts a traffic mode in place on every proxy (edit, reload, confirm). When one cannot take
    /// it, the ones already changed are put back to the mode they had.
    pub fn set_mode(
        &mut self,
        spec: &proxyconf::mode::Spec,
        cancel: &AtomicBool,
    ) -> Result<(), String> {
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
            let result =
                driver::edit_mode(&m.ctx, &m.upstream, spec).and_then(|()| m.driver.reload(cancel));
            done.push((i, before));
            if let Err(e) = result {
                let mut msg = if several {
                    format!("{}: {e}", m.config.display())
                } else {
                    e
                };
                for (j, back) in done {
                    let m = &mut self.members[j];
                    if let Err(e) = driver::edit_mode(&m.ctx, &m.upstream, &back)
                        .and_then(|()| m.driver.reload(&never))
                    {
                        msg.push_str(&format!(
                            "; putting {} back to {} failed too: {e}",
                            m.config.display(),
                            back.mode.word()
                        ));
                    }
                }
                return Err(msg);
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
fn pick_upstream(
    cfg: &Config,
    config: &std::path::Path,
    wanted: Option<&str>,
) -> Result<String, Failure> {
    let mut names: Vec<String> = cfg.upstreams.iter().map(|u| u.name.clone()).collect();
    names.dedup();
    match wanted {
        Some(u) if names.iter().any(|n| n == u) => Ok(u.to_string()),
        Some(u) if names.is_empty() => Err(Failure::new(
            2,
            format!(
                "{}: no upstream or backend named '{u}': it has none at all; is it an included file? \
                 pass the main config (the one with `http {{ }}`, or haproxy's `global`)",
                config.display()
            ),
        )),
        Some(u) => Err(Failure::new(
            2,
            format!(
                "{}: no upstream or backend named '{u}'; there are: {}",
                config.display(),
                names.join(", ")
            ),
        )),
        None => {
            let with_servers: Vec<&String> = names
                .iter()
                .filter(|n| cfg.servers.iter().any(|s| &cfg.upstream_of(s).name == *n))
                .collect();
            match with_servers.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(Failure::new(
                    2,
                    format!(
                        "{} has no upstream or backend with servers; check -c (and -k)",
                        config.display()
                    ),
                )),
                _ => Err(Failure::new(
                    2,
                    format!(
                        "{}: the config has several upstreams; pick one with --upstream ({})",
                        config.display(),
                        names.join(", ")
                    ),
                )),
            }
        }
    }
}
