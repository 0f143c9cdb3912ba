//! Flag definitions: the single source for `--help`, the man page and shell completions.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  swapctl --upstream app --restart 'systemctl restart app@{port}' \\
          --health 'http://{address}/okcomputer' hot-swap
  swapctl -c /etc/haproxy/haproxy.cfg --upstream app --restart './restart {name}' rolling --batch 1
  swapctl --upstream app plan
  swapctl --upstream app status
  swapctl --upstream app --health 'http://{address}/up' recover

Placeholders: {host} {port} {address} {name} {upstream} (also as $HOTSWAP_HOST ... in --restart).
Exit status: 0 done, 1 stopped (the message says what is out and what to run), 2 usage,
3 another deploy holds the lock, 130 interrupted by Ctrl-C after finishing the current step.";

/// Hot-swap, rolling and half-and-half deploys behind nginx and haproxy that drop no request.
#[derive(Debug, Parser)]
#[command(name = "swapctl", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Config file [default: /etc/nginx/nginx.conf, or /etc/haproxy/haproxy.cfg with -k haproxy]
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Proxy kind: nginx or haproxy [default: detected from the file]
    #[arg(
        short = 'k',
        long = "kind",
        value_enum,
        global = true,
        hide_possible_values = true
    )]
    pub kind: Option<KindArg>,
    /// Upstream or backend to deploy (needed when the config has several)
    #[arg(long, value_name = "NAME", global = true)]
    pub upstream: Option<String>,
    /// Command that restarts one server; run with sh -c after placeholders are filled
    #[arg(long, value_name = "'CMD {port}'", global = true)]
    pub restart: Option<String>,
    /// Health check per server: http(s)://… or tcp://… [default: tcp://{address}]
    #[arg(long, value_name = "'URL {address}'", global = true)]
    pub health: Option<String>,
    /// Bound on each health wait
    #[arg(long, value_name = "DUR", default_value = "60s", global = true)]
    pub health_timeout: String,
    /// Bound on each restart command
    #[arg(long, value_name = "DUR", default_value = "120s", global = true)]
    pub restart_timeout: String,
    /// Bound on waiting for new workers and for connections to drain
    #[arg(long, value_name = "DUR", default_value = "30s", global = true)]
    pub drain_timeout: String,
    /// Command that reloads the proxy, instead of signalling its master process
    #[arg(long, value_name = "'CMD'", global = true)]
    pub reload: Option<String>,
    /// No step lines and no live indicator (errors and the final account still print)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each health check's state changes
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// Proxy kinds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// nginx
    Nginx,
    /// haproxy
    Haproxy,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Halves: take half out, restart it, swap halves in one edit, restart the rest, restore
    HotSwap,
    /// N servers at a time: take out, restart, health-check, bring back
    Rolling {
        /// Servers per batch
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Deploy only this server (repeatable), e.g. one host per run of an Ansible `serial: 1` play
        #[arg(long, value_name = "SERVER")]
        only: Vec<String>,
    },
    /// Print the steps of a deploy without doing them
    Plan {
        /// Which deploy
        #[arg(value_enum, default_value = "hot-swap")]
        strategy: StrategyArg,
        /// Servers per batch for rolling
        #[arg(long, default_value_t = 1)]
        batch: usize,
    },
    /// The last or interrupted deploy, step by step, and the upstream's live state
    Status,
    /// Re-enable what swapctl took out and is healthy now; report what is not
    Recover,
}

/// Deploy kinds for `plan`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    /// hot-swap
    HotSwap,
    /// rolling
    Rolling,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
