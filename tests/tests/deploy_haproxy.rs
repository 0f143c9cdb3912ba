//! haproxy deploys through the runtime API, under keep-alive load, half POST.

mod common;
use common::*;

#[test]
fn rolling_deploy_of_three_servers_drops_no_request_and_keeps_the_retired_one_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(3);
    let listen = free_port();
    let retired = free_port();
    let conf = haproxy_fixture(
        d,
        listen,
        &app_ports,
        &format!("    #server web9 127.0.0.1:{retired} check\n"),
    );
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 300);
    let _haproxy = Proxy::haproxy(&conf, &d.join("haproxy.pid"), listen);
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
        "rolling",
        "--batch",
        "1",
    ]);
    load.settle();
    let report = load.finish();
    eprintln!("{}\nload: {report:?}", text(&out));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report.failed(), 0, "{report:?}");
    assert!(report.ok > 200, "{report:?}");
    assert!(
        report.releases.iter().any(|r| r == "release=2"),
        "{report:?}"
    );
    assert_eq!(
        text(&out).matches("swapctl: step ").count(),
        9,
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read(&conf).expect("read"),
        original,
        "byte-identical; #server web9 stays commented"
    );
    // The runtime state agrees: every server is back in rotation.
    let rt = swapctl::runtime::Runtime::parse(
        &format!("unix:{}", d.join("admin.sock").display()),
        "test",
    )
    .expect("socket");
    let stat = rt.send("show servers state app").expect("runtime");
    assert_eq!(
        stat.lines().filter(|l| l.contains(" web")).count(),
        3,
        "{stat}"
    );
}

#[test]
fn without_an_admin_socket_it_reloads_through_the_master() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let listen = free_port();
    let conf = haproxy_fixture(d, listen, &app_ports, "");
    let no_socket = std::fs::read_to_string(&conf).expect("read").replace(
        &format!(
            "    stats socket {}/admin.sock mode 600 level admin\n",
            d.display()
        ),
        "",
    );
    std::fs::write(&conf, &no_socket).expect("write");
    let apps = Apps::start(d, &app_ports, 100);
    let proxy = Proxy::haproxy(&conf, &d.join("haproxy.pid"), listen);
    let master = proxy.pid();
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
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(proxy.pid(), master, "same master, new workers");
    assert_eq!(std::fs::read_to_string(&conf).expect("read"), no_socket);
}
