//! proxyconf's errors as the binaries show them: the engine's message plus the flag that gets past
//! it, and the exit status DESIGN.md gives each.

use crate::contract::{Context, Kind, Reportable};
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
        Shown {
            error: &self.0,
            edit_flags: true,
        }
        .fmt(f)
    }
}

/// The engine's message with the flag hints every binary has (`-c`, `-k`, `--upstream`,
/// `--message`), for a tool that edits through a deploy (swapctl): it has no `--force` or
/// `--lock-timeout`, so those hints are left out.
pub fn describe(e: &Error) -> String {
    Shown {
        error: e,
        edit_flags: false,
    }
    .to_string()
}

/// A borrowed engine error, shown with the hints; `edit_flags` adds upstream-toggle's own
/// (`--force`, `--lock-timeout`).
struct Shown<'a> {
    error: &'a Error,
    edit_flags: bool,
}

/// The contract's kind of an engine error (DESIGN.md's table).
pub fn kind(e: &Error) -> Kind {
    match e {
        Error::Syntax { .. }
        | Error::NoGroups { .. }
        | Error::Usage(_)
        | Error::ScopeClash { .. }
        | Error::BadMessage { .. } => Kind::Usage,
        // A config that cannot be read is the operator's to fix, like a syntax error.
        Error::Io { action, .. } if matches!(*action, "read" | "resolve" | "stat") => Kind::Usage,
        Error::NoSuchServer { .. } | Error::NoSuchUpstream { .. } => Kind::NotFound,
        Error::Refused(_) | Error::WouldEmpty { .. } => Kind::Refused,
        Error::LockTimeout { .. } | Error::DeployHolds { .. } => Kind::Busy,
        Error::Rejected { .. } => Kind::Rejected,
        _ => Kind::Runtime,
    }
}

/// The exit status of an engine error.
pub fn exit_code(e: &Error) -> i32 {
    kind(e).code()
}

/// What an engine error is about: its file and place, server, upstream or lock holder.
pub fn context(e: &Error) -> Context {
    let file = |p: &std::path::Path| Some(p.display().to_string());
    match e {
        Error::Syntax { at, .. } => Context {
            file: file(&at.path),
            line: Some(at.line),
            column: Some(at.col),
            ..Context::default()
        },
        Error::NoGroups { config, .. } => Context {
            file: file(config),
            ..Context::default()
        },
        Error::Io { path, .. } => Context {
            file: file(path),
            ..Context::default()
        },
        Error::LockTimeout { lock, holder, .. } => Context {
            file: file(lock),
            holder: Some(holder.clone()),
            ..Context::default()
        },
        Error::DeployHolds { config, holder } => Context {
            file: file(config),
            holder: Some(holder.clone()),
            ..Context::default()
        },
        Error::NoSuchServer { wanted, .. } => Context {
            server: Some(wanted.clone()),
            ..Context::default()
        },
        Error::NoSuchUpstream { wanted, .. } => Context {
            upstream: Some(wanted.clone()),
            ..Context::default()
        },
        Error::ScopeClash { arg, named, .. } => Context {
            server: Some(arg.clone()),
            upstream: Some(named.clone()),
            ..Context::default()
        },
        Error::WouldEmpty { name, .. } => Context {
            upstream: Some(name.clone()),
            ..Context::default()
        },
        _ => Context::default(),
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.error;
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
            Error::LockTimeout { .. } if self.edit_flags => {
                write!(f, "{e}, or raise --lock-timeout")
            }
            Error::DeployHolds { .. } if self.edit_flags => write!(f, "{e}, or pass --force"),
            Error::WouldEmpty { .. } if self.edit_flags => {
                write!(f, "{e}, or pass --force if an outage is intended")
            }
            _ => write!(f, "{e}"),
        }
    }
}

