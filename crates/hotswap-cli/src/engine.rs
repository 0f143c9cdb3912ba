//! proxyconf's errors as the binaries show them: the engine's message plus the flag that gets past
//! it, and the exit status DESIGN.md gives each.

use proxyconf::Error;
use std::fmt;

/// An engine error on its way out of a binary.
#[derive(Debug)]
pub struct EngineFailure(pub Error);

impl From<Error> for EngineFailure {
    fn from(e: Error) -> Self {
        EngineFailure(e)
    }
}

impl fmt::Display for EngineFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_with_hints(&self.0, f)
    }
}

/// The engine's message with the binaries' flag hints, for errors that wrap an engine error.
pub fn describe(e: &Error) -> String {
    EngineFailure::shown(e).to_string()
}

impl EngineFailure {
    /// A displayable borrow of `e`, with the hints.
    pub fn shown(e: &Error) -> impl fmt::Display + '_ {
        struct Shown<'a>(&'a Error);
        impl fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_with_hints(self.0, f)
            }
        }
        Shown(e)
    }
}

/// The exit status of an engine error.
pub fn exit_code(e: &Error) -> i32 {
    match e {
        Error::Syntax { .. }
        | Error::NoGroups { .. }
        | Error::Usage(_)
        | Error::ScopeClash { .. }
        | Error::BadMessage { .. } => crate::EXIT_USAGE,
        Error::NoSuchServer { .. } => 3,
        Error::Refused(_) | Error::WouldEmpty { .. } | Error::DeployHolds { .. } => 4,
        Error::Rejected { .. } => 5,
        _ => crate::EXIT_RUNTIME,
    }
}

fn write_with_hints(e: &Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    {
        match e {
            Error::Syntax {
                looks_like: Some(l),
                ..
            }
            | Error::NoGroups {
                looks_like: Some(l),
                ..
            } => write!(f, "{e}; pass -k {}", l.kind.binary()),
            Error::NoGroups { .. } => write!(
                f,
                "{e}; name the config that defines the servers with -c (for nginx, the main nginx.conf that includes the site files)"
            ),
            Error::ScopeClash { arg, named, given } => write!(
                f,
                "'{arg}' names upstream '{named}' but --upstream says '{given}'; drop one of them"
            ),
            Error::BadMessage { .. } => write!(f, "--message {e}"),
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                write!(f, "{e} (check the path, or name the config with -c FILE)")
            }
            Error::LockTimeout { .. } => write!(f, "{e}, or raise --lock-timeout"),
            Error::DeployHolds { .. } => write!(f, "{e}, or pass --force"),
            Error::WouldEmpty { .. } => write!(f, "{e}, or pass --force if an outage is intended"),
            _ => write!(f, "{e}"),
        }
    }
}

impl crate::ExitStatus for EngineFailure {
    /// 1 run time, 2 usage or syntax, 3 no such server, 4 refused, 5 rejected by the validator.
    fn exit_code(&self) -> i32 {
        exit_code(&self.0)
    }
}
