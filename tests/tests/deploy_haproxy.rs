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
        // 3 servers: take out, then restart + swap twice, restart, bring in (4 routing changes).
        text(&out).matches("swapctl: step ").count(),
        7,
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read(&conf).expect("read"),
        original,
        "byte-identical; #server web9 stays commented"
    );
    // The runtime state agrees: every server is back in rotation.
    let rt = swapctl::adapters::runtime::Runtime::parse(
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

/// The body of one GET through the proxy on a fresh connection.
fn who(listen: u16) -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", listen)).expect("connect");
    c.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
}

/// Someone reloads haproxy while swapctl drains a server: the file already says the server is
/// out, so the new worker never sends it traffic.
#[test]
fn a_reload_during_a_drain_keeps_the_server_out() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app = |name: &'static str| {
        HttpServer::tcp("127.0.0.1:0", move |_, s| {
            if s.path == "/stall" && name == "web1" {
                Reply::Stall
            } else {
                Reply::Status(200, name.into())
            }
        })
    };
    let (web1, web2) = (app("web1"), app("web2"));
    let port = |s: &HttpServer| {
        s.addr
            .rsplit(':')
            .next()
            .unwrap_or("0")
            .parse::<u16>()
            .expect("port")
    };
    let listen = free_port();
    let conf = haproxy_fixture(d, listen, &[port(&web1), port(&web2)], "");
    let original = std::fs::read(&conf).expect("read");
    let haproxy = Proxy::haproxy(&conf, &d.join("haproxy.pid"), listen);
    // A request that never ends, held by web1.
    let mut held = Vec::new();
    wait_until(
        "a stalled request on web1",
        std::time::Duration::from_secs(20),
        || {
            let mut c = std::net::TcpStream::connect(("127.0.0.1", listen)).expect("connect");
            c.write_all(b"GET /stall HTTP/1.1\r\nHost: t\r\n\r\n")
                .expect("send");
            held.push(c);
            web1.seen
                .lock()
                .expect("seen")
                .iter()
                .any(|s| s.path == "/stall")
        },
    );
    let c = conf.display().to_string();
    let target = web1.addr.clone();
    let mut out = std::process::Command::new(bin("swapctl"))
        .args([
            "-c",
            &c,
            "--upstream",
            "app",
            "--drain-timeout",
            "60s",
            "out",
            &target,
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("swapctl");
    let sock = d.join("admin.sock");
    wait_until("web1 to drain", std::time::Duration::from_secs(20), || {
        haproxy_admin(&sock, "show stat")
            .lines()
            .any(|l| l.starts_with("app,web1,") && l.contains("DRAIN"))
    });
    // swapctl held mid-drain, someone else's reload: what the new worker does is the file's.
    let sig = |s: &str, pid: u32| {
        let st = std::process::Command::new("kill")
            .args([s, &pid.to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
    };
    sig("-STOP", out.id());
    haproxy.reload_haproxy();
    let answers: Vec<String> = (0..20).map(|_| who(listen)).collect();
    assert!(
        answers.iter().all(|a| a == "web2"),
        "the new worker sends web1 nothing: {answers:?}"
    );
    sig("-CONT", out.id());
    // The old worker still holds the stalled request: the drain is not over.
    let lines = Lines::of(out.stderr.take().expect("stderr"));
    assert!(
        !holds_within(std::time::Duration::from_millis(1500), || out
            .try_wait()
            .ok()
            .flatten()
            .is_some()),
        "out returned while the old worker still held a request to web1"
    );
    // web1 stops, ending the stalled request (haproxy keeps a server request whose client left).
    drop(web1);
    let status = out.wait().expect("wait");
    drop(held);
    assert_eq!(status.code(), Some(0), "{}", lines.rest());
    let back = swapctl(&["-c", &c, "--upstream", "app", "in", &target]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    assert_eq!(std::fs::read(&conf).expect("read"), original);
}
