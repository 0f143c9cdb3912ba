//! The multi-load-balancer examples, run for real: two nginx load balancers (each with its own
//! config) in front of the same two apps, under load through both, and an orchestrator that runs
//! `swapctl out` on every load balancer, restarts the app, then `swapctl in` on every load balancer:
//! the Ansible playbook integrations/ansible/examples/out-in.yml and the Capistrano task
//! `hotswap:cycle_host` (integrations/capistrano/examples), both over a real sshd.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One load balancer: its nginx, its config as it was, and the load through it.
struct Lb {
    conf: PathBuf,
    original: Vec<u8>,
    load: Load,
    _nginx: Proxy,
}

/// Two load balancers in front of two apps, and the DEPLOY_* environment.
struct Pair {
    dir: PathBuf,
    lbs: Vec<Lb>,
    app_ports: Vec<u16>,
    env: Vec<(String, String)>,
    _apps: Apps,
}

impl Pair {
    fn start(d: &Path) -> Pair {
        let app_ports = ports(2);
        let apps = Apps::start(d, &app_ports, 200);
        // The load starts once both load balancers are up.
        let (confs, listens, proxies) = two_nginx_lbs(d, &app_ports);
        let lbs: Vec<Lb> = confs
            .into_iter()
            .zip(listens)
            .zip(proxies)
            .map(|((conf, listen), nginx)| Lb {
                original: std::fs::read(&conf).expect("read"),
                conf,
                load: Load::start(listen, 2),
                _nginx: nginx,
            })
            .collect();
        let bins = bin("swapctl").parent().expect("dir").display().to_string();
        // The restart command records, before restarting, any config in which the server is
        // still enabled (see `checked_restart`).
        let confs: Vec<PathBuf> = lbs.iter().map(|l| l.conf.clone()).collect();
        let checked = checked_restart(d, &apps, &confs);
        let env = vec![
            ("DEPLOY_BIN".to_string(), bins),
            ("DEPLOY_UPSTREAM".into(), "app".into()),
            (
                "DEPLOY_RESTART".into(),
                format!("sh {} {{port}}", checked.display()),
            ),
            ("DEPLOY_HEALTH".into(), "http://{address}/health".into()),
        ];
        Pair {
            dir: d.to_path_buf(),
            lbs,
            app_ports,
            env,
            _apps: apps,
        }
    }

    fn conf(&self, i: usize) -> String {
        self.lbs[i].conf.display().to_string()
    }

    /// Stops the load and checks both load balancers: no failed request, the new release
    /// served, the config byte-identical to before; and every app restarted.
    /// `account` is what the tool printed, shown with any failure.
    fn finish(self, tool: &str, account: &str) {
        for lb in &self.lbs {
            lb.load.settle();
        }
        let restarts = std::fs::read_to_string(self.dir.join("restarts.log")).unwrap_or_default();
        for (i, lb) in self.lbs.into_iter().enumerate() {
            let report = lb.load.finish();
            assert_eq!(
                report.failed(),
                0,
                "{tool}: lb{}: {report:?}\nrestarts:\n{restarts}\n{tool} said:\n{account}",
                i + 1
            );
            assert!(report.ok > 0, "{tool}: lb{}: {report:?}", i + 1);
            assert!(
                report.releases.iter().any(|r| r == "release=2"),
                "{tool}: lb{} served the new release: {report:?}",
                i + 1
            );
            assert_eq!(
                std::fs::read(&lb.conf).expect("read"),
                lb.original,
                "{tool}: lb{}'s config changed",
                i + 1
            );
        }
        let log = std::fs::read_to_string(self.dir.join("restarts.log")).unwrap_or_default();
        let want: String = self
            .app_ports
            .iter()
            .map(|p| format!("restart {p}\n"))
            .collect();
        assert_eq!(
            log, want,
            "{tool}: each app restarted once, after both load balancers took it out"
        );
        for &p in &self.app_ports {
            let body = get(p, "/");
            assert!(
                body.contains("release=2"),
                "{tool}: app {p} was not restarted: {body}"
            );
        }
    }
}

