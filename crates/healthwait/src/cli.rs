//! Flag definitions: the single source for `--help`, the man page and shell completions.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  healthwait http://127.0.0.1:4040/okcomputer
  healthwait -t 30s --status 200 --body-regex '\"status\": *\"up\"' http://127.0.0.1:8080/health
  healthwait --unix-socket /run/puma.sock http://localhost/health -- systemctl reload nginx
  healthwait 127.0.0.1:5432 127.0.0.1:6379                  # TCP, all at once
  healthwait http+unix://%2Frun%2Fa.sock/up http+unix://%2Frun%2Fb.sock/up
  healthwait --down -t 10s tcp://127.0.0.1:4040               # wait until the port is closed

Exit status: 0 healthy (or CMD's status), 124 timed out (CMD not run), 2 usage, 1 other.";

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
    /// Accepted HTTP status codes: a list of codes and ranges
    #[arg(long, value_name = "LIST", default_value = "200-399")]
    pub status: String,
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
