//! An HTTPS nginx on 127.0.0.1 with a certificate from a private CA made for the test.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// nginx answering `200 BODY` over TLS; its certificate is for 127.0.0.1 and localhost and is
/// signed by a CA that only the test knows (`ca`). Stopped on drop.
pub struct TlsNginx {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The private CA's certificate (PEM).
    pub ca: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TlsNginx {
    /// Makes the CA and the certificate with openssl, starts nginx and waits until it accepts.
    pub fn start(body: &str) -> TlsNginx {
        let nginx = crate::require("nginx");
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for script in [
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca.key -out ca.pem",
            "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout leaf.key -out leaf.csr",
            "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf -out leaf.pem",
        ] {
            let o = Command::new("sh")
                .arg("-c")
                .arg(script)
                .current_dir(d)
                .output()
                .expect("sh");
            assert!(
                o.status.success(),
                "{script}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let port = crate::free_port();
        let server = format!(
            "    server {{\n        listen 127.0.0.1:{port} ssl;\n        ssl_certificate {d}/leaf.pem;\n        ssl_certificate_key {d}/leaf.key;\n        location / {{ return 200 \"{body}\"; }}\n    }}\n",
            d = d.display()
        );
        let conf = d.join("nginx.conf");
        std::fs::write(&conf, crate::nginx_conf(d, &server)).expect("write");
        std::fs::create_dir_all(d.join("tmp")).expect("mkdir");
        let child = Command::new(nginx)
            .args(["-e", "stderr", "-g", "daemon off;", "-c"])
            .arg(&conf)
            .spawn()
            .expect("nginx");
        let tls = TlsNginx {
            port,
            ca: d.join("ca.pem"),
            child,
            _dir: dir,
        };
        crate::wait_until("the HTTPS nginx", Duration::from_secs(20), || {
            crate::port_open(port)
        });
        tls
    }

    /// `https://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port)
    }
}

impl Drop for TlsNginx {
    fn drop(&mut self) {
        // SIGQUIT lets the master stop its workers; SIGKILL would orphan them.
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
