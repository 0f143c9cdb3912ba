//! swapctl on production-shaped topologies: two load balancers in front of the same apps, haproxy
//! reached over a TCP admin socket or running standalone, nginx started with `-p PREFIX`.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Two nginx load balancers (each in its own directory) in front of the same apps.
struct Pair {
    confs: [PathBuf; 2],
    listens: [u16; 2],
    originals: [Vec<u8>; 2],
    apps: Apps,
    _lbs: [Proxy; 2],
    dir: tempfile::TempDir,
}

fn pair(n: usize, boot_ms: u64) -> Pair {
    let dir = tempfile::tempdir().expect("tempdir");
    let app_ports = ports(n);
    let apps = Apps::start(dir.path(), &app_ports, boot_ms);
    let (confs, listens, lbs) = two_nginx_lbs(dir.path(), &app_ports);
    let originals = [
        std::fs::read(&confs[0]).expect("read"),
        std::fs::read(&confs[1]).expect("read"),
    ];
    Pair {
        confs,
        listens,
        originals,
        apps,
        _lbs: lbs,
        dir,
    }
}

impl Pair {
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "-c".into(),
            self.confs[0].display().to_string(),
            "-c".into(),
            self.confs[1].display().to_string(),
            "--upstream".into(),
            "app".into(),
            "--restart".into(),
            self.apps.restart_template(),
            "--health".into(),
            "http://{address}/health".into(),
        ];
        v.extend(extra.iter().map(ToString::to_string));
        v
    }

    fn unchanged(&self) {
        for i in 0..2 {
            assert_eq!(
                std::fs::read(&self.confs[i]).expect("read"),
                self.originals[i],
                "{} byte-identical",
                self.confs[i].display()
            );
        }
    }
}

fn deploy_through_both(strategy: &[&str]) {
    let p = pair(3, 300);
    let loads = [Load::start(p.listens[0], 2), Load::start(p.listens[1], 2)];
    let out = run(&p.args(strategy));
    for load in &loads {
        load.settle();
    }
    let t = text(&out);
    for (i, load) in loads.into_iter().enumerate() {
        let r = load.finish();
        eprintln!("lb{}: {r:?}", i + 1);
        assert_eq!(
            r.failed(),
            0,
            "lb{}: no request may fail: {r:?}\n{t}",
            i + 1
        );
        assert!(r.ok > 100, "the load really ran: {r:?}");
        assert!(r.releases.iter().any(|x| x == "release=2"), "{r:?}");
    }
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("every config is byte-identical"), "{t}");
    p.unchanged();
    // Both journals tell the same story.
    for c in &p.confs {
        let st = run(&[
            "-c".into(),
            c.display().to_string(),
            "--upstream".into(),
            "app".into(),
            "status".into(),
        ]);
        assert!(text(&st).contains("DONE"), "{}", text(&st));
    }
}

#[test]
fn rolling_through_two_nginx_load_balancers_drops_nothing_on_either() {
    deploy_through_both(&["rolling"]);
}

#[test]
fn hot_swap_through_two_nginx_load_balancers_drops_nothing_on_either() {
    deploy_through_both(&["hot-swap"]);
}

#[test]
fn a_step_one_proxy_cannot_apply_is_undone_on_the_other() {
    let p = pair(2, 0);
    // The second load balancer's master hangs (stopped): it passes the checks before the
    // deploy, but its reload never takes.
    let pid = std::fs::read_to_string(p.dir.path().join("lb2/nginx.pid")).expect("pid");
    let kill = |sig: &str| {
        let st = Command::new("kill")
            .args([sig, pid.trim()])
            .status()
            .expect("kill");
        assert!(st.success());
    };
    kill("-STOP");
    let load = Load::start(p.listens[0], 2);
    let out = run(&p.args(&["--drain-timeout", "3s", "rolling"]));
    kill("-CONT");
    let r = load.finish();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("lb2/nginx.conf") && t.contains("no new worker"),
        "names what failed: {t}"
    );
    assert!(t.contains("undone on every proxy"), "{t}");
    assert!(t.contains("out of rotation:   none"), "{t}");
    assert_eq!(r.failed(), 0, "{r:?}");
    p.unchanged();
    // No app was restarted.
    assert!(!r.releases.iter().any(|x| x == "release=2"), "{r:?}");
}

#[test]
fn several_configs_refuse_one_proxys_flags() {
    let p = pair(2, 0);
    let out = run(&p.args(&["--socket", "tcp:127.0.0.1:1", "rolling"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("with a single -c"), "{}", text(&out));
    p.unchanged();
}

fn worker_pids(master: i32) -> Vec<i32> {
    let out = Command::new("pgrep")
        .args(["-P", &master.to_string()])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[test]
fn haproxy_over_a_tcp_admin_socket_is_never_reloaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(3);
    let (listen, admin) = (free_port(), free_port());
    let conf = haproxy_fixture_with(
        d,
        listen,
        &app_ports,
        &format!("    stats socket ipv4@127.0.0.1:{admin} level admin\n"),
        "",
    );
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 300);
    let haproxy = Proxy::haproxy(&conf, &d.join("haproxy.pid"), listen);
    let workers = worker_pids(haproxy.pid());
    assert!(!workers.is_empty());
    let load = Load::start(listen, 4);
    let c = conf.display().to_string();
    let restart = apps.restart_template();
    let plan = swapctl(&["-c", &c, "--upstream", "app", "plan", "rolling"]);
    assert!(
        text(&plan).contains(&format!("runtime API at tcp:127.0.0.1:{admin}")),
        "{}",
        text(&plan)
    );
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "--health",
        "http://{address}/health",
        "rolling",
    ]);
    load.settle();
    let r = load.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(r.failed(), 0, "{r:?}\n{}", text(&out));
    assert!(r.releases.iter().any(|x| x == "release=2"), "{r:?}");
    assert_eq!(
        worker_pids(haproxy.pid()),
        workers,
        "the same worker serves before and after: no reload"
    );
    assert_eq!(std::fs::read(&conf).expect("read"), original);
    // --socket names the same socket explicitly.
    let explicit = swapctl(&[
        "-c",
        &c,
        "--socket",
        &format!("tcp:127.0.0.1:{admin}"),
        "--upstream",
        "app",
        "out",
        "web1",
    ]);
    assert_eq!(explicit.status.code(), Some(0), "{}", text(&explicit));
    let back = swapctl(&["-c", &c, "--upstream", "app", "in", "web1"]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    assert_eq!(std::fs::read(&conf).expect("read"), original);
}

