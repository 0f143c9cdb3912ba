#![allow(dead_code)]
//! Fixtures shared by the end-to-end deploy tests.

pub use hotswap_tests::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An nginx config proxying port `listen` to `ports` through `upstream app`.
pub fn nginx_fixture(dir: &Path, listen: u16, ports: &[u16]) -> PathBuf {
    let servers: String = ports
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p} max_fails=0;\n"))
        .collect();
    let conf = format!(
        "user root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 1024; }}\nhttp {{\n    access_log off;\n    client_body_temp_path {d}/tmp;\n    proxy_temp_path {d}/tmp;\n    upstream app {{\n{servers}        keepalive 16;\n    }}\n    server {{\n        listen 127.0.0.1:{listen};\n        location / {{\n            proxy_pass http://app;\n            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n        }}\n    }}\n}}\n",
        d = dir.display()
    );
    std::fs::create_dir_all(dir.join("tmp")).expect("mkdir");
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("write");
    path
}

/// A haproxy config with an admin socket, `backend app` on `ports`, and extra backend lines.
pub fn haproxy_fixture(dir: &Path, listen: u16, ports: &[u16], extra: &str) -> PathBuf {
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("    server web{} 127.0.0.1:{p} check inter 2s\n", i + 1))
        .collect();
    let conf = format!(
        "global\n    stats socket {d}/admin.sock mode 600 level admin\n    pidfile {d}/haproxy.pid\n\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    option http-keep-alive\n\nfrontend fe\n    bind 127.0.0.1:{listen}\n    default_backend app\n\nbackend app\n    balance roundrobin\n    retry-on conn-failure empty-response\n{servers}{extra}",
        d = dir.display()
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, conf).expect("write");
    path
}

/// Runs swapctl with `args`.
pub fn swapctl(args: &[&str]) -> Output {
    Command::new(bin("swapctl"))
        .args(args)
        .output()
        .expect("run swapctl")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn ports(n: usize) -> Vec<u16> {
    (0..n).map(|_| free_port()).collect()
}
