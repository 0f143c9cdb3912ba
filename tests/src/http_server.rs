//! A small real HTTP/1.1 server on a TCP or unix socket whose answers a test scripts per request.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What to do with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this status and body.
    Status(u16, String),
    /// Accept and never answer (until the server stops).
    Stall,
}

/// The request line and headers the server saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request target.
    pub path: String,
    /// Header lines as `name: value`, names lower-cased.
    pub headers: Vec<String>,
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

/// A running server; stops when dropped.
pub struct HttpServer {
    /// `127.0.0.1:PORT`, `[::1]:PORT`, or the socket path.
    pub addr: String,
    stop: Arc<AtomicBool>,
    wake: Wake,
    /// Requests answered or stalled so far.
    pub hits: Arc<AtomicUsize>,
    /// Every request seen.
    pub seen: Arc<std::sync::Mutex<Vec<Seen>>>,
}

enum Wake {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl HttpServer {
    /// Serves on `bind` (such as `127.0.0.1:0` or `[::1]:0`).
    pub fn tcp(
        bind: &str,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> HttpServer {
        let l = TcpListener::bind(bind).expect("bind test server");
        let addr = l.local_addr().expect("addr");
        Self::serve(
            addr.to_string(),
            Wake::Tcp(addr),
            Arc::new(handler),
            move || {
                l.accept().map(|(s, _)| {
                    (
                        Box::new(s.try_clone().expect("clone")) as Box<dyn std::io::Read + Send>,
                        Box::new(s) as Box<dyn Write + Send>,
                    )
                })
            },
        )
    }

    /// Serves on a unix socket at `path`.
    pub fn unix(
        path: &Path,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> HttpServer {
        let l = UnixListener::bind(path).expect("bind unix test server");
        Self::serve(
            path.display().to_string(),
            Wake::Unix(path.to_path_buf()),
            Arc::new(handler),
            move || {
                l.accept().map(|(s, _)| {
                    (
                        Box::new(s.try_clone().expect("clone")) as Box<dyn std::io::Read + Send>,
                        Box::new(s) as Box<dyn Write + Send>,
                    )
                })
            },
        )
    }

    fn serve(
        addr: String,
        wake: Wake,
        handler: Arc<Handler>,
        accept: impl FnMut() -> std::io::Result<(Box<dyn std::io::Read + Send>, Box<dyn Write + Send>)>
            + Send
            + 'static,
    ) -> HttpServer {
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s2, h2, seen2) = (stop.clone(), hits.clone(), seen.clone());
        let mut accept = accept;
        std::thread::spawn(move || loop {
            let Ok((r, mut w)) = accept() else { continue };
            if s2.load(Ordering::SeqCst) {
                return;
            }
            let (handler, hits, stop, seen) =
                (handler.clone(), h2.clone(), s2.clone(), seen2.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(r);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let mut req = Seen {
                        method: parts.next().unwrap_or_default().to_string(),
                        path: parts.next().unwrap_or_default().to_string(),
                        headers: Vec::new(),
                    };
                    let mut close = false;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap_or((&h, ""));
                        let header = format!("{}: {}", k.trim().to_ascii_lowercase(), v.trim());
                        close |= header == "connection: close";
                        req.headers.push(header);
                    }
                    let n = hits.fetch_add(1, Ordering::SeqCst);
                    let reply = handler(n, &req);
                    let head_only = req.method == "HEAD";
                    seen.lock().expect("lock").push(req);
                    match reply {
                        Reply::Stall => {
                            while !stop.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            return;
                        }
                        Reply::Status(code, body) => {
                            let resp = format!(
                                "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{}",
                                body.len(),
                                if head_only { "" } else { body.as_str() }
                            );
                            if w.write_all(resp.as_bytes()).is_err() || close {
                                return;
                            }
                        }
                    }
                }
            });
        });
        HttpServer {
            addr,
            stop,
            wake,
            hits,
            seen,
        }
    }

    /// `http://ADDR` + path, for TCP servers.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        match &self.wake {
            Wake::Tcp(a) => {
                let _ = std::net::TcpStream::connect_timeout(a, Duration::from_millis(200));
            }
            Wake::Unix(p) => {
                let _ = std::os::unix::net::UnixStream::connect(p);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
