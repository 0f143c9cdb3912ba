//! Flag definitions: the single source for `--help`, the man page and shell completions.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  swapctl --upstream app --restart 'systemctl restart app@{port}' \\
          --health 'http://{address}/okcomputer' hot-swap
  swapctl -c /etc/nginx/lb1.conf -c /etc/nginx/lb2.conf --upstream app \\
          --restart './restart {port}' rolling
  swapctl -c /etc/haproxy/haproxy.cfg --upstream app out web1   # restart it, then:
  swapctl -c /etc/haproxy/haproxy.cfg --upstream app --health 'http://{address}/up' in web1
  swapctl --upstream app plan;  swapctl --upstream app status
  sudo swapctl --profile app rolling       # settings from /etc/hotswap/app.toml

Placeholders: {host} {port} {address} {name} {upstream} (also $HOTSWAP_HOST ... in --restart).
Exit status: 0 done, 1 stopped (the message says what is out and what to run; status: something
needs a person), 2 usage, 3 no such server or upstream, 4 refused by a safety rule, 5 rejected by
the validator, 6 busy (another deploy holds the lock), 130 interrupted by Ctrl-C (waits stop, a
running restart finishes, healthy servers come back; a second Ctrl-C stops at once).";

const HOT_SWAP_EXAMPLES: &str = "\
Examples:
  swapctl --upstream app --restart 'systemctl restart app@{port}' \\
          --health 'http://{address}/okcomputer' hot-swap
  swapctl --profile app --json hot-swap | jq -c 'select(.event == \"finished\")'";

const ROLLING_EXAMPLES: &str = "\
Examples:
  swapctl -c /etc/nginx/lb1.conf -c /etc/nginx/lb2.conf --upstream app \\
          --restart './restart {port}' --health 'http://{address}/up' rolling --batch 2
  swapctl --profile app rolling --canary 1 --observe 2m --max-error-rate 2% \\
          --rollback './rollback {port}'
  swapctl --profile app rolling --only 10.0.0.5:8080      # one host per Ansible serial run";

const OUT_EXAMPLES: &str = "\
Examples:
  swapctl out 127.0.0.1:4041 --reason 'INC-231: leaks memory'
  swapctl -c /etc/haproxy/haproxy.cfg out app/web1 --drain-timeout 2m
  swapctl -c /etc/nginx/lb1.conf -c /etc/nginx/lb2.conf out 10.0.0.5:8080";

const IN_EXAMPLES: &str = "\
Examples:
  swapctl in 127.0.0.1:4041
  swapctl -c /etc/haproxy/haproxy.cfg --health 'http://{address}/up' \\
          --health-status 200 in app/web1";

const RESUME_EXAMPLES: &str = "\
Examples:
  swapctl --upstream app resume          # the journal gives the commands and settings
  swapctl --profile app resume --health-timeout 5m";

const MODE_EXAMPLES: &str = "\
Examples:
  swapctl --upstream app mode read-only --message 'Back in 10 minutes' --retry-after 10m
  swapctl --upstream app mode normal
  swapctl --upstream app mode           # show the mode on every proxy";

const PLAN_EXAMPLES: &str = "\
Examples:
  swapctl --upstream app --restart './restart {port}' plan rolling --batch 2
  swapctl --profile app --json plan hot-swap | jq '.steps[].action'";

const STATUS_EXAMPLES: &str = "\
Examples:
  swapctl status                         # every upstream: file and live state, last deploy
  swapctl -c /etc/haproxy/haproxy.cfg --json status | jq '.ok'";

const RECOVER_EXAMPLES: &str = "\
Examples:
  swapctl --upstream app --health 'http://{address}/up' recover
  swapctl --profile app recover";

