//! A test app like the ones we deploy: boots slowly, speaks HTTP/1.1 with keep-alive, answers
//! `/health` (and `/sleeping`: how many `/sleep/MS` requests are in progress), and stops gracefully on SIGTERM (finishes in-flight requests, closes idle connections).
//! Usage: hotswap-testapp PORT RELEASE [--boot MS] [--pidfile F] [--unhealthy] [--stop MS]
//!        [--fail-rate PCT]   (answers 500 to that share of requests other than /health: a bad release)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or_else(|| {
        eprintln!("usage: hotswap-testapp PORT RELEASE [--boot MS] [--pidfile F] [--unhealthy] [--stop MS]");
        std::process::exit(2)
    });
    let release = args.get(2).cloned().unwrap_or_else(|| "1".into());
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let boot = flag("--boot").and_then(|v| v.parse().ok()).unwrap_or(0u64);
    let stop_ms = flag("--stop").and_then(|v| v.parse().ok()).unwrap_or(0u64);
    let unhealthy = args.iter().any(|a| a == "--unhealthy");
    let fail_rate = flag("--fail-rate")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0u64);
    if let Some(p) = flag("--pidfile") {
        let _ = std::fs::write(p, format!("{}\n", std::process::id()));
    }
    let term = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, term.clone());
    std::thread::sleep(Duration::from_millis(boot));
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("testapp: bind {port}: {e}");
            std::process::exit(1)
        }
    };
    let _ = listener.set_nonblocking(true);
    let active = Arc::new(AtomicUsize::new(0));
    while !term.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((s, _)) => {
                let (term, active, release) = (term.clone(), active.clone(), release.clone());
                active.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let _ = serve(s, &term, &release, port, unhealthy, fail_rate);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
    drop(listener);
    // Graceful stop: let connections finish their current request, bounded.
    for _ in 0..500 {
        if active.load(Ordering::SeqCst) == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(stop_ms));
}

/// `/sleep/MS` requests in progress.
static SLEEPING: AtomicUsize = AtomicUsize::new(0);

/// Requests answered (other than /health), for `--fail-rate`.
static SERVED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn serve(
    s: TcpStream,
    term: &AtomicBool,
    release: &str,
    port: u16,
    unhealthy: bool,
    fail_rate: u64,
) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut w = s.try_clone()?;
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        // Idle: wait for the next request, but close once asked to stop.
        loop {
            match r.read_line(&mut line) {
                Ok(0) => return Ok(()),
                Ok(_) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if term.load(Ordering::SeqCst) && line.is_empty() {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        r.get_ref().set_read_timeout(Some(Duration::from_secs(5)))?;
        let http11 = line.contains("HTTP/1.1");
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (mut len, mut close) = (0usize, !http11);
        loop {
            let mut h = String::new();
            if r.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("connection:") {
                close = lower.contains("close");
                if lower.contains("keep-alive") {
                    close = false;
                }
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body)?;
        // `/sleep/MS`: a long request (a report, an upload) that holds its connection;
        // `/sleeping` says how many are in progress, so a test can wait until they arrived.
        if let Some(ms) = path.strip_prefix("/sleep/").and_then(|m| m.parse().ok()) {
            SLEEPING.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(ms));
            SLEEPING.fetch_sub(1, Ordering::SeqCst);
        }
        let stopping = term.load(Ordering::SeqCst);
        let (code, text) = if path == "/sleeping" {
            (200, SLEEPING.load(Ordering::SeqCst).to_string())
        } else if path.starts_with("/health") {
            if unhealthy {
                (503, "unhealthy".to_string())
            } else {
                (200, "ok".to_string())
            }
        } else if SERVED.fetch_add(1, Ordering::SeqCst) % 100 < fail_rate {
            (500, format!("release={release} port={port} failed"))
        } else {
            (
                200,
                format!("release={release} port={port} got={}", body.len()),
            )
        };
        let close = close || stopping;
        let resp = format!(
            "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{text}",
            text.len(),
            if close { "close" } else { "keep-alive" }
        );
        w.write_all(resp.as_bytes())?;
        if close {
            return Ok(());
        }
        r.get_ref()
            .set_read_timeout(Some(Duration::from_millis(20)))?;
    }
}
