//! The deploy journal (written atomically at every step) and the deploy lock.

use crate::fleet::Fleet;
use crate::steps::Action;
use crate::steps::Options;
use crate::steps::ServerRef;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Why the journal cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The journal is not valid JSON of the expected shape.
    #[error("{}: unreadable journal: {source}", path.display())]
    Unreadable {
        /// The journal file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The journal file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The journal file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The journal cannot be encoded.
    #[error(transparent)]
    Encode(serde_json::Error),
    /// No temporary file can be made beside the config.
    #[error("cannot write the journal in {}: {source}", dir.display())]
    TempFile {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing or syncing the temporary file failed.
    #[error("cannot write the journal {}: {source}", path.display())]
    Write {
        /// The journal file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Renaming it over the journal failed.
    #[error("cannot write {}: {source}", path.display())]
    Persist {
        /// The journal file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `resume` will not run commands from a journal others could have written.
    #[error(
        "{} is owned by uid {uid} with mode {mode:o}: resume runs its commands, so it must be owned \
         by root or you and not writable by group or others (chown root: and chmod go-w it, or give \
         the commands as flags)",
        path.display()
    )]
    Untrusted {
        /// The journal.
        path: PathBuf,
        /// Its owner.
        uid: u32,
        /// Its permission bits.
        mode: u32,
    },
    /// Syncing the directory failed.
    #[error("fsync {}: {source}", dir.display())]
    SyncDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What to do when the lock cannot be opened for lack of rights.
fn permission_hint(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        " (run as the config's owner, or with sudo)"
    } else {
        ""
    }
}

/// Step servers as objects, or as the display strings journals of earlier releases wrote.
fn servers_or_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ServerRef>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Server(ServerRef),
        Name(String),
    }
    let items = Vec::<Either>::deserialize(d)?;
    Ok(items
        .into_iter()
        .map(|i| match i {
            Either::Server(s) => s,
            Either::Name(text) => match text.split_once(" (") {
                Some((name, rest)) => ServerRef {
                    upstream: String::new(),
                    name: Some(name.to_string()),
                    address: rest.trim_end_matches(')').to_string(),
                },
                None => ServerRef {
                    upstream: String::new(),
                    name: None,
                    address: text,
                },
            },
        })
        .collect())
}

/// One step of a deploy.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Step {
    /// 1-based (`n` in journals of earlier releases).
    #[serde(alias = "n")]
    pub step: usize,
    /// What it does.
    pub action: crate::steps::ActionKind,
    /// The same in words.
    #[serde(default)]
    pub description: String,
    /// Servers it acts on.
    #[serde(deserialize_with = "servers_or_names")]
    pub servers: Vec<ServerRef>,
    /// pending, running, done, failed.
    pub state: String,
    /// Milliseconds it took.
    pub millis: Option<u64>,
    /// What happened, for failures.
    pub detail: Option<String>,
}

/// The whole record of the last deploy (or `out`/`in`/`recover`), written beside every config
/// it covers so that `status` on any of them tells the same story.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Journal {
    /// `hot-swap`, `rolling`, `out`, `in`, `resume` or `recover`.
    pub strategy: String,
    /// running, done, failed, interrupted, recovered.
    pub status: String,
    /// The first config file.
    pub config: PathBuf,
    /// Every config file of the deploy (one per proxy), in command-line order.
    #[serde(default)]
    pub configs: Vec<PathBuf>,
    /// `rolling --batch`, for `resume`.
    #[serde(default)]
    pub batch: Option<usize>,
    /// Every server the deploy set out to restart, in order.
    #[serde(default)]
    pub servers: Vec<ServerRef>,
    /// Servers restarted, healthy and back in rotation.
    #[serde(default)]
    pub deployed: Vec<ServerRef>,
    /// The upstream or backend.
    pub upstream: String,
    /// Process that ran it.
    pub pid: u32,
    /// Start time, RFC 3339.
    pub started: String,
    /// Last write, RFC 3339.
    pub updated: String,
    /// The plan and its progress.
    pub steps: Vec<Step>,
    /// Servers swapctl has taken out and not yet brought back.
    pub out: Vec<ServerRef>,
    /// Servers whose restart or health check failed.
    pub failed: Vec<ServerRef>,
    /// A plain account of the end state.
    pub message: Option<String>,
    /// The last traffic-mode change, kept beside (never instead of) the last deploy's record.
    #[serde(default)]
    pub mode_change: Option<ModeChange>,
    /// The deploy's own settings, which `resume` reuses where no flag overrides them.
    #[serde(default)]
    pub settings: Option<Settings>,
}

