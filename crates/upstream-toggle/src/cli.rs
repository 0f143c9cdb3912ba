//! Flag definitions: the single source for `--help`, the man page and shell completions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  upstream-toggle list
  upstream-toggle disable 127.0.0.1:4040 --reason 'deploy 42'
  upstream-toggle enable 127.0.0.1:4040
  upstream-toggle -c /etc/haproxy/haproxy.cfg disable app/web1 --dry-run
  upstream-toggle enable --all          # bring back everything this tool took out

Exit status: 0 done (or already so), 1 runtime, 2 usage (bad flags, unreadable config, syntax at
file:line:col), 3 no such server or upstream, 4 refused by a safety rule, 5 rejected by nginx -t /
haproxy -c (nothing written), 6 busy (another edit or a swapctl deploy holds the config).";

const LIST_EXAMPLES: &str = "\
Examples:
  upstream-toggle list
  upstream-toggle -c /etc/haproxy/haproxy.cfg list --upstream app
  upstream-toggle list --json | jq -r '.[] | select(.state == \"disabled\") | .address'";

const DISABLE_EXAMPLES: &str = "\
Examples:
  upstream-toggle disable 127.0.0.1:4040 --reason 'deploy 42'
  upstream-toggle -c /etc/haproxy/haproxy.cfg disable app/web1 --dry-run
  upstream-toggle disable --upstream app --method down 10.0.0.5:8080   # ip_hash upstream";

const ENABLE_EXAMPLES: &str = "\
Examples:
  upstream-toggle enable 127.0.0.1:4040
  upstream-toggle -c /etc/haproxy/haproxy.cfg enable app/web1 --json
  upstream-toggle enable --all          # everything this tool took out, never a person's line";

/// Take servers out of and back into nginx upstreams and haproxy backends,
/// with exact, validated, atomic, byte-preserving edits.
#[derive(Debug, Parser)]
#[command(name = "upstream-toggle", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Config file [default: /etc/nginx/nginx.conf, or /etc/haproxy/haproxy.cfg with -k haproxy]
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Proxy kind [default: detected from the file]
    #[arg(short = 'k', long = "kind", value_enum, global = true)]
    pub kind: Option<hotswap_cli::Proxy>,
    /// Only this upstream or backend (list, disable, enable)
    #[arg(long, value_name = "NAME", global = true, add = ArgValueCompleter::new(crate::complete::upstreams))]
    pub upstream: Option<String>,
    /// nginx prefix (`nginx -p DIR`), when the running nginx was started with one; the validator gets it too
    #[arg(long, value_name = "DIR", global = true)]
    pub prefix: Option<PathBuf>,
    /// How long to wait for another edit's lock on a config file before giving up (e.g. 30s, 2m, 0 = do not wait)
    #[arg(long, value_name = "DUR", global = true, default_value = "30s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// One JSON document on stdout (list: an array; disable/enable: what changed; errors too)
    #[arg(long, global = true)]
    pub json: bool,
    /// Only errors and warnings on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also say which files were read and validated
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// Disable methods.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Comment the server line out (nginx default)
    Comment,
    /// nginx `down` / haproxy `disabled` (default on haproxy and on nginx ip_hash/hash upstreams)
    Down,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every server of every upstream or backend, with its state
    #[command(after_help = LIST_EXAMPLES)]
    List,
    /// Take servers out of rotation
    #[command(after_help = DISABLE_EXAMPLES)]
    Disable {
        /// host:port, [v6]:port, unix:/path, a haproxy server name, or UPSTREAM/SERVER
        #[arg(value_name = "SERVER", required = true, add = ArgValueCompleter::new(crate::complete::servers))]
        servers: Vec<String>,
        /// How to take it out
        #[arg(long, value_enum)]
        method: Option<MethodArg>,
        /// Recorded in the marker comment
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        edit: EditArgs,
    },
    /// Bring servers back into rotation
    #[command(after_help = ENABLE_EXAMPLES)]
    Enable {
        /// host:port, [v6]:port, unix:/path, a haproxy server name, or UPSTREAM/SERVER
        #[arg(
            value_name = "SERVER",
            required_unless_present = "all",
            conflicts_with = "all",
            add = ArgValueCompleter::new(crate::complete::servers)
        )]
        servers: Vec<String>,
        /// Bring back every server upstream-toggle disabled (never one a person commented out)
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        edit: EditArgs,
    },
}

/// Flags shared by the editing commands.
#[derive(Debug, Clone, Copy, Args)]
pub struct EditArgs {
    /// Print a unified diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not run nginx -t / haproxy -c before writing
    #[arg(long)]
    pub no_validate: bool,
    /// Allow leaving an upstream with no enabled non-backup server
    #[arg(long)]
    pub force: bool,
}

/// A duration flag that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{0} (write it like 500ms, 30s or 2m)")]
pub struct BadDuration(humantime::DurationError);

/// `250ms`, `30s`, `1m30s`; a bare number (`2`, `0.5`) is seconds, as in the other tools.
fn parse_duration(s: &str) -> Result<std::time::Duration, BadDuration> {
    let t = s.trim();
    if let Ok(n) = t.parse::<f64>() {
        if let Ok(d) = std::time::Duration::try_from_secs_f64(n) {
            return Ok(d);
        }
    }
    humantime::parse_duration(t).map_err(BadDuration)
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
