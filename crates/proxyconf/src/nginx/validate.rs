//! `nginx -t` on an edited tree: files whose includes reach an edited file are shadowed by copies
//! that include the edits instead.

use crate::config::Config;
use crate::error::Result;
use crate::splice;
use crate::validate::{beside_main, parent, verdict, Validation};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::NamedTempFile;

/// Runs `bin -t` on the tree as it would be with `new`, from the main config's directory.
pub(crate) fn run(
    cfg: &Config,
    bin: &Path,
    new: &HashMap<usize, PathBuf>,
    splices: &HashMap<usize, Vec<splice::Splice>>,
    prefix: Option<&Path>,
) -> Result<Validation> {
    let mut shadows = Vec::new();
    let mut memo = HashMap::new();
    let main = shadow(cfg, 0, new, splices, &mut shadows, &mut memo)?;
    let main = beside_main(cfg, &main, &mut shadows)?;
    let run = |extra: &[&str]| {
        let mut c = Command::new(bin);
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
    names.extend(crate::validate::copies(cfg, new));
    verdict(bin, out, &names, cfg)
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
        let tmp = crate::fsio::temp_with(&parent(&original), ".hotswap-check.", &bytes)
            .map_err(|e| crate::Error::io(&original, "create a validation copy beside", e))?;
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
