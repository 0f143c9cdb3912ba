//! Before anything changes, every proxy's pid file must name that proxy's running master: a stale
//! pid file that names an unrelated live process gets it no signal, and a load balancer that is
//! down refuses the deploy (and `plan`) before the first one is touched. A unix-socket server the
//! proxy's workers cannot open is not brought back, however healthy it looks to root.

mod common;
use common::*;
use std::process::Command;

/// Two nginx load balancers in front of two apps: (dir guard, confs, apps' ports, proxies, apps).
fn pair() -> (
    tempfile::TempDir,
    [std::path::PathBuf; 2],
    Vec<u16>,
    [Proxy; 2],
    Apps,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app_ports = ports(2);
    let apps = Apps::start(dir.path(), &app_ports, 0);
    let (confs, _, lbs) = two_nginx_lbs(dir.path(), &app_ports);
    (dir, confs, app_ports, lbs, apps)
}

fn deploy(confs: &[std::path::PathBuf; 2], apps: &Apps, what: &[&str]) -> std::process::Output {
    let (a, b) = (
        confs[0].display().to_string(),
        confs[1].display().to_string(),
    );
    let restart = apps.restart_template();
    let mut args = vec![
        "-c",
        a.as_str(),
        "-c",
        b.as_str(),
        "--upstream",
        "app",
        "--restart",
        restart.as_str(),
        "--health",
        "http://{address}/health",
    ];
    args.extend_from_slice(what);
    swapctl(&args)
}

/// Nothing changed: both files as before, lb1's workers the same, no app restarted.
fn untouched(
    confs: &[std::path::PathBuf; 2],
    before: &[Vec<u8>],
    lb1: &Proxy,
    workers: &[i32],
    apps: &Apps,
    app_ports: &[u16],
    pids: &[String],
) {
    for (c, b) in confs.iter().zip(before) {
        assert_eq!(&std::fs::read(c).expect("read"), b, "{}", c.display());
    }
    assert_eq!(lb1.workers(), workers, "lb1 was not reloaded");
    assert_eq!(apps.pids(app_ports), pids, "no app was restarted");
}

