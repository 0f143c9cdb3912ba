//! Regression tests for what a hostile review of several proxies, out/in and resume found.

mod common;
use common::*;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_persons_down_line_in_one_proxy_is_left_alone_and_each_proxy_keeps_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(3);
    let apps = Apps::start(d, &app_ports, 0);
    let (confs, _, lbs) = two_nginx_lbs(d, &app_ports);
    // On lb1, a person has marked the third server down; on lb2 it serves.
    let third = format!("server 127.0.0.1:{} max_fails=0;", app_ports[2]);
    let down = format!("server 127.0.0.1:{} max_fails=0 down;", app_ports[2]);
    let text1 = std::fs::read_to_string(&confs[0])
        .expect("read")
        .replace(&third, &down);
    std::fs::write(&confs[0], &text1).expect("write");
    lbs[0].reload_nginx(&confs[0]);
    let originals = [
        std::fs::read(&confs[0]).expect("read"),
        std::fs::read(&confs[1]).expect("read"),
    ];
    let (c1, c2) = (
        confs[0].display().to_string(),
        confs[1].display().to_string(),
    );
    let restart = apps.restart_template();
    let args = [
        "-c",
        &c1,
        "-c",
        &c2,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "rolling",
    ];
    let out = swapctl(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        std::fs::read(&confs[0]).expect("read"),
        originals[0],
        "the person's down line on lb1 is untouched"
    );
    assert_eq!(std::fs::read(&confs[1]).expect("read"), originals[1]);
    // With a second server down on lb1, taking its last one out is refused before anything changes.
    let second = format!("server 127.0.0.1:{} max_fails=0;", app_ports[1]);
    let text1 = text1.replace(
        &second,
        &format!("server 127.0.0.1:{} max_fails=0 down;", app_ports[1]),
    );
    std::fs::write(&confs[0], &text1).expect("write");
    for cmd in [
        &args[..],
        &["-c", &c1, "-c", &c2, "--upstream", "app", "plan", "rolling"],
    ] {
        let out = swapctl(cmd);
        // A safety rule's refusal: exit 4 (refused), before anything changes.
        assert_eq!(out.status.code(), Some(4), "{}", text(&out));
        assert!(
            text(&out).contains("would leave") && text(&out).contains("lb1/nginx.conf"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&confs[0]).expect("read"), text1);
}

