//! swapctl: hot-swap and rolling deploys behind nginx and haproxy. The library holds the
//! commands, the runner, the fleet of proxies, their drivers, the steps and the adapters, in that
//! order from the top; `main.rs` only calls [`run`].
//!
//! Errors are typed ([`Error`] and the small enums of each module); which exit status one ends
//! with is decided here, once, by [`exit_code`].
#![warn(missing_docs)]

// The layers, top to bottom; every import points down (see the README's layout).
pub mod adapters;
pub mod cli;
pub mod commands;
pub mod drivers;
mod error;
pub mod fleet;
pub mod runner;
pub mod steps;

pub use error::Error;

use adapters::{profile, runtime};
use cli::{Cli, Command};
use commands::{deploy, modes, outin, plan, recover};
use hotswap_cli::{Context, Kind, Reportable, EXIT_INTERRUPTED, EXIT_RUNTIME};
use runner::report::{self, Event, Reporter};
use runner::{interrupt, journal};
use std::path::PathBuf;
use steps::{Options, Strategy};

/// The contract's kind of an error (DESIGN.md's table): 1 runtime (stopped), 2 usage (flags,
/// profile, templates), 3 not_found, 4 refused by a safety rule, 6 busy (another deploy holds the
/// lock), 130 interrupted; a config the engine cannot load has the engine's own kind.
pub fn kind(e: &Error) -> Kind {
    use journal::LockError;
    match e {
        Error::Profile(_)
        | Error::Journal(journal::Error::Untrusted { .. })
        | Error::ProfileOverride { .. }
        | Error::ProfileKind { .. }
        | Error::Duration { .. }
        | Error::RetryAfterRange { .. }
        | Error::ObserveRange { .. }
        | Error::MaxErrorRate { .. }
        | Error::BadSocket(_)
        | Error::NoConfig { .. }
        | Error::Template { .. }
        | Error::HealthTarget { .. }
        | Error::Steps(_)
        | Error::CanarySetup(_)
        | Error::NoRestart
        | Error::OnlyOnHotSwap
        | Error::NothingToResume { .. }
        | Error::ResumeMissingConfigs { .. }
        | Error::ResumeNotADeploy { .. }
        | Error::ResumeCanaryPending { .. }
        | Error::ResumeRolledBack
        | Error::ResumeNoRestart
        | Error::OnDrainTimeout { .. }
        | Error::HealthExpect(_) => Kind::Usage,
        Error::Fleet(f) => fleet_kind(f),
        Error::WouldEmpty { .. } => Kind::Refused,
        // A mode the engine refuses (refused), or a message it cannot take (usage).
        Error::ModeRefused(e) => hotswap_cli::engine::kind(e),
        Error::Lock(LockError::Held { .. }) => Kind::Busy,
        Error::Lock(LockError::Open { .. } | LockError::Lock { .. }) => Kind::Runtime,
        Error::Run(runner::Error::Interrupted { .. }) => Kind::Interrupted,
        Error::Run(_)
        | Error::SignalHandler(_)
        | Error::RestartsRunning { .. }
        | Error::StillDraining { .. }
        | Error::NoProgram { .. }
        | Error::Journal(_)
        | Error::Json(_)
        | Error::BringBack { .. }
        | Error::StillOut { .. }
        | Error::ModeRestore(_)
        | Error::ModeFailed(_) => Kind::Runtime,
        Error::NotBroughtBack { interrupted, .. } => {
            if *interrupted {
                Kind::Interrupted
            } else {
                Kind::Runtime
            }
        }
        Error::ModeNotBegun | Error::ModeInterrupted { .. } => Kind::Interrupted,
    }
}

fn fleet_kind(e: &fleet::Error) -> Kind {
    use fleet::Error as F;
    match e {
        F::OneProxyFlags | F::SocketOnNginx { .. } | F::SeveralUpstreams { .. } => Kind::Usage,
        F::Selector { .. } | F::NoUpstreams { .. } => Kind::Usage,
        F::NoSuchUpstream { .. } | F::NoServers { .. } => Kind::NotFound,
        F::NoSuchServer { .. } => Kind::NotFound,
        F::NoCapacity { .. } => Kind::Refused,
        F::Config(e) => hotswap_cli::engine::kind(e),
        F::Preflight { .. } => Kind::Runtime,
    }
}

/// The exit status an error ends swapctl with: its kind's.
pub fn exit_code(e: &Error) -> i32 {
    kind(e).code()
}

/// A step that stopped because the validator rejected an edit, or because another edit held a
/// file's lock, ends as upstream-toggle would: rejected (5) or busy (6), not plain runtime.
fn kind_within(e: &Error) -> Kind {
    let base = kind(e);
    if base != Kind::Runtime {
        return base;
    }
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let engine = c
            .downcast_ref::<proxyconf::Error>()
            .or_else(|| c.downcast_ref::<Box<proxyconf::Error>>().map(|b| &**b));
        match engine.map(hotswap_cli::engine::kind) {
            Some(k @ (Kind::Rejected | Kind::Busy)) => return k,
            _ => cause = c.source(),
        }
    }
    base
}

