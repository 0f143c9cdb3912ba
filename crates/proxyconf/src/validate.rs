//! Runs the real `nginx -t` / `haproxy -c` on edited files before they go live.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::server::ProxyKind;
use crate::splice;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::NamedTempFile;

/// Result of a validation that did not reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// The validator accepted it.
    Passed,
    /// No validator binary was found; the message says so.
    Skipped(String),
}

/// The validator binary: `$HOTSWAP_NGINX`/`$HOTSWAP_HAPROXY`, else PATH, else the sbin
/// directories. A variable naming a file that does not exist is an error, never a silent skip.
pub fn find_binary(kind: ProxyKind) -> Result<Option<PathBuf>> {
    let var = match kind {
        ProxyKind::Nginx => "HOTSWAP_NGINX",
        ProxyKind::Haproxy => "HOTSWAP_HAPROXY",
    };
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(Some(p));
        }
        return Err(Error::Usage(format!(
            "{var}={} is not a file, so the edit cannot be validated; point {var} at the {} binary, or unset it",
            p.display(),
            kind.binary()
        )));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    Ok(std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(kind.binary()))
        .find(|p| p.is_file()))
}

/// Validates the config as it would be with `new` (file index → temp path holding its new bytes),
/// as the running proxy reads it: the main config is checked from the directory it is named in
/// (a symlinked `nginx.conf` resolves relative includes from the link's directory, as
/// `nginx -t -c LINK` does; haproxy's `default-path config` likewise), and nginx gets `-p PREFIX`.
pub fn validate(
    cfg: &Config,
    new: &HashMap<usize, PathBuf>,
    splices: &HashMap<usize, Vec<splice::Splice>>,
    prefix: Option<&Path>,
) -> Result<Validation> {
    let Some(bin) = find_binary(cfg.kind)? else {
        return Ok(Validation::Skipped(format!(
            "warning: {} is not installed, so the edit was not validated (set HOTSWAP_{} to its path)",
            cfg.kind.binary(),
            cfg.kind.binary().to_uppercase()
        )));
    };
    match cfg.kind {
        ProxyKind::Haproxy => {
            let mut keep = Vec::new();
            let file = match new.get(&0) {
                Some(p) => beside_main(cfg, p, &mut keep)?,
                None => cfg.main.clone(),
            };
            let out = Command::new(&bin)
                .args(["-c", "-f"])
                .arg(&file)
                .current_dir(parent(&cfg.main))
                .output();
            let mut names = vec![(file.clone(), cfg.main.clone())];
            names.extend(
                new.iter()
                    .map(|(f, p)| (p.clone(), cfg.files[*f].path.clone())),
            );
            verdict(&bin, out, &names, cfg)
        }
        ProxyKind::Nginx => {
            let mut shadows = Vec::new();
            let mut memo = HashMap::new();
            let main = shadow(cfg, 0, new, splices, &mut shadows, &mut memo)?;
            let main = beside_main(cfg, &main, &mut shadows)?;
            let run = |extra: &[&str]| {
                let mut c = Command::new(&bin);
                c.args(["-t", "-q"]).args(extra);
                if let Some(p) = prefix {
                    c.arg("-p").arg(p);
                }
                c.arg("-c")
                    .arg(&main)
                    .current_dir(parent(&cfg.main))
                    .output()
            };
            // `-e stderr` keeps a non-root run off the compiled-in error log (nginx >= 1.19.5).
            let mut out = run(&["-e", "stderr"]);
            if let Ok(o) = &out {
                if String::from_utf8_lossy(&o.stderr).contains("invalid option") {
                    out = run(&[]);
                }
            }
            // Every copy the validator read is named by the file it stands for.
            let mut names = vec![(main.clone(), cfg.main.clone())];
            names.extend(
                memo.iter()
                    .map(|(f, p)| (p.clone(), cfg.files[*f].path.clone())),
            );
            names.extend(
                new.iter()
                    .map(|(f, p)| (p.clone(), cfg.files[*f].path.clone())),
            );
            verdict(&bin, out, &names, cfg)
        }
    }
}

