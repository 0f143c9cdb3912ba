//! swapctl: hot-swap and rolling deploys behind nginx and haproxy. The library holds the
//! strategies, proxy drivers, drain logic and journal; `main.rs` only calls [`run`].

pub mod cli;
pub mod deploy;
pub mod driver;
pub mod journal;
pub mod procwatch;
pub mod recover;
pub mod runtime;
pub mod template;

use clap::Parser;
use cli::{Cli, Command, KindArg, StrategyArg};
use deploy::{Failure, Options, Strategy};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Parses arguments, runs the command, returns the exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    match execute(&cli) {
        Ok(msg) => {
            if !msg.is_empty() {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                // A reader that hung up (`swapctl status | head -1`) is not an error.
                let _ = writeln!(out, "{}", msg.trim_end()).and_then(|()| out.flush());
            }
            0
        }
        Err(f) => {
            eprintln!("swapctl: error: {}", f.message);
            f.code
        }
    }
}

fn options(cli: &Cli) -> Result<Options, Failure> {
    let kind = cli.kind.map(|k| match k {
        KindArg::Nginx => proxyconf::ProxyKind::Nginx,
        KindArg::Haproxy => proxyconf::ProxyKind::Haproxy,
    });
    let dur = |s: &str| healthwait::duration::parse(s).map_err(|e| Failure::new(2, e));
    Ok(Options {
        config: cli.config.clone().unwrap_or_else(|| {
            PathBuf::from(match kind {
                Some(proxyconf::ProxyKind::Haproxy) => "/etc/haproxy/haproxy.cfg",
                _ => "/etc/nginx/nginx.conf",
            })
        }),
        kind,
        upstream: cli.upstream.clone(),
        restart: cli.restart.clone(),
        health: cli.health.clone(),
        health_timeout: dur(&cli.health_timeout)?,
        restart_timeout: dur(&cli.restart_timeout)?,
        drain_timeout: dur(&cli.drain_timeout)?,
        reload: cli.reload.clone(),
        only: Vec::new(),
        quiet: cli.quiet,
        verbose: cli.verbose,
    })
}

fn execute(cli: &Cli) -> Result<String, Failure> {
    let opts = options(cli)?;
    let quiet = cli.quiet;
    let mut log = |line: String| {
        if !quiet {
            eprintln!("swapctl: {line}");
        }
    };
    match &cli.command {
        Command::Plan { strategy, batch } => {
            let (_, upstream, servers) = deploy::inventory(&opts)?;
            let s = match strategy {
                StrategyArg::HotSwap => Strategy::HotSwap,
                StrategyArg::Rolling => Strategy::Rolling(*batch),
            };
            let steps = deploy::steps(s, &servers, servers.len())?;
            Ok(format!(
                "plan for {upstream} ({} servers):\n{}",
                servers.len(),
                deploy::describe(&steps).join("\n")
            ))
        }
        Command::Status => recover::status(&opts),
        Command::Recover => {
            let _lock = lock(&opts, "recover")?;
            recover::recover(&opts, &mut log)
        }
        Command::HotSwap | Command::Rolling { .. } => {
            let strategy = match &cli.command {
                Command::Rolling { batch, .. } => Strategy::Rolling(*batch),
                _ => Strategy::HotSwap,
            };
            let mut opts = opts;
            if let Command::Rolling { only, .. } = &cli.command {
                opts.only = only.clone();
            }
            let _lock = lock(
                &opts,
                if strategy == Strategy::HotSwap {
                    "hot-swap"
                } else {
                    "rolling"
                },
            )?;
            let cancel = Arc::new(AtomicBool::new(false));
            for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                signal_hook::flag::register(sig, cancel.clone()).map_err(|e| {
                    Failure::new(1, format!("cannot install the Ctrl-C handler: {e}"))
                })?;
            }
            deploy::run(&opts, strategy, &cancel, &mut log)
        }
    }
}

fn lock(opts: &Options, what: &str) -> Result<journal::DeployLock, Failure> {
    journal::DeployLock::acquire(&opts.config, what).map_err(|e| match e {
        journal::LockError::Held(m) => Failure::new(3, m),
        journal::LockError::Io(m) => Failure::new(1, m),
    })
}