impl Reportable for Error {
    fn kind(&self) -> Kind {
        kind_within(self)
    }
    fn context(&self) -> Context {
        self.context()
    }
}

/// Parses arguments, runs the command, returns the exit code.
pub fn run() -> i32 {
    let cli: Cli = match hotswap_cli::parse_with("swapctl", cli::command()) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let json = cli.json;
    let (text, ok) = match execute(&cli) {
        Ok(done) => done,
        Err(e) => {
            let error = e.object();
            // On stderr always, for the person reading the log; under --json on stdout too.
            report::say(&format!("error: {e}"));
            if json && is_event_command(&cli.command) {
                finished(
                    error.exit_code,
                    &error.message,
                    Some(error.clone()),
                    e.account(),
                );
            } else if json {
                hotswap_cli::emit_error_doc(&error.document());
            }
            return error.exit_code;
        }
    };
    // Only `status` succeeds with "not ok": the last deploy left servers out.
    let code = if ok { 0 } else { EXIT_RUNTIME };
    if json && is_event_command(&cli.command) {
        finished(code, &text, None, None);
    } else if !text.is_empty() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // A reader that hung up (`swapctl status | head -1`) is not an error.
        let _ = writeln!(out, "{}", text.trim_end()).and_then(|()| out.flush());
    }
    code
}

fn is_event_command(c: &Command) -> bool {
    !matches!(
        c,
        Command::Plan { .. } | Command::Status | Command::Mode { mode: None, .. }
    )
}

/// The last JSON event of a deploy-like command.
fn finished(
    code: i32,
    message: &str,
    error: Option<hotswap_cli::ErrorObject>,
    account: Option<&report::Account>,
) {
    let status = match code {
        0 => "done",
        EXIT_INTERRUPTED => "interrupted",
        _ => "failed",
    };
    let ev = Event::Finished {
        status: status.into(),
        exit_code: code,
        message: message.to_string(),
        error,
        account: account.cloned(),
    };
    Reporter {
        json: true,
        quiet: false,
    }
    .emit(&ev);
}

