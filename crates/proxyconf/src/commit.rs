//! The edit transaction: lock, re-read, plan, temp file, validate, rename, fsync.

use crate::config::{Config, Keep};
use crate::error::{Error, Result};
use crate::fsio;
use crate::lock::FileLock;
use crate::plan::Plan;
use crate::server::ProxyKind;
use crate::splice;
use crate::validate::{self, Validation};

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to carry out an edit.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Print the diff; write nothing (the edit is still validated).
    pub dry_run: bool,
    /// Skip `nginx -t` / `haproxy -c`.
    pub no_validate: bool,
    /// nginx's `-p PREFIX`, as the running nginx was started with.
    pub prefix: Option<PathBuf>,
    /// How long to wait for another edit's lock on a file this edit writes.
    pub lock_timeout: Duration,
    /// Edit even while a swapctl deploy holds the config.
    pub force: bool,
    /// Told once when a lock is held by someone else (the holder and the wait).
    pub waiting: Option<fn(&str)>,
}

/// What an edit did.
#[derive(Debug)]
pub struct Applied {
    /// The config as it was read under the lock (the plan's indices point into it).
    pub config: Config,
    /// The plan that was carried out.
    pub plan: Plan,
    /// Unified diff of every changed file, raw bytes (computed for --dry-run only).
    pub diff: Vec<u8>,
    /// Files replaced on disk (empty for a dry run or a no-op).
    pub written: Vec<PathBuf>,
    /// Warnings for the operator (missing validator, missing includes).
    pub warnings: Vec<String>,
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
    if !opts.force && !opts.dry_run {
        if let Some(who) = crate::lock::deploy_holder(path) {
            return Err(Error::DeployHolds {
                config: path.to_path_buf(),
                holder: who,
            });
        }
    }
    let mut locks = Locks::new(&opts);
    if !opts.dry_run {
        locks.take(&[path.to_path_buf()])?;
    }
    let load_and_plan = || -> Result<(Config, Plan)> {
        let config = Config::load_only(path, kind, keep)?;
        match make_plan(&config) {
            // The whole config, read again on these failure paths: it may hold the server the
            // filter missed, and a refusal then lists why each other server does not serve.
            Err(Error::NoSuchServer { .. } | Error::WouldEmpty { .. }) if config.partial => {
                let config = Config::load(path, kind)?;
                let plan = make_plan(&config)?;
                Ok((config, plan))
            }
            other => other.map(|plan| (config, plan)),
        }
    };
    let (mut config, mut plan) = load_and_plan()?;
    // The edited files, written later straight from slices of the originals and the splices.
    let mut edited = plan.edited_files();
    // An edit of an included file also locks that file; if another main config's edit changed
    // it before the lock was ours, plan again on what is on disk now.
    loop {
        if opts.dry_run {
            break;
        }
        let paths: Vec<PathBuf> = edited
            .iter()
            .map(|&f| config.files[f].path.clone())
            .collect();
        if !locks.take(&paths)? {
            break;
        }
        let stale = edited
            .iter()
            .any(|&f| !crate::source::still_holds(&config.files[f].path, &config.files[f].bytes));
        if !stale {
            break;
        }
        (config, plan) = load_and_plan()?;
        edited = plan.edited_files();
    }
    let mut warnings = config.warnings.clone();
    for &f in &edited {
        self_check(&config, &plan, f)?;
    }
    let diff = if opts.dry_run {
        crate::diff::unified(&config, &plan.apply(&config))
    } else {
        Vec::new()
    };
    let unwritten = |config, plan, diff, warnings| Applied {
        config,
        plan,
        diff,
        written: Vec::new(),
        warnings,
    };
    if edited.is_empty() || (opts.dry_run && opts.no_validate) {
        return Ok(unwritten(config, plan, diff, warnings));
    }
    let mut temps = Vec::new();
    let mut temp_paths = HashMap::new();
    for &f in &edited {
        let splices = plan.splices.get(&f).map_or(&[][..], Vec::as_slice);
        let write = |out: &mut File| splice::write(&config.files[f].bytes, splices, out);
        match write_temp(&config.files[f].path, write) {
            Ok((target, tmp)) => {
                temp_paths.insert(f, tmp.path().to_path_buf());
                temps.push((target, tmp));
            }
            // A dry run by someone who may read but not write the config still shows its diff.
            Err(e) if opts.dry_run => {
                warnings.push(format!("warning: the dry run was not validated: {e}"));
                temp_paths.clear();
                break;
            }
            Err(e) => return Err(e),
        }
    }
    if !opts.no_validate && (!opts.dry_run || !temp_paths.is_empty()) {
        let splices: HashMap<_, _> = plan.splices.iter().map(|(k, v)| (*k, v.clone())).collect();
        let prefix = opts.prefix.as_deref();
        if let Validation::Skipped(w) = validate::validate(&config, &temp_paths, &splices, prefix)?
        {
            warnings.push(w);
        }
    }
    if opts.dry_run {
        return Ok(unwritten(config, plan, diff, warnings));
    }
    let mut written = Vec::new();
    for (target, tmp) in temps {
        fsio::replace(tmp, &target)?;
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

/// The edit locks held so far, one per written file (and the main config's, taken first).
struct Locks<'o> {
    held: Vec<FileLock>,
    opts: &'o Options,
}

impl<'o> Locks<'o> {
    fn new(opts: &'o Options) -> Self {
        Locks {
            held: Vec::new(),
            opts,
        }
    }

