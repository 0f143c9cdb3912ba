//! Runs the real `nginx -t` / `haproxy -c` on edited files before they go live.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::fsio;
use crate::server::ProxyKind;
use crate::splice;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
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
    let var = format!("HOTSWAP_{}", kind.binary().to_uppercase());
    if let Some(p) = std::env::var_os(&var).filter(|p| !p.is_empty()) {
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
    let dialect = cfg.kind.dialect();
    match dialect.validate(cfg, &bin, new, splices, prefix) {
        // Rejected as it already is, with the very same complaint? Then the edit is not the cause,
        // and the message says so (one more validator run, on the failure path only). Another
        // complaint, or none, leaves the blame with the edit.
        Err(Error::Rejected {
            validator, output, ..
        }) if !new.is_empty() => {
            let before_edit = matches!(
                dialect.validate(cfg, &bin, &HashMap::new(), &HashMap::new(), prefix),
                Err(Error::Rejected { output: ref before, .. }) if gist(before) == gist(&output)
            );
            Err(Error::Rejected {
                validator,
                output,
                before_edit,
            })
        }
        other => other,
    }
}

/// A validator's complaint without its numbers: nginx stamps each line with the time and its pid
/// (haproxy with its pid), so two runs on the same error differ only there.
fn gist(output: &str) -> String {
    let mut out = String::with_capacity(output.len());
    for c in output.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// `file` holds the main config's new bytes; the validator must read them from the directory the
/// main config is named in (not where a symlink resolves to), so copy them there when needed.
pub(crate) fn beside_main(
    cfg: &Config,
    file: &Path,
    keep: &mut Vec<NamedTempFile>,
) -> Result<PathBuf> {
    let dir = parent(&cfg.main);
    if parent(file) == dir {
        return Ok(file.to_path_buf());
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, "read", e))?;
    let tmp = fsio::temp_with(&dir, ".hotswap-check.", &bytes)
        .map_err(|e| Error::io(&dir, "create a validation copy in", e))?;
    let p = tmp.path().to_path_buf();
    keep.push(tmp);
    Ok(p)
}

pub(crate) use crate::fsio::parent;

/// The edited files' temp copies, each named by the file it stands for.
pub(crate) fn copies(cfg: &Config, new: &HashMap<usize, PathBuf>) -> Vec<(PathBuf, PathBuf)> {
    new.iter()
        .map(|(f, p)| (p.clone(), cfg.files[*f].path.clone()))
        .collect()
}

pub(crate) fn verdict(
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
        validator: format!("{} {}", bin.display(), cfg.kind.dialect().check_flag()),
        output: shown,
        before_edit: false,
    })
}
