//! The plumbing the three hotswap binaries share, written once: the `TOOL: error:` prefix, the
//! mapping of typed library errors to exit codes, stdout that tolerates a reader that went away,
//! and the default config paths. Libraries never see exit codes or flags; only binaries use this.
#![warn(missing_docs)]

pub mod contract;
pub mod engine;

pub use contract::{Context, ErrorObject, Kind, Reportable};
pub use engine::EngineFailure;
use proxyconf::ProxyKind;
use std::fmt::Display;
use std::io::{self, Write};
use std::path::PathBuf;

/// Exit status 1: a run-time failure.
pub const EXIT_RUNTIME: i32 = 1;
/// Exit status 2: bad usage or a config syntax error.
pub const EXIT_USAGE: i32 = 2;
/// Exit status 130: interrupted by SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Prints `TOOL: error: MESSAGE` on stderr.
pub fn report(tool: &str, err: &dyn Display) {
    eprintln!("{tool}: error: {err}");
}

/// Whether the tool's own arguments ask for `--json`, before or after the subcommand. A `--json`
/// after `--` belongs to a command it runs.
pub fn json_asked() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// Parses the command line into `C`. `--help` and `--version` print as clap prints them. A usage
/// error is printed as clap renders it, after the tool's prefix (`TOOL: error: ...`), and when the
/// arguments ask for `--json`, the error object (kind `usage`) also goes to stdout: a script that
/// parses the output gets one JSON document whatever went wrong. `Err` holds the exit code.
pub fn parse_args<C: clap::Parser>(tool: &str) -> Result<C, i32> {
    parse_with(tool, C::command())
}

/// [`parse_args`] with a command the tool adjusted after deriving it (help that differs per
/// subcommand).
pub fn parse_with<C: clap::FromArgMatches>(tool: &str, mut cmd: clap::Command) -> Result<C, i32> {
    let parsed = cmd
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|m| C::from_arg_matches(&m).map_err(|e| e.format(&mut cmd)));
    let err = match parsed {
        Ok(c) => return Ok(c),
        Err(e) => e,
    };
    use clap::error::ErrorKind;
    let code = err.exit_code();
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return Err(code);
    }
    let text = err.render().to_string();
    eprint!("{tool}: {text}");
    if json_asked() {
        // clap's whole message (the missing arguments, the possible values), without its usage
        // line and hint.
        let message = text
            .lines()
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let message = message.strip_prefix("error: ").unwrap_or(&message);
        emit_error_doc(&ErrorObject::new(Kind::Usage, message).document());
    }
    Err(Kind::Usage.code())
}

/// A percentage as the toolkit writes it: `2`, `2.5` or `2%`, from 0 to 100.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let n = s.trim().strip_suffix('%').unwrap_or(s.trim());
    match n.trim().parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a percentage from 0 to 100 (write 2 or 2%)"
        )),
    }
}

/// Prints `TOOL: warning: MESSAGE` on stderr.
pub fn warn(tool: &str, what: &dyn Display) {
    eprintln!("{tool}: warning: {what}");
}

/// Ends a command with `err`: prints it with the tool's prefix on stderr, and under `--json` its
/// error document on stdout; returns its exit code.
pub fn fail(tool: &str, err: &dyn Reportable, json: bool) -> i32 {
    report(tool, &err);
    let obj = err.object();
    if json {
        emit_error_doc(&obj.document());
    }
    obj.exit_code
}

/// Locked, buffered stdout: a concrete type, so serializers writing many small pieces inline
/// the buffer's fast path.
pub type Stdout = io::BufWriter<io::StdoutLock<'static>>;

/// Writes an error document to stdout, best effort: a reader that went away must not turn the
/// error into a success (exit 0) or a panic, so write errors are ignored and the caller keeps
/// the error's exit status.
pub fn emit_error_doc(doc: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{}", doc.trim_end()).and_then(|()| out.flush());
}

/// Writes `bytes` to stdout; see [`emit_with`].
pub fn emit(tool: &str, bytes: &[u8]) {
    emit_with(tool, |out| out.write_all(bytes));
}

/// Writes output piece by piece through a locked, buffered stdout. A reader that went away
/// (`list | head -1`) is not an error: whatever the run changed is already done, so the process
/// ends quietly with exit 0. Any other write error ends it with exit 1.
pub fn emit_with(tool: &str, write: impl FnOnce(&mut Stdout) -> io::Result<()>) {
    let mut out = io::BufWriter::with_capacity(64 << 10, io::stdout().lock());
    if let Err(e) = write(&mut out).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        report(tool, &format_args!("cannot write to stdout: {e}"));
        std::process::exit(EXIT_RUNTIME);
    }
}

/// The proxy kinds `-k`/`--kind` names, shared by the binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Proxy {
    /// nginx `upstream` blocks
    Nginx,
    /// haproxy `backend` and `listen` sections
    Haproxy,
}

impl From<Proxy> for ProxyKind {
    fn from(p: Proxy) -> ProxyKind {
        match p {
            Proxy::Nginx => ProxyKind::Nginx,
            Proxy::Haproxy => ProxyKind::Haproxy,
        }
    }
}

/// The config path when `-c` is not given: the distribution's default for the kind (nginx when
/// the kind is not known either).
pub fn default_config(kind: Option<ProxyKind>) -> PathBuf {
    PathBuf::from(match kind {
        Some(ProxyKind::Haproxy) => "/etc/haproxy/haproxy.cfg",
        _ => "/etc/nginx/nginx.conf",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_kind() {
        assert_eq!(default_config(None), PathBuf::from("/etc/nginx/nginx.conf"));
        assert_eq!(
            default_config(Some(Proxy::Haproxy.into())),
            PathBuf::from("/etc/haproxy/haproxy.cfg")
        );
    }
}
