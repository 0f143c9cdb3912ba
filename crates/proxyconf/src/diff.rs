//! Unified diffs for `--dry-run`.

use crate::config::Config;
use similar::TextDiff;

/// A unified diff of every changed file, with paths as the config names them.
pub fn unified(cfg: &Config, new_files: &[(usize, Vec<u8>)]) -> String {
    let mut out = String::new();
    for (f, bytes) in new_files {
        let old = String::from_utf8_lossy(&cfg.files[*f].bytes);
        let new = String::from_utf8_lossy(bytes);
        let path = cfg.files[*f].path.display().to_string();
        let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
    }
    out
}
