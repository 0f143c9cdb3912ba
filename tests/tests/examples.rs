//! The deploy-tool examples under scripts/examples, run for real against nginx on this machine.

mod common;
use common::*;
use std::process::Command;

#[test]
fn the_shell_hot_swap_example_deploys_without_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 200);
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let load = Load::start(listen, 2);
    let bins = bin("swapctl").parent().expect("dir").display().to_string();
    let out = Command::new("bash")
        .arg(workspace_root().join("scripts/examples/hot-swap.sh"))
        .env("PATH", format!("{bins}:/usr/sbin:/usr/bin:/bin"))
        .env("CONF", &conf)
        .env("UPSTREAM", "app")
        .env("RESTART", apps.restart_template())
        .env("HEALTH", "http://{address}/health")
        .env("FRONT", format!("http://127.0.0.1:{listen}/"))
        .output()
        .expect("run example");
    load.settle();
    let report = load.finish();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(report.failed(), 0, "{report:?}");
    assert!(
        text(&out).contains("hot-swap of app done"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(&conf).expect("read"), original);
}

/// A stack for the deploy-tool examples: nginx, two apps, load, and the DEPLOY_* environment.
struct Example {
    conf: std::path::PathBuf,
    original: Vec<u8>,
    env: Vec<(String, String)>,
    load: Load,
    _nginx: Proxy,
    _apps: Apps,
}

fn example(d: &std::path::Path) -> Example {
    let app_ports = ports(2);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 200);
    let nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let bins = bin("swapctl").parent().expect("dir").display().to_string();
    let env = vec![
        ("DEPLOY_BIN".to_string(), bins),
        ("DEPLOY_CONF".into(), conf.display().to_string()),
        ("DEPLOY_UPSTREAM".into(), "app".into()),
        ("DEPLOY_RESTART".into(), apps.restart_template()),
        ("DEPLOY_HEALTH".into(), "http://{address}/health".into()),
    ];
    let load = Load::start(listen, 2);
    Example {
        conf,
        original,
        env,
        load,
        _nginx: nginx,
        _apps: apps,
    }
}

fn finish(ex: Example, out: &std::process::Output, tool: &str) {
    ex.load.settle();
    let Example {
        conf,
        original,
        load,
        ..
    } = ex;
    let report = load.finish();
    assert!(out.status.success(), "{tool}: {}", text(out));
    assert_eq!(report.failed(), 0, "{tool}: {report:?}");
    assert!(
        report.releases.iter().any(|r| r == "release=2"),
        "{tool} deployed: {report:?}"
    );
    assert_eq!(std::fs::read(&conf).expect("read"), original, "{tool}");
}

#[test]
fn the_fabric_fabfile_deploys_over_ssh() {
    if !have("fab") || !have("sshd") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ex = example(dir.path());
    let sshd = Sshd::start(dir.path());
    let out = Command::new("fab")
        .current_dir(workspace_root().join("scripts/examples"))
        .envs(ex.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .arg("-H")
        .arg(format!("root@127.0.0.1:{}", sshd.port))
        .arg("-i")
        .arg(&sshd.key)
        .arg("hotswap")
        .output()
        .expect("fab");
    finish(ex, &out, "fabric");
    assert!(
        text(&out).contains("hot-swap of app done"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_capistrano_task_deploys_over_ssh() {
    if !have("cap") || !have("sshd") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ex = example(dir.path());
    let sshd = Sshd::start(dir.path());
    let out = Command::new("cap")
        .current_dir(workspace_root().join("integrations/capistrano/examples"))
        .envs(ex.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("DEPLOY_SSH_HOST", "127.0.0.1")
        .env("DEPLOY_SSH_USER", "root")
        .env("DEPLOY_SSH_PORT", sshd.port.to_string())
        .env("DEPLOY_SSH_KEY", &sshd.key)
        .args(["production", "hotswap:restart"])
        .output()
        .expect("cap");
    finish(ex, &out, "capistrano");
}

#[test]
fn the_ansible_playbook_rolls_one_server_at_a_time() {
    if !have("ansible-playbook") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let ex = example(d);
    let cfg = proxyconf::Config::load(&ex.conf, None).expect("config");
    let hosts: String = cfg
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| format!("app{i} ansible_connection=local ansible_python_interpreter=/usr/bin/python3 app_address={}\n", s.address))
        .collect();
    let inventory = d.join("inventory.ini");
    std::fs::write(&inventory, format!("[app]\n{hosts}")).expect("inventory");
    let out = Command::new("ansible-playbook")
        .envs(ex.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_LOCAL_TEMP", d.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", d.join("ansible-tmp"))
        .arg("-i")
        .arg(&inventory)
        .arg(workspace_root().join("integrations/ansible/examples/playbook.yml"))
        .output()
        .expect("ansible-playbook");
    let t = text(&out);
    finish(ex, &out, "ansible");
    assert_eq!(
        t.matches("PLAY [Zero-downtime rolling restart").count(),
        2,
        "serial: 1 runs one play per server: {t}"
    );
}
