//! healthwait against real servers started by the tests.

use hotswap_tests::{free_port, HttpServer, Lines, Reply, TlsNginx};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn hw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthwait"))
        .args(args)
        .output()
        .expect("run healthwait")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok200() -> HttpServer {
    HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "ok".into()))
}

#[test]
fn reports_each_state_change_until_healthy() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/health");
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthwait"))
        .args(["-t", "20s", &url])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = Lines::of(child.stderr.take().expect("stderr"));
    // The server starts once healthwait has found nothing there.
    lines.wait_for("connection refused", Duration::from_secs(20));
    let server = HttpServer::tcp(&format!("127.0.0.1:{port}"), |n, _| {
        if n < 5 {
            Reply::Status(503, "starting".into())
        } else {
            Reply::Status(200, "ok".into())
        }
    });
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    let e = lines.rest();
    let mut lines: Vec<&str> = e.lines().collect();
    assert!(
        lines
            .remove(0)
            .contains(&format!("waiting for {url} to be healthy (up to 20s)")),
        "a line when the wait starts: {e}"
    );
    assert_eq!(lines.len(), 3, "one line per state change: {e}");
    assert!(lines[0].contains("connection refused"), "{e}");
    assert!(lines[1].contains("status 503"), "{e}");
    assert!(lines[2].contains("healthy (status 200)"), "{e}");
    assert!(
        lines.iter().all(|l| l.ends_with("s]")),
        "elapsed time on each line: {e}"
    );
    drop(server);
}