/// The settings a deploy ran with, as `resume` needs them again.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Settings {
    /// `--restart`.
    pub restart: Option<String>,
    /// `--health`.
    pub health: Option<String>,
    /// `--health-timeout`.
    pub health_timeout: Option<String>,
    /// `--restart-timeout`.
    pub restart_timeout: Option<String>,
    /// `--drain-timeout`.
    pub drain_timeout: Option<String>,
    /// `--on-drain-timeout`.
    pub on_drain_timeout: Option<String>,
    /// `--reload`.
    pub reload: Option<String>,
    /// `--socket`.
    pub socket: Option<String>,
    /// `--pid-file`.
    pub pid_file: Option<PathBuf>,
    /// `--prefix`.
    pub prefix: Option<PathBuf>,
    /// The `--health-*` expectations, as given (`--health-status 200 --health-insecure`).
    #[serde(default)]
    pub health_args: Vec<String>,
}

/// A traffic mode as it was put in place, to put it back exactly.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SavedMode {
    /// normal, read-only or maintenance.
    pub mode: String,
    /// The 503 body.
    pub message: String,
    /// Retry-After, seconds.
    pub retry_after: u64,
    /// When it was put in place, RFC 3339.
    pub since: String,
}

/// One `swapctl mode` run.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModeChange {
    /// The mode asked for.
    pub to: String,
    /// running, done or failed.
    pub status: String,
    /// When it started, RFC 3339.
    pub at: String,
    /// The mode in place before (None: normal), restored when the change did not finish.
    pub before: Option<SavedMode>,
    /// What happened.
    pub message: Option<String>,
}

impl SavedMode {
    /// From the engine's spec.
    pub fn from_spec(s: &proxyconf::mode::Spec) -> SavedMode {
        SavedMode {
            mode: s.mode.word().into(),
            message: s.message.clone(),
            retry_after: s.retry_after,
            since: s.at.clone(),
        }
    }

    /// Back to the engine's spec.
    pub fn spec(&self) -> proxyconf::mode::Spec {
        use proxyconf::mode::Mode;
        proxyconf::mode::Spec {
            mode: match self.mode.as_str() {
                "read-only" => Mode::ReadOnly,
                "maintenance" => Mode::Maintenance,
                _ => Mode::Normal,
            },
            message: self.message.clone(),
            retry_after: self.retry_after,
            at: self.since.clone(),
        }
    }
}

/// `.NAME.swapctl.json` beside the (resolved) config.
pub fn journal_path(config: &Path) -> PathBuf {
    proxyconf::lock::hidden_sibling(config, "swapctl.json")
}

impl Journal {
    /// Reads the journal of `config`, if any.
    pub fn load(config: &Path) -> Result<Option<Journal>, Error> {
        let path = journal_path(config);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|source| Error::Unreadable { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    /// The journal beside `config`, for `resume` to take commands from: it runs them as the
    /// invoking user, so it must be owned by root or that user and not writable by group or
    /// others (as a profile). Ok(None) when there is none.
    pub fn load_trusted(config: &Path) -> Result<Option<Journal>, Error> {
        use std::io::Read;
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        let path = journal_path(config);
        // One handle, not followed through a symlink: what is checked is what is read.
        let Ok(mut f) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&path)
        else {
            return Ok(None);
        };
        let md = f.metadata().map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let me = nix::unistd::geteuid().as_raw();
        if !md.is_file() || (md.uid() != 0 && md.uid() != me) || md.mode() & 0o022 != 0 {
            return Err(Error::Untrusted {
                path,
                uid: md.uid(),
                mode: md.mode() & 0o7777,
            });
        }
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Unreadable { path, source })
    }

    /// The config files it covers.
    pub fn all_configs(&self) -> Vec<PathBuf> {
        if self.configs.is_empty() {
            vec![self.config.clone()]
        } else {
            self.configs.clone()
        }
    }

    /// Writes it atomically beside every config: temp file, fsync, rename, fsync the directory.
    /// Mode 0644, so `status` works without root.
    pub fn save(&mut self) -> Result<(), Error> {
        self.updated = now();
        let bytes = serde_json::to_vec_pretty(self).map_err(Error::Encode)?;
        for config in self.all_configs() {
            write_atomic(&journal_path(&config), &bytes)?;
        }
        Ok(())
    }
}

