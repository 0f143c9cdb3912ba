//! Errors with the exit codes of the upstream-toggle contract.

use std::fmt;
use std::path::{Path, PathBuf};

/// Everything that can go wrong; `exit_code` maps each to the documented exit status.
#[derive(Debug)]
pub enum Error {
    /// Bad usage or a config syntax error; `at` is `file:line:col` when known.
    Syntax { at: String, message: String },
    /// Bad command-line input that is not tied to a file.
    Usage(String),
    /// A file could not be read, written or locked.
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    /// The named server is in no upstream; `known` lists what exists.
    NoSuchServer { wanted: String, known: Vec<String> },
    /// A safety rule refused the edit.
    Refused(String),
    /// The real validator rejected the edited config; nothing was written.
    Rejected { validator: String, output: String },
    /// Anything else at run time.
    Runtime(String),
}

/// Shorthand used across the engine.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Exit status from DESIGN.md: 1 runtime, 2 usage/syntax, 3 no such server, 4 refused, 5 rejected.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Syntax { .. } | Error::Usage(_) => 2,
            Error::NoSuchServer { .. } => 3,
            Error::Refused(_) => 4,
            Error::Rejected { .. } => 5,
            Error::Io { .. } | Error::Runtime(_) => 1,
        }
    }

    /// An I/O error on `path` while doing `action` ("read", "write", ...).
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax { at, message } => write!(f, "{at}: {message}"),
            Error::Usage(m) | Error::Refused(m) | Error::Runtime(m) => f.write_str(m),
            Error::Io {
                path,
                action,
                source,
            } => {
                write!(f, "cannot {action} {}: {source}", path.display())?;
                match source.kind() {
                    std::io::ErrorKind::PermissionDenied => {
                        f.write_str(" (run as the config's owner, or with sudo)")
                    }
                    std::io::ErrorKind::ReadOnlyFilesystem => {
                        f.write_str(" (the file system is read-only; remount it or edit elsewhere)")
                    }
                    std::io::ErrorKind::NotFound => {
                        f.write_str(" (check the path, or name the config with -c FILE)")
                    }
                    std::io::ErrorKind::StorageFull => f.write_str(
                        " (the disk is full; free space and retry; nothing was changed)",
                    ),
                    _ => Ok(()),
                }
            }
            Error::NoSuchServer { wanted, known } => {
                write!(f, "no server matches '{wanted}'")?;
                if known.is_empty() {
                    f.write_str("; the config has no upstream servers")
                } else {
                    write!(
                        f,
                        "; servers in the config:\n  {}\n(use an exact address such as 127.0.0.1:8080, a haproxy server name, or UPSTREAM/SERVER)",
                        known.join("\n  ")
                    )
                }
            }
            Error::Rejected { validator, output } => write!(
                f,
                "{validator} rejected the edited config; nothing was written:\n{}",
                output.trim_end()
            ),
        }
    }
}

impl std::error::Error for Error {}