#[test]
fn tcp_targets_and_several_targets_at_once() {
    let a = ok200();
    let port = free_port();
    let o = hw(&["-t", "2s", &format!("tcp://{}", a.addr)]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = hw(&[
        "-t",
        "700ms",
        &a.url("/"),
        &format!("tcp://127.0.0.1:{port}"),
    ]);
    assert_eq!(code(&o), 124, "one of two is down: {}", err(&o));
    assert!(
        err(&o).contains(&format!(
            "tcp://127.0.0.1:{port}: last failure: connection refused"
        )),
        "{}",
        err(&o)
    );
    let b = ok200();
    let o = hw(&["-t", "2s", &a.url("/"), &b.url("/")]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(err(&o).contains("all 2 targets healthy"), "{}", err(&o));
}

#[test]
fn http_over_a_unix_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("puma.sock");
    let server = HttpServer::unix(&sock, |_, req| {
        if req.path == "/health" && req.headers.iter().any(|h| h == "host: app.internal") {
            Reply::Status(200, "up".into())
        } else {
            Reply::Status(404, "no".into())
        }
    });
    let o = hw(&[
        "-t",
        "2s",
        "--unix-socket",
        &sock.display().to_string(),
        "--body",
        "up",
        "http://app.internal/health",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = hw(&[
        "-t",
        "500ms",
        "--unix-socket",
        &dir.path().join("none.sock").display().to_string(),
        "http://x/",
    ]);
    assert_eq!(code(&o), 124);
    assert!(err(&o).contains("does not exist"), "{}", err(&o));
    drop(server);
}

#[test]
fn localhost_tries_ipv4_and_ipv6() {
    let v4 = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, String::new()));
    let port4 = v4.addr.rsplit(':').next().expect("port").to_string();
    let o = hw(&["-t", "2s", &format!("http://localhost:{port4}/")]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("NOTICE: no IPv6 loopback here; skipping the ::1 half");
        return;
    }
    let v6 = HttpServer::tcp("[::1]:0", |_, _| Reply::Status(200, String::new()));
    let port6 = v6.addr.rsplit(':').next().expect("port").to_string();
    let o = hw(&["-t", "2s", &format!("http://localhost:{port6}/")]);
    assert_eq!(code(&o), 0, "only ::1 listens: {}", err(&o));
    let o = hw(&["-t", "2s", &format!("tcp://localhost:{port6}")]);
    assert_eq!(code(&o), 0, "{}", err(&o));
}

#[test]
fn status_method_header_and_body_expectations() {
    let s = HttpServer::tcp("127.0.0.1:0", |_, req| {
        let auth = req.headers.iter().any(|h| h == "x-health-token: s3cret");
        match (req.method.as_str(), req.path.as_str(), auth) {
            ("HEAD", "/head", _) => Reply::Status(204, String::new()),
            (_, "/moved", _) => Reply::Status(301, String::new()),
            (_, "/auth", true) => Reply::Status(200, "ok".into()),
            (_, "/auth", false) => Reply::Status(401, "who".into()),
            (_, "/json", _) => Reply::Status(200, r#"{"status": "up", "db": "ok"}"#.into()),
            _ => Reply::Status(405, String::new()),
        }
    });
    let cases: &[(&[&str], &str, i32)] = &[
        (&[], "/moved", 0),
        (&["--status", "200"], "/moved", 124),
        (&["--status", "200-299,301"], "/moved", 0),
        (&["--method", "HEAD", "--status", "204"], "/head", 0),
        (&[], "/head", 124),
        (&[], "/auth", 124),
        (&["-H", "X-Health-Token: s3cret"], "/auth", 0),
        (&["--body", "\"up\""], "/json", 0),
        (&["--body", "down"], "/json", 124),
        (
            &["--body-regex", r#""status":\s*"up".*"db":\s*"ok""#],
            "/json",
            0,
        ),
        (&["--body-regex", r#""db":\s*"fail""#], "/json", 124),
    ];
    for (flags, path, want) in cases {
        let url = s.url(path);
        let mut args = vec!["-t", "600ms"];
        args.extend_from_slice(flags);
        args.push(&url);
        let o = hw(&args);
        assert_eq!(code(&o), *want, "{args:?}: {}", err(&o));
    }
}

#[test]
fn successes_need_consecutive_rounds_so_flapping_never_passes() {
    let flap = HttpServer::tcp("127.0.0.1:0", |n, _| {
        Reply::Status(if n % 2 == 0 { 200 } else { 500 }, String::new())
    });
    let o = hw(&[
        "-t",
        "1500ms",
        "-i",
        "20ms",
        "--successes",
        "2",
        &flap.url("/"),
    ]);
    assert_eq!(code(&o), 124, "{}", err(&o));
    assert!(flap.hits.load(std::sync::atomic::Ordering::SeqCst) > 10);
    let steady = ok200();
    let o = hw(&[
        "-t",
        "3s",
        "-i",
        "20ms",
        "--successes",
        "3",
        &steady.url("/"),
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(steady.hits.load(std::sync::atomic::Ordering::SeqCst) >= 3);
}

#[test]
fn down_waits_until_the_target_fails() {
    let s = ok200();
    let url = s.url("/");
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthwait"))
        .args(["--down", "-t", "10s", &url])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = Lines::of(child.stderr.take().expect("stderr"));
    // The server goes away once healthwait has seen it up.
    lines.wait_for("status 200", Duration::from_secs(10));
    drop(s);
    let status = child.wait().expect("wait");
    let e = lines.rest();
    assert_eq!(status.code(), Some(0), "{e}");
    // Refused, or reset when a connection was in the closing listener's queue: down either way.
    assert!(e.contains(": down (connection re"), "{e}");
}

#[test]
fn timeout_is_kept_even_against_a_server_that_never_answers() {
    let stall = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Stall);
    let t = Instant::now();
    let o = hw(&["-t", "500ms", &stall.url("/")]);
    let took = t.elapsed();
    assert_eq!(code(&o), 124, "{}", err(&o));
    assert!(
        took < Duration::from_millis(1500),
        "the deadline bounds a stalled attempt: {took:?}"
    );
    assert!(err(&o).contains("no answer within"), "{}", err(&o));
}

#[test]
fn attempt_timeout_moves_past_a_stalled_attempt() {
    let s = HttpServer::tcp("127.0.0.1:0", |n, _| {
        if n == 0 {
            Reply::Stall
        } else {
            Reply::Status(200, String::new())
        }
    });
    let o = hw(&["-t", "5s", "--attempt-timeout", "200ms", &s.url("/")]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(err(&o).contains("no answer within 200ms"), "{}", err(&o));
}

#[test]
fn command_runs_only_after_success_and_its_status_passes_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    let s = ok200();
    let o = hw(&["-t", "2s", &s.url("/"), "--", "sh", "-c", "exit 7"]);
    assert_eq!(code(&o), 7);
    let port = free_port();
    let o = hw(&[
        "-t",
        "300ms",
        &format!("tcp://127.0.0.1:{port}"),
        "--",
        "touch",
        &marker.display().to_string(),
    ]);
    assert_eq!(code(&o), 124);
    assert!(!marker.exists(), "CMD must not run after a timeout");
}

#[test]
fn quiet_and_usage_errors() {
    let port = free_port();
    let o = hw(&["-q", "-t", "200ms", &format!("tcp://127.0.0.1:{port}")]);
    assert_eq!((code(&o), err(&o).as_str()), (124, ""));
    for args in [
        &["not-a-url"][..],
        &["-t", "soon", "http://127.0.0.1:1/"],
        &["--status", "2xx", "http://127.0.0.1:1/"],
        &["--body-regex", "(", "http://127.0.0.1:1/"],
        &["--body", "x", "tcp://127.0.0.1:1"],
        &["-H", "novalue", "http://127.0.0.1:1/"],
        &["--successes", "0", "http://127.0.0.1:1/"],
        &[],
    ] {
        let o = hw(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", err(&o));
        assert!(!err(&o).is_empty());
    }
}

#[test]
fn https_needs_insecure_for_a_certificate_the_system_does_not_trust() {
    let tls = TlsNginx::start("secure ok");
    let url = tls.url();
    let o = hw(&["-t", "5s", "--insecure", "--body", "secure ok", &url]);
    let strict = hw(&["-t", "1s", &url]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        code(&strict),
        124,
        "a certificate from an unknown CA fails without --insecure"
    );
    assert!(
        err(&strict).to_lowercase().contains("certificate") || err(&strict).contains("tls"),
        "{}",
        err(&strict)
    );
}

#[test]
fn a_live_indicator_on_a_terminal_only_and_verbose_shows_every_round() {
    let server = ok200();
    let url = format!("http://{}/", server.addr);
    // Piped: plain lines, no terminal control codes.
    let o = hw(&["-t", "2s", &url]);
    assert_eq!(code(&o), 0);
    assert!(
        !err(&o).contains('\x1b') && !err(&o).contains('\r'),
        "{:?}",
        err(&o)
    );
    // On a terminal (script(1) gives it one), the spinner draws and is cleared.
    let port = free_port();
    let late = format!("http://127.0.0.1:{port}/");
    let tty = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{} -t 20s {late}",
            env!("CARGO_BIN_EXE_healthwait")
        ))
        .arg("/dev/null")
        .stdout(std::process::Stdio::piped())
        .spawn();
    if let Ok(mut tty) = tty {
        let lines = Lines::of(tty.stdout.take().expect("stdout"));
        // The server starts once healthwait is waiting on the terminal.
        lines.wait_for("waiting for", Duration::from_secs(20));
        let _late_server = HttpServer::tcp(&format!("127.0.0.1:{port}"), |_, _| {
            Reply::Status(200, "ok".into())
        });
        let status = tty.wait().expect("wait");
        let shown = lines.rest();
        assert!(status.success(), "{shown}");
        assert!(
            shown.contains("waiting for") && shown.contains('\x1b'),
            "{shown:?}"
        );
    } else {
        eprintln!("NOTICE: script(1) is missing; the terminal half of this test did not run");
    }
    // -v reports every round; -q nothing.
    let o = hw(&["-v", "--successes", "3", "-i", "10ms", "-t", "2s", &url]);
    assert_eq!(code(&o), 0);
    assert!(
        err(&o).matches("healthy (status 200)").count() >= 3,
        "{}",
        err(&o)
    );
    let o = hw(&["-q", "-t", "2s", &url]);
    assert!(err(&o).is_empty());
}
