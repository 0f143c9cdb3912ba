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
    let global = format!(
        "    stats socket {}/admin.sock mode 600 level admin\n",
        dir.display()
    );
    haproxy_fixture_with(dir, listen, ports, &global, extra)
}

/// Like [`haproxy_fixture`], with the given `global` lines (besides `pidfile`) instead of the
/// unix admin socket.
pub fn haproxy_fixture_with(
    dir: &Path,
    listen: u16,
    ports: &[u16],
    global: &str,
    extra: &str,
) -> PathBuf {
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("    server web{} 127.0.0.1:{p} check inter 2s\n", i + 1))
        .collect();
    let conf = format!(
        "global\n{global}    pidfile {d}/haproxy.pid\n\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    option http-keep-alive\n\nfrontend fe\n    bind 127.0.0.1:{listen}\n    default_backend app\n\nbackend app\n    balance roundrobin\n    retry-on conn-failure empty-response\n{servers}{extra}",
        d = dir.display()
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, conf).expect("write");
    path
}

/// Two nginx load balancers in `dir/lb1` and `dir/lb2`, in front of the same `ports`, started:
/// (configs, listen ports, the running proxies).
pub fn two_nginx_lbs(dir: &Path, ports: &[u16]) -> ([PathBuf; 2], [u16; 2], [Proxy; 2]) {
    let lb = |name: &str| {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).expect("mkdir");
        let listen = free_port();
        let conf = nginx_fixture(&d, listen, ports);
        let proxy = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
        (conf, listen, proxy)
    };
    let (c1, l1, p1) = lb("lb1");
    let (c2, l2, p2) = lb("lb2");
    ([c1, c2], [l1, l2], [p1, p2])
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

/// An nginx in front of `n` test apps that boot in `boot_ms`; fields drop in order: nginx and
/// the apps go before their temp dir (which holds the pid files).
pub struct Stack {
    pub _nginx: Proxy,
    pub apps: Apps,
    pub conf: PathBuf,
    pub listen: u16,
    pub app_ports: Vec<u16>,
    pub _dir: tempfile::TempDir,
}

pub fn nginx_stack(n: usize, boot_ms: u64) -> Stack {
    let dir = tempfile::tempdir().expect("tempdir");
    let app_ports = ports(n);
    let listen = free_port();
    let conf = nginx_fixture(dir.path(), listen, &app_ports);
    let apps = Apps::start(dir.path(), &app_ports, boot_ms);
    let nginx = Proxy::nginx(&conf, &dir.path().join("nginx.pid"), listen);
    Stack {
        conf,
        listen,
        app_ports,
        apps,
        _nginx: nginx,
        _dir: dir,
    }
}

/// `-c CONF --upstream app --restart … --health …` followed by `extra`.
pub fn deploy_args(s: &Stack, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "-c".into(),
        s.conf.display().to_string(),
        "--upstream".into(),
        "app".into(),
        "--restart".into(),
        s.apps.restart_template(),
        "--health".into(),
        "http://{address}/health".into(),
    ];
    v.extend(extra.iter().map(ToString::to_string));
    v
}

/// Runs swapctl with owned arguments.
pub fn run(args: &[String]) -> Output {
    Command::new(bin("swapctl"))
        .args(args)
        .output()
        .expect("swapctl")
}

/// Servers enabled in the config.
pub fn enabled_count(conf: &Path) -> usize {
    proxyconf::Config::load(conf, None)
        .expect("config")
        .servers
        .iter()
        .filter(|s| s.state == proxyconf::State::Enabled)
        .count()
}

/// Whether a tool is installed; prints a notice when it is not.
pub fn have(tool: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("NOTICE: {tool} is not installed (scripts/setup installs it); skipping");
    }
    ok
}

/// Running as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Writes `dir/checked-restart.sh PORT`: it records in `dir/restarts.log` any of `confs` that
/// still routes to PORT (nginx retries a refused connection on another app, so the load alone
/// would not see a restart of a server one load balancer still sends traffic to), then restarts
/// it with `apps`' `restart.sh`. While `dir/fail-PORT` exists it fails and restarts nothing.
/// Run it through `sh` (`sh SCRIPT {port}`): a script just written cannot be exec'd while another
/// test thread's fork still holds it open.
pub fn checked_restart(dir: &Path, apps: &Apps, confs: &[PathBuf]) -> PathBuf {
    let confs: Vec<String> = confs.iter().map(|c| c.display().to_string()).collect();
    let checked = dir.join("checked-restart.sh");
    let script = format!(
        r#"#!/bin/sh
port=$1
if [ -f {d}/fail-$port ]; then echo "restart $port failed: the new release does not start" >&2; exit 3; fi
for c in {confs}; do
    if grep -Eq "^[[:space:]]*server[[:space:]]+127\.0\.0\.1:$port[[:space:];]" "$c"; then
        echo "restart $port while $c still routes to it" >>{d}/restarts.log
    fi
done
echo "restart $port" >>{d}/restarts.log
exec sh {restart} "$port"
"#,
        confs = confs.join(" "),
        d = dir.display(),
        restart = apps.dir.join("restart.sh").display()
    );
    std::fs::write(&checked, script).expect("write checked-restart.sh");
    checked
}
