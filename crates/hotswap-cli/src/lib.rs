//! The plumbing the three hotswap binaries share, written once: the `TOOL: error:` prefix, the
//! mapping of typed library errors to exit codes, stdout that tolerates a reader that went away,
//! and the default config paths. Libraries never see exit codes or flags; only binaries use this.
#![warn(missing_docs)]

pub mod engine;

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

/// An error a binary can end with: it knows its exit status.
pub trait ExitStatus: Display {
    /// The process exit code for this error.
    fn exit_code(&self) -> i32;
}

/// Prints `TOOL: error: MESSAGE` on stderr.
pub fn report(tool: &str, err: &dyn Display) {
    eprintln!("{tool}: error: {err}");
}

/// Makes a tool's JSON error document from a message and an exit code.
pub type ErrorDoc = dyn Fn(&str, i32) -> String;

/// Parses the command line into `C`. `--help` and `--version` print as clap prints them. A usage
/// error is printed as clap renders it, after the tool's prefix (`TOOL: error: ...`), and when the
/// arguments ask for `--json`, `json_error(message, exit code)` also goes to stdout: a script that
/// parses the output gets one JSON document whatever went wrong. `Err` holds the exit code.
pub fn parse_args<C: clap::Parser>(tool: &str, json_error: Option<&ErrorDoc>) -> Result<C, i32> {
    let err = match C::try_parse() {
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
    // Only the tool's own arguments count: a `--json` after `--` belongs to a command it runs.
    let asked = std::env::args_os()
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if let (true, Some(doc)) = (asked, json_error) {
        let first = text.lines().next().unwrap_or_default();
        let message = first.strip_prefix("error: ").unwrap_or(first);
        emit_error_doc(&doc(message, code));
    }
    Err(code)
}

/// Prints `TOOL: warning: MESSAGE` on stderr.
pub fn warn(tool: &str, what: &dyn Display) {
    eprintln!("{tool}: warning: {what}");
}

/// Ends a command: 0 on success, else prints the error with the tool's prefix and returns its code.
pub fn finish<E: ExitStatus>(tool: &str, result: Result<(), E>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            report(tool, &e);
            e.exit_code()
        }
    }
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
