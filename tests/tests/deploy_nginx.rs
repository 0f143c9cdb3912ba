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
        text(&out).matches("swapctl: step ").count(),
        6,
        "two batches of two: {}",
        text(&out)
    );
    assert_eq!(std::fs::read(&conf).expect("read"), original);
}