/// The body of GET `path` from 127.0.0.1:`port`.
fn get(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// swapctl's step lines, `take out` and `bring in` of `address`, from each load balancer: on an
/// output line that names it (Ansible's item result, the Capistrano task's `HOST: ` prefix).
fn assert_steps(t: &str, address: &str, tool: &str) {
    for lb in ["lb1", "lb2"] {
        for step in ["take out", "bring in"] {
            let done = format!("{step} {address}: ok");
            assert!(
                t.lines().any(|l| l.contains(lb) && l.contains(&done)),
                "{tool}: swapctl's `{done}` from {lb}: {t}"
            );
        }
    }
}

#[test]
fn the_ansible_out_in_playbook_drains_both_load_balancers() {
    if !have("ansible-playbook") || !have("sshd") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pair = Pair::start(d);
    let sshd = Sshd::start(d);
    let py = "ansible_python_interpreter=/usr/bin/python3";
    let apps: String = pair
        .app_ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!("app{i} ansible_connection=local {py} app_address=127.0.0.1:{p} app_port={p}\n")
        })
        .collect();
    let lbs: String = (0..2)
        .map(|i| {
            format!(
                "lb{n} ansible_host=127.0.0.1 ansible_port={port} ansible_user=root ansible_ssh_private_key_file={key} {py} lb_conf={conf}\n",
                n = i + 1,
                port = sshd.port,
                key = sshd.key.display(),
                conf = pair.conf(i)
            )
        })
        .collect();
    let inventory = d.join("inventory.ini");
    std::fs::write(&inventory, format!("[app]\n{apps}\n[lb]\n{lbs}")).expect("inventory");
    let out = Command::new("ansible-playbook")
        .envs(pair.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        // No ControlPersist master left behind, and no known_hosts entries for the random port.
        .env(
            "ANSIBLE_SSH_ARGS",
            "-o ControlMaster=no -o UserKnownHostsFile=/dev/null",
        )
        .env("ANSIBLE_NOCOLOR", "1")
        // The test sshd has no sftp subsystem: send modules over the ssh session itself.
        .env("ANSIBLE_PIPELINING", "True")
        .env("ANSIBLE_LOCAL_TEMP", d.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", d.join("ansible-tmp"))
        .arg("-v")
        .arg("-i")
        .arg(&inventory)
        .arg(workspace_root().join("integrations/ansible/examples/out-in.yml"))
        .output()
        .expect("ansible-playbook");
    let t = text(&out);
    assert!(out.status.success(), "ansible: {t}");
    assert_eq!(
        t.matches("PLAY [Zero-downtime restart behind every load balancer]")
            .count(),
        2,
        "serial: 1 runs one play per app server: {t}"
    );
    for p in &pair.app_ports {
        assert_steps(&t, &format!("127.0.0.1:{p}"), "ansible");
    }
    pair.finish("ansible", &t);
}

#[test]
fn the_capistrano_cycle_host_task_drains_both_load_balancers() {
    if !have("cap") || !have("sshd") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pair = Pair::start(d);
    let sshd = Sshd::start(d);
    // One app server at a time, as a deploy script would call it.
    let mut account = String::new();
    for &p in &pair.app_ports {
        let out = Command::new("cap")
            .current_dir(workspace_root().join("integrations/capistrano/examples"))
            .envs(pair.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("DEPLOY_SSH_HOST", "127.0.0.1")
            .env("DEPLOY_SSH_USER", "root")
            .env("DEPLOY_SSH_PORT", sshd.port.to_string())
            .env("DEPLOY_SSH_KEY", &sshd.key)
            .env("DEPLOY_LB1_CONF", pair.conf(0))
            .env("DEPLOY_LB2_CONF", pair.conf(1))
            .env("DEPLOY_APP_ADDRESS", format!("127.0.0.1:{p}"))
            .env("DEPLOY_APP_PORT", p.to_string())
            .args(["production", "hotswap:cycle_host"])
            .output()
            .expect("cap");
        let t = text(&out);
        assert!(out.status.success(), "capistrano, app {p}: {t}");
        assert_steps(&t, &format!("127.0.0.1:{p}"), "capistrano");
        account.push_str(&t);
    }
    pair.finish("capistrano", &account);
}
