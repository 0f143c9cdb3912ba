//! swapctl's error: what went wrong, with its context (config, server, step). Each message is
//! what the operator reads after `swapctl: error: `; which exit status it ends with is decided
//! once, by the binary-facing code in `lib.rs`.

use crate::adapters::{profile, runtime, template};
use crate::fleet::{ApplyError, ModeError};
use crate::runner::canary;
use crate::runner::health::HealthError;
use crate::runner::journal::{self, LockError};
use crate::steps::{names, ServerRef};
use std::fmt::Display;
use std::path::PathBuf;

/// Everything a swapctl command can end with, other than success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // Refused before anything changed: flags, profile, plan.
    /// The profile cannot be used.
    #[error(transparent)]
    Profile(#[from] profile::Error),
    /// A flag that `--profile` sets was given as well.
    #[error(
        "--profile {name} sets the files and commands: {} cannot be given with it \
         (edit {} instead)",
        flags.join(", "),
        file.display()
    )]
    ProfileOverride {
        /// The profile.
        name: String,
        /// The flags given.
        flags: Vec<&'static str>,
        /// The profile's file.
        file: PathBuf,
    },
    /// The profile's `kind` is neither nginx nor haproxy.
    #[error("profile: kind = '{kind}': use nginx or haproxy")]
    ProfileKind {
        /// What it says.
        kind: String,
    },
    /// A duration flag that does not parse.
    #[error("{flag}: {reason}")]
    Duration {
        /// The flag (`--health-timeout`, `--observe`, ...).
        flag: String,
        /// Why, as healthwait says it.
        reason: String,
    },
    /// `--retry-after` out of range.
    #[error("--retry-after {given}: give 1s to 7d")]
    RetryAfterRange {
        /// As given.
        given: String,
    },
    /// `--observe` out of range.
    #[error("--observe {given}: watch for 1s to 24h")]
    ObserveRange {
        /// As given.
        given: String,
    },
    /// `--max-error-rate` is not a percentage.
    #[error("--max-error-rate {rate}: give a percentage, 0 to 100")]
    MaxErrorRate {
        /// As given.
        rate: f64,
    },
    /// `--socket` names a socket swapctl cannot reach.
    #[error(transparent)]
    BadSocket(runtime::SetupError),
    /// A `-c` config cannot be read (checked before the deploy lock is taken).
    #[error("cannot read {}: {source}; check -c", config.display())]
    NoConfig {
        /// The config file.
        config: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A template that cannot be filled for a server.
    #[error("{flag}: {source}")]
    Template {
        /// `--restart`, `--rollback` or `--health`.
        flag: &'static str,
        /// Why.
        source: template::Error,
    },
    /// A health URL healthwait cannot use for a server.
    #[error("--health for {server}: {reason}")]
    HealthTarget {
        /// The server.
        server: ServerRef,
        /// Why, as healthwait says it.
        reason: String,
    },
    /// A proxy the canary gate cannot read figures from.
    #[error(transparent)]
    CanarySetup(canary::Error),
    /// A deploy without `--restart`.
    #[error("a deploy needs --restart 'CMD {{port}}' to restart each server")]
    NoRestart,
    /// `--only` with hot-swap.
    #[error("--only applies to rolling; hot-swap always swaps the whole upstream")]
    OnlyOnHotSwap,
    /// `out` would leave a proxy with no server in rotation.
    #[error(
        "taking out {} would leave a proxy with no server of {upstream} in rotation; bring another back first",
        names(servers)
    )]
    WouldEmpty {
        /// The servers.
        servers: Vec<ServerRef>,
        /// The upstream.
        upstream: String,
    },
    /// `resume` with no journal.
    #[error("no deploy has run on {}: nothing to resume", config.display())]
    NothingToResume {
        /// The first config.
        config: PathBuf,
    },
    /// `resume` without every config of the deploy.
    #[error(
        "the deploy to resume also covered {}: resume with a -c for every one of its configs",
        missing.join(", ")
    )]
    ResumeMissingConfigs {
        /// The configs not given.
        missing: Vec<String>,
    },
    /// `resume` after a command that was not a deploy.
    #[error(
        "the last command on {} was `{strategy}`, not a deploy: use `in` or `recover`",
        config.display()
    )]
    ResumeNotADeploy {
        /// The first config.
        config: PathBuf,
        /// What ran last.
        strategy: String,
    },
    /// `resume` after a canary gate that did not pass.
    #[error(
        "the last deploy's canary gate did not pass (step {step} is {state}): resume would deploy the rest \
         unjudged; check the canaries, then run the deploy again with --canary (or `recover`)"
    )]
    ResumeCanaryPending {
        /// The observe step.
        step: usize,
        /// Its state.
        state: String,
    },
    /// `resume` after a canary rollback.
    #[error(
        "the last deploy's canary failed and was rolled back: fix the release, then run the deploy again"
    )]
    ResumeRolledBack,
    /// `resume` without `--restart`.
    #[error("resume restarts servers: give the same --restart as the deploy")]
    ResumeNoRestart,
    /// The mode cannot be put in place (its message, or the upstream's config).
    #[error("{}", hotswap_cli::engine::describe(.0))]
    ModeRefused(#[source] Box<proxyconf::Error>),

    // Locking.
    /// The deploy lock is held, or cannot be taken.
    #[error(transparent)]
    Lock(#[from] LockError),

    /// Ctrl-C cannot be caught.
    #[error("cannot install the Ctrl-C handler: {0}")]
    SignalHandler(#[source] std::io::Error),
    /// `out` took the servers out, but connections to them outlasted `--drain-timeout`.
    #[error(
        "{} out of rotation, but not drained: {}; it stays out (an out is never undone). Wait, or \
         bring it back with: {next}",
        names(servers),
        late.join("; ")
    )]
    StillDraining {
        /// The servers.
        servers: Vec<ServerRef>,
        /// Per proxy, what still holds connections.
        late: Vec<String>,
        /// The command that brings them back.
        next: String,
    },
    /// The program a command template starts is not there, or cannot be run.
    #[error(
        "{flag}: the program `{program}` does not exist or is not executable (nor found in PATH); \
         nothing was changed"
    )]
    NoProgram {
        /// The flag.
        flag: &'static str,
        /// The program.
        program: String,
    },
    /// A `--health-*` flag cannot be read (healthwait's own message, naming its flag).
    #[error("--health-*: {0}")]
    HealthExpect(String),
    /// A profile's `on-drain-timeout` is neither `stop` nor `proceed`.
    #[error("on-drain-timeout = {given:?}: use \"stop\" or \"proceed\"")]
    OnDrainTimeout {
        /// What was written.
        given: String,
    },
    /// A restart a killed swapctl left running did not end in time.
    #[error(
        "{}: still running after {}; nothing was touched. Let it finish and run this again, or end it \
         (kill -TERM -PID ends its whole process group)",
        running.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        healthwait::duration::round(*after)
    )]
    RestartsRunning {
        /// What still runs.
        running: Vec<crate::runner::orphans::Orphan>,
        /// How long it was waited for.
        after: std::time::Duration,
    },
    /// The journal cannot be read or written.
    #[error(transparent)]
    Journal(#[from] journal::Error),
    /// JSON output cannot be made.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// `in` refused a server that is not healthy (or Ctrl-C came during its health check).
    #[error("{server} is not brought back: {cause}; it stays out")]
    NotBroughtBack {
        /// The server.
        server: ServerRef,
        /// Why.
        #[source]
        cause: Box<HealthError>,
        /// Ctrl-C came meanwhile.
        interrupted: bool,
    },
    /// `recover` could not bring back the healthy servers.
    #[error("bringing back {}: {source}", names(servers))]
    BringBack {
        /// The servers.
        servers: Vec<ServerRef>,
        /// Why.
        source: ApplyError,
    },
    /// `recover` left unhealthy servers out.
    #[error(
        "brought back {}; still out because unhealthy: {} (fix them, then run recover again)",
        names(healthy),
        names(sick)
    )]
    StillOut {
        /// Brought back.
        healthy: Vec<ServerRef>,
        /// Left out.
        sick: Vec<ServerRef>,
    },
    /// `recover` could not undo an unfinished mode change.
    #[error("putting the mode back: {0}")]
    ModeRestore(#[source] Box<ModeError>),
    /// A mode change failed; what was changed is put back.
    #[error(transparent)]
    ModeFailed(Box<ModeError>),

    /// Ctrl-C came before a mode change began.
    #[error("interrupted before the mode change began; nothing changed")]
    ModeNotBegun,
    /// Ctrl-C came during a mode change, which was undone.
    #[error(
        "interrupted: the change to mode {mode} was undone{} ({source})",
        if source.put_back_failed.is_empty() { "; every proxy has the mode it had before" } else { " where it could be" }
    )]
    ModeInterrupted {
        /// The mode asked for.
        mode: &'static str,
        /// What the cut-short change reported.
        source: Box<ModeError>,
    },
    /// A deploy that cannot be planned.
    #[error(transparent)]
    Steps(#[from] crate::steps::Error),
    /// The proxies cannot be read, matched or changed as asked.
    #[error(transparent)]
    Fleet(#[from] crate::fleet::Error),
    /// A run of steps that did not finish.
    #[error(transparent)]
    Run(#[from] crate::runner::Error),
}

impl Error {
    /// Where a deploy that stopped left things, when this error ends one.
    pub fn account(&self) -> Option<&crate::runner::report::Account> {
        match self {
            Error::Run(
                crate::runner::Error::Stopped { account, .. }
                | crate::runner::Error::Interrupted { account },
            ) => Some(&**account),
            _ => None,
        }
        // An account known only in words has nothing for a script.
        .filter(|a| !(a.out.is_empty() && a.serving.is_empty() && a.next.is_empty()))
    }

    /// What the error is about, for the contract's error object: file, server, upstream, holder.
    pub fn context(&self) -> hotswap_cli::Context {
        use hotswap_cli::Context;
        let file = |p: &std::path::Path| Some(p.display().to_string());
        let server = |s: &ServerRef| Some(s.selector());
        match self {
            Error::ModeRefused(e) => hotswap_cli::engine::context(e),
            Error::Fleet(e) => e.context(),
            Error::NoConfig { config, .. }
            | Error::NothingToResume { config }
            | Error::ResumeNotADeploy { config, .. } => Context {
                file: file(config),
                ..Context::default()
            },
            Error::Profile(p) => p.context(),
            Error::ProfileOverride { file: f, .. } => Context {
                file: file(f),
                ..Context::default()
            },
            Error::WouldEmpty { servers, upstream } => Context {
                server: servers.first().and_then(server),
                upstream: Some(upstream.clone()),
                ..Context::default()
            },
            Error::HealthTarget { server: s, .. } | Error::NotBroughtBack { server: s, .. } => {
                Context {
                    server: server(s),
                    upstream: Some(s.upstream.clone()),
                    ..Context::default()
                }
            }
            Error::Lock(LockError::Held { path, holder }) => Context {
                file: file(path),
                holder: holder.clone(),
                ..Context::default()
            },
            _ => Context::default(),
        }
    }

    /// A duration flag healthwait cannot parse; takes its error as text, whatever its type.
    pub fn duration(flag: &str, reason: impl Display) -> Error {
        Error::Duration {
            flag: flag.to_string(),
            reason: reason.to_string(),
        }
    }

    /// A health URL healthwait refuses for `server`; takes its error as text, whatever its type.
    pub fn health_target(server: &ServerRef, reason: impl Display) -> Error {
        Error::HealthTarget {
            server: server.clone(),
            reason: reason.to_string(),
        }
    }
}

impl From<proxyconf::Error> for Error {
    fn from(e: proxyconf::Error) -> Self {
        Error::Fleet(crate::fleet::Error::Config(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    //! The messages are a contract (scripts and tests read them): each Display is checked
    //! against the text swapctl printed when errors were strings.
    use super::*;
    use crate::adapters::procwatch;
    use crate::fleet::ProxyError;
    use crate::runner::canary::{Figures, Seen};
    use crate::runner::restart::RestartError;
    use crate::runner::StepError;
    use std::time::Duration;

    fn srv(name: Option<&str>, address: &str) -> ServerRef {
        ServerRef {
            upstream: "app".into(),
            name: name.map(String::from),
            address: address.into(),
        }
    }

    #[test]
    fn usage_messages_are_unchanged() {
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::ProfileOverride {
                    name: "app".into(),
                    flags: vec!["-c", "--restart"],
                    file: "/etc/hotswap/app.toml".into(),
                },
                "--profile app sets the files and commands: -c, --restart cannot be given with it (edit /etc/hotswap/app.toml instead)",
            ),
            (
                Error::duration("--health-timeout", "bad duration 'x'"),
                "--health-timeout: bad duration 'x'",
            ),
            (
                Error::from(crate::fleet::Error::NoUpstreams {
                    config: "/x/inc.conf".into(),
                    wanted: "app".into(),
                }),
                "/x/inc.conf: no upstream or backend named 'app': it has none at all; is it an included file? pass the main config (the one with `http { }`, or haproxy's `global`)",
            ),
            (
                Error::from(crate::fleet::Error::OneProxyFlags),
                "--socket, --pid-file and --prefix name one proxy's files: use them with a single -c (with several, each config's own `pid` / `stats socket` is used)",
            ),
            (
                Error::from(crate::steps::Error::BatchTooLarge {
                    batch: 3,
                    enabled: 3,
                }),
                "--batch 3 would take all 3 enabled servers out at once; use 1..2",
            ),
            (
                Error::NoRestart,
                "a deploy needs --restart 'CMD {port}' to restart each server",
            ),
            (
                Error::ResumeCanaryPending {
                    step: 4,
                    state: "failed".into(),
                },
                "the last deploy's canary gate did not pass (step 4 is failed): resume would deploy the rest unjudged; check the canaries, then run the deploy again with --canary (or `recover`)",
            ),
            (
                Error::from(crate::fleet::Error::NoCapacity {
                    step: 2,
                    action: "take out".into(),
                    config: "/n.conf".into(),
                    upstream: "app".into(),
                }),
                "step 2 (take out) would leave /n.conf with no server of app in rotation; use a smaller --batch or deploy that proxy's servers separately",
            ),
            (
                Error::Template {
                    flag: "--restart",
                    source: template::Error::NoHostPort {
                        key: "port".into(),
                        template: "x {port}".into(),
                        address: "unix:/a.sock".into(),
                    },
                },
                "--restart: {port} in 'x {port}': unix:/a.sock is a unix socket and has no port; use {address} (or {name})",
            ),
            (
                Error::WouldEmpty {
                    servers: vec![srv(Some("web1"), "127.0.0.1:1")],
                    upstream: "app".into(),
                },
                "taking out web1 (127.0.0.1:1) would leave a proxy with no server of app in rotation; bring another back first",
            ),
            (
                Error::CanarySetup(canary::Error::NoAccessLog {
                    config: "/n.conf".into(),
                }),
                "--canary on /n.conf reads the access log in swapctl's format: add `log_format swapctl '$msec|$status|$upstream_addr|$upstream_status';` and `access_log /var/log/nginx/swapctl.log swapctl;` to the http block, or pass --access-log",
            ),
            (
                Error::Profile(profile::Error::NotRoot {
                    path: "/p/app.toml".into(),
                    uid: 1000,
                }),
                "/p/app.toml is owned by uid 1000, not root: a profile runs commands as root, so only root may own it (chown root: /p/app.toml)",
            ),
            (
                Error::Profile(profile::Error::Writable {
                    path: "/p/app.toml".into(),
                    mode: 0o664,
                }),
                "/p/app.toml is writable by group or others (mode 664): chmod go-w /p/app.toml",
            ),
            (
                Error::BadSocket(runtime::SetupError::Unsupported {
                    origin: "--socket".into(),
                    text: "abns@x".into(),
                }),
                "--socket: cannot use the admin socket 'abns@x': swapctl reaches unix:PATH and tcp:HOST:PORT sockets only (pass --socket, or --reload to apply changes by reloading)",
            ),
            (
                Error::Lock(LockError::Held {
                    path: "/x/.n.conf.swapctl.lock".into(),
                    holder: None,
                }),
                "another deploy holds /x/.n.conf.swapctl.lock: holder unknown",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
    }

    #[test]
    fn runtime_messages_are_unchanged() {
        let rt = runtime::Runtime::parse("unix:/run/admin.sock", "--socket").expect("socket");
        let figures = Figures {
            seen: Seen {
                requests: 40,
                errors: 10,
            },
            window: Duration::from_secs(5),
            limit: 5.0,
        };
        let apply = ApplyError {
            failed: vec![ProxyError {
                config: "/a.cfg".into(),
                error: crate::drivers::Error::Wait(procwatch::Error::NoNewWorker {
                    after: Duration::from_secs(30),
                }),
            }],
            undo_failed: vec![ProxyError {
                config: "/b.cfg".into(),
                error: crate::drivers::Error::Runtime(runtime::Error::NotIdle {
                    backend: "app".into(),
                    server: "web1".into(),
                    sessions: 2,
                    after: Duration::from_secs(30),
                }),
            }],
            several: true,
            undone: false,
        };
        let cases: Vec<(String, &str)> = vec![
            (
                apply.to_string(),
                "/a.cfg: no new worker process appeared within 30s: the reload did not take (check the proxy's error log); undoing on /b.cfg failed too: app/web1 still has 2 session(s) after 30s (raise --drain-timeout)",
            ),
            (
                StepError::CanaryRolledBack {
                    figures,
                    healthy: vec![srv(None, "127.0.0.1:1")],
                    still: vec![srv(None, "127.0.0.1:2")],
                }
                .to_string(),
                "canary failed: 25.0% errors (10 of 40 requests) over 5s, limit 5%; rolled back 127.0.0.1:1 with --rollback; still out (rollback failed or unhealthy): 127.0.0.1:2; no other server was restarted",
            ),
            (
                StepError::Restart(vec![
                    (
                        srv(None, "127.0.0.1:1"),
                        RestartError::TimedOut {
                            after: Duration::from_secs(2),
                        },
                    ),
                    (
                        srv(None, "127.0.0.1:2"),
                        RestartError::Health(HealthError::NotHealthy {
                            within: Duration::from_secs(1),
                            last: "connection refused".into(),
                        }),
                    ),
                ])
                .to_string(),
                "127.0.0.1:1: restart command did not finish within 2s; its process group was ended (TERM, then KILL); 127.0.0.1:2: not healthy within 1s: connection refused",
            ),
            (
                Error::from(crate::runner::Error::RolledBack {
                    step: 4,
                    total: 7,
                    cause: Box::new(StepError::Interrupted),
                    out: Vec::new(),
                })
                .to_string(),
                "stopped at step 4/7: interrupted\n  out of rotation:   none\n  next: fix the release, then run the deploy again",
            ),
            (
                Error::from(crate::fleet::Error::Preflight {
                    config: "/h.cfg".into(),
                    source: runtime::Error::NotAdmin {
                        socket: rt.clone(),
                        level: "user".into(),
                    }
                    .into(),
                })
                .to_string(),
                "/h.cfg: the haproxy admin socket unix:/run/admin.sock (--socket) is at level user, which cannot change server states",
            ),
            (
                crate::drivers::Error::Standalone {
                    pid: 42,
                    pidfile: "/run/h.pid".into(),
                    config: "/h.cfg".into(),
                }
                .to_string(),
                "haproxy pid 42 (from /run/h.pid) runs without a master process, so it cannot be reloaded by a signal: pass --reload 'haproxy -D -p /run/h.pid -f /h.cfg -sf $(cat /run/h.pid)', or run it with -W or a `stats socket ... level admin`",
            ),
            (
                Error::ModeInterrupted {
                    mode: "read-only",
                    source: Box::new(ModeError {
                        config: "/b.cfg".into(),
                        several: true,
                        error: crate::drivers::Error::Wait(procwatch::Error::Interrupted),
                        put_back_failed: vec![crate::fleet::PutBack {
                            config: "/a.cfg".into(),
                            mode: "normal",
                            on_disk: true,
                            error: crate::drivers::Error::NoWayToReload {
                                config: "/a.cfg".into(),
                            },
                        }],
                    }),
                }
                .to_string(),
                "interrupted: the change to mode read-only was undone where it could be (/b.cfg: interrupted; /a.cfg is back to normal on disk, but reloading it failed too: /a.cfg: a mode change needs a reload, and there is no `pidfile`: pass --pid-file or --reload)",
            ),
            (
                ModeError {
                    config: "/b.cfg".into(),
                    several: true,
                    error: crate::drivers::Error::Wait(procwatch::Error::Interrupted),
                    put_back_failed: vec![crate::fleet::PutBack {
                        config: "/a.cfg".into(),
                        mode: "normal",
                        on_disk: false,
                        error: crate::drivers::Error::NoWayToReload {
                            config: "/a.cfg".into(),
                        },
                    }],
                }
                .to_string(),
                "/b.cfg: interrupted; putting /a.cfg back to normal failed too: /a.cfg: a mode change needs a reload, and there is no `pidfile`: pass --pid-file or --reload",
            ),
            (
                Error::NotBroughtBack {
                    server: srv(Some("web1"), "127.0.0.1:1"),
                    cause: Box::new(HealthError::Interrupted),
                    interrupted: true,
                }
                .to_string(),
                "web1 (127.0.0.1:1) is not brought back: interrupted; it stays out",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        use crate::exit_code;
        assert_eq!(exit_code(&Error::from(crate::steps::Error::BatchZero)), 2);
        assert_eq!(
            exit_code(&Error::from(crate::fleet::Error::NoSuchUpstream {
                config: "/c".into(),
                wanted: "x".into(),
                known: Vec::new()
            })),
            3
        );
        assert_eq!(
            exit_code(&Error::Lock(LockError::Held {
                path: "/l".into(),
                holder: None
            })),
            6
        );
        assert_eq!(
            exit_code(&Error::from(crate::runner::Error::Interrupted {
                account: Box::default()
            })),
            130
        );
        assert_eq!(exit_code(&Error::ModeNotBegun), 130);
        assert_eq!(
            exit_code(&Error::StillOut {
                healthy: Vec::new(),
                sick: Vec::new()
            }),
            1
        );
        let not_in = |interrupted| Error::NotBroughtBack {
            server: srv(None, "127.0.0.1:1"),
            cause: Box::new(HealthError::Interrupted),
            interrupted,
        };
        assert_eq!(exit_code(&not_in(true)), 130);
        assert_eq!(exit_code(&not_in(false)), 1);
    }
}