#[test]
fn resume_finishes_a_failed_two_server_hot_swap() {
    let s = nginx_stack(2, 100);
    let original = std::fs::read(&s.conf).expect("read");
    s.apps.break_port(s.app_ports[0]);
    let out = run(&deploy_args(&s, &["--health-timeout", "1s", "hot-swap"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    std::fs::remove_file(s.apps.dir.join(format!("broken-{}", s.app_ports[0]))).expect("fix");
    let r = run(&deploy_args(&s, &["resume"]));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
}

#[test]
fn an_interrupted_out_leaves_what_an_earlier_out_took_out() {
    let s = nginx_stack(3, 0);
    let c = s.conf.display().to_string();
    let a = format!("127.0.0.1:{}", s.app_ports[0]);
    let b = format!("127.0.0.1:{}", s.app_ports[1]);
    let out = swapctl(&["-c", &c, "out", &a]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Long requests keep the old worker, so the second `out` is still draining when Ctrl-C comes.
    let slow = slow_requests(s.listen, 2, 3000);
    wait_sleeping(&s.app_ports, 2);
    let child = Command::new(bin("swapctl"))
        .args(["-c", &c, "out", &b])
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("spawn");
    let state_of = |addr: &str| {
        proxyconf::Config::load(&s.conf, None).ok().and_then(|cfg| {
            cfg.servers
                .iter()
                .find(|x| x.address == addr)
                .map(|x| x.state)
        })
    };
    // The edit is in the file: swapctl is reloading or draining.
    wait_until("the second out's edit", Duration::from_secs(30), || {
        state_of(&b) == Some(proxyconf::State::Disabled)
    });
    let _ = Command::new("kill")
        .args(["-s", "INT", "--", &format!("-{}", child.id())])
        .status();
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    let cfg = proxyconf::Config::load(&s.conf, None).expect("config");
    let state = |addr: &str| {
        cfg.servers
            .iter()
            .find(|x| x.address == addr)
            .map(|x| x.state)
    };
    assert_eq!(
        state(&a),
        Some(proxyconf::State::Disabled),
        "the earlier out stays"
    );
    assert_eq!(
        state(&b),
        Some(proxyconf::State::Enabled),
        "the interrupted one is back"
    );
    for t in slow {
        let _ = t.join();
    }
}

#[test]
fn a_health_url_that_cannot_be_parsed_is_refused_by_plan() {
    let s = nginx_stack(2, 0);
    let c = s.conf.display().to_string();
    let out = swapctl(&[
        "-c",
        &c,
        "--health",
        "htp://{address}/health",
        "plan",
        "rolling",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("htp"), "{}", text(&out));
}

#[test]
fn the_proxys_connections_through_another_upstream_do_not_hold_the_drain() {
    let s = nginx_stack(3, 0);
    // A second upstream holds keep-alive connections to the same first server.
    let body = std::fs::read_to_string(&s.conf).expect("read");
    let body = body
        .replace(
            "    server {\n",
            &format!(
                "    upstream other {{\n        server 127.0.0.1:{};\n        keepalive 8;\n    }}\n    server {{\n",
                s.app_ports[0]
            ),
        )
        .replace(
            "        location / {\n",
            "        location /o {\n            proxy_pass http://other;\n            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n        }\n        location / {\n",
        );
    std::fs::write(&s.conf, &body).expect("write");
    s._nginx.reload_nginx(&s.conf);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop2, port) = (stop.clone(), s.listen);
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let answered2 = answered.clone();
    let traffic = std::thread::spawn(move || {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut buf = [0u8; 4096];
        while !stop2.load(std::sync::atomic::Ordering::SeqCst) {
            if c.write_all(b"GET /o HTTP/1.1\r\nHost: x\r\n\r\n").is_err()
                || c.read(&mut buf).unwrap_or(0) == 0
            {
                match std::net::TcpStream::connect(("127.0.0.1", port)) {
                    Ok(n) => c = n,
                    Err(_) => break,
                }
            } else {
                answered2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    // The other upstream's keep-alive connections exist once its requests are answered.
    wait_until(
        "requests through the other upstream",
        Duration::from_secs(30),
        || answered.load(std::sync::atomic::Ordering::SeqCst) >= 5,
    );
    let c = s.conf.display().to_string();
    let a = format!("127.0.0.1:{}", s.app_ports[0]);
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--drain-timeout",
        "3s",
        "out",
        &a,
    ]);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = traffic.join();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn one_config_under_two_spellings_is_one_proxy_and_a_garbled_journal_blocks_nothing() {
    let s = nginx_stack(2, 0);
    let c = s.conf.display().to_string();
    let other = s
        .conf
        .parent()
        .expect("dir")
        .join(".")
        .join("nginx.conf")
        .display()
        .to_string();
    let plan = swapctl(&["-c", &c, "-c", &other, "--json", "plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let doc: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("json");
    assert_eq!(doc["proxies"].as_array().map(Vec::len), Some(1));
    let a = format!("127.0.0.1:{}", s.app_ports[0]);
    let out = swapctl(&["-c", &c, "-c", &other, "out", &a]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal = s.conf.with_file_name(".nginx.conf.swapctl.json");
    std::fs::write(&journal, "garbage").expect("write");
    let st = swapctl(&["-c", &c, "status"]);
    assert_eq!(st.status.code(), Some(1), "{}", text(&st));
    assert!(text(&st).contains("move it aside"), "{}", text(&st));
    let r = swapctl(&["-c", &c, "recover"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(enabled_count(&s.conf), 2);
}

/// `resume` with only -c and --upstream takes the deploy's own commands and settings from its
/// journal; a journal others could have written is refused, since resume runs its commands.
#[test]
fn resume_reuses_the_journals_commands_and_refuses_a_writable_journal() {
    use std::os::unix::fs::PermissionsExt;
    let s = nginx_stack(2, 100);
    let original = std::fs::read(&s.conf).expect("read");
    s.apps.break_port(s.app_ports[0]);
    let out = run(&deploy_args(&s, &["--health-timeout", "1s", "hot-swap"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    std::fs::remove_file(s.apps.dir.join(format!("broken-{}", s.app_ports[0]))).expect("fix");
    let c = s.conf.display().to_string();
    let bare = ["-c", c.as_str(), "--upstream", "app", "resume"];
    let journal = s.conf.with_file_name(".nginx.conf.swapctl.json");
    std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let r = swapctl(&bare);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(text(&r).contains("chmod go-w"), "{}", text(&r));
    assert_eq!(enabled_count(&s.conf), 1, "nothing changed");
    // Given as flags, the commands need nothing from it: resume goes on, with a note.
    let restart = s.apps.restart_template();
    let flags = [
        "--restart",
        restart.as_str(),
        "--health",
        "http://{address}/health",
    ];
    let r = swapctl(&[&bare[..4], &flags[..], &["resume"]].concat());
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert!(
        text(&r).contains("going by the flags given alone"),
        "{}",
        text(&r)
    );
    std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let r = swapctl(&bare);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
}

/// The deploy's --health-* expectations are in the journal too: a bare `resume` keeps them, a
/// flag given to it replaces them.
#[test]
fn resume_keeps_the_deploys_health_expectations_unless_told_otherwise() {
    let s = nginx_stack(2, 100);
    let original = std::fs::read(&s.conf).expect("read");
    // The app's /health says "ok": this expectation fails the first restart.
    let out = run(&deploy_args(
        &s,
        &[
            "--health-body",
            "degraded",
            "--health-timeout",
            "500ms",
            "hot-swap",
        ],
    ));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let c = s.conf.display().to_string();
    let bare = [
        "-c",
        c.as_str(),
        "--upstream",
        "app",
        "--health-timeout",
        "500ms",
        "resume",
    ];
    let r = swapctl(&bare);
    assert_eq!(
        r.status.code(),
        Some(1),
        "kept the expectation: {}",
        text(&r)
    );
    let r = swapctl(&[&bare[..4], &["--health-body", "ok", "resume"]].concat());
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
}

/// Two upstreams share a server: without --upstream, `out`, `status` and `in` act on every
/// upstream that holds it, as upstream-toggle does.
#[test]
fn out_status_and_in_act_on_every_upstream_without_upstream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(3);
    let _apps = Apps::start(d, &app_ports, 0);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    let body = std::fs::read_to_string(&conf).expect("read").replace(
        "    server {\n",
        &format!(
            "    upstream api {{\n        server 127.0.0.1:{};\n        server 127.0.0.1:{};\n    }}\n    server {{\n        location /api/ {{ proxy_pass http://api; }}\n",
            app_ports[0], app_ports[2]
        ),
    );
    std::fs::write(&conf, &body).expect("write");
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let c = conf.display().to_string();
    let shared = format!("127.0.0.1:{}", app_ports[0]);
    let out = swapctl(&["-c", &c, "out", &shared]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cfg = proxyconf::Config::load(&conf, None).expect("config");
    let disabled: Vec<&str> = cfg
        .servers
        .iter()
        .filter(|s| s.state == proxyconf::State::Disabled)
        .map(|s| cfg.upstream_of(s).name.as_str())
        .collect();
    assert_eq!(disabled, ["app", "api"], "out in both upstreams");
    let st = swapctl(&["-c", &c, "status"]);
    assert_eq!(st.status.code(), Some(0), "{}", text(&st));
    assert!(
        text(&st).contains("live state of app") && text(&st).contains("live state of api"),
        "{}",
        text(&st)
    );
    let back = swapctl(&["-c", &c, "in", &shared]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    assert_eq!(std::fs::read_to_string(&conf).expect("read"), body);
}
