//! Traffic modes under load, on nginx and on haproxy: read-only keeps every read working and
//! answers every write with 503 and Retry-After; switching drops no request; normal gives the
//! config back byte for byte.

mod common;
use common::*;
use std::io::{Read, Write};
use std::time::Duration;

/// One request on a fresh connection: (status, headers lower-cased, body).
fn request(port: u16, method: &str) -> (u16, String, String) {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = if method == "GET" { "" } else { "x=1" };
    let req = format!(
        "{method} /work HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    c.write_all(req.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn modes_under_load(conf: &std::path::Path, listen: u16) {
    let original = std::fs::read(conf).expect("read");
    let c = conf.display().to_string();
    let reads = Load::start_reads(listen, 3);
    let on = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "mode",
        "read-only",
        "--message",
        "Back soon: migrating",
        "--retry-after",
        "2m",
    ]);
    assert_eq!(on.status.code(), Some(0), "{}", text(&on));
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let (status, head, body) = request(listen, method);
        assert_eq!(status, 503, "{method} while read-only: {head}");
        assert!(head.contains("retry-after: 120"), "{head}");
        assert_eq!(body, "Back soon: migrating");
    }
    assert_eq!(request(listen, "GET").0, 200);
    let show = swapctl(&["-c", &c, "--upstream", "app", "mode"]);
    assert!(
        text(&show).contains("app read-only since"),
        "{}",
        text(&show)
    );
    let st = swapctl(&["-c", &c, "--upstream", "app", "status"]);
    assert!(text(&st).contains("mode read-only"), "{}", text(&st));
    reads.settle();
    let off = swapctl(&["-c", &c, "--upstream", "app", "mode", "normal"]);
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
    wait_until("150 reads in all", Duration::from_secs(30), || {
        reads.done.load(std::sync::atomic::Ordering::SeqCst) >= 150
    });
    let r = reads.finish();
    assert_eq!(r.failed(), 0, "no read fails while switching: {r:?}");
    assert!(r.ok > 100, "{r:?}");
    assert_eq!(
        std::fs::read(conf).expect("read"),
        original,
        "byte for byte"
    );
    assert_eq!(request(listen, "POST").0, 200, "writes work again");
    // Maintenance: everything gets 503; then back.
    let m = swapctl(&["-c", &c, "--upstream", "app", "mode", "maintenance"]);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m));
    let (status, head, _) = request(listen, "GET");
    assert_eq!(status, 503, "{head}");
    assert!(head.contains("retry-after: 60"), "{head}");
    let off = swapctl(&["-c", &c, "--upstream", "app", "mode", "normal"]);
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
    assert_eq!(std::fs::read(conf).expect("read"), original);
}

#[test]
fn nginx_read_only_and_maintenance_under_load() {
    let s = nginx_stack(2, 0);
    modes_under_load(&s.conf, s.listen);
}

#[test]
fn haproxy_read_only_and_maintenance_under_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let listen = free_port();
    let conf = haproxy_fixture(d, listen, &app_ports, "");
    let _apps = Apps::start(d, &app_ports, 0);
    let _haproxy = Proxy::haproxy(&conf, &d.join("haproxy.pid"), listen);
    modes_under_load(&conf, listen);
}

#[test]
fn a_mode_is_refused_where_nginx_cannot_take_it_and_bad_messages_are_refused() {
    let s = nginx_stack(2, 0);
    let c = s.conf.display().to_string();
    let before = std::fs::read(&s.conf).expect("read");
    let out = swapctl(&["-c", &c, "mode", "read-only", "--message", "costs $5"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let body = std::fs::read_to_string(&s.conf).expect("read").replace(
        "            proxy_pass http://app;\n",
        "            if ($arg_x) { proxy_pass http://app; }\n            proxy_pass http://app;\n",
    );
    std::fs::write(&s.conf, &body).expect("write");
    let out = swapctl(&["-c", &c, "mode", "read-only"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("inside `if`"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&s.conf).expect("read"), body);
    std::fs::write(&s.conf, &before).expect("restore");
}

#[test]
fn a_regex_locations_capture_still_reaches_the_upstream_in_read_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "ok".into()));
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &[]);
    let body = std::fs::read_to_string(&conf)
        .expect("read")
        .replace(
            "        keepalive 16;\n",
            &format!("        server {};\n        keepalive 16;\n", app.addr),
        )
        .replace(
            "        location / {\n",
            "        location ~ ^/re/(.*)$ {\n            proxy_pass http://app/$1;\n        }\n        location / {\n",
        );
    std::fs::write(&conf, &body).expect("write");
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let c = conf.display().to_string();
    let on = swapctl(&["-c", &c, "mode", "read-only"]);
    assert_eq!(on.status.code(), Some(0), "{}", text(&on));
    let mut s = std::net::TcpStream::connect(("127.0.0.1", listen)).expect("connect");
    s.write_all(b"GET /re/foo/bar HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let seen = app.seen.lock().expect("seen").clone();
    assert!(
        seen.iter().any(|x| x.path == "/foo/bar"),
        "the capture reached the upstream: {seen:?}"
    );
    let off = swapctl(&["-c", &c, "mode", "normal"]);
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
    assert_eq!(std::fs::read_to_string(&conf).expect("read"), body);
}

