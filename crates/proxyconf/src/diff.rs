//! Unified diffs for `--dry-run`, on the raw bytes: a latin-1 file's diff applies with `patch`
//! byte for byte.

use crate::config::Config;
use similar::TextDiff;
use std::io::Write;
use std::path::Path;

/// A file's name in a diff header: relative to the working directory when it is below it, as
/// `diff -u` names what it was given, so `patch -p1` applies the diff where the command ran.
fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let real = cwd.as_deref().and_then(|c| c.canonicalize().ok());
    cwd.iter()
        .chain(real.iter())
        .find_map(|dir| path.strip_prefix(dir).ok())
        .filter(|rel| !rel.as_os_str().is_empty())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A unified diff of every changed file, named as [`shown`] says.
pub fn unified(cfg: &Config, new_files: &[crate::plan::Edited]) -> Vec<u8> {
    let mut out = Vec::new();
    for crate::plan::Edited { file, bytes: new } in new_files {
        let old = &cfg.files[*file].bytes;
        let path = shown(&cfg.files[*file].path);
        let diff = TextDiff::from_lines(old.as_slice(), new.as_slice());
        let groups = diff.grouped_ops(3);
        if groups.is_empty() {
            continue;
        }
        let _ = writeln!(out, "--- a/{path}\n+++ b/{path}");
        for group in groups {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            let (o, n) = (first.old_range().start, first.new_range().start);
            let (ol, nl) = (last.old_range().end - o, last.new_range().end - n);
            // An empty range names the line before it (0 at the top), as diff(1) does.
            let at = |start: usize, len: usize| if len == 0 { start } else { start + 1 };
            let _ = writeln!(out, "@@ -{},{ol} +{},{nl} @@", at(o, ol), at(n, nl));
            for op in &group {
                for change in diff.iter_changes(op) {
                    let sign = match change.tag() {
                        similar::ChangeTag::Equal => b' ',
                        similar::ChangeTag::Delete => b'-',
                        similar::ChangeTag::Insert => b'+',
                    };
                    out.push(sign);
                    out.extend_from_slice(change.value());
                    if !change.value().ends_with(b"\n") {
                        out.extend_from_slice(b"\n\\ No newline at end of file\n");
                    }
                }
            }
        }
    }
    out
}
