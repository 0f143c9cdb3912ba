//! Test harness shared by every crate's tests: real nginx/haproxy validators and processes on
//! 127.0.0.1, random free ports, temp dirs, and the real-world corpus.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use tempfile::TempDir;

/// Files in temp dirs, the way every crate's tests write and read configs.
pub mod files {
    use std::path::{Path, PathBuf};

    /// A fresh temp dir, removed when dropped.
    pub fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("tempdir")
    }

    /// Writes a file (and its directories) and returns its path.
    pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write");
        p
    }

    /// A file's bytes.
    pub fn read(p: &Path) -> Vec<u8> {
        std::fs::read(p).expect("read")
    }

    /// A file's text (lossily).
    pub fn text(p: &Path) -> String {
        String::from_utf8_lossy(&read(p)).into_owned()
    }
}

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `../shared/corpus` beside the checkout, when it exists; prints a notice when it does not.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/corpus");
    if dir.join("SOURCES.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: skipping the corpus test: {} does not exist",
            dir.display()
        );
        None
    }
}

/// Path of a proxy binary; panics with the install command when it is missing (CI installs it).
pub fn require(bin: &str) -> PathBuf {
    for dir in [
        "/usr/sbin",
        "/usr/local/sbin",
        "/usr/bin",
        "/usr/local/bin",
        "/sbin",
    ] {
        let p = Path::new(dir).join(bin);
        if p.is_file() {
            return p;
        }
    }
    panic!("{bin} is not installed: run `apt-get install -y {bin}` (bash .ci/run does)");
}

/// A port that was free a moment ago on 127.0.0.1, picked below the kernel's ephemeral range
/// (32768 and up): ports from `bind(0)` come from that range, where the load generators' and the
/// proxies' outgoing connections take their source ports, so one could be taken before the test
/// binds it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    // One random start per process, then a stride coprime to the range: a process never hands
    // out the same port twice (12,000 calls), so two tests running at once cannot both get one
    // that is free "a moment ago" (the seed used to be re-read per call, which let them collide).
    static START: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let start = *START.get_or_init(|| {
        u64::from(std::process::id())
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
    });
    for _ in 0..1000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20000 + (start.wrapping_add(n.wrapping_mul(7919)) % 12000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Runs `cmd` with its stdout a pipe whose reader hangs up at once (as `| true` or a `head` that
/// is done would), and returns how it ended; stderr is captured.
pub fn run_into_closed_pipe(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

/// A validator's refusal: what it printed.
#[derive(Debug)]
pub struct Rejected(pub String);

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

/// `nginx -t` on a config; Ok(()) or Err(nginx's message).
pub fn nginx_t(conf: &Path) -> Result<(), Rejected> {
    let out = Command::new(require("nginx"))
        .args(["-t", "-q", "-e", "stderr", "-c"])
        .arg(conf)
        .output()
        .expect("run nginx -t");
    verdict(out)
}

/// `haproxy -c` on a config; Ok(()) or Err(haproxy's message).
pub fn haproxy_c(conf: &Path) -> Result<(), Rejected> {
    let out = Command::new(require("haproxy"))
        .args(["-c", "-f"])
        .arg(conf)
        .current_dir(conf.parent().unwrap_or(Path::new(".")))
        .output()
        .expect("run haproxy -c");
    verdict(out)
}

fn verdict(out: Output) -> Result<(), Rejected> {
    if out.status.success() {
        Ok(())
    } else {
        Err(Rejected(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )))
    }
}

/// A minimal complete nginx config around `http_body`, with pid and logs inside `dir`.
pub fn nginx_conf(dir: &Path, http_body: &str) -> String {
    format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 256; }}\nhttp {{\n    access_log off;\n    client_body_temp_path {d}/tmp;\n    proxy_temp_path {d}/tmp;\n{http_body}\n}}\n",
        d = dir.display()
    )
}

/// A minimal complete haproxy config: `body` follows the global and defaults sections.
pub fn haproxy_conf(dir: &Path, body: &str) -> String {
    format!(
        "global\n    stats socket {d}/admin.sock mode 600 level admin\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\n{body}",
        d = dir.display()
    )
}

pub mod http_server;
pub use http_server::{HttpServer, Reply, Seen};

pub mod procs;
pub use procs::{
    alive, bin, children, haproxy_admin, holds_within, port_open, sleeping, slow_requests,
    wait_apps_up, wait_sleeping, wait_until, Apps, Load, LoadReport, Proxy,
};

pub mod lines;
pub use lines::Lines;

pub mod tls;
pub use tls::TlsNginx;

pub mod sshd;
pub use sshd::Sshd;
