//! Whether the proxy's workers may open a unix-socket server. swapctl probes as root, which may
//! open anything: a release that creates its socket 0700 passes the health check while every
//! request through the proxy (workers running as `www-data`, `nobody`, `haproxy`) gets 502.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A process's user and groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    /// Effective uid.
    pub uid: u32,
    /// Effective gid and supplementary groups.
    pub gids: Vec<u32>,
}

impl Creds {
    /// The effective credentials of `pid`, from /proc/PID/status.
    pub fn of_process(pid: i32) -> Option<Creds> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| -> Option<Vec<u32>> {
            let line = status.lines().find_map(|l| l.strip_prefix(name))?;
            Some(
                line.split_whitespace()
                    .filter_map(|v| v.parse().ok())
                    .collect(),
            )
        };
        // Uid: real, effective, saved, filesystem; the filesystem ids decide file access.
        let uid = *field("Uid:")?.get(3)?;
        let mut gids = vec![*field("Gid:")?.get(3)?];
        gids.extend(field("Groups:").unwrap_or_default());
        Some(Creds { uid, gids })
    }

    fn may(&self, meta: &std::fs::Metadata, bit: u32) -> bool {
        let mode = meta.mode();
        if self.uid == 0 {
            return true;
        }
        if meta.uid() == self.uid {
            mode & (bit << 6) != 0
        } else if self.gids.contains(&meta.gid()) {
            mode & (bit << 3) != 0
        } else {
            mode & bit != 0
        }
    }
}

/// Ok when `who` may connect to the socket at `path`: search (x) on every directory above it and
/// write (w) on the socket itself, as connect(2) requires. Err says what stops it.
pub fn check(path: &Path, who: &Creds) -> Result<(), String> {
    let mut dirs: Vec<&Path> = path.ancestors().skip(1).collect();
    dirs.reverse();
    for d in dirs.into_iter().filter(|d| !d.as_os_str().is_empty()) {
        let Ok(meta) = std::fs::metadata(d) else {
            continue;
        };
        if !who.may(&meta, 0o1) {
            return Err(format!(
                "uid {} cannot enter {} (mode {:o}, owner {}:{})",
                who.uid,
                d.display(),
                meta.mode() & 0o7777,
                meta.uid(),
                meta.gid()
            ));
        }
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if who.may(&meta, 0o2) {
        Ok(())
    } else {
        Err(format!(
            "uid {} cannot connect to {} (mode {:o}, owner {}:{}): it needs write permission",
            who.uid,
            path.display(),
            meta.mode() & 0o7777,
            meta.uid(),
            meta.gid()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn write_on_the_socket_and_search_above_it_decide() {
        let d = tempfile::tempdir().expect("tempdir");
        let sock = d.path().join("app.sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).expect("bind");
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod")
        };
        set(d.path(), 0o755);
        let owner = std::fs::metadata(&sock).expect("meta").uid();
        let stranger = Creds {
            uid: owner + 4242,
            gids: vec![4242],
        };
        set(&sock, 0o700);
        let e = check(&sock, &stranger).expect_err("0700 keeps others out");
        assert!(e.contains("mode 700"), "{e}");
        set(&sock, 0o777);
        check(&sock, &stranger).expect("0777 lets anyone connect");
        set(d.path(), 0o700);
        let e = check(&sock, &stranger).expect_err("the directory keeps others out");
        assert!(e.contains("cannot enter"), "{e}");
        let root = Creds {
            uid: 0,
            gids: vec![0],
        };
        check(&sock, &root).expect("root may");
    }
}