#[test]
fn a_configured_admin_socket_that_cannot_be_used_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let listen = free_port();
    let dead = free_port();
    // The config names a socket nothing listens on: no silent fallback to reloads.
    let conf = haproxy_fixture_with(
        d,
        listen,
        &app_ports,
        &format!("    stats socket ipv4@127.0.0.1:{dead} level admin\n"),
        "",
    );
    let original = std::fs::read(&conf).expect("read");
    let c = conf.display().to_string();
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--restart",
        "true",
        "rolling",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("cannot reach the haproxy admin socket") && t.contains("haproxy.cfg:2"),
        "names the socket and where it is configured: {t}"
    );
    assert!(
        t.contains("configured at"),
        "refused before the first step: {t}"
    );
    assert_eq!(
        std::fs::read(&conf).expect("read"),
        original,
        "nothing changed"
    );
    // A socket at a level that cannot change server states.
    let conf = haproxy_fixture_with(
        d,
        listen,
        &app_ports,
        &format!("    stats socket {}/op.sock level operator\n", d.display()),
        "",
    );
    let out = swapctl(&["-c", &c, "--upstream", "app", "out", "web1"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("level operator") && t.contains("level admin"),
        "{t}"
    );
    assert_ne!(
        std::fs::read(&conf).expect("read"),
        original,
        "a new config"
    );
    // plan checks what the deploy will need, so it names the socket too.
    let plan = swapctl(&["-c", &c, "--upstream", "app", "plan"]);
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    assert!(text(&plan).contains("level operator"), "{}", text(&plan));
}

#[test]
fn a_standalone_haproxy_is_reloaded_with_sf_and_confirmed_through_its_pid_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let listen = free_port();
    let conf = haproxy_fixture_with(d, listen, &app_ports, "", "");
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 200);
    let pidfile = d.join("haproxy.pid");
    let st = Command::new(require("haproxy"))
        .args(["-D", "-p"])
        .arg(&pidfile)
        .arg("-f")
        .arg(&conf)
        .status()
        .expect("haproxy");
    assert!(st.success());
    let standalone = Proxy {
        pidfile: pidfile.clone(),
    };
    wait_until(
        "the proxy to accept connections",
        Duration::from_secs(10),
        || port_open(listen),
    );
    let first = standalone.pid();
    let c = conf.display().to_string();
    let restart = apps.restart_template();
    // Without --reload it says how to reload it.
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "rolling",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("-sf"), "{}", text(&out));
    assert_eq!(std::fs::read(&conf).expect("read"), original, "undone");
    let load = Load::start(listen, 2);
    let reload = format!(
        "haproxy -D -p {p} -f {c} -sf $(cat {p})",
        p = pidfile.display()
    );
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--reload",
        &reload,
        "--restart",
        &restart,
        "--health",
        "http://{address}/health",
        "rolling",
    ]);
    let r = load.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(r.failed(), 0, "{r:?}\n{}", text(&out));
    assert_ne!(standalone.pid(), first, "a new process took over");
    assert_eq!(std::fs::read(&conf).expect("read"), original);
}

#[test]
fn nginx_started_with_a_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("logs")).expect("mkdir");
    let app_ports = ports(2);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    // A relative pid path, as `nginx -p PREFIX` setups write it.
    let text0 = std::fs::read_to_string(&conf).expect("read");
    let rel = text0.replace(
        &format!("pid {}/nginx.pid;", d.display()),
        "pid logs/nginx.pid;",
    );
    std::fs::write(&conf, &rel).expect("write");
    let apps = Apps::start(d, &app_ports, 100);
    let st = Command::new(require("nginx"))
        .arg("-p")
        .arg(d)
        .args(["-e", "stderr", "-c"])
        .arg(&conf)
        .status()
        .expect("nginx");
    assert!(st.success());
    let _nginx = Proxy {
        pidfile: d.join("logs/nginx.pid"),
    };
    wait_until(
        "the proxy to accept connections",
        Duration::from_secs(10),
        || port_open(listen),
    );
    let load = Load::start(listen, 2);
    let c = conf.display().to_string();
    let prefix = d.display().to_string();
    let restart = apps.restart_template();
    let out = swapctl(&[
        "-c",
        &c,
        "--prefix",
        &prefix,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "rolling",
    ]);
    let r = load.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(r.failed(), 0, "{r:?}");
    assert_eq!(std::fs::read_to_string(&conf).expect("read"), rel);
    // --pid-file names it directly.
    let pid = d.join("logs/nginx.pid").display().to_string();
    let out = swapctl(&[
        "-c",
        &c,
        "--pid-file",
        &pid,
        "--prefix",
        &prefix,
        "--upstream",
        "app",
        "out",
        &format!("127.0.0.1:{}", app_ports[0]),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