/// Hot-swap, rolling and half-and-half deploys behind nginx and haproxy that drop no request.
#[derive(Debug, Parser)]
#[command(name = "swapctl", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Config file, repeated for every proxy in front of the same servers [default:
    /// /etc/nginx/nginx.conf, /etc/haproxy/haproxy.cfg with -k haproxy]
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Vec<PathBuf>,
    /// Proxy kind: nginx or haproxy [default: detected from the file]
    #[arg(
        short = 'k',
        long = "kind",
        value_enum,
        global = true,
        hide_possible_values = true
    )]
    pub kind: Option<hotswap_cli::Proxy>,
    /// Upstream or backend to deploy (needed when the config has several)
    #[arg(long, value_name = "NAME", global = true)]
    pub upstream: Option<String>,
    /// Restarts one server: sh -c, with {port} {address} {name} filled
    #[arg(long, value_name = "CMD", global = true)]
    pub restart: Option<String>,
    /// Health check: http(s)://{address}/… or tcp://… [default: tcp://{address}; `in` checks
    /// only when it is given]
    #[arg(long, value_name = "URL", global = true)]
    pub health: Option<String>,
    /// Health: accepted status codes, e.g. 200-299,301 [default: 200-399]
    #[arg(long, value_name = "LIST", global = true)]
    pub health_status: Option<String>,
    /// Health: the body must contain this text
    #[arg(
        long,
        value_name = "TEXT",
        global = true,
        conflicts_with = "health_body_regex"
    )]
    pub health_body: Option<String>,
    /// Health: the body must match this regular expression
    #[arg(long, value_name = "RE", global = true)]
    pub health_body_regex: Option<String>,
    /// Health: send this request header (repeatable)
    #[arg(long, value_name = "'K: V'", global = true)]
    pub health_header: Vec<String>,
    /// Health: trust the CA certificates in this PEM file (a private CA)
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        conflicts_with = "health_insecure"
    )]
    pub health_cacert: Option<PathBuf>,
    /// Health: accept any TLS certificate
    #[arg(long, global = true)]
    pub health_insecure: bool,
    /// Bound on each health wait [default: 60s]
    #[arg(long, value_name = "DUR", global = true)]
    pub health_timeout: Option<String>,
    /// Bound on each restart command (its process group) [default: 120s]
    #[arg(long, value_name = "DUR", global = true)]
    pub restart_timeout: Option<String>,
    /// Bound on new workers and on draining [default: 30s]
    #[arg(long, value_name = "DUR", global = true)]
    pub drain_timeout: Option<String>,
    /// Past --drain-timeout: stop, or proceed and cut what is open (websockets)
    #[arg(long, value_name = "WHAT", value_parser = ["stop", "proceed"], hide_possible_values = true, global = true)]
    pub on_drain_timeout: Option<String>,
    /// Command that reloads the proxy, instead of signalling its master process
    #[arg(long, value_name = "'CMD'", global = true)]
    pub reload: Option<String>,
    /// haproxy admin socket, instead of the config's `stats socket`
    #[arg(long, value_name = "SOCKET", global = true)]
    pub socket: Option<String>,
    /// The proxy master's pid file, instead of the config's `pid` / `pidfile`
    #[arg(long, value_name = "FILE", global = true)]
    pub pid_file: Option<PathBuf>,
    /// nginx's prefix (`nginx -p DIR`): relative paths and the validator use it
    #[arg(long, value_name = "DIR", global = true)]
    pub prefix: Option<PathBuf>,
    /// Read the settings from the root-owned /etc/hotswap/NAME.toml ($HOTSWAP_PROFILE_DIR)
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,
    /// Machine-readable output: JSON Lines of events for commands that change something; plan,
    /// status and mode (no argument) print one JSON document
    #[arg(long, global = true)]
    pub json: bool,
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

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Halves: take half out, restart it, swap halves in one edit, restart the rest, restore
    #[command(after_help = HOT_SWAP_EXAMPLES)]
    HotSwap,
    /// N servers at a time: take out, restart, health-check, bring back
    #[command(after_help = ROLLING_EXAMPLES)]
    Rolling {
        /// Servers per batch
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Deploy only this server (repeatable), e.g. one host per run of an Ansible `serial: 1` play
        #[arg(long, value_name = "SERVER")]
        only: Vec<String>,
        /// The canary gate
        #[command(flatten)]
        canary: CanaryArgs,
    },
    /// Take servers out of every proxy that holds them; return once none sends them traffic
    #[command(after_help = OUT_EXAMPLES)]
    Out {
        /// Address, haproxy server name, or UPSTREAM/SERVER
        #[arg(required = true, value_name = "SERVER")]
        servers: Vec<String>,
        /// Why, kept in the file's marker (`swapctl out: TEXT`)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Health-check servers (with --health) and bring them back into every proxy
    #[command(after_help = IN_EXAMPLES)]
    In {
        /// Address, haproxy server name, or UPSTREAM/SERVER
        #[arg(required = true, value_name = "SERVER")]
        servers: Vec<String>,
    },
    /// Go on with a failed or interrupted deploy: restart what it left out, then the rest
    #[command(after_help = RESUME_EXAMPLES)]
    Resume,
    /// Traffic mode: read-only (only GET/HEAD/OPTIONS pass), maintenance, normal; none: show it
    #[command(after_help = MODE_EXAMPLES)]
    Mode {
        /// The mode to put in place on every proxy
        #[arg(value_enum)]
        mode: Option<ModeArg>,
        /// Body of the 503 answers
        #[arg(long, value_name = "TEXT")]
        message: Option<String>,
        /// Retry-After of the 503 answers
        #[arg(long, value_name = "DUR", default_value = "60s")]
        retry_after: String,
    },
    /// Print the steps of a deploy without doing them
    #[command(after_help = PLAN_EXAMPLES)]
    Plan {
        /// Which deploy
        #[arg(value_enum, default_value = "hot-swap")]
        strategy: StrategyArg,
        /// Servers per batch for rolling
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// The canary gate, as rolling takes it
        #[command(flatten)]
        canary: CanaryArgs,
    },
    /// The last or interrupted deploy, step by step, and the upstream's live state
    #[command(after_help = STATUS_EXAMPLES)]
    Status,
    /// Re-enable what swapctl took out and is healthy now; report what is not
    #[command(after_help = RECOVER_EXAMPLES)]
    Recover,
}

