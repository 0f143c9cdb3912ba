//! Canary deploys with an error-rate gate: a release that fails a share of its requests is
//! rolled back on the canary and no other server is restarted; a good one deploys everywhere.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;

fn release_of(port: u16) -> String {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.write_all(b"GET /work HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.split("\r\n\r\n")
        .nth(1)
        .and_then(|b| b.split_whitespace().next())
        .unwrap_or_default()
        .to_string()
}

fn pid_of(dir: &Path, port: u16) -> String {
    std::fs::read_to_string(dir.join(format!("app-{port}.pid"))).unwrap_or_default()
}

/// nginx writing its access log in swapctl's format.
fn with_access_log(s: &Stack) -> Vec<u8> {
    let log = s.conf.with_file_name("swapctl.log");
    let body = std::fs::read_to_string(&s.conf).expect("read").replace(
        "    access_log off;\n",
        &format!(
            "    log_format swapctl '$msec|$status|$upstream_addr|$upstream_status';\n    access_log {} swapctl;\n",
            log.display()
        ),
    );
    std::fs::write(&s.conf, &body).expect("write");
    s._nginx.reload_nginx(&s.conf);
    assert!(log.is_file(), "nginx opened {}", log.display());
    body.into_bytes()
}

fn gate(s_apps: &Apps) -> Vec<String> {
    [
        "rolling",
        "--canary",
        "1",
        "--observe",
        "2s",
        "--max-error-rate",
        "5",
        "--min-requests",
        "20",
        "--rollback",
        &s_apps.rollback_template(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect()
}

fn bad_release_is_rolled_back(s: &Stack, original: &[u8]) {
    s.apps.bad_release(50);
    let others: Vec<String> = s.app_ports[1..]
        .iter()
        .map(|p| pid_of(&s.apps.dir, *p))
        .collect();
    let load = Load::start(s.listen, 4);
    let g = gate(&s.apps);
    let out = run(&deploy_args(
        s,
        &g.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let _ = load.finish();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("canary failed") && t.contains("limit 5%"), "{t}");
    assert!(t.contains("no other server was restarted"), "{t}");
    let now: Vec<String> = s.app_ports[1..]
        .iter()
        .map(|p| pid_of(&s.apps.dir, *p))
        .collect();
    assert_eq!(now, others, "no other server was restarted");
    for p in &s.app_ports {
        assert_eq!(release_of(*p), "release=1", "port {p}");
    }
    assert_eq!(
        std::fs::read(&s.conf).expect("read"),
        original,
        "all back in rotation"
    );
    let st = run(&deploy_args(s, &["status"]));
    assert!(text(&st).contains("ROLLED-BACK"), "{}", text(&st));
    let r = run(&deploy_args(s, &["resume"]));
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
}

#[test]
fn nginx_a_bad_release_is_rolled_back_on_the_canary_only() {
    let s = nginx_stack(3, 100);
    let original = with_access_log(&s);
    bad_release_is_rolled_back(&s, &original);
}

#[test]
fn nginx_a_good_release_passes_the_gate_and_deploys_everywhere() {
    let s = nginx_stack(3, 100);
    let original = with_access_log(&s);
    let load = Load::start(s.listen, 4);
    let g = gate(&s.apps);
    let out = run(&deploy_args(
        &s,
        &g.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let r = load.finish();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("canary passed"), "{t}");
    assert_eq!(r.failed(), 0, "{r:?}");
    for p in &s.app_ports {
        assert_eq!(release_of(*p), "release=2", "port {p}");
    }
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
}

#[test]
fn haproxy_a_bad_release_is_rolled_back_by_its_counters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(3);
    let listen = free_port();
    let conf = haproxy_fixture(d, listen, &app_ports, "");
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 100);
    let haproxy = Proxy::haproxy(&conf, &d.join("haproxy.pid"), listen);
    let s = Stack {
        _nginx: haproxy,
        apps,
        conf,
        listen,
        app_ports,
        _dir: dir,
    };
    bad_release_is_rolled_back(&s, &original);
}

#[test]
fn the_gate_is_checked_before_anything_changes() {
    let s = nginx_stack(3, 0);
    // No access log in swapctl's format: refused, with the log_format to add.
    let out = run(&deploy_args(
        &s,
        &[
            "rolling",
            "--canary",
            "1",
            "--observe",
            "1s",
            "--max-error-rate",
            "5",
        ],
    ));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("log_format swapctl"), "{}", text(&out));
    let plan = run(&deploy_args(
        &s,
        &[
            "plan",
            "rolling",
            "--canary",
            "3",
            "--observe",
            "1s",
            "--max-error-rate",
            "5",
        ],
    ));
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
}

#[test]
fn an_unjudged_canary_never_lets_resume_deploy_the_rest() {
    let s = nginx_stack(3, 0);
    with_access_log(&s);
    // No traffic at all: the gate sees nothing, and the deploy stops.
    let mut g = gate(&s.apps);
    g.extend(["--observe-max".to_string(), "3s".to_string()]);
    let out = run(&deploy_args(
        &s,
        &g.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no request reached"), "{}", text(&out));
    let r = run(&deploy_args(&s, &["resume"]));
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(
        text(&r).contains("canary gate did not pass"),
        "{}",
        text(&r)
    );
    // Nothing seen never passes, even with --min-requests 0 or --on-unjudged proceed.
    let s2 = nginx_stack(3, 0);
    with_access_log(&s2);
    let mut g = gate(&s2.apps);
    let at = g
        .iter()
        .position(|a| a == "--min-requests")
        .expect("in the gate");
    g[at + 1] = "0".into();
    g.extend(["--on-unjudged".to_string(), "proceed".to_string()]);
    let blind = run(&deploy_args(
        &s2,
        &g.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_eq!(blind.status.code(), Some(1), "{}", text(&blind));
    assert!(
        text(&blind).contains("no request reached"),
        "{}",
        text(&blind)
    );
    // --canary is for rolling only.
    let hs = run(&deploy_args(
        &s,
        &[
            "plan",
            "hot-swap",
            "--canary",
            "1",
            "--observe",
            "1s",
            "--max-error-rate",
            "5",
        ],
    ));
    assert_eq!(hs.status.code(), Some(2), "{}", text(&hs));
}

/// One request every `every` through the proxy on `port` until dropped: the low traffic of a
/// quiet hour, where a window sees a handful of requests.
struct Trickle {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Trickle {
    fn start(port: u16, every: std::time::Duration) -> Trickle {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = release_of(port);
                // The pace of the traffic, not a wait for something to happen.
                std::thread::sleep(every);
            }
        });
        Trickle {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Trickle {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn trickle_gate(s: &Stack, extra: &[&str]) -> std::process::Output {
    let rollback = s.apps.rollback_template();
    let mut args = vec![
        "rolling",
        "--canary",
        "1",
        "--observe",
        "1s",
        "--max-error-rate",
        "5",
        "--min-requests",
        "50",
        "--rollback",
        &rollback,
    ];
    args.extend_from_slice(extra);
    run(&deploy_args(s, &args))
}

#[test]
fn a_trickle_to_a_failing_canary_fails_the_gate_before_min_requests() {
    let s = nginx_stack(3, 0);
    let original = with_access_log(&s);
    s.apps.bad_release(100);
    let others: Vec<String> = s.app_ports[1..]
        .iter()
        .map(|p| pid_of(&s.apps.dir, *p))
        .collect();
    let trickle = Trickle::start(s.listen, std::time::Duration::from_millis(300));
    // Three errors exceed what 5% allows over 50 requests: no need to wait for 50.
    let out = trickle_gate(&s, &["--observe-max", "5m"]);
    drop(trickle);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("canary failed"), "{t}");
    let now: Vec<String> = s.app_ports[1..]
        .iter()
        .map(|p| pid_of(&s.apps.dir, *p))
        .collect();
    assert_eq!(now, others, "no other server was restarted");
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
}

#[test]
fn a_window_that_stays_unjudged_stops_unless_asked_to_proceed() {
    for (extra, code) in [
        (&["--observe-max", "2s"][..], 1),
        (&["--observe-max", "2s", "--on-unjudged", "proceed"][..], 0),
    ] {
        let s = nginx_stack(3, 0);
        with_access_log(&s);
        let trickle = Trickle::start(s.listen, std::time::Duration::from_millis(300));
        let out = trickle_gate(&s, extra);
        drop(trickle);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(code), "{extra:?}: {t}");
        assert!(
            t.contains("cannot judge") && t.contains("with 0 error(s)"),
            "{extra:?}: shows what it saw: {t}"
        );
        let deployed = s
            .app_ports
            .iter()
            .filter(|p| release_of(**p) == "release=2")
            .count();
        assert_eq!(deployed, if code == 0 { 3 } else { 1 }, "{extra:?}: {t}");
    }
}