/// One request through the proxy: the status line's code and the path the app saw last.
fn ask(listen: u16, method: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", listen)).expect("connect");
    let body = if method == "POST" { "x=1" } else { "" };
    s.write_all(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// `rewrite ... break` stops the rewrite module's directives after it: the mode's block goes
/// before the first of them in the location, so writes are refused there too, and wherever the
/// rewrite sits relative to the pass.
#[test]
fn read_only_blocks_writes_in_a_location_that_rewrites_with_break() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "ok".into()));
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &[]);
    let body = std::fs::read_to_string(&conf)
        .expect("read")
        .replace(
            "        keepalive 16;\n",
            &format!("        server {};\n        keepalive 16;\n", app.addr),
        )
        .replace(
            "        location / {\n",
            "        location ~ ^/rw/(.*)$ {\n            rewrite ^/rw/(.*)$ /rewritten/$1 break;\n            proxy_pass http://app;\n        }\n        location /after/ {\n            proxy_pass http://app;\n            set $seen 1;\n            rewrite ^/after/(.*)$ /later/$1 break;\n        }\n        location / {\n",
        );
    std::fs::write(&conf, &body).expect("write");
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let c = conf.display().to_string();
    assert_eq!(ask(listen, "POST", "/rw/a"), "200", "writes pass before");
    let on = swapctl(&["-c", &c, "mode", "read-only"]);
    assert_eq!(on.status.code(), Some(0), "{}", text(&on));
    for path in ["/rw/a", "/after/b", "/c"] {
        assert_eq!(ask(listen, "POST", path), "503", "POST {path} is refused");
        assert_eq!(ask(listen, "GET", path), "200", "GET {path} is served");
    }
    let seen: Vec<String> = app
        .seen
        .lock()
        .expect("seen")
        .iter()
        .map(|x| x.path.clone())
        .collect();
    assert!(
        seen.contains(&"/rewritten/a".to_string()) && seen.contains(&"/later/b".to_string()),
        "the rewrites still apply to reads: {seen:?}"
    );
    let maint = swapctl(&["-c", &c, "mode", "maintenance"]);
    assert_eq!(maint.status.code(), Some(0), "{}", text(&maint));
    assert_eq!(ask(listen, "GET", "/rw/a"), "503");
    let off = swapctl(&["-c", &c, "mode", "normal"]);
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
    assert_eq!(std::fs::read_to_string(&conf).expect("read"), body);
}

#[test]
fn a_change_one_proxy_cannot_take_puts_the_others_back_exactly_and_recover_keeps_the_old_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let _apps = Apps::start(d, &app_ports, 0);
    let (conf_paths, listens, _lbs) = two_nginx_lbs(d, &app_ports);
    let confs: Vec<String> = conf_paths.iter().map(|c| c.display().to_string()).collect();
    let both = ["-c", &confs[0], "-c", &confs[1], "--upstream", "app"];
    let on = swapctl(
        &[
            &both[..],
            &["mode", "read-only", "--message", "Migration A"],
        ]
        .concat(),
    );
    assert_eq!(on.status.code(), Some(0), "{}", text(&on));
    let read_only: Vec<Vec<u8>> = confs
        .iter()
        .map(|c| std::fs::read(c).expect("read"))
        .collect();
    // lb2's master hangs (stopped): it passes the checks, but no reload takes; the change to
    // maintenance fails and lb1 is put back.
    let pid = std::fs::read_to_string(d.join("lb2/nginx.pid")).expect("pid");
    let kill = |sig: &str| {
        let st = std::process::Command::new("kill")
            .args([sig, pid.trim()])
            .status()
            .expect("kill");
        assert!(st.success());
    };
    kill("-STOP");
    let m = swapctl(
        &[
            &both[..],
            &[
                "--drain-timeout",
                "2s",
                "mode",
                "maintenance",
                "--message",
                "Maint B",
            ],
        ]
        .concat(),
    );
    kill("-CONT");
    assert_eq!(m.status.code(), Some(1), "{}", text(&m));
    // lb2's file is put back too; only its reload fails again, and the account says just that.
    assert!(
        text(&m).contains(&format!(
            "{} is back to read-only on disk, but reloading it failed too",
            confs[1]
        )),
        "{}",
        text(&m)
    );
    for (c, before) in confs.iter().zip(&read_only) {
        assert_eq!(
            &std::fs::read(c).expect("read"),
            before,
            "{c} is read-only exactly as before"
        );
    }
    let r = swapctl(&[&both[..], &["recover"]].concat());
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    for (c, before) in confs.iter().zip(&read_only) {
        assert_eq!(
            &std::fs::read(c).expect("read"),
            before,
            "recover kept read-only on {c}"
        );
    }
    assert_eq!(request(listens[0], "POST").0, 503);
    let off = swapctl(&[&both[..], &["mode", "normal"]].concat());
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
}

#[test]
fn a_mode_change_keeps_a_failed_deploy_resumable() {
    let s = nginx_stack(3, 100);
    s.apps.break_port(s.app_ports[0]);
    let out = run(&deploy_args(&s, &["--health-timeout", "1s", "rolling"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let ro = run(&deploy_args(&s, &["mode", "read-only"]));
    assert_eq!(ro.status.code(), Some(0), "{}", text(&ro));
    let st = run(&deploy_args(&s, &["status"]));
    assert_eq!(
        st.status.code(),
        Some(1),
        "the failed deploy still shows: {}",
        text(&st)
    );
    assert!(
        text(&st).contains("last mode change: to read-only"),
        "{}",
        text(&st)
    );
    std::fs::remove_file(s.apps.dir.join(format!("broken-{}", s.app_ports[0]))).expect("fix");
    let r = run(&deploy_args(&s, &["resume"]));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    let off = run(&deploy_args(&s, &["mode", "normal"]));
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
}
