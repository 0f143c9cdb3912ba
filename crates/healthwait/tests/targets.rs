//! TARGET forms as operators write them, with real servers: bare HOST:PORT, unix:/PATH,
//! http+unix:// URLs, credentials that are never printed, `-t 0`, `--expect-header`, `--cacert`.

use hotswap_tests::{free_port, HttpServer, Reply};
use std::process::{Command, Output};
use std::time::Duration;

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

#[test]
fn a_bare_host_port_is_tcp_and_ports_are_range_checked() {
    let s = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "ok".into()));
    let o = hw(&["-t", "2s", &s.addr]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        err(&o).contains(&format!("tcp://{}", s.addr)),
        "{}",
        err(&o)
    );
    for bad in [
        "127.0.0.1:70000",
        "http://127.0.0.1:70000/",
        "tcp://127.0.0.1:0",
    ] {
        let o = hw(&["-t", "1s", bad]);
        assert_eq!(code(&o), 2, "{bad}: {}", err(&o));
    }
    let o = hw(&["-t", "1s", "127.0.0.1:70000"]);
    assert!(err(&o).contains("out of range"), "{}", err(&o));
}

#[test]
fn unix_sockets_as_connect_targets_and_as_http_urls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.sock");
    let b = dir.path().join("b.sock");
    let _sa = HttpServer::unix(&a, |_, r| {
        Reply::Status(if r.path == "/okcomputer" { 200 } else { 404 }, "a".into())
    });
    let _sb = HttpServer::unix(&b, |_, r| {
        Reply::Status(if r.path == "/okcomputer" { 200 } else { 404 }, "b".into())
    });
    let enc = |p: &std::path::Path| p.display().to_string().replace('/', "%2F");
    let ua = format!("http+unix://{}/okcomputer", enc(&a));
    let ub = format!("http+unix://{}/okcomputer", enc(&b));
    let o = hw(&["-t", "2s", &ua, &ub]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = hw(&["-t", "2s", &format!("unix:{}", a.display())]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let wrong = format!("http+unix://{}/nope", enc(&a));
    let o = hw(&["-t", "300ms", &wrong]);
    assert_eq!(
        code(&o),
        124,
        "the socket's real path was reached: {}",
        err(&o)
    );
    assert!(err(&o).contains("status 404"), "{}", err(&o));
    let o = hw(&[
        "-t",
        "300ms",
        &format!("unix:{}", dir.path().join("none.sock").display()),
    ]);
    assert_eq!(code(&o), 124);
    assert!(err(&o).contains("does not exist"), "{}", err(&o));
}

#[test]
fn credentials_are_sent_and_never_printed() {
    let s = HttpServer::tcp("127.0.0.1:0", |_, r| {
        // "ops:s3cret" in base64.
        let authed = r
            .headers
            .iter()
            .any(|h| h == "authorization: Basic b3BzOnMzY3JldA==");
        Reply::Status(if authed { 200 } else { 401 }, "x".into())
    });
    let url = format!("http://ops:s3cret@{}/health", s.addr);
    let o = hw(&["-t", "2s", &url]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = hw(&[
        "-t",
        "300ms",
        &format!("http://ops:wrong-s3cret@{}/health", s.addr),
    ]);
    assert_eq!(code(&o), 124);
    let text = err(&o);
    assert!(text.contains("status 401"), "{text}");
    assert!(!text.contains("s3cret") && !text.contains("ops:"), "{text}");
}

#[test]
fn timeout_zero_means_no_deadline() {
    let port = free_port();
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        HttpServer::tcp(&format!("127.0.0.1:{port}"), |_, _| {
            Reply::Status(200, "ok".into())
        })
    });
    let o = hw(&["-t", "0", &format!("http://127.0.0.1:{port}/")]);
    let _server = starter.join().expect("join");
    assert_eq!(code(&o), 0, "{}", err(&o));
}

#[test]
fn expect_header_checks_a_response_header() {
    let s = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "ok".into()));
    let url = format!("http://{}/", s.addr);
    let o = hw(&[
        "-t",
        "2s",
        "--expect-header",
        "Content-Type: ^text/plain",
        &url,
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = hw(&["-t", "300ms", "--expect-header", "content-type: json", &url]);
    assert_eq!(code(&o), 124);
    assert!(err(&o).contains("does not match"), "{}", err(&o));
    let o = hw(&["-t", "300ms", "--expect-header", "X-Release: 2", &url]);
    assert!(err(&o).contains("no x-release header"), "{}", err(&o));
    let o = hw(&["--expect-header", "nocolon", &url]);
    assert_eq!(code(&o), 2);
}

#[test]
fn cacert_trusts_a_private_ca() {
    let tls = hotswap_tests::TlsNginx::start("private ok");
    let url = tls.url();
    let ca = tls.ca.display().to_string();
    let trusted = hw(&["-t", "5s", "--cacert", &ca, "--body", "private ok", &url]);
    let system = hw(&["-t", "1s", &url]);
    let missing = hw(&["-t", "1s", "--cacert", "/nonexistent/ca.pem", &url]);
    assert_eq!(code(&trusted), 0, "{}", err(&trusted));
    assert_eq!(
        code(&system),
        124,
        "the private CA is not in the system store"
    );
    assert_eq!(code(&missing), 2, "{}", err(&missing));
}
