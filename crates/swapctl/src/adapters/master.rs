//! Whether a pid file names the proxy's running master: before swapctl signals a pid, and before
//! a deploy changes anything. A stale pid file may name a process that took the number over (it
//! would be sent SIGHUP), or nothing at all (the proxy is down).

use proxyconf::ProxyKind;
use std::path::{Path, PathBuf};

/// Why a pid file does not lead to the proxy's master.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing runs under that pid.
    #[error(
        "{} names pid {pid}, which is not running: {binary} is down (start it, or fix --pid-file)",
        pidfile.display()
    )]
    NotRunning {
        /// The pid file.
        pidfile: PathBuf,
        /// The pid it names.
        pid: i32,
        /// `nginx` or `haproxy`.
        binary: &'static str,
    },
    /// The pid belongs to another program.
    #[error(
        "{} names pid {pid}, which is `{command}`, not {binary}: the pid file is stale; nothing was \
         signalled (fix the pid file or --pid-file)",
        pidfile.display()
    )]
    NotTheProxy {
        /// The pid file.
        pidfile: PathBuf,
        /// The pid it names.
        pid: i32,
        /// Its command line.
        command: String,
        /// `nginx` or `haproxy`.
        binary: &'static str,
    },
    /// The pid is that proxy, but it runs another config.
    #[error(
        "{} names pid {pid}, a {binary} that runs {}, not {}: nothing was signalled (give the pid \
         file of the {binary} that reads this config with --pid-file)",
        pidfile.display(),
        theirs.display(),
        ours.display()
    )]
    OtherConfig {
        /// The pid file.
        pidfile: PathBuf,
        /// The pid it names.
        pid: i32,
        /// The config that process was started with.
        theirs: PathBuf,
        /// Ours.
        ours: PathBuf,
        /// `nginx` or `haproxy`.
        binary: &'static str,
    },
}

/// Checks that `pid` (from `pidfile`) is a live `kind` process started with `config` (when its
/// command line names a config: `-c` for nginx, `-f` for haproxy). Reads only what /proc shows
/// every user (the command line and the process name), so `plan` works without root.
pub fn check(kind: ProxyKind, pidfile: &Path, pid: i32, config: &Path) -> Result<(), Error> {
    let binary = kind.binary();
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let stat = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
    if stat.is_empty() || stat.contains(") Z ") {
        return Err(Error::NotRunning {
            pidfile: pidfile.to_path_buf(),
            pid,
            binary,
        });
    }
    let raw = std::fs::read(proc.join("cmdline")).unwrap_or_default();
    // nginx rewrites its argv into one string ("nginx: master process nginx -c ..."); haproxy
    // keeps NUL-separated arguments: either way, words.
    let words: Vec<String> = String::from_utf8_lossy(&raw)
        .split(|c: char| c == '\0' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let name = stat
        .split_once(" (")
        .and_then(|(_, rest)| rest.rsplit_once(") "))
        .map_or("", |(n, _)| n);
    let named = |w: &str| Path::new(w.trim_end_matches(':')).file_name() == Some(binary.as_ref());
    if !(name == binary || words.first().is_some_and(|w| named(w))) {
        return Err(Error::NotTheProxy {
            pidfile: pidfile.to_path_buf(),
            pid,
            command: words.join(" "),
            binary,
        });
    }
    let flag = match kind {
        ProxyKind::Nginx => "-c",
        ProxyKind::Haproxy => "-f",
    };
    let given: Vec<&String> = words
        .windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| &w[1])
        .collect();
    let ours = std::fs::canonicalize(config).unwrap_or_else(|_| config.to_path_buf());
    // A relative path is resolved where the proxy was started, which /proc shows only to root:
    // only absolute ones are compared.
    let absolute: Vec<PathBuf> = given
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .collect();
    if absolute.is_empty() || given.len() != absolute.len() {
        return Ok(());
    }
    let is_ours = |p: &PathBuf| {
        let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        // haproxy's -f may name a directory of configs.
        p == ours || (p.is_dir() && ours.parent() == Some(p.as_path()))
    };
    if absolute.iter().any(is_ours) {
        return Ok(());
    }
    Err(Error::OtherConfig {
        pidfile: pidfile.to_path_buf(),
        pid,
        theirs: absolute[0].clone(),
        ours,
        binary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_pid_that_is_not_the_proxy_is_refused_by_name() {
        let mut other = Command::new("sleep").arg("30").spawn().expect("sleep");
        let pid = other.id() as i32;
        // Until its exec, the child still runs this test's binary.
        let t = std::time::Instant::now();
        while !std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep"))
        {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(10),
                "sleep never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let e = check(
            ProxyKind::Nginx,
            Path::new("/run/nginx.pid"),
            pid,
            Path::new("/etc/nginx/nginx.conf"),
        )
        .expect_err("sleep is not nginx");
        assert!(matches!(e, Error::NotTheProxy { .. }), "{e}");
        assert!(e.to_string().contains("sleep 30"), "{e}");
        let _ = other.kill();
        let _ = other.wait();
        let e = check(
            ProxyKind::Haproxy,
            Path::new("/run/haproxy.pid"),
            pid,
            Path::new("/etc/haproxy/haproxy.cfg"),
        )
        .expect_err("gone");
        assert!(matches!(e, Error::NotRunning { .. }), "{e}");
    }
}
