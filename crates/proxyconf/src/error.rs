//! The engine's errors: what went wrong and where. They name no command-line flag and no exit
//! status; the binaries map them (see the `hotswap-cli` crate) and add their flags as hints.

use crate::server::ProxyKind;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A place in a config file, shown as `path:line:col`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file as the user or an `include` named it.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in bytes (as nginx and haproxy count).
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.col)
    }
}

/// A file that reads as the other proxy's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LooksLike {
    /// The file.
    pub path: PathBuf,
    /// The kind it looks like.
    pub kind: ProxyKind,
}

impl fmt::Display for LooksLike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} looks like a {} config",
            self.path.display(),
            self.kind.binary()
        )
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config is not valid syntax for its proxy.
    #[error("{at}: {message}{}", looks_like.as_ref().map(|l| format!("; {l}")).unwrap_or_default())]
    Syntax {
        /// Where.
        at: Location,
        /// What nginx or haproxy would say, and what to do.
        message: String,
        /// Set when the file parses as the other proxy's config instead.
        looks_like: Option<LooksLike>,
    },
    /// The config has no upstream or backend at all: the wrong file, or the wrong kind.
    #[error("{} has {what}{}", config.display(), looks_like.as_ref().map(|l| format!("; {l}")).unwrap_or_default())]
    NoGroups {
        /// The main config.
        config: PathBuf,
        /// What is missing, in the proxy's words.
        what: &'static str,
        /// Set when it looks like the other proxy's config.
        looks_like: Option<LooksLike>,
    },
    /// Input that cannot be used: a selector, a mode message, a path that is not a config.
    #[error("{0}")]
    Usage(String),
    /// A selector names one upstream while another was given for all of them.
    #[error("'{arg}' names upstream '{named}' but '{given}' was given for all; drop one of them")]
    ScopeClash {
        /// The selector as written.
        arg: String,
        /// The upstream it names.
        named: String,
        /// The upstream given for all selectors.
        given: String,
    },
    /// A mode's message that cannot be put in a config safely.
    #[error("{message:?}: use 1 to 1024 printable characters without \" \\ or $")]
    BadMessage {
        /// The message as given.
        message: String,
    },
    /// A file could not be read, written or locked.
    #[error("cannot {action} {}: {source}{}", path.display(), io_hint(source.kind()))]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done: "read", "write", "lock"...
        action: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another edit held the lock longer than the caller would wait.
    #[error("gave up after {} waiting for {} (held by {holder}); retry when it is done", humantime::format_duration(*waited), lock.display())]
    LockTimeout {
        /// The lock file.
        lock: PathBuf,
        /// Who holds it.
        holder: String,
        /// How long this edit waited (whole seconds).
        waited: Duration,
    },
    /// A swapctl deploy holds the config: editing it now would fight the deploy.
    #[error("a swapctl deploy holds {} ({holder}); let it finish (swapctl status)", config.display())]
    DeployHolds {
        /// The config.
        config: PathBuf,
        /// Who holds it.
        holder: String,
    },
    /// The named server is in no upstream; `known` lists what exists.
    #[error("no server matches '{wanted}'{}", known_list(known))]
    NoSuchServer {
        /// The selector as written.
        wanted: String,
        /// One line per server of the config.
        known: Vec<String>,
    },
    /// No upstream or backend has this name; `known` lists those that exist.
    #[error("no upstream or backend is named '{wanted}'; the config has: {}", known.join(", "))]
    NoSuchUpstream {
        /// The name as written.
        wanted: String,
        /// The names in the config.
        known: Vec<String>,
    },
    /// The edit would leave a group with no server that serves.
    #[error("refusing to leave {group} {name} ({at}) with no server that serves{}{}; enable another server first", through.as_ref().map(|t| format!(" (the edit reaches it through a shared include: {t})")).unwrap_or_default(), others_list(others))]
    WouldEmpty {
        /// `upstream` or `backend`.
        group: &'static str,
        /// Its name.
        name: String,
        /// `file:line` of its header.
        at: String,
        /// Why each other server does not serve, one line each.
        others: Vec<String>,
        /// How the edit reaches it when it was not named: a line it shares through an include.
        through: Option<String>,
    },
    /// A safety rule refused the edit.
    #[error("{0}")]
    Refused(String),
    /// The real validator rejected the edited config; nothing was written.
    #[error("{}", rejected_text(validator, output, *before_edit))]
    Rejected {
        /// The validator command, such as `/usr/sbin/nginx -t`.
        validator: String,
        /// What it printed, with temp copies renamed to the real files.
        output: String,
        /// It rejects the config as it is on disk too: the edit is not the cause.
        before_edit: bool,
    },
    /// Anything else at run time.
    #[error("{0}")]
    Runtime(String),
}

fn rejected_text(validator: &str, output: &str, before_edit: bool) -> String {
    if before_edit {
        format!(
            "{validator} rejects the config as it already is on disk, before this edit (the edit is \
             not the cause); nothing was written. Fix the config first:\n{}",
            output.trim_end()
        )
    } else {
        format!(
            "{validator} rejected the edited config; nothing was written:\n{}",
            output.trim_end()
        )
    }
}

/// What an operator can do about an I/O error (flags are the binaries' to add).
fn io_hint(kind: std::io::ErrorKind) -> &'static str {
    match kind {
        std::io::ErrorKind::PermissionDenied => " (run as the config's owner, or with sudo)",
        std::io::ErrorKind::ReadOnlyFilesystem => {
            " (the file system is read-only; remount it or edit elsewhere)"
        }
        std::io::ErrorKind::StorageFull => {
            " (the disk is full; free space and retry; nothing was changed)"
        }
        _ => "",
    }
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "; the config has no upstream servers".into()
    } else {
        format!(
            "; servers in the config:\n  {}\n(use an exact address such as 127.0.0.1:8080, a haproxy server name, or UPSTREAM/SERVER)",
            known.join("\n  ")
        )
    }
}

fn others_list(others: &[String]) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!(" (the others do not:\n{})\n", others.join("\n"))
    }
}

/// Shorthand used across the engine.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error on `path` while doing `action` ("read", "write", ...).
    pub fn io(path: &std::path::Path, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}