/// Settings from the command line, or from `--profile` (which the command line may not override
/// where it names files or commands).
pub fn options(cli: &Cli) -> Result<Options, Error> {
    let mut p = match &cli.profile {
        Some(name) => profile::load(name)?,
        None => profile::Profile::default(),
    };
    if let Some(name) = &cli.profile {
        let given = [
            ("-c", !cli.config.is_empty()),
            ("--restart", cli.restart.is_some()),
            ("--health", cli.health.is_some()),
            ("--reload", cli.reload.is_some()),
            ("--socket", cli.socket.is_some()),
            ("--pid-file", cli.pid_file.is_some()),
            ("--prefix", cli.prefix.is_some()),
            ("-k", cli.kind.is_some()),
            ("--upstream", cli.upstream.is_some()),
        ];
        let clash: Vec<&str> = given.iter().filter(|g| g.1).map(|g| g.0).collect();
        if !clash.is_empty() {
            return Err(Error::ProfileOverride {
                name: name.clone(),
                flags: clash,
                file: profile::dir().join(format!("{name}.toml")),
            });
        }
    }
    let kind = match (cli.kind, p.kind.as_deref()) {
        (Some(k), _) => Some(k.into()),
        (None, Some("nginx")) => Some(proxyconf::ProxyKind::Nginx),
        (None, Some("haproxy")) => Some(proxyconf::ProxyKind::Haproxy),
        (None, None) => None,
        (None, Some(k)) => {
            return Err(Error::ProfileKind {
                kind: k.to_string(),
            })
        }
    };
    let dur = |flag: &str, cli: &Option<String>, prof: &Option<String>, default: &str| {
        let text = cli.as_deref().or(prof.as_deref()).unwrap_or(default);
        match healthwait::duration::parse(text) {
            // A bound of 0 would fail every restart, health wait and drain at once.
            Ok(d) if d.is_zero() => Err(Error::duration(
                flag,
                format!("'{text}': give a bound above 0, such as 30s"),
            )),
            Ok(d) => Ok(d),
            Err(e) => Err(Error::duration(flag, e)),
        }
    };
    let mut configs = cli.config.clone();
    if configs.is_empty() {
        configs = p.config.take().map(|c| c.into_vec()).unwrap_or_default();
    }
    // The same file under two spellings is one proxy (and one lock).
    let mut seen = Vec::new();
    configs.retain(|c| {
        let id = std::fs::canonicalize(c).unwrap_or_else(|_| c.clone());
        let fresh = !seen.contains(&id);
        seen.push(id);
        fresh
    });
    if configs.is_empty() {
        configs.push(hotswap_cli::default_config(kind));
    }
    // Absolute, so the journal and the printed next commands work from any directory.
    let configs: Vec<PathBuf> = configs
        .into_iter()
        .map(|c| std::path::absolute(&c).unwrap_or(c))
        .collect();
    let mut saved_health: Vec<String> = Vec::new();
    if matches!(cli.command, Command::Resume) {
        // The deploy's own settings, where neither a flag nor the profile gives one.
        let trusted = match journal::Journal::load_trusted(&configs[0]) {
            Ok(j) => j,
            // Every command given as a flag: the journal's are not needed.
            Err(e @ journal::Error::Untrusted { .. })
                if cli.restart.is_some() || p.restart.is_some() =>
            {
                eprintln!("swapctl: {e}; going by the flags given alone");
                None
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(saved) = trusted.and_then(|j| j.settings) {
            saved_health = saved.health_args;
            p.restart = p.restart.take().or(saved.restart);
            p.health = p.health.take().or(saved.health);
            p.health_timeout = p.health_timeout.take().or(saved.health_timeout);
            p.restart_timeout = p.restart_timeout.take().or(saved.restart_timeout);
            p.drain_timeout = p.drain_timeout.take().or(saved.drain_timeout);
            p.on_drain_timeout = p.on_drain_timeout.take().or(saved.on_drain_timeout);
            p.reload = p.reload.take().or(saved.reload);
            p.socket = p.socket.take().or(saved.socket);
            p.pid_file = p.pid_file.take().or(saved.pid_file);
            p.prefix = p.prefix.take().or(saved.prefix);
        }
    }
    let socket = cli.socket.clone().or(p.socket.take());
    if let Some(sock) = &socket {
        runtime::Runtime::parse(sock, "--socket").map_err(Error::BadSocket)?;
    }
    let mut health_args: Vec<String> = Vec::new();
    let mut flag = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            health_args.extend([name.to_string(), v]);
        }
    };
    // Each expectation from the flag, else from the profile.
    flag(
        "--health-status",
        cli.health_status.clone().or(p.health_status.take()),
    );
    flag(
        "--health-body",
        cli.health_body.clone().or(p.health_body.take()),
    );
    flag(
        "--health-body-regex",
        cli.health_body_regex.clone().or(p.health_body_regex.take()),
    );
    let headers = if cli.health_header.is_empty() {
        std::mem::take(&mut p.health_header)
    } else {
        cli.health_header.clone()
    };
    for h in headers {
        flag("--health-header", Some(h));
    }
    flag(
        "--health-cacert",
        cli.health_cacert
            .clone()
            .or(p.health_cacert.take())
            .map(|p| p.display().to_string()),
    );
    if cli.health_insecure || p.health_insecure {
        health_args.push("--health-insecure".into());
    }
    if health_args.is_empty() {
        health_args = saved_health;
    }
    let health_expect = healthwait::cli::probe_options(&expectations(&health_args))
        .map_err(|e| Error::HealthExpect(e.to_string()))?;
    Ok(Options {
        health_expect,
        health_args,
        configs,
        kind,
        upstream: cli.upstream.clone().or(p.upstream.take()),
        restart: cli.restart.clone().or(p.restart.take()),
        health: cli.health.clone().or(p.health.take()),
        health_timeout: dur(
            "--health-timeout",
            &cli.health_timeout,
            &p.health_timeout,
            "60s",
        )?,
        restart_timeout: dur(
            "--restart-timeout",
            &cli.restart_timeout,
            &p.restart_timeout,
            "120s",
        )?,
        drain_timeout: dur(
            "--drain-timeout",
            &cli.drain_timeout,
            &p.drain_timeout,
            "30s",
        )?,
        late_drains: None,
        every_upstream: matches!(
            cli.command,
            Command::Out { .. } | Command::In { .. } | Command::Status
        ),
        drain_timeout_proceeds: match cli.on_drain_timeout.clone().or(p.on_drain_timeout.take()) {
            None => false,
            Some(w) if w == "stop" => false,
            Some(w) if w == "proceed" => true,
            Some(w) => return Err(Error::OnDrainTimeout { given: w }),
        },
        reload: cli.reload.clone().or(p.reload.take()),
        socket,
        pid_file: cli.pid_file.clone().or(p.pid_file.take()),
        prefix: cli.prefix.clone().or(p.prefix.take()),
        profile: cli.profile.clone(),
        only: Vec::new(),
        quiet: cli.quiet,
        verbose: cli.verbose,
        json: cli.json,
        canary: None,
    })
}

