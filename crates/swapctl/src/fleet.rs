//! Every proxy of one deploy (`-c` repeated): servers matched across proxies by address, and each
//! routing change applied to all that hold the server, confirmed on all, or undone on all.

use crate::deploy::{Failure, Options};
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
    /// Every server of that upstream, with whether it serves now (live, enabled, not backup).
    pub servers: Vec<(ServerRef, bool)>,
    /// The loaded config, for `status`.
    pub cfg: Config,
    driver: Box<dyn Driver>,
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
            .map(|(s, _)| s)
            .filter(|s| wanted.iter().any(|w| key(&w.address) == key(&s.address)))
            .cloned()
            .collect()
    }

    /// How this proxy applies changes.
    pub fn describe(&self) -> String {
        self.driver.describe()
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
            let upstream = pick_upstream(&cfg, config, opts.upstream.as_deref())?;
            let servers = cfg
                .servers
                .iter()
                .filter(|s| cfg.upstream_of(s).name == upstream && s.template.is_none())
                .map(|s| {
                    let serves = s.is_live() && s.state == State::Enabled && !s.backup;
                    (
                        ServerRef {
                            upstream: upstream.clone(),
                            name: s.name.clone(),
                            address: s.address.clone(),
                        },
                        serves,
                    )
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
            let driver = driver::for_config(ctx, &cfg);
            members.push(Member {
                config: config.clone(),
                kind: cfg.kind,
                upstream,
                servers,
                cfg,
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
        self.collect(|serves| serves)
    }

    /// Every server of the upstream in any proxy, once each.
    pub fn all(&self) -> Vec<ServerRef> {
        self.collect(|_| true)
    }

    fn collect(&self, want: impl Fn(bool) -> bool) -> Vec<ServerRef> {
        let mut out: Vec<ServerRef> = Vec::new();
        for m in &self.members {
            for (s, serves) in &m.servers {
                if want(*serves) && !out.iter().any(|o| key(&o.address) == key(&s.address)) {
                    out.push(s.clone());
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
                if let Some((r, _)) = m.servers.iter().find(|(r, _)| r.address == s.address) {
                    out.push(r.clone());
                }
            }
        }
        Ok(out)
    }

    /// How many of `servers` serve in the proxy that serves the fewest of them after
    /// `out` is taken out: the capacity left while they are out.
    pub fn left_serving(&self, out: &[ServerRef]) -> usize {
        self.members
            .iter()
            .map(|m| {
                m.servers
                    .iter()
                    .filter(|(s, serves)| {
                        *serves && !out.iter().any(|o| key(&o.address) == key(&s.address))
                    })
                    .count()
            })
            .min()
            .unwrap_or(0)
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
