//! The binary's side: flag definitions (the single source for `--help`, the man page and shell
//! completions), turning flags into probes, and the errors and exit codes the library leaves to
//! it.

use crate::duration;
use crate::expect::{self, Body, StatusSet};
use crate::probe::{self, Method, Probe, ProbeOptions};
use crate::target::{self, Target};
use crate::wait::WaitOptions;
use clap::{Parser, ValueEnum};
use hotswap_cli::{Kind, Reportable};
use std::io;
use std::os::fd::AsFd;
use std::path::PathBuf;

/// The name errors are prefixed with.
pub(crate) const TOOL: &str = "healthwait";

const EXAMPLES: &str = "\
Examples:
  healthwait http://127.0.0.1:4040/okcomputer
  healthwait -t 30s --status 200 --body-regex '\"status\": *\"up\"' http://127.0.0.1:8080/health
  healthwait --unix-socket /run/puma.sock http://localhost/health -- systemctl reload nginx
  healthwait 127.0.0.1:5432 127.0.0.1:6379                  # TCP, all at once
  healthwait http+unix://%2Frun%2Fa.sock/up http+unix://%2Frun%2Fb.sock/up
  healthwait --down -t 10s tcp://127.0.0.1:4040               # wait until the port is closed

  healthwait --json -t 30s http://127.0.0.1:4040/up | jq '.targets[] | select(.passed | not)'

