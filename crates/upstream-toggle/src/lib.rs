//! upstream-toggle: the CLI over the proxyconf engine. `main.rs` only calls [`run`].

pub mod cli;
mod complete;
pub mod json;
mod list_json;
mod live_hint;
mod output;

use cli::{Cli, Command, MethodArg};
use hotswap_cli::EngineFailure;
use proxyconf::{commit, plan, Method, ProxyKind, Request, Selector};
use std::time::SystemTime;

const TOOL: &str = "upstream-toggle";

type Result<T> = std::result::Result<T, proxyconf::Error>;

/// Parses the arguments, runs the command and returns the process exit code.
pub fn run() -> i32 {
    // `COMPLETE=bash upstream-toggle` prints the shell registration; the shell then asks here.
    clap_complete::CompleteEnv::with_factory(cli::command).complete();
    let cli: Cli = match hotswap_cli::parse_args(TOOL) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match execute(&cli).map_err(EngineFailure) {
        Ok(()) => 0,
        Err(e) => hotswap_cli::fail(TOOL, &e, cli.json),
    }
}

fn execute(cli: &Cli) -> Result<()> {
    let kind = cli.kind.map(ProxyKind::from);
    let path = cli
        .config
        .clone()
        .unwrap_or_else(|| hotswap_cli::default_config(kind));
    match &cli.command {
        Command::List => {
            let cfg = proxyconf::Config::load(&path, kind)?;
            cfg.ensure_upstreams()?;
            if let Some(u) = &cli.upstream {
                proxyconf::plan::check_upstream_exists(&cfg, u)?;
            }
            let shown: Vec<usize> = (0..cfg.servers.len())
                .filter(|&i| {
                    cli.upstream
                        .as_ref()
                        .is_none_or(|u| &cfg.upstream_of(&cfg.servers[i]).name == u)
                })
                .collect();
            for w in &cfg.warnings {
                hotswap_cli::warn(TOOL, w);
            }
            if cli.verbose {
                let files: Vec<_> = cfg.files.iter().map(|f| f.path.display()).collect();
                eprintln!("upstream-toggle: read {}", join(&files));
            }
            if cli.json {
                emit_with(|out| list_json::list_json(&cfg, &shown, out));
            } else {
                emit(output::list_table(&cfg, &shown).as_bytes());
            }
            // The process exits next; freeing a 20,000-server inventory one string at a time is wasted work.
            std::mem::forget(cfg);
            Ok(())
        }
        Command::Disable {
            servers,
            method,
            reason,
            edit,
        } => {
            let req = Request::Disable {
                method: method.map(|m| match m {
                    MethodArg::Comment => Method::Comment,
                    MethodArg::Down => Method::Down,
                }),
                reason: reason.clone(),
            };
            apply(cli, &path, kind, servers, req, *edit)
        }
        Command::Enable { servers, all, edit } => {
            let req = if *all {
                Request::EnableMarked {
                    upstream: cli.upstream.clone(),
                }
            } else {
                Request::Enable
            };
            apply(cli, &path, kind, servers, req, *edit)
        }
    }
}

/// Writes data to stdout; a reader that went away is not an error (see [`hotswap_cli::emit_with`]).
fn emit(bytes: &[u8]) {
    hotswap_cli::emit(TOOL, bytes);
}

fn emit_with(write: impl FnOnce(&mut hotswap_cli::Stdout) -> std::io::Result<()>) {
    hotswap_cli::emit_with(TOOL, write);
}

fn apply(
    cli: &Cli,
    path: &std::path::Path,
    kind: Option<ProxyKind>,
    servers: &[String],
    req: Request,
    edit: cli::EditArgs,
) -> Result<()> {
    let selectors = servers
        .iter()
        .map(|s| Selector::parse(s, cli.upstream.as_deref()))
        .collect::<Result<Vec<_>>>()?;
    let opts = commit::Options {
        dry_run: edit.dry_run,
        no_validate: edit.no_validate,
        // nginx -p resolves against the caller's directory; the validator runs elsewhere.
        prefix: cli
            .prefix
            .as_deref()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())),
        lock_timeout: cli.lock_timeout,
        force: edit.force,
        waiting: (!cli.quiet).then_some(|m: &str| eprintln!("upstream-toggle: {m}")),
    };
    // Only servers a selector may name need a full inventory entry. A bulk enable reads every
    // server: a marked line is left alone when a live copy of it exists anywhere in its upstream.
    let bulk = matches!(req, Request::EnableMarked { .. });
    let keep = |address: &[u8], _commented: bool| selectors.iter().any(|s| s.may_match(address));
    let filter: Option<&proxyconf::inventory::Keep<'_>> = (!bulk).then_some(&keep);
    let done = commit::edit(path, kind, opts, filter, |cfg| {
        plan(cfg, &selectors, &req, edit.force, SystemTime::now())
    })?;
    for w in &done.warnings {
        eprintln!("upstream-toggle: {w}");
    }
    if cli.verbose {
        let files: Vec<_> = done.config.files.iter().map(|f| f.path.display()).collect();
        eprintln!("upstream-toggle: read {}", join(&files));
        let written: Vec<_> = done.written.iter().map(|p| p.display()).collect();
        eprintln!("upstream-toggle: wrote {}", join(&written));
    }
    // An edit of the file is not an edit of the running proxy: say what makes it live.
    if let Some(n) = live_hint::notice(&done, path, cli.prefix.as_deref()).filter(|_| !cli.quiet) {
        eprintln!("upstream-toggle: {n}");
    }
    if edit.dry_run && !cli.json {
        emit(&done.diff);
    }
    if cli.json {
        emit(format!("{}\n", output::outcomes_json(&done, edit.dry_run)).as_bytes());
    } else if edit.dry_run {
        eprint!("{}", output::outcomes_text(&done, true));
    } else {
        emit(output::outcomes_text(&done, false).as_bytes());
    }
    if matches!(req, Request::EnableMarked { .. }) && done.plan.outcomes.is_empty() && !cli.json {
        emit(b"nothing to enable: no server carries an upstream-toggle marker\n");
    }
    // The process exits next; freeing a 20,000-server inventory one string at a time is wasted work.
    std::mem::forget(done);
    Ok(())
}

fn join(items: &[impl std::fmt::Display]) -> String {
    if items.is_empty() {
        return "nothing".into();
    }
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