/// `file` holds the main config's new bytes; the validator must read them from the directory the
/// main config is named in (not where a symlink resolves to), so copy them there when needed.
fn beside_main(cfg: &Config, file: &Path, keep: &mut Vec<NamedTempFile>) -> Result<PathBuf> {
    let dir = parent(&cfg.main);
    if parent(file) == dir {
        return Ok(file.to_path_buf());
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, "read", e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".hotswap-check.")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, "create a validation copy in", e))?;
    tmp.write_all(&bytes)
        .map_err(|e| Error::io(tmp.path(), "write", e))?;
    let p = tmp.path().to_path_buf();
    keep.push(tmp);
    Ok(p)
}

fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn verdict(
    bin: &Path,
    out: std::io::Result<std::process::Output>,
    names: &[(PathBuf, PathBuf)],
    cfg: &Config,
) -> Result<Validation> {
    let out = out.map_err(|e| Error::Runtime(format!("cannot run {}: {e}", bin.display())))?;
    if out.status.success() {
        return Ok(Validation::Passed);
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    // haproxy -q would hide its alerts too, so it runs without -q and its notices are dropped here.
    let text: String = text
        .lines()
        .filter(|l| !l.contains("[NOTICE]"))
        .map(|l| format!("{l}\n"))
        .collect();
    // Point the operator at the real file, not the temp copy the validator saw.
    let mut shown = text;
    for (copy, real) in names {
        shown = shown.replace(&*copy.to_string_lossy(), &real.to_string_lossy());
    }
    Err(Error::Rejected {
        validator: format!(
            "{} {}",
            bin.display(),
            if cfg.kind == ProxyKind::Nginx {
                "-t"
            } else {
                "-c"
            }
        ),
        output: shown,
    })
}

/// The path nginx should read for `file` so that it sees every edited file: files whose
/// includes reach an edited file get a temporary copy with those includes pointed at the edits.
fn shadow(
    cfg: &Config,
    file: usize,
    new: &HashMap<usize, PathBuf>,
    splices: &HashMap<usize, Vec<splice::Splice>>,
    keep: &mut Vec<NamedTempFile>,
    memo: &mut HashMap<usize, PathBuf>,
) -> Result<PathBuf> {
    if let Some(p) = memo.get(&file) {
        return Ok(p.clone());
    }
    let original = absolute(&cfg.files[file].path);
    let own = new.get(&file).cloned();
    let mut rewrites = Vec::new();
    for inc in cfg.includes.iter().filter(|i| i.from == file) {
        let mut changed = false;
        let mut paths = Vec::new();
        for &t in &inc.targets {
            let p = shadow(cfg, t, new, splices, keep, memo)?;
            changed |= p != absolute(&cfg.files[t].path);
            paths.push(p);
        }
        if changed {
            let text: String = paths
                .iter()
                .map(|p| {
                    format!(
                        "include \"{}\";",
                        p.to_string_lossy()
                            .replace('\\', "\\\\")
                            .replace('"', "\\\"")
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            rewrites.push((inc.span.clone(), text));
        }
    }
    let path = if rewrites.is_empty() {
        own.unwrap_or(original)
    } else {
        let empty = Vec::new();
        let edits = splices.get(&file).unwrap_or(&empty);
        let base = splice::apply(&cfg.files[file].bytes, edits);
        let mut shadow_splices: Vec<splice::Splice> = rewrites
            .into_iter()
            .map(|(r, text)| splice::Splice {
                range: splice::map_offset(edits, r.start)..splice::map_offset(edits, r.end),
                text: text.into_bytes(),
            })
            .collect();
        shadow_splices.sort_by_key(|s| s.range.start);
        let bytes = splice::apply(&base, &shadow_splices);
        // Same directory as the original: relative includes resolve from the main file's directory.
        let mut tmp = tempfile::Builder::new()
            .prefix(".hotswap-check.")
            .suffix(".tmp")
            .tempfile_in(parent(&original))
            .map_err(|e| Error::io(&original, "create a validation copy beside", e))?;
        tmp.write_all(&bytes)
            .map_err(|e| Error::io(tmp.path(), "write", e))?;
        let p = tmp.path().to_path_buf();
        keep.push(tmp);
        p
    };
    memo.insert(file, path.clone());
    Ok(path)
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
