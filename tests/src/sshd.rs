//! A real sshd on 127.0.0.1 with throw-away keys, for the Capistrano and Fabric examples.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// A running sshd; killed on drop.
pub struct Sshd {
    child: Child,
    /// Its port.
    pub port: u16,
    /// The client's private key (authorized for root).
    pub key: PathBuf,
}

fn keygen(path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
}

impl Sshd {
    /// Starts sshd in `dir` (needs root and openssh-server; `scripts/setup` installs it).
    pub fn start(dir: &Path) -> Sshd {
        let port = crate::free_port();
        keygen(&dir.join("host_key"));
        let key = dir.join("id");
        keygen(&key);
        std::fs::copy(dir.join("id.pub"), dir.join("authorized_keys")).expect("authorized_keys");
        let cfg = dir.join("sshd_config");
        std::fs::write(
            &cfg,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n",
                d = dir.display()
            ),
        )
        .expect("sshd_config");
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = Command::new(crate::require("sshd"))
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&cfg)
            .spawn()
            .expect("start sshd");
        let sshd = Sshd { child, port, key };
        crate::wait_until(
            "sshd to accept connections",
            Duration::from_secs(10),
            || crate::port_open(port),
        );
        sshd
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
