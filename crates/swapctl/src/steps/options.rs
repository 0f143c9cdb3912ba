//! The settings of one command, as the binary read them from flags and a profile.

use proxyconf::ProxyKind;
use std::path::PathBuf;
use std::time::Duration;

/// Settings shared by every command.
#[derive(Debug, Clone)]
pub struct Options {
    /// Config files, one per proxy (`-c` repeated).
    pub configs: Vec<PathBuf>,
    /// nginx or haproxy (detected when None).
    pub kind: Option<ProxyKind>,
    /// Upstream or backend (needed when the config has several).
    pub upstream: Option<String>,
    /// `--restart` template.
    pub restart: Option<String>,
    /// `--health` template (default `tcp://{address}`).
    pub health: Option<String>,
    /// `--health-status`, `--health-body`, ...: what the health check expects, read by
    /// healthwait's own code; `health_args` repeats them in printed next commands.
    pub health_expect: healthwait::ProbeOptions,
    /// The `--health-*` flags as given.
    pub health_args: Vec<String>,
    /// Bound on each health wait.
    pub health_timeout: Duration,
    /// Bound on each restart command.
    pub restart_timeout: Duration,
    /// Bound on new workers and on draining.
    pub drain_timeout: Duration,
    /// `out`, `in`, `status`: without `--upstream`, every upstream that holds servers.
    pub every_upstream: bool,
    /// `--on-drain-timeout proceed`: a drain that outlasts its bound does not stop a deploy.
    pub drain_timeout_proceeds: bool,
    /// `out`: a drain that outlasts its bound leaves the server out and is noted here, never
    /// undone (an out is not a deploy step to roll back).
    pub late_drains: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
    /// `--reload CMD`.
    pub reload: Option<String>,
    /// `--socket`: haproxy's admin socket.
    pub socket: Option<String>,
    /// `--pid-file`: the proxy master's pid file.
    pub pid_file: Option<PathBuf>,
    /// `--prefix`: nginx's `-p`.
    pub prefix: Option<PathBuf>,
    /// `--profile NAME`, repeated in the next command of an account.
    pub profile: Option<String>,
    /// `rolling --only`: deploy just these servers (address, name, or UPSTREAM/SERVER).
    pub only: Vec<String>,
    /// `-q`: no step lines and no live indicator.
    pub quiet: bool,
    /// `-v`: health checks' state changes too.
    pub verbose: bool,
    /// `--json`: events as JSON Lines on stdout.
    pub json: bool,
    /// `rolling --canary ...`: the gate after the first servers.
    pub canary: Option<Gate>,
}

impl Options {
    /// The exact command that runs `subcommand` with these settings (shell-quoted), for accounts.
    pub fn command_for(&self, subcommand: &str) -> String {
        let mut args: Vec<String> = vec!["swapctl".into()];
        if let Some(p) = &self.profile {
            args.extend(["--profile".into(), p.clone()]);
        } else {
            for c in &self.configs {
                args.extend(["-c".into(), c.display().to_string()]);
            }
            match self.kind {
                Some(ProxyKind::Nginx) => args.extend(["-k".into(), "nginx".into()]),
                Some(ProxyKind::Haproxy) => args.extend(["-k".into(), "haproxy".into()]),
                None => {}
            }
            let flags = [
                ("--upstream", &self.upstream),
                ("--socket", &self.socket),
                ("--reload", &self.reload),
            ];
            for (flag, v) in flags {
                if let Some(v) = v {
                    args.extend([flag.into(), v.clone()]);
                }
            }
            for (flag, v) in [("--pid-file", &self.pid_file), ("--prefix", &self.prefix)] {
                if let Some(v) = v {
                    args.extend([flag.into(), v.display().to_string()]);
                }
            }
            if subcommand == "resume" {
                if let Some(r) = &self.restart {
                    args.extend(["--restart".into(), r.clone()]);
                }
            }
            if let Some(h) = self.health.as_ref().filter(|_| subcommand != "status") {
                args.extend(["--health".into(), h.clone()]);
                args.extend(self.health_args.iter().cloned());
            }
        }
        // With a profile, the command stays the one sudoers pins: the profile holds the bounds.
        if subcommand != "status" && self.profile.is_none() {
            let defaults = [
                ("--health-timeout", self.health_timeout, 60),
                ("--restart-timeout", self.restart_timeout, 120),
                ("--drain-timeout", self.drain_timeout, 30),
            ];
            for (flag, d, default) in defaults {
                if d != Duration::from_secs(default) {
                    args.extend([flag.into(), humantime::format_duration(d).to_string()]);
                }
            }
            if self.drain_timeout_proceeds {
                args.extend(["--on-drain-timeout".into(), "proceed".into()]);
            }
        }
        args.extend(subcommand.split_whitespace().map(String::from));
        shell_words::join(args)
    }
}

/// `rolling --canary N --observe DUR --max-error-rate PCT [--min-requests K] [--rollback CMD]`.
#[derive(Debug, Clone)]
pub struct Gate {
    /// How many servers go first.
    pub count: usize,
    /// How long they are watched.
    pub observe: Duration,
    /// The highest acceptable share of errors, in percent.
    pub max_error_rate: f64,
    /// The gate judges once this many requests reached the canaries.
    pub min_requests: u64,
    /// How long the window may grow while fewer than `min_requests` arrive.
    pub observe_max: Duration,
    /// Go on when the window ends unjudged (`--on-unjudged proceed`); else the deploy stops.
    pub proceed_unjudged: bool,
    /// Run for each canary when the gate fails (`{port}` etc. filled).
    pub rollback: Option<String>,
    /// nginx: the access log to read, instead of the config's `access_log … swapctl`.
    pub access_log: Option<PathBuf>,
}