Exit status: 0 healthy (or CMD's status), 1 runtime, 2 usage, 124 timed out (CMD not run),
126 CMD cannot be run, 127 CMD not found, 130 interrupted.";

/// Wait until HTTP, HTTPS, TCP or unix-socket services are healthy, then optionally run a command.
#[derive(Debug, Parser)]
#[command(name = "healthwait", version, after_help = EXAMPLES)]
pub struct Cli {
    /// http://…, https://…, tcp://HOST:PORT or HOST:PORT, unix:/PATH (connect), http+unix://%2FPATH.sock/PATH; several must all be healthy at the same time
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    /// Command to run once healthy; its exit status becomes healthwait's
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
    /// Overall deadline (250ms, 2s, 1m; a bare number is seconds; 0 = no deadline)
    #[arg(short = 't', long, value_name = "DUR", default_value = "60s")]
    pub timeout: String,
    /// Fixed pause between probes [default: back off from 10ms to 50ms]
    #[arg(short = 'i', long, value_name = "DUR")]
    pub interval: Option<String>,
    /// Bound on each attempt, so a server that accepts and never answers cannot stall the wait
    #[arg(long, value_name = "DUR", default_value = "2s")]
    pub attempt_timeout: String,
    /// Accepted HTTP status codes: a list of codes and ranges [default: 200-399]
    #[arg(long, value_name = "LIST")]
    pub status: Option<String>,
    /// HTTP method: get or head
    #[arg(long, value_enum, default_value = "get", hide_possible_values = true)]
    pub method: MethodArg,
    /// Extra request header 'Name: value' (repeatable)
    #[arg(long = "header", short = 'H', value_name = "'K: V'")]
    pub headers: Vec<String>,
    /// A response header that must match: 'Name: VALUE-REGEX' (repeatable)
    #[arg(long = "expect-header", value_name = "'K: RE'")]
    pub expect_headers: Vec<String>,
    /// Trust the CA certificates in this PEM file instead of the system's (a private CA)
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub cacert: Option<PathBuf>,
    /// The body must contain this text
    #[arg(long, value_name = "TEXT", conflicts_with = "body_regex")]
    pub body: Option<String>,
    /// The body must match this regular expression
    #[arg(long, value_name = "RE")]
    pub body_regex: Option<String>,
    /// Consecutive healthy rounds required (a flapping service never passes)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub successes: u32,
    /// Send the HTTP request over this unix socket (like curl --unix-socket)
    #[arg(long, value_name = "PATH")]
    pub unix_socket: Option<PathBuf>,
    /// Accept any TLS certificate (self-signed, expired, wrong name)
    #[arg(long)]
    pub insecure: bool,
    /// Wait until every target FAILS instead
    #[arg(long)]
    pub down: bool,
    /// One JSON document on stdout when the wait ends (CMD's stdout then goes to stderr)
    #[arg(long)]
    pub json: bool,
    /// Print nothing on stderr
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every probe's result, not only changes
    #[arg(short, long)]
    pub verbose: bool,
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// GET
    #[value(name = "get", alias = "GET")]
    Get,
    /// HEAD
    #[value(name = "head", alias = "HEAD")]
    Head,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Why healthwait ends with an error of its own: bad usage (exit 2), or a CMD that cannot be run
/// (127 when it is not found, else 126, as shells do). Timeouts are not errors: they print their
/// own lines and exit 124 ([`Kind::Timeout`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--body-regex` is not a regular expression.
    #[error("invalid --body-regex: {0}")]
    BodyRegex(regex::Error),
    /// A `--header` is not `Name: value`.
    #[error("invalid --header '{0}': write it as 'Name: value'")]
    Header(String),
    /// An `--expect-header` is not `Name: value-regex`.
    #[error("invalid --expect-header '{0}': write it as 'Name: value-regex'")]
    ExpectHeader(String),
    /// An `--expect-header`'s value is not a regular expression.
    #[error("invalid --expect-header '{header}': {reason}")]
    ExpectHeaderRegex {
        /// The flag's value.
        header: String,
        /// What the regex parser found wrong.
        reason: regex::Error,
    },
    /// `--status` cannot be read.
    #[error("{}", status_text(.0))]
    Status(expect::ParseError),
    /// A TARGET cannot be read.
    #[error(transparent)]
    Target(#[from] target::ParseError),
    /// A duration flag cannot be read.
    #[error(transparent)]
    Duration(#[from] duration::ParseError),
    /// A flag that only an HTTP check reads, given for a target that is not HTTP.
    #[error("{flag} needs an http:// target, not {target}")]
    HttpOnly {
        /// The flag.
        flag: &'static str,
        /// The target, as shown.
        target: String,
    },
    /// The flags cannot make a probe of a target.
    #[error("{}", probe_text(.0))]
    Probe(probe::BuildError),
    /// CMD cannot be run.
    #[error("cannot run {program}: {reason}")]
    Command {
        /// The program.
        program: String,
        /// Why it cannot run.
        reason: io::Error,
    },
}

impl Reportable for Error {
    fn kind(&self) -> Kind {
        match self {
            Error::Command { .. } => Kind::Runtime,
            _ => Kind::Usage,
        }
    }
    fn exit_code(&self) -> i32 {
        match self {
            Error::Command { reason, .. } if reason.kind() == io::ErrorKind::NotFound => 127,
            Error::Command { .. } => 126,
            _ => self.kind().code(),
        }
    }
}

/// A `--status` error, naming the flag.
fn status_text(e: &expect::ParseError) -> String {
    match e {
        expect::ParseError::BadCode { part, list } => format!(
            "invalid status '{part}' in --status {list} (use codes 100-599, e.g. 200-299,301)"
        ),
        expect::ParseError::Empty => "--status needs at least one code, e.g. 200-299".into(),
        other => other.to_string(),
    }
}

/// A probe-building error, naming the flags.
fn probe_text(e: &probe::BuildError) -> String {
    match e {
        probe::BuildError::HttpOnly { target } => format!(
            "--unix-socket, --header, --expect-header, --body and --body-regex need an http:// target, not {target}"
        ),
        probe::BuildError::CaUnreadable { path, reason } => {
            format!("cannot read --cacert {}: {reason}", path.display())
        }
        probe::BuildError::CaEmpty { path } => {
            format!("--cacert {} holds no PEM certificate", path.display())
        }
    }
}

/// What a probe expects, as flags give it (healthwait's own, or swapctl's `--health-*`): one
/// reading of them for every tool.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `--status LIST`.
    pub status: Option<String>,
    /// `--header 'K: V'`, sent with the request.
    pub headers: Vec<String>,
    /// `--expect-header 'K: RE'`.
    pub expect_headers: Vec<String>,
    /// `--body TEXT`.
    pub body: Option<String>,
    /// `--body-regex RE`.
    pub body_regex: Option<String>,
    /// `--insecure`.
    pub insecure: bool,
    /// `--cacert FILE`.
    pub cacert: Option<PathBuf>,
}

/// The probe options `e` asks for; every error is a usage error.
pub fn probe_options(e: &Expect) -> Result<ProbeOptions, Error> {
    let body = match (&e.body, &e.body_regex) {
        (Some(t), _) => Some(Body::Contains(t.clone())),
        (None, Some(re)) => Some(Body::Matches(
            regex::bytes::Regex::new(re).map_err(Error::BodyRegex)?,
        )),
        (None, None) => None,
    };
    let headers = e
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty() && !k.contains(char::is_whitespace))
                .ok_or_else(|| Error::Header(h.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let expect_headers = e
        .expect_headers
        .iter()
        .map(|h| {
            let (k, v) = h
                .split_once(':')
                .filter(|(k, _)| !k.trim().is_empty())
                .ok_or_else(|| Error::ExpectHeader(h.clone()))?;
            let re = regex::Regex::new(v.trim()).map_err(|reason| Error::ExpectHeaderRegex {
                header: h.clone(),
                reason,
            })?;
            Ok((k.trim().to_ascii_lowercase(), re))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(ProbeOptions {
        unix_socket: None,
        method: None,
        headers,
        status: StatusSet::parse(e.status.as_deref().unwrap_or("200-399"))
            .map_err(Error::Status)?,
        body,
        insecure: e.insecure,
        cacert: e.cacert.clone(),
        expect_headers,
    })
}

/// Turns the flags into probes and wait options; every error is a usage error.
pub fn build(cli: &Cli) -> Result<(Vec<Probe>, WaitOptions), Error> {
    let opts = ProbeOptions {
        unix_socket: cli.unix_socket.clone(),
        method: Some(match cli.method {
            MethodArg::Get => Method::Get,
            MethodArg::Head => Method::Head,
        }),
        ..probe_options(&Expect {
            status: cli.status.clone(),
            headers: cli.headers.clone(),
            expect_headers: cli.expect_headers.clone(),
            body: cli.body.clone(),
            body_regex: cli.body_regex.clone(),
            insecure: cli.insecure,
            cacert: cli.cacert.clone(),
        })?
    };
    let targets = cli
        .targets
        .iter()
        .map(|t| Target::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    // A connect check reads no status: ignoring `--status` would pass a check the operator meant
    // to be stricter (the other HTTP-only flags are refused by `Probe::new`).
    if cli.status.is_some() {
        if let Some(t) = targets.iter().find(|t| !matches!(t, Target::Http { .. })) {
            return Err(Error::HttpOnly {
                flag: "--status",
                target: t.to_string(),
            });
        }
    }
    let probes = targets
        .into_iter()
        .map(|t| Probe::new(t, opts.clone()).map_err(Error::Probe))
        .collect::<Result<Vec<_>, _>>()?;
    let wait = WaitOptions {
        timeout: duration::parse(&cli.timeout)?,
        interval: cli.interval.as_deref().map(duration::parse).transpose()?,
        attempt_timeout: duration::parse(&cli.attempt_timeout)?,
        successes: cli.successes,
        down: cli.down,
        every_round: cli.verbose,
    };
    Ok((probes, wait))
}

/// Runs CMD and passes its status through (128+signal when killed); 0 when there is none.
pub(crate) fn run_command(cmd: &[String], stdout_to_stderr: bool) -> Result<i32, Error> {
    let Some((prog, args)) = cmd.split_first() else {
        return Ok(0);
    };
    let mut command = std::process::Command::new(prog);
    command.args(args);
    if stdout_to_stderr {
        // Under --json stdout carries the one document; CMD's output goes with the progress.
        if let Ok(err) = io::stderr().as_fd().try_clone_to_owned() {
            command.stdout(err);
        }
    }
    let status = command.status().map_err(|reason| Error::Command {
        program: prog.clone(),
        reason,
    })?;
    Ok(status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(args: &[&str]) -> Error {
        let cli = Cli::try_parse_from([&["healthwait"], args].concat()).expect("flags parse");
        match build(&cli) {
            Err(e) => e,
            Ok(_) => panic!("{args:?} built"),
        }
    }

    #[test]
    fn usage_errors_name_the_flag_and_exit_2() {
        let e = usage(&["--status", "99", "x:1"]);
        assert_eq!(
            e.to_string(),
            "invalid status '99' in --status 99 (use codes 100-599, e.g. 200-299,301)"
        );
        assert_eq!(e.exit_code(), 2);
        let e = usage(&["--status", ",", "x:1"]);
        assert_eq!(
            e.to_string(),
            "--status needs at least one code, e.g. 200-299"
        );
        let e = usage(&["--status", "200", "http://x/", "tcp://x:1"]);
        assert_eq!(
            e.to_string(),
            "--status needs an http:// target, not tcp://x:1"
        );
        assert_eq!(e.exit_code(), 2);
        assert!(matches!(
            usage(&["--status", "200", "unix:/run/x.sock"]),
            Error::HttpOnly { .. }
        ));
        let e = usage(&["--body", "ok", "tcp://x:1"]);
        assert!(e.to_string().starts_with("--unix-socket, --header,"), "{e}");
        let e = usage(&["--cacert", "/nonexistent/ca.pem", "http://x/"]);
        assert!(
            e.to_string()
                .starts_with("cannot read --cacert /nonexistent/ca.pem: "),
            "{e}"
        );
        assert!(matches!(usage(&["x:0"]), Error::Target(_)));
        assert!(matches!(usage(&["-t", "soon", "x:1"]), Error::Duration(_)));
    }

    #[test]
    fn a_command_that_cannot_run_exits_like_a_shell() {
        let missing = run_command(&["/nonexistent/cmd".into()], false);
        assert!(matches!(&missing, Err(e) if e.exit_code() == 127));
        let not_executable = run_command(&["/".into()], true);
        assert!(matches!(&not_executable, Err(e) if e.exit_code() == 126));
        assert!(matches!(run_command(&[], false), Ok(0)));
    }
}
