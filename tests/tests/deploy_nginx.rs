//! nginx deploys under real keep-alive load, half POST.

mod common;
use common::*;

#[test]
fn hot_swap_of_two_ports_drops_no_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 300);
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let load = Load::start(listen, 4);
    let c = conf.display().to_string();
    let restart = apps.restart_template();
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "--health",
        "http://{address}/health",
        "hot-swap",
    ]);
    load.settle();
    let report = load.finish();
    eprintln!("{}\nload: {report:?}", text(&out));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        report.failed(),
        0,
        "no request may fail: {report:?}\n{}",
        text(&out)
    );
    assert!(report.ok > 200, "the load really ran: {report:?}");
    assert!(
        report.releases.iter().any(|r| r == "release=2"),
        "the new release serves: {report:?}"
    );
    assert_eq!(
        std::fs::read(&conf).expect("read"),
        original,
        "config byte-identical after the deploy"
    );
    let t = text(&out);
    assert_eq!(
        t.matches("swapctl: step ").count(),
        5,
        "one line per step: {t}"
    );
    assert!(t.contains("byte-identical"), "{t}");
    let st = swapctl(&["-c", &c, "--upstream", "app", "status"]);
    assert!(text(&st).contains("DONE"), "{}", text(&st));
}

#[test]
fn reload_command_and_rolling_batches_of_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(4);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 100);
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let load = Load::start(listen, 4);
    let c = conf.display().to_string();
    let reload = format!("nginx -s reload -c {c}");
    let restart = apps.restart_template();
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--reload",
        &reload,
        "--restart",
        &restart,
        "rolling",
        "--batch",
        "2",
    ]);
    load.settle();
    let report = load.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report.failed(), 0, "{report:?}\n{}", text(&out));
    assert_eq!(
        // take out, restart, swap (one reload brings batch 1 back and takes batch 2 out),
        // restart, bring in.
        text(&out).matches("swapctl: step ").count(),
        5,
        "two batches of two: {}",
        text(&out)
    );
    assert_eq!(std::fs::read(&conf).expect("read"), original);
}

/// A rolling deploy brings batch k back and takes batch k+1 out in one change: three servers
/// behind two nginx load balancers cost each of them n+1 = 4 reloads (counted in nginx's own
/// log), not 2n = 6, under load through both, with no request failed.
#[test]
fn a_rolling_deploy_costs_each_load_balancer_n_plus_one_reloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(3);
    let apps = Apps::start(d, &app_ports, 100);
    let mut confs = Vec::new();
    let mut lbs = Vec::new();
    let mut loads = Vec::new();
    for name in ["lb1", "lb2"] {
        let lb = d.join(name);
        std::fs::create_dir_all(&lb).expect("mkdir");
        let listen = free_port();
        let conf = nginx_fixture(&lb, listen, &app_ports);
        // nginx logs each reload signal it takes ("signal 1 (SIGHUP) received") at notice level.
        let text = std::fs::read_to_string(&conf).expect("read");
        let log = format!("error_log {}/error.log", lb.display());
        std::fs::write(&conf, text.replace(&log, &format!("{log} notice"))).expect("write");
        lbs.push(Proxy::nginx(&conf, &lb.join("nginx.pid"), listen));
        loads.push(Load::start(listen, 2));
        confs.push(conf);
    }
    let reloads = |conf: &std::path::Path| {
        std::fs::read_to_string(conf.parent().expect("dir").join("error.log"))
            .expect("error.log")
            .matches("(SIGHUP) received")
            .count()
    };
    let before: Vec<usize> = confs.iter().map(|c| reloads(c)).collect();
    let (c1, c2) = (
        confs[0].display().to_string(),
        confs[1].display().to_string(),
    );
    let restart = apps.restart_template();
    let out = swapctl(&[
        "-c",
        &c1,
        "-c",
        &c2,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "--health",
        "http://{address}/health",
        "rolling",
    ]);
    for load in &loads {
        load.settle();
    }
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for (load, (conf, before)) in loads.into_iter().zip(confs.iter().zip(before)) {
        let report = load.finish();
        assert_eq!(report.failed(), 0, "{report:?}\n{}", text(&out));
        assert_eq!(
            reloads(conf) - before,
            4,
            "{}: one reload per routing change\n{}",
            conf.display(),
            text(&out)
        );
    }
    drop(lbs);
}