    /// Takes the locks of `files` not held yet, in a fixed order (sorted lock paths), so two
    /// edits never wait on each other in a circle. Returns whether any new lock was taken.
    fn take(&mut self, files: &[PathBuf]) -> Result<bool> {
        let mut wanted: Vec<PathBuf> = files
            .iter()
            .map(|f| crate::lock::edit_lock_path(f))
            .filter(|p| !self.held.iter().any(|l| &l.path == p))
            .collect();
        wanted.sort();
        wanted.dedup();
        // Name the tool that holds it (upstream-toggle, or swapctl editing through the engine).
        let tool = std::env::args()
            .next()
            .and_then(|a| a.rsplit('/').next().map(str::to_string))
            .unwrap_or_else(|| "proxyconf".into());
        let holder = crate::lock::holder_line(&format!("{tool} edit"));
        for p in &wanted {
            let mut waiting = |m: &str| {
                if let Some(f) = self.opts.waiting {
                    f(m);
                }
            };
            self.held.push(FileLock::acquire(
                p,
                &holder,
                self.opts.lock_timeout,
                &mut waiting,
            )?);
        }
        Ok(!wanted.is_empty())
    }
}

/// The new bytes must still parse: a last guard for when no validator runs.
fn self_check(cfg: &Config, plan: &Plan, file: usize) -> Result<()> {
    let ok = cfg.kind.dialect().still_parses(cfg, plan, file);
    if ok {
        Ok(())
    } else {
        Err(Error::Runtime(format!(
            "internal error: the edit of {} would not parse, so nothing was written; please report this with the file",
            cfg.files[file].path.display()
        )))
    }
}

/// Writes a temp file beside the real target (a symlink is followed) with `write`, with the
/// target's mode, owner and extended attributes, fsynced.
fn write_temp(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(PathBuf, tempfile::NamedTempFile)> {
    let target = std::fs::canonicalize(path).map_err(|e| Error::io(path, "resolve", e))?;
    let meta = std::fs::metadata(&target).map_err(|e| Error::io(&target, "stat", e))?;
    let dir = target.parent().unwrap_or(Path::new("/"));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = fsio::temp_in(dir, &format!(".{name}."), None)
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
    copy_xattrs(&target, tmp.as_file())?;
    let f = tmp.as_file_mut();
    write(f)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&target, "write a new copy of", e))?;
    Ok((target, tmp))
}

/// Extended attributes, POSIX ACLs (`system.posix_acl_*`) among them, survive the rename like the
/// mode and owner. Only `security.`/`trusted.` ones that this user may not set are left behind
/// (the kernel or the security module gives the new file its own label).
fn copy_xattrs(from: &Path, to: &File) -> Result<()> {
    use xattr::FileExt;
    let names = match xattr::list(from) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => return Ok(()),
        Err(e) => return Err(Error::io(from, "list the extended attributes of", e)),
    };
    for name in names {
        let Ok(Some(value)) = xattr::get(from, &name) else {
            continue;
        };
        if let Err(e) = to.set_xattr(&name, &value) {
            let n = name.to_string_lossy();
            if n.starts_with("security.") || n.starts_with("trusted.") {
                continue;
            }
            return Err(Error::io(from, "keep the extended attributes (ACLs) of", e));
        }
    }
    Ok(())
}