#[test]
fn a_stale_pid_file_naming_a_stranger_refuses_the_deploy_and_signals_nothing() {
    let (dir, confs, app_ports, lbs, apps) = pair();
    let mut stranger = Command::new("sleep").arg("300").spawn().expect("sleep");
    let pid = stranger.id();
    wait_until(
        "the stranger to run sleep",
        std::time::Duration::from_secs(10),
        || std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep")),
    );
    let pidfile = dir.path().join("lb2/nginx.pid");
    let real = std::fs::read_to_string(&pidfile).expect("pid");
    std::fs::write(&pidfile, format!("{pid}\n")).expect("write");
    let before: Vec<Vec<u8>> = confs
        .iter()
        .map(|c| std::fs::read(c).expect("read"))
        .collect();
    let workers = lbs[0].workers();
    let pids = apps.pids(&app_ports);
    let first = format!("127.0.0.1:{}", app_ports[0]);
    for what in [
        &["plan", "rolling"][..],
        &["rolling"][..],
        &["out", &first][..],
    ] {
        let out = deploy(&confs, &apps, what);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{what:?}: {t}");
        assert!(
            t.contains(&format!("names pid {pid}"))
                && t.contains("sleep 300")
                && t.contains("stale"),
            "{what:?}: {t}"
        );
        assert!(
            alive(pid as i32),
            "{what:?}: the stranger was not signalled"
        );
        untouched(&confs, &before, &lbs[0], &workers, &apps, &app_ports, &pids);
    }
    let _ = stranger.kill();
    let _ = stranger.wait();
    // The real pid file back: the deploy goes through.
    std::fs::write(&pidfile, real).expect("write");
    let out = deploy(&confs, &apps, &["rolling"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_load_balancer_that_is_down_refuses_the_deploy_before_the_first_is_touched() {
    let (dir, confs, app_ports, lbs, apps) = pair();
    let [lb1, lb2] = lbs;
    let pidfile = dir.path().join("lb2/nginx.pid");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .expect("pid")
        .trim()
        .parse()
        .expect("a pid");
    // nginx leaves no pid file when it stops; a crash leaves one naming a dead pid.
    drop(lb2);
    wait_until("lb2 to stop", std::time::Duration::from_secs(10), || {
        !alive(pid)
    });
    std::fs::write(&pidfile, format!("{pid}\n")).expect("write");
    let before: Vec<Vec<u8>> = confs
        .iter()
        .map(|c| std::fs::read(c).expect("read"))
        .collect();
    let workers = lb1.workers();
    let pids = apps.pids(&app_ports);
    for what in [&["plan", "hot-swap"][..], &["hot-swap"][..]] {
        let out = deploy(&confs, &apps, what);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{what:?}: {t}");
        assert!(
            t.contains("not running") && t.contains("lb2"),
            "{what:?}: {t}"
        );
        untouched(&confs, &before, &lb1, &workers, &apps, &app_ports, &pids);
    }
    std::fs::remove_file(&pidfile).expect("rm");
    let out = deploy(&confs, &apps, &["plan", "hot-swap"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nginx.pid"), "{}", text(&out));
}

#[test]
fn haproxy_without_a_socket_checks_its_master_and_its_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let apps = Apps::start(d, &app_ports, 0);
    let listen = free_port();
    let conf = haproxy_fixture_with(d, listen, &app_ports, "", "");
    let _haproxy = Proxy::haproxy(&conf, &d.join("haproxy.pid"), listen);
    // A second haproxy config whose pid file names the first one's master: another config.
    let other_dir = d.join("other");
    std::fs::create_dir_all(&other_dir).expect("mkdir");
    let other = haproxy_fixture_with(&other_dir, free_port(), &app_ports, "", "");
    std::fs::copy(d.join("haproxy.pid"), other_dir.join("haproxy.pid")).expect("copy");
    let c = other.display().to_string();
    let restart = apps.restart_template();
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "plan",
        "rolling",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("runs") && t.contains(&conf.display().to_string()),
        "names the config it runs: {t}"
    );
    // Its own config: the plan goes through.
    let c = conf.display().to_string();
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "plan",
        "rolling",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// A release that creates its socket 0700: swapctl (root) finds it healthy, nginx's workers
/// (nobody) cannot open it. `in` refuses to bring it back, naming why; once the socket lets
/// them in, it comes back.
#[test]
fn a_unix_socket_the_workers_cannot_open_is_not_brought_back() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let chmod = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod")
    };
    chmod(d, 0o755);
    let sock = d.join("app.sock");
    let _unix_app = HttpServer::unix(&sock, |_, _| Reply::Status(200, "unix".into()));
    chmod(&sock, 0o777);
    let tcp_app = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "tcp".into()));
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &[]);
    let body = std::fs::read_to_string(&conf)
        .expect("read")
        .replace("user root;", "user nobody nogroup;")
        .replace(
            "        keepalive 16;\n",
            &format!(
                "        server unix:{};\n        server {};\n        keepalive 16;\n",
                sock.display(),
                tcp_app.addr
            ),
        );
    std::fs::write(&conf, &body).expect("write");
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let c = conf.display().to_string();
    let target = format!("unix:{}", sock.display());
    let base = ["-c", c.as_str(), "--upstream", "app"];
    let out = swapctl(&[&base[..], &["out", &target]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The next release makes its socket 0700.
    chmod(&sock, 0o700);
    let health = ["--health", "http://{address}/health"];
    let back = swapctl(&[&base[..], &health[..], &["in", &target]].concat());
    let t = text(&back);
    assert_eq!(back.status.code(), Some(1), "{t}");
    assert!(
        t.contains("workers cannot open") && t.contains("mode 700"),
        "{t}"
    );
    assert_ne!(
        std::fs::read_to_string(&conf).expect("read"),
        body,
        "still out"
    );
    chmod(&sock, 0o777);
    let back = swapctl(&[&base[..], &health[..], &["in", &target]].concat());
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    assert_eq!(std::fs::read_to_string(&conf).expect("read"), body);
}

/// A restart program that is not there is named before anything changes, by plan and by the
/// deploy; one that is there (after `VAR=value` words, or found in PATH) passes.
#[test]
fn a_restart_program_that_does_not_exist_refuses_before_anything_changes() {
    let (_dir, confs, app_ports, lbs, apps) = pair();
    let before: Vec<Vec<u8>> = confs
        .iter()
        .map(|c| std::fs::read(c).expect("read"))
        .collect();
    let workers = lbs[0].workers();
    let pids = apps.pids(&app_ports);
    let (a, b) = (
        confs[0].display().to_string(),
        confs[1].display().to_string(),
    );
    let with = |restart: &str, what: &[&str]| {
        let mut args = vec![
            "-c",
            a.as_str(),
            "-c",
            b.as_str(),
            "--upstream",
            "app",
            "--restart",
            restart,
        ];
        args.extend_from_slice(what);
        swapctl(&args)
    };
    for what in [&["plan", "rolling"][..], &["rolling"][..]] {
        let out = with("RELEASE=2 /nonexistent/restart-app {port}", what);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{what:?}: {t}");
        assert!(t.contains("/nonexistent/restart-app"), "{what:?}: {t}");
        untouched(&confs, &before, &lbs[0], &workers, &apps, &app_ports, &pids);
    }
    let out = with("no-such-program-here {port}", &["plan", "rolling"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let ok = format!("APP_HOME=/opt/app RELEASE=2 {}", apps.restart_template());
    let out = with(&ok, &["plan", "rolling"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