/// Mode 0644, so `status` works without root.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use proxyconf::fsio::AtomicWriteError as W;
    proxyconf::fsio::write_atomic(path, bytes, 0o644).map_err(|e| match e {
        W::Create { dir, source } => Error::TempFile { dir, source },
        W::Write { source, .. } => Error::Write {
            path: path.to_path_buf(),
            source,
        },
        W::Replace { path, source } => Error::Persist { path, source },
        W::SyncDir { dir, source } => Error::SyncDir { dir, source },
    })
}

/// RFC 3339 UTC now.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Held for the whole deploy; the kernel drops it if swapctl dies, so a kill leaves no stale lock.
pub struct DeployLock {
    _files: Vec<File>,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another deploy holds it; `holder` says who and since when.
    #[error(
        "another deploy holds {}: {}",
        path.display(),
        holder.as_deref().unwrap_or("holder unknown")
    )]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Its holder line, when it has one.
        holder: Option<String>,
    },
    /// The lock file cannot be opened.
    #[error("cannot open the deploy lock {}: {source}{}", path.display(), permission_hint(source))]
    Open {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Locking failed for another reason than another holder.
    #[error("cannot lock {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl DeployLock {
    /// Takes the deploy lock of every config, in sorted order so that two deploys over the same
    /// proxies cannot each hold half.
    pub fn acquire_all(configs: &[PathBuf], what: &str) -> Result<DeployLock, LockError> {
        let mut sorted: Vec<&PathBuf> = configs.iter().collect();
        sorted.sort();
        sorted.dedup();
        let mut files = Vec::new();
        for c in sorted {
            files.push(Self::acquire_one(c, what)?);
        }
        Ok(DeployLock { _files: files })
    }

    /// Takes `.NAME.swapctl.lock` beside the config without waiting.
    fn acquire_one(config: &Path, what: &str) -> Result<File, LockError> {
        let path = proxyconf::lock::deploy_lock_path(config);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|source| LockError::Open {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Held {
                    path,
                    holder: (!holder.is_empty()).then(|| holder.to_string()),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(LockError::Lock { path, source })
            }
        }
        let holder = format!(
            "{}\n",
            proxyconf::lock::holder_line(&format!("swapctl {what}"))
        );
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = file.write_all(holder.as_bytes());
        let _ = file.sync_all();
        Ok(file)
    }
}

impl Journal {
    /// A fresh journal for a command over `fleet`.
    pub fn start(
        strategy: &str,
        opts: &Options,
        fleet: &Fleet,
        actions: &[Action],
        servers: Vec<ServerRef>,
        batch: Option<usize>,
    ) -> Journal {
        Journal {
            strategy: strategy.into(),
            status: "running".into(),
            config: opts.configs[0].clone(),
            configs: opts.configs.clone(),
            batch,
            servers,
            deployed: Vec::new(),
            upstream: fleet.upstream(),
            pid: std::process::id(),
            started: now(),
            updated: now(),
            steps: actions
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let info = a.info(i + 1, actions.len());
                    Step {
                        step: i + 1,
                        action: info.action,
                        description: info.description,
                        servers: info.servers,
                        state: "pending".into(),
                        millis: None,
                        detail: None,
                    }
                })
                .collect(),
            out: Vec::new(),
            failed: Vec::new(),
            message: None,
            // A mode change is kept across deploys: recover needs it.
            mode_change: Journal::load(&opts.configs[0])
                .ok()
                .flatten()
                .and_then(|j| j.mode_change),
            settings: Some(crate::runner::journal::Settings {
                restart: opts.restart.clone(),
                health: opts.health.clone(),
                health_timeout: Some(humantime::format_duration(opts.health_timeout).to_string()),
                restart_timeout: Some(humantime::format_duration(opts.restart_timeout).to_string()),
                drain_timeout: Some(humantime::format_duration(opts.drain_timeout).to_string()),
                on_drain_timeout: Some(
                    if opts.drain_timeout_proceeds {
                        "proceed"
                    } else {
                        "stop"
                    }
                    .into(),
                ),
                reload: opts.reload.clone(),
                socket: opts.socket.clone(),
                pid_file: opts.pid_file.clone(),
                prefix: opts.prefix.clone(),
                health_args: opts.health_args.clone(),
            }),
        }
    }
}
