//! The library API swapctl uses: probes, expectations and a cancellable wait loop.

use healthwait::{wait, Body, Outcome, Probe, ProbeOptions, StatusSet, Target, WaitOptions};
use hotswap_tests::{free_port, HttpServer, Reply};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn probe_and_wait_from_code() {
    let s = HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "ready".into()));
    let probe = Probe::new(
        Target::parse(&s.url("/health")).expect("target"),
        ProbeOptions {
            status: StatusSet::parse("200").expect("status"),
            body: Some(Body::Contains("ready".into())),
            ..Default::default()
        },
    )
    .expect("probe");
    assert_eq!(probe.check(Duration::from_secs(1)), Ok("status 200".into()));
    let mut changes = Vec::new();
    let out = wait(
        &[probe],
        &WaitOptions::default(),
        &AtomicBool::new(false),
        &mut |c| {
            changes.push((c.passing, c.detail.to_string()));
        },
    );
    assert!(matches!(out, Outcome::Passed { .. }));
    assert_eq!(changes, [(true, "status 200".to_string())]);
}

#[test]
fn a_wait_can_be_cancelled_from_another_thread() {
    let port = free_port();
    let probe = Probe::new(
        Target::parse(&format!("tcp://127.0.0.1:{port}")).expect("t"),
        ProbeOptions::default(),
    )
    .expect("p");
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        c2.store(true, Ordering::SeqCst);
    });
    let t = Instant::now();
    let out = wait(
        &[probe],
        &WaitOptions {
            timeout: Duration::from_secs(30),
            ..Default::default()
        },
        &cancel,
        &mut |_| {},
    );
    assert_eq!(out, Outcome::Cancelled);
    assert!(t.elapsed() < Duration::from_secs(10));
}