/// The `--health-*` flags (as given, or as a journal kept them) in healthwait's terms.
fn expectations(args: &[String]) -> healthwait::cli::Expect {
    let mut e = healthwait::cli::Expect::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned();
        match flag.as_str() {
            "--health-status" => e.status = value(),
            "--health-body" => e.body = value(),
            "--health-body-regex" => e.body_regex = value(),
            "--health-header" => e.headers.extend(value()),
            "--health-cacert" => e.cacert = value().map(PathBuf::from),
            "--health-insecure" => e.insecure = true,
            _ => {}
        }
    }
    e
}

/// Runs the command: its text, and whether all is well (false only for `status` when the last
/// deploy left servers out).
fn execute(cli: &Cli) -> Result<(String, bool), Error> {
    let mut opts = options(cli)?;
    let reporter = Reporter {
        json: cli.json,
        quiet: cli.quiet,
    };
    let ok = |text: String| (text, true);
    match &cli.command {
        Command::Plan {
            strategy,
            batch,
            canary,
        } => {
            opts.canary = canary.gate()?;
            let s = match strategy {
                cli::StrategyArg::HotSwap => Strategy::HotSwap,
                cli::StrategyArg::Rolling => Strategy::Rolling(*batch),
            };
            plan::plan(&opts, s).map(ok)
        }
        Command::Status => recover::status(&opts),
        Command::Recover => {
            let _lock = lock(&opts, "recover")?;
            let cancel = ctrl_c(&opts)?;
            recover::recover(&opts, &cancel, reporter).map(ok)
        }
        Command::Out { servers, reason } => {
            let _lock = lock(&opts, "out")?;
            let cancel = ctrl_c(&opts)?;
            outin::out(&opts, servers, reason.as_deref(), &cancel, reporter).map(ok)
        }
        Command::In { servers } => {
            let _lock = lock(&opts, "in")?;
            let cancel = ctrl_c(&opts)?;
            outin::bring_in(&opts, servers, &cancel, reporter).map(ok)
        }
        Command::Mode { mode: None, .. } => modes::show(&opts).map(ok),
        Command::Mode {
            mode: Some(m),
            message,
            retry_after,
        } => {
            let change = modes::Change::from_args(
                match m {
                    cli::ModeArg::Normal => proxyconf::mode::Mode::Normal,
                    cli::ModeArg::ReadOnly => proxyconf::mode::Mode::ReadOnly,
                    cli::ModeArg::Maintenance => proxyconf::mode::Mode::Maintenance,
                },
                message.clone(),
                retry_after,
            )?;
            let _lock = lock(&opts, "mode")?;
            let cancel = ctrl_c(&opts)?;
            modes::set(&opts, &change, &cancel, reporter).map(ok)
        }
        Command::Resume => {
            let _lock = lock(&opts, "resume")?;
            let cancel = ctrl_c(&opts)?;
            deploy::resume(&opts, &cancel, reporter).map(ok)
        }
        Command::HotSwap | Command::Rolling { .. } => {
            let strategy = match &cli.command {
                Command::Rolling {
                    batch,
                    only,
                    canary,
                } => {
                    opts.only = only.clone();
                    opts.canary = canary.gate()?;
                    Strategy::Rolling(*batch)
                }
                _ => Strategy::HotSwap,
            };
            let _lock = lock(&opts, strategy.name())?;
            let cancel = ctrl_c(&opts)?;
            deploy::run(&opts, strategy, &cancel, reporter).map(ok)
        }
    }
}

fn ctrl_c(opts: &Options) -> Result<std::sync::Arc<std::sync::atomic::AtomicBool>, Error> {
    interrupt::install(opts.configs.clone(), opts.command_for("status"), opts.json)
        .map_err(Error::SignalHandler)
}

fn lock(opts: &Options, what: &str) -> Result<journal::DeployLock, Error> {
    // A mistyped -c must not leave a lock file behind.
    for c in &opts.configs {
        std::fs::metadata(c).map_err(|source| Error::NoConfig {
            config: c.clone(),
            source,
        })?;
    }
    Ok(journal::DeployLock::acquire_all(&opts.configs, what)?)
}

/// The JSON Schema files of swapctl's output: (file name, pretty JSON).
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty = |s: schemars::Schema| {
        let mut t = serde_json::to_string_pretty(&s).unwrap_or_default();
        t.push('\n');
        t
    };
    vec![
        (
            "swapctl-event.schema.json",
            pretty(schemars::schema_for!(report::Stamped<'static>)),
        ),
        (
            "swapctl-plan.schema.json",
            pretty(schemars::schema_for!(commands::plan::PlanReport)),
        ),
        (
            "swapctl-mode.schema.json",
            pretty(schemars::schema_for!(Vec<commands::modes::ModeRow>)),
        ),
        (
            "swapctl-status.schema.json",
            pretty(schemars::schema_for!(commands::recover::StatusReport)),
        ),
    ]
}
