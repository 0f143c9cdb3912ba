//! The file moves every hotswap write is made of, written once: a hidden name beside a config, a
//! temp file beside its target, and the atomic replace (fsync, rename, fsync the directory).

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// `.NAME.SUFFIX` beside `path`, resolved through symlinks (the file a rename would replace).
pub fn hidden_sibling(path: &Path, suffix: &str) -> PathBuf {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    real.with_file_name(format!(".{name}.{suffix}"))
}

/// The directory a file lives in (`.` for a bare name).
pub fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A temp file `PREFIX…tmp` in `dir` (created with permission bits `mode` less the umask, when
/// given), removed on drop unless persisted: a rename from there onto a file in `dir` is atomic.
pub fn temp_in(dir: &Path, prefix: &str, mode: Option<u32>) -> std::io::Result<NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    let mut b = tempfile::Builder::new();
    b.prefix(prefix).suffix(".tmp");
    if let Some(m) = mode {
        b.permissions(std::fs::Permissions::from_mode(m));
    }
    b.tempfile_in(dir)
}

/// A temp file holding `bytes` in `dir`, fsynced (validation copies).
pub fn temp_with(dir: &Path, prefix: &str, bytes: &[u8]) -> std::io::Result<NamedTempFile> {
    let mut tmp = temp_in(dir, prefix, None)?;
    let f = tmp.as_file_mut();
    f.write_all(bytes).and_then(|()| f.sync_all())?;
    Ok(tmp)
}

/// Renames a finished temp file over `target` and fsyncs the directory, so the new bytes survive a
/// crash and no reader ever sees a half-written file.
pub fn replace(tmp: NamedTempFile, target: &Path) -> Result<()> {
    tmp.persist(target)
        .map_err(|e| Error::io(target, "replace", e.error))?;
    sync_dir(target)
}

/// fsyncs the directory holding `target`, so a rename in it is durable.
pub fn sync_dir(target: &Path) -> Result<()> {
    let dir = target.parent().unwrap_or(Path::new("/"));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, "fsync the directory", e))
}

/// The step of [`write_atomic`] that failed, so each caller can word it.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    /// No temp file could be made in the directory.
    #[error("cannot create a temp file in {}: {source}", dir.display())]
    Create {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing or syncing the temp file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file being replaced.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Renaming it over the file failed.
    #[error("cannot replace {}: {source}", path.display())]
    Replace {
        /// The file being replaced.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Syncing the directory failed.
    #[error("cannot fsync {}: {source}", dir.display())]
    SyncDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Writes `bytes` to `path` atomically: a temp file beside it (created with `mode` less the umask),
/// fsync, rename, fsync the directory.
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> std::result::Result<(), AtomicWriteError> {
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = temp_in(&dir, &format!(".{name}."), Some(mode)).map_err(|source| {
        AtomicWriteError::Create {
            dir: dir.clone(),
            source,
        }
    })?;
    let mut f = tmp.as_file();
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|source| AtomicWriteError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    tmp.persist(path).map_err(|e| AtomicWriteError::Replace {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| AtomicWriteError::SyncDir { dir, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_sets_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().expect("dir");
        let p = d.path().join("state.json");
        std::fs::write(&p, b"old").expect("write");
        write_atomic(&p, b"new", 0o644).expect("atomic write");
        assert_eq!(std::fs::read(&p).expect("read"), b"new");
        let mode = std::fs::metadata(&p).expect("stat").permissions().mode();
        assert_eq!(
            mode & 0o077 & !0o644,
            0,
            "never more than asked for: {mode:o}"
        );
        let left: Vec<_> = std::fs::read_dir(d.path()).expect("ls").collect();
        assert_eq!(left.len(), 1, "no temp file is left behind");
        assert_eq!(
            hidden_sibling(&p, "lock"),
            std::fs::canonicalize(d.path())
                .expect("dir")
                .join(".state.json.lock")
        );
    }
}
