//! The edit transaction: lock, re-read, plan, temp file, validate, rename, fsync.

use crate::config::{Config, Keep};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::server::ProxyKind;
use crate::validate::{self, Validation};
use crate::{haproxy, nginx, splice};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How to carry out an edit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Print the diff; write nothing.
    pub dry_run: bool,
    /// Skip `nginx -t` / `haproxy -c`.
    pub no_validate: bool,
}

/// What an edit did.
#[derive(Debug)]
pub struct Applied {
    /// The config as it was read under the lock (the plan's indices point into it).
    pub config: Config,
    /// The plan that was carried out.
    pub plan: Plan,
    /// Unified diff of every changed file (computed for --dry-run only).
    pub diff: String,
    /// Files replaced on disk (empty for a dry run or a no-op).
    pub written: Vec<PathBuf>,
    /// Warnings for the operator (missing validator, missing includes).
    pub warnings: Vec<String>,
}

/// The lock file beside the (resolved) main config: `.NAME.lock`.
pub fn lock_path(config: &Path) -> Result<PathBuf> {
    let real = std::fs::canonicalize(config).map_err(|e| Error::io(config, "open", e))?;
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(real.with_file_name(format!(".{name}.lock")))
}

/// Holds the config's exclusive lock until dropped.
pub struct Lock {
    _file: File,
}

/// Takes the exclusive lock that serialises every edit of this config (blocks until free).
pub fn lock(config: &Path) -> Result<Lock> {
    let path = lock_path(config)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, "create the lock file", e))?;
    file.lock().map_err(|e| Error::io(&path, "lock", e))?;
    Ok(Lock { _file: file })
}

/// Locks, re-reads `path`, plans with `make_plan`, then writes atomically (or only diffs).
/// `keep` narrows the inventory to the servers the plan can touch (see [`Config::load_only`]);
/// if the plan then finds no such server, the config is re-read whole so the error lists them all.
pub fn edit(
    path: &Path,
    kind: Option<ProxyKind>,
    opts: Options,
    keep: Option<&Keep<'_>>,
    make_plan: impl Fn(&Config) -> Result<Plan>,
) -> Result<Applied> {
    let _lock = if opts.dry_run {
        None
    } else {
        Some(lock(path)?)
    };
    let mut config = Config::load_only(path, kind, keep)?;
    let plan = match make_plan(&config) {
        Err(Error::NoSuchServer { .. }) if config.partial => {
            config = Config::load(path, kind)?;
            make_plan(&config)?
        }
        other => other?,
    };
    let mut warnings = config.warnings.clone();
    let new_files = plan.apply(&config);
    for (f, bytes) in &new_files {
        self_check(&config, &plan, *f, bytes)?;
    }
    let diff = if opts.dry_run {
        crate::diff::unified(&config, &new_files)
    } else {
        String::new()
    };
    if opts.dry_run || new_files.is_empty() {
        return Ok(Applied {
            config,
            plan,
            diff,
            written: Vec::new(),
            warnings,
        });
    }
    let mut temps = Vec::new();
    let mut temp_paths = HashMap::new();
    for (f, bytes) in &new_files {
        let (target, tmp) = write_temp(&config.files[*f].path, bytes)?;
        temp_paths.insert(*f, tmp.path().to_path_buf());
        temps.push((target, tmp));
    }
    if !opts.no_validate {
        let splices: HashMap<_, _> = plan.splices.iter().map(|(k, v)| (*k, v.clone())).collect();
        if let Validation::Skipped(w) = validate::validate(&config, &temp_paths, &splices)? {
            warnings.push(w);
        }
    }
    let mut written = Vec::new();
    for (target, tmp) in temps {
        tmp.persist(&target)
            .map_err(|e| Error::io(&target, "replace", e.error))?;
        sync_dir(&target)?;
        written.push(target);
    }
    Ok(Applied {
        config,
        plan,
        diff,
        written,
        warnings,
    })
}

/// The new bytes must still parse: a last guard for when no validator runs. An nginx `upstream`
/// block starts at a token boundary and balances its braces, so re-checking just the edited blocks
/// (the rest of the file is byte-identical) proves the whole file still parses.
fn self_check(cfg: &Config, plan: &Plan, file: usize, bytes: &[u8]) -> Result<()> {
    let ok = match cfg.kind {
        ProxyKind::Haproxy => haproxy::lexer::lines(bytes).is_ok(),
        ProxyKind::Nginx => {
            let splices = plan.splices.get(&file).map_or(&[][..], Vec::as_slice);
            let mut blocks: Vec<std::ops::Range<usize>> = plan
                .outcomes
                .iter()
                .map(|o| &cfg.servers[o.server])
                .filter(|s| s.file == file)
                .map(|s| {
                    let up = &cfg.upstreams[s.upstream];
                    if up.file == file && !up.span.is_empty() {
                        splice::map_offset(splices, up.span.start)
                            ..splice::map_offset(splices, up.span.end)
                    } else {
                        0..bytes.len()
                    }
                })
                .collect();
            blocks.sort_by_key(|r| r.start);
            blocks.dedup();
            blocks
                .iter()
                .all(|r| nginx::parser::check(&bytes[r.clone()]).is_ok())
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Runtime(format!(
            "internal error: the edit of {} would not parse, so nothing was written; please report this with the file",
            cfg.files[file].path.display()
        )))
    }
}

/// Writes `bytes` to a temp file beside the real target (a symlink is followed), with its mode and owner, fsynced.
fn write_temp(path: &Path, bytes: &[u8]) -> Result<(PathBuf, tempfile::NamedTempFile)> {
    let target = std::fs::canonicalize(path).map_err(|e| Error::io(path, "resolve", e))?;
    let meta = std::fs::metadata(&target).map_err(|e| Error::io(&target, "stat", e))?;
    let dir = target.parent().unwrap_or(Path::new("/"));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, "create a temp file in", e))?;
    let f = tmp.as_file_mut();
    f.set_permissions(meta.permissions())
        .map_err(|e| Error::io(tmp.path(), "set the mode of", e))?;
    let mine = tmp
        .as_file()
        .metadata()
        .map_err(|e| Error::io(tmp.path(), "stat", e))?;
    if (meta.uid(), meta.gid()) != (mine.uid(), mine.gid()) {
        std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()))
            .map_err(|e| Error::io(&target, "keep the owner of", e))?;
    }
    let f = tmp.as_file_mut();
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&target, "write a new copy of", e))?;
    Ok((target, tmp))
}

fn sync_dir(target: &Path) -> Result<()> {
    let dir = target.parent().unwrap_or(Path::new("/"));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, "fsync the directory", e))
}