impl Reportable for EngineFailure {
    fn kind(&self) -> Kind {
        kind(&self.0)
    }
    fn context(&self) -> Context {
        context(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxyconf::error::{Location, LooksLike};
    use proxyconf::ProxyKind;
    use std::path::PathBuf;
    use std::time::Duration;

    /// As upstream-toggle shows it (with its edit flags), and its exit code.
    fn shown(e: Error) -> (String, i32) {
        let code = exit_code(&e);
        (EngineFailure(e).to_string(), code)
    }

    #[test]
    fn each_engine_error_gets_its_flag_and_exit_code() {
        let at = Location {
            path: "h.cfg".into(),
            line: 1,
            col: 1,
        };
        let looks = Some(LooksLike {
            path: "h.cfg".into(),
            kind: ProxyKind::Haproxy,
        });
        let (m, c) = shown(Error::Syntax {
            at,
            message: "unexpected end of file".into(),
            looks_like: looks.clone(),
        });
        assert!(
            m.ends_with("h.cfg looks like a haproxy config; pass -k haproxy"),
            "{m}"
        );
        assert_eq!(c, 2);
        let (m, c) = shown(Error::NoGroups {
            config: "site.conf".into(),
            what: "no `upstream` block",
            looks_like: None,
        });
        assert!(
            m.contains("site.conf has no `upstream` block; name the config"),
            "{m}"
        );
        assert!(m.contains("with -c"), "{m}");
        assert_eq!(c, 2);
        let (m, _) = shown(Error::NoGroups {
            config: "h.cfg".into(),
            what: "no `upstream` block",
            looks_like: looks,
        });
        assert!(m.ends_with("; pass -k haproxy"), "{m}");
        let (m, c) = shown(Error::ScopeClash {
            arg: "a/x".into(),
            named: "a".into(),
            given: "b".into(),
        });
        assert_eq!(
            m,
            "'a/x' names upstream 'a' but --upstream says 'b'; drop one of them"
        );
        assert_eq!(c, 2);
        let (m, c) = shown(Error::Io {
            path: PathBuf::from("/nope.conf"),
            action: "read",
            source: std::io::ErrorKind::NotFound.into(),
        });
        assert!(
            m.ends_with("(check the path, or name the config with -c FILE)"),
            "{m}"
        );
        assert_eq!(c, 2);
        let (m, _) = shown(Error::Io {
            path: PathBuf::from("/etc/nginx/nginx.conf"),
            action: "write",
            source: std::io::ErrorKind::PermissionDenied.into(),
        });
        assert!(
            m.ends_with("(run as the config's owner, or with sudo)"),
            "{m}"
        );
        assert!(!m.contains("-c FILE"), "{m}");
        let (m, c) = shown(Error::LockTimeout {
            lock: ".nginx.conf.lock".into(),
            holder: "pid 1".into(),
            waited: Duration::from_secs(2),
        });
        assert!(
            m.ends_with("retry when it is done, or raise --lock-timeout"),
            "{m}"
        );
        assert_eq!(c, 6);
        let (m, c) = shown(Error::DeployHolds {
            config: "nginx.conf".into(),
            holder: "pid 1".into(),
        });
        assert!(m.ends_with("(swapctl status), or pass --force"), "{m}");
        assert_eq!(c, 6);
        let (m, c) = shown(Error::WouldEmpty {
            group: "upstream",
            name: "app".into(),
            at: "nginx.conf:3".into(),
            others: Vec::new(),
            through: None,
        });
        assert!(
            m.ends_with("enable another server first, or pass --force if an outage is intended"),
            "{m}"
        );
        assert_eq!(c, 4);
        let (m, _) = shown(Error::BadMessage {
            message: "a$b".into(),
        });
        assert!(m.starts_with("--message \"a$b\": "), "{m}");
        let none = Error::NoSuchServer {
            wanted: "x".into(),
            known: Vec::new(),
        };
        assert_eq!(exit_code(&none), 3);
        let rejected = Error::Rejected {
            validator: "nginx -t".into(),
            output: String::new(),
            before_edit: true,
        };
        assert_eq!(exit_code(&rejected), 5);
    }

    #[test]
    fn a_deploy_tool_is_not_told_of_upstream_toggles_own_flags() {
        let held = Error::LockTimeout {
            lock: ".nginx.conf.lock".into(),
            holder: "pid 1".into(),
            waited: Duration::from_secs(2),
        };
        let m = describe(&held);
        assert!(m.ends_with("retry when it is done"), "{m}");
        let empty = Error::WouldEmpty {
            group: "upstream",
            name: "app".into(),
            at: "nginx.conf:3".into(),
            others: Vec::new(),
            through: None,
        };
        assert!(!describe(&empty).contains("--force"));
    }
}
