//! swapctl: hot-swap and rolling deploys behind nginx and haproxy. The library holds the
//! strategies, proxy drivers, drain logic and journal; `main.rs` only calls [`run`].

pub mod canary;
pub mod cli;
pub mod deploy;
pub mod driver;
pub mod fleet;
pub mod interrupt;
pub mod journal;
pub mod modes;
pub mod outin;
pub mod plan;
pub mod procwatch;
pub mod profile;
pub mod recover;
pub mod report;
pub mod runtime;
pub mod template;

use clap::Parser;
use cli::{Cli, Command, KindArg};
use deploy::{Failure, Options, Strategy};
use report::{Event, Reporter};
use std::path::PathBuf;

/// Parses arguments, runs the command, returns the exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let json = cli.json;
    let (text, code) = match execute(&cli) {
        Ok(done) => done,
        Err(f) => {
            if json {
                finished(&cli, f.code, &f.message);
            } else {
                report::say(&format!("error: {}", f.message));
            }
            return f.code;
        }
    };
    if json && is_event_command(&cli.command) {
        finished(&cli, code, &text);
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

/// The last JSON event (or, for `plan`/`status`, an error document).
fn finished(cli: &Cli, code: i32, message: &str) {
    let status = match code {
        0 => "done",
        130 => "interrupted",
        _ => "failed",
    };
    let ev = Event::Finished {
        status: status.into(),
        exit_code: code,
        message: message.to_string(),
    };
    if is_event_command(&cli.command) {
        Reporter {
            json: true,
            quiet: false,
        }
        .emit(&ev);
    } else {
        let doc = serde_json::json!({ "error": { "message": message, "exit_code": code } });
        println!("{doc}");
    }
}

/// Settings from the command line, or from `--profile` (which the command line may not override
/// where it names files or commands).
pub fn options(cli: &Cli) -> Result<Options, Failure> {
    let mut p = match &cli.profile {
        Some(name) => profile::load(name).map_err(|e| Failure::new(2, e))?,
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
            return Err(Failure::new(
                2,
                format!(
                    "--profile {name} sets the files and commands: {} cannot be given with it \
                     (edit {} instead)",
                    clash.join(", "),
                    profile::dir().join(format!("{name}.toml")).display()
                ),
            ));
        }
    }
    let kind = match (cli.kind, p.kind.as_deref()) {
        (Some(KindArg::Nginx), _) | (None, Some("nginx")) => Some(proxyconf::ProxyKind::Nginx),
        (Some(KindArg::Haproxy), _) | (None, Some("haproxy")) => {
            Some(proxyconf::ProxyKind::Haproxy)
        }
        (None, None) => None,
        (None, Some(k)) => {
            return Err(Failure::new(
                2,
                format!("profile: kind = '{k}': use nginx or haproxy"),
            ))
        }
    };
    let dur = |flag: &str, cli: &Option<String>, prof: &Option<String>, default: &str| {
        let text = cli.as_deref().or(prof.as_deref()).unwrap_or(default);
        healthwait::duration::parse(text).map_err(|e| Failure::new(2, format!("{flag}: {e}")))
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
        configs.push(PathBuf::from(match kind {
            Some(proxyconf::ProxyKind::Haproxy) => "/etc/haproxy/haproxy.cfg",
            _ => "/etc/nginx/nginx.conf",
        }));
    }
    // Absolute, so the journal and the printed next commands work from any directory.
    let configs: Vec<PathBuf> = configs
        .into_iter()
        .map(|c| std::path::absolute(&c).unwrap_or(c))
        .collect();
    let socket = cli.socket.clone().or(p.socket.take());
    if let Some(sock) = &socket {
        runtime::Runtime::parse(sock, "--socket").map_err(|e| Failure::new(2, e))?;
    }
    Ok(Options {
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

fn execute(cli: &Cli) -> Result<(String, i32), Failure> {
    let mut opts = options(cli)?;
    let reporter = Reporter {
        json: cli.json,
        quiet: cli.quiet,
    };
    let ok = |text: String| (text, 0);
    match &cli.command {
        Command::Plan {
            strategy,
            batch,
            canary,
        } => {
            opts.canary = canary.gate()?;
            plan::plan(&opts, *strategy, *batch).map(ok)
        }
        Command::Status => recover::status(&opts),
        Command::Recover => {
            let _lock = lock(&opts, "recover")?;
            recover::recover(&opts, reporter).map(ok)
        }
        Command::Out { servers } | Command::In { servers } => {
            let is_out = matches!(cli.command, Command::Out { .. });
            let _lock = lock(&opts, if is_out { "out" } else { "in" })?;
            let cancel = ctrl_c(&opts)?;
            if is_out {
                outin::out(&opts, servers, &cancel, reporter).map(ok)
            } else {
                outin::bring_in(&opts, servers, &cancel, reporter).map(ok)
            }
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

fn ctrl_c(opts: &Options) -> Result<std::sync::Arc<std::sync::atomic::AtomicBool>, Failure> {
    interrupt::install(opts.configs.clone(), opts.command_for("status"))
        .map_err(|e| Failure::new(1, e))
}

fn lock(opts: &Options, what: &str) -> Result<journal::DeployLock, Failure> {
    // A mistyped -c must not leave a lock file behind.
    for c in &opts.configs {
        std::fs::metadata(c)
            .map_err(|e| Failure::new(2, format!("cannot read {}: {e}; check -c", c.display())))?;
    }
    journal::DeployLock::acquire_all(&opts.configs, what).map_err(|e| match e {
        journal::LockError::Held(m) => Failure::new(3, m),
        journal::LockError::Io(m) => Failure::new(1, m),
    })
}