/// `--canary N --observe DUR --max-error-rate PCT [--min-requests K] [--rollback CMD]`.
#[derive(Debug, Clone, clap::Args)]
pub struct CanaryArgs {
    /// Deploy these first N servers, watch them, and go on only if their error rate is low
    #[arg(long, value_name = "N", requires_all = ["observe", "max_error_rate"])]
    pub canary: Option<usize>,
    /// How long the canaries are watched
    #[arg(long, value_name = "DUR", requires = "canary")]
    pub observe: Option<String>,
    /// Highest share of 5xx answers and failed connections: 2 or 2%
    #[arg(long, value_name = "PCT", requires = "canary", value_parser = hotswap_cli::parse_percent)]
    pub max_error_rate: Option<f64>,
    /// Fewest requests the gate needs to judge [default: 20]
    #[arg(long, value_name = "K", requires = "canary")]
    pub min_requests: Option<u64>,
    /// How long the window may grow while fewer than --min-requests arrive [default: 10 x --observe]
    #[arg(long, value_name = "DUR", requires = "canary")]
    pub observe_max: Option<String>,
    /// When --observe-max passes unjudged: stop the deploy, or proceed anyway
    #[arg(long, value_name = "WHAT", value_parser = ["stop", "proceed"], requires = "canary")]
    pub on_unjudged: Option<String>,
    /// Command that puts one canary back on the old release when the gate fails
    #[arg(long, value_name = "'CMD {port}'", requires = "canary")]
    pub rollback: Option<String>,
    /// nginx: the access log in swapctl's log_format [default: the config's `access_log ... swapctl`]
    #[arg(long, value_name = "FILE", requires = "canary")]
    pub access_log: Option<PathBuf>,
}

impl CanaryArgs {
    /// The gate, when `--canary` is given.
    pub fn gate(&self) -> Result<Option<crate::steps::Gate>, crate::Error> {
        use crate::Error;
        let Some(count) = self.canary else {
            return Ok(None);
        };
        let observe = healthwait::duration::parse(self.observe.as_deref().unwrap_or_default())
            .map_err(|e| Error::duration("--observe", e))?;
        if observe < std::time::Duration::from_secs(1)
            || observe > std::time::Duration::from_secs(86_400)
        {
            return Err(Error::ObserveRange {
                given: self.observe.clone().unwrap_or_default(),
            });
        }
        let max = self.max_error_rate.unwrap_or(0.0);
        if !(0.0..=100.0).contains(&max) {
            return Err(Error::MaxErrorRate { rate: max });
        }
        let observe_max = match &self.observe_max {
            Some(d) => healthwait::duration::parse(d)
                .map_err(|e| Error::duration("--observe-max", e))?
                .max(observe),
            None => observe * 10,
        };
        Ok(Some(crate::steps::Gate {
            count,
            observe,
            max_error_rate: max,
            min_requests: self.min_requests.unwrap_or(20),
            observe_max,
            proceed_unjudged: self.on_unjudged.as_deref() == Some("proceed"),
            rollback: self.rollback.clone(),
            access_log: self.access_log.clone(),
        }))
    }
}

/// Traffic modes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Everything reaches the upstream (removes the mode, byte for byte)
    Normal,
    /// GET, HEAD and OPTIONS reach it; other methods get 503 with Retry-After
    ReadOnly,
    /// Everything gets 503 with Retry-After
    Maintenance,
}

/// Deploy kinds for `plan`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    /// hot-swap
    HotSwap,
    /// rolling
    Rolling,
}

/// The flags given before the subcommand that only some subcommands read, by group.
const PROXY: &[&str] = &["socket", "pid_file", "prefix"];
const APPLY: &[&str] = &["reload", "drain_timeout", "on_drain_timeout"];
const HEALTH: &[&str] = &[
    "health",
    "health_status",
    "health_body",
    "health_body_regex",
    "health_header",
    "health_cacert",
    "health_insecure",
    "health_timeout",
];
const RESTART: &[&str] = &["restart", "restart_timeout"];

/// The groups each subcommand reads; the others are left out of its help.
fn applies(sub: &str) -> Vec<&'static str> {
    let groups: &[&[&str]] = match sub {
        "status" => &[PROXY],
        "out" | "mode" => &[PROXY, APPLY],
        "in" => &[PROXY, APPLY, HEALTH],
        "recover" => &[PROXY, APPLY, HEALTH, &["restart_timeout"]],
        _ => &[PROXY, APPLY, HEALTH, RESTART],
    };
    groups.iter().flat_map(|g| g.iter().copied()).collect()
}

/// The clap command, for parsing, `--help`, man pages and completions. The deploy flags are
/// global, so a script may give them before or after the subcommand; each subcommand's help
/// shows only those it reads (the others are its own hidden copies, which clap then does not
/// propagate over).
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let some = [PROXY, APPLY, HEALTH, RESTART].concat();
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| some.contains(&a.get_id().as_str()))
        .cloned()
        .collect();
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        let keep = applies(&sub);
        cmd = cmd.mut_subcommand(&sub, |mut s| {
            for a in &globals {
                if !keep.contains(&a.get_id().as_str()) {
                    s = s.arg(a.clone().hide(true));
                }
            }
            s
        });
    }
    cmd
}
