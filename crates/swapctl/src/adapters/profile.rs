//! `--profile NAME`: every setting from a root-owned `/etc/hotswap/NAME.toml`, so a sudoers line
//! can pin `swapctl --profile app rolling` and the restart commands live in a file only root can
//! change, not on a command line.

use serde::Deserialize;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Why a profile cannot be used (all refused before anything changes).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name that could reach outside the profile directory.
    #[error("--profile '{name}': a profile name is letters, digits, '-', '_' and '.'")]
    BadName {
        /// The name given.
        name: String,
    },
    /// The profile or its directory cannot be looked at.
    #[error(
        "cannot read the profile {}: {source} (profiles live in {}, or $HOTSWAP_PROFILE_DIR)",
        path.display(),
        dir.display()
    )]
    Missing {
        /// The file or directory.
        path: PathBuf,
        /// Where profiles live.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The profile cannot be read.
    #[error("cannot read the profile {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not owned by root.
    #[error(
        "{} is owned by uid {uid}, not root: a profile runs commands as root, so only root may own it \
         (chown root: {})",
        path.display(),
        path.display()
    )]
    NotRoot {
        /// The file or directory.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// Writable by group or others.
    #[error(
        "{} is writable by group or others (mode {mode:o}): chmod go-w {}",
        path.display(),
        path.display()
    )]
    Writable {
        /// The file or directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not valid TOML, or a setting a profile cannot hold.
    #[error("{}{at}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// `:LINE:COL` when known, else empty.
        at: String,
        /// The parser's message.
        message: String,
    },
}

impl Error {
    /// The profile file (and place) the error is about.
    pub fn context(&self) -> hotswap_cli::Context {
        let (path, at) = match self {
            Error::BadName { .. } => return hotswap_cli::Context::default(),
            Error::Missing { path, .. }
            | Error::Unreadable { path, .. }
            | Error::NotRoot { path, .. }
            | Error::Writable { path, .. } => (path, ""),
            Error::Syntax { path, at, .. } => (path, at.as_str()),
        };
        let mut place = at
            .trim_start_matches(':')
            .split(':')
            .map(str::parse::<usize>);
        hotswap_cli::Context {
            file: Some(path.display().to_string()),
            line: place.next().and_then(Result::ok),
            column: place.next().and_then(Result::ok),
            ..hotswap_cli::Context::default()
        }
    }
}

/// The settings a profile may hold (the long flags' names, with `_` or `-`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    /// `-c`, one or several.
    #[serde(default, alias = "configs")]
    pub config: Option<OneOrMany>,
    /// `-k`.
    pub kind: Option<String>,
    /// `--upstream`.
    pub upstream: Option<String>,
    /// `--restart`.
    pub restart: Option<String>,
    /// `--health`.
    pub health: Option<String>,
    /// `--health-timeout`.
    #[serde(default, deserialize_with = "duration")]
    pub health_timeout: Option<String>,
    /// `--restart-timeout`.
    #[serde(default, deserialize_with = "duration")]
    pub restart_timeout: Option<String>,
    /// `--drain-timeout`.
    #[serde(default, deserialize_with = "duration")]
    pub drain_timeout: Option<String>,
    /// `--on-drain-timeout`: `stop` or `proceed`.
    pub on_drain_timeout: Option<String>,
    /// `--reload`.
    pub reload: Option<String>,
    /// `--socket`.
    pub socket: Option<String>,
    /// `--pid-file`.
    pub pid_file: Option<PathBuf>,
    /// `--prefix`.
    pub prefix: Option<PathBuf>,
    /// `--health-status`.
    pub health_status: Option<String>,
    /// `--health-body`.
    pub health_body: Option<String>,
    /// `--health-body-regex`.
    pub health_body_regex: Option<String>,
    /// `--health-header`, one or several.
    #[serde(default)]
    pub health_header: Vec<String>,
    /// `--health-cacert`.
    pub health_cacert: Option<PathBuf>,
    /// `--health-insecure`.
    #[serde(default)]
    pub health_insecure: bool,
}

/// A duration as the flags take it: `"30s"`, or a bare number of seconds (`30`, `2.5`).
fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Int(u64),
        Float(f64),
        Text(String),
    }
    Ok(Some(match Given::deserialize(d)? {
        Given::Int(n) => n.to_string(),
        Given::Float(f) => format!("{}ms", (f * 1000.0).round()),
        Given::Text(t) => t,
    }))
}

/// `config = "/etc/nginx/nginx.conf"` or `config = ["/etc/nginx/a.conf", "/etc/nginx/b.conf"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One file.
    One(PathBuf),
    /// Several.
    Many(Vec<PathBuf>),
}

impl OneOrMany {
    /// As a list.
    pub fn into_vec(self) -> Vec<PathBuf> {
        match self {
            OneOrMany::One(p) => vec![p],
            OneOrMany::Many(v) => v,
        }
    }
}

/// `$HOTSWAP_PROFILE_DIR`, else `/etc/hotswap`.
pub fn dir() -> PathBuf {
    std::env::var_os("HOTSWAP_PROFILE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/hotswap"))
}

/// Loads `NAME.toml` from [`dir`], refusing a file (or directory) that someone other than root
/// could have written.
pub fn load(name: &str) -> Result<Profile, Error> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        || name.starts_with('.')
    {
        return Err(Error::BadName {
            name: name.to_string(),
        });
    }
    let dir = dir();
    let path = dir.join(format!("{name}.toml"));
    trusted(&dir)?;
    trusted(&path)?;
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Unreadable {
        path: path.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start].matches('\n').count() + 1;
                let col = s.start - text[..s.start].rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(":{line}:{col}")
            })
            .unwrap_or_default();
        Error::Syntax {
            path: path.clone(),
            at,
            message: e.message().to_string(),
        }
    })
}

/// Owned by root and not writable by group or others.
fn trusted(path: &Path) -> Result<(), Error> {
    let md = std::fs::metadata(path).map_err(|source| Error::Missing {
        path: path.to_path_buf(),
        dir: dir(),
        source,
    })?;
    if md.uid() != 0 {
        return Err(Error::NotRoot {
            path: path.to_path_buf(),
            uid: md.uid(),
        });
    }
    if md.mode() & 0o022 != 0 {
        return Err(Error::Writable {
            path: path.to_path_buf(),
            mode: md.mode() & 0o7777,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_profile_reads_and_durations_may_be_bare_seconds() {
        let text = include_str!("../../../../examples/profile/app.toml");
        let p: Profile = toml::from_str(text).expect("examples/profile/app.toml reads");
        assert_eq!(p.health_timeout.as_deref(), Some("60"));
        assert!(p.restart.is_some() && p.health.is_some());
        let p: Profile = toml::from_str(
            "drain-timeout = 2.5\nrestart-timeout = \"2m\"\nhealth-header = [\"A: b\"]",
        )
        .expect("reads");
        assert_eq!(p.drain_timeout.as_deref(), Some("2500ms"));
        assert_eq!(p.restart_timeout.as_deref(), Some("2m"));
        assert_eq!(p.health_header, ["A: b"]);
    }
}
