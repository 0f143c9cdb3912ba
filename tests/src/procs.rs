//! Real proxy and app processes for end-to-end tests, and a keep-alive load generator (half POST).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A workspace binary from the same target directory as the running test.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let p = dir.join(name);
    assert!(
        p.is_file(),
        "{} is missing: run `cargo build --workspace --bins` (scripts/test does)",
        p.display()
    );
    p
}

/// Waits until `ok()` holds, polling every 10 ms; panics naming `what` after `timeout`. Tests wait
/// for conditions this way, never for a fixed time after an asynchronous step.
pub fn wait_until(what: &str, timeout: Duration, ok: impl FnMut() -> bool) {
    assert!(
        holds_within(timeout, ok),
        "timed out after {timeout:?} waiting for {what}"
    );
}

/// Whether `ok()` comes to hold within `timeout`, polling every 10 ms (for clean-up, where a
/// panic would be worse than going on).
pub fn holds_within(timeout: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while !ok() {
        if t.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(100)).is_ok()
}

fn pid_of(pidfile: &Path) -> Option<i32> {
    std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()
}

/// The children of `pid` (a proxy master's workers), read from /proc.
pub fn children(pid: i32) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            // The ppid is the second field after the parenthesised command name.
            stat.rsplit_once(") ")
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok())
                == Some(pid)
        })
        .collect()
}

/// Whether `pid` is a live process (not a zombie).
pub fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn kill(pid: i32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status();
}

/// A daemonised proxy (nginx, or haproxy in master-worker mode) stopped on drop.
pub struct Proxy {
    /// Its pid file.
    pub pidfile: PathBuf,
}

impl Proxy {
    /// Starts nginx with `conf` (which must set `pid` to `pidfile`) and waits for `port`.
    pub fn nginx(conf: &Path, pidfile: &Path, port: u16) -> Proxy {
        let out = Command::new(crate::require("nginx"))
            .args(["-e", "stderr", "-c"])
            .arg(conf)
            .output()
            .expect("start nginx");
        assert!(
            out.status.success(),
            "nginx failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let p = Proxy {
            pidfile: pidfile.to_path_buf(),
        };
        // The master listens and writes its pid before it forks a worker: a reload sent
        // before the first worker runs would be mistaken for that worker's start.
        wait_until(
            "nginx and its first worker",
            Duration::from_secs(10),
            || port_open(port) && pid_of(pidfile).is_some() && !p.workers().is_empty(),
        );
        p
    }

    /// Starts haproxy -W -D -p pidfile -f conf and waits for `port`.
    pub fn haproxy(conf: &Path, pidfile: &Path, port: u16) -> Proxy {
        let out = Command::new(crate::require("haproxy"))
            .args(["-W", "-D", "-p"])
            .arg(pidfile)
            .arg("-f")
            .arg(conf)
            .current_dir(conf.parent().unwrap_or(Path::new("/")))
            .output()
            .expect("start haproxy");
        assert!(
            out.status.success(),
            "haproxy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let p = Proxy {
            pidfile: pidfile.to_path_buf(),
        };
        wait_until("haproxy", Duration::from_secs(10), || {
            port_open(port) && pid_of(pidfile).is_some()
        });
        p
    }

    /// The master's pid.
    pub fn pid(&self) -> i32 {
        pid_of(&self.pidfile).expect("pid")
    }

    /// The master's live workers.
    pub fn workers(&self) -> Vec<i32> {
        children(self.pid())
            .into_iter()
            .filter(|&p| alive(p))
            .collect()
    }

    /// `nginx -s reload -c conf`, then waits until a worker of the new generation runs (the
    /// master has read the new config and opened its logs) and the old ones have exited (no
    /// request is served by the old config any more): the signal alone is asynchronous.
    pub fn reload_nginx(&self, conf: &Path) {
        let mut old = Vec::new();
        wait_until("nginx's current workers", Duration::from_secs(10), || {
            old = self.workers();
            !old.is_empty()
        });
        let st = Command::new(crate::require("nginx"))
            .args(["-s", "reload", "-c"])
            .arg(conf)
            .status()
            .expect("nginx -s reload");
        assert!(st.success(), "nginx -s reload failed");
        self.wait_new_workers(&old, "nginx's new workers after a reload");
        wait_until(
            "nginx's old workers to exit after a reload",
            Duration::from_secs(20),
            || old.iter().all(|&p| !alive(p)),
        );
    }

    /// SIGUSR2 to a haproxy master (-W), once it catches that signal (a master still starting
    /// ignores it, and the reload would be lost), then waits until a new worker runs.
    pub fn reload_haproxy(&self) {
        let pid = self.pid();
        wait_until(
            "haproxy's master to catch SIGUSR2",
            Duration::from_secs(10),
            || {
                std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .unwrap_or_default()
                    .lines()
                    .find_map(|l| l.strip_prefix("SigCgt:"))
                    .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
                    .is_some_and(|m| m & (1 << 11) != 0)
            },
        );
        let old = self.workers();
        kill(pid, "USR2");
        self.wait_new_workers(&old, "haproxy's new worker after a reload");
    }

    /// Waits until the master runs a worker that is not in `old`.
    pub fn wait_new_workers(&self, old: &[i32], what: &str) {
        wait_until(what, Duration::from_secs(20), || {
            self.workers().iter().any(|w| !old.contains(w))
        });
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(pid) = pid_of(&self.pidfile) {
            kill(pid, "TERM");
            if !holds_within(Duration::from_secs(5), || !alive(pid)) {
                kill(pid, "KILL");
            }
        }
    }
}

/// Test app instances in `dir`, one pid file per port; all killed on drop.
pub struct Apps {
    /// Where the pid files and the restart script live.
    pub dir: PathBuf,
}

impl Apps {
    /// Writes `restart.sh PORT` (stop gracefully, start the next release with a slow boot) and
    /// starts release 1 on every port.
    pub fn start(dir: &Path, ports: &[u16], boot_ms: u64) -> Apps {
        let app = bin("hotswap-testapp");
        let script = format!(
            "#!/bin/sh\n# restart.sh PORT: graceful stop, then start the next release (or a broken one if $DIR/broken-PORT exists)\n\
             set -e\nport=$1\ndir={d}\npidf=$dir/app-$port.pid\nrel=${{RELEASE:-$(cat $dir/release 2>/dev/null || echo 2)}}\n\
             if [ -f $pidf ]; then pid=$(cat $pidf); kill -TERM $pid 2>/dev/null || true\n\
               while [ -e /proc/$pid ] && ! grep -q ') Z' /proc/$pid/stat 2>/dev/null; do sleep 0.005; done; fi\n\
             extra=\nif [ -f $dir/broken-$port ]; then extra=--unhealthy; fi\n\
             if [ -f $dir/fail-rate ] && [ \"$rel\" != 1 ]; then extra=\"$extra --fail-rate $(cat $dir/fail-rate)\"; fi\n\
             boot={boot_ms}; [ \"$rel\" = 1 ] && boot=0\n\
             nohup {app} $port $rel --boot $boot --pidfile $pidf $extra >/dev/null 2>&1 &\n",
            d = dir.display(),
            app = app.display()
        );
        let path = dir.join("restart.sh");
        std::fs::write(&path, script).expect("write restart.sh");
        let _ = Command::new("chmod").arg("+x").arg(&path).status();
        // Release 1 starts through the same script, detached, so the test does not own (or reap) it.
        std::fs::write(dir.join("release"), "1").expect("write");
        for &p in ports {
            // Through sh, which only reads the script: exec'ing a file just written fails with
            // ETXTBSY while a child another test thread forked still holds the write descriptor.
            let st = Command::new("sh")
                .arg(&path)
                .arg(p.to_string())
                .status()
                .expect("start app");
            assert!(st.success());
        }
        std::fs::write(dir.join("release"), "2").expect("write");
        for &p in ports {
            wait_until("app", Duration::from_secs(10), || port_open(p));
        }
        Apps {
            dir: dir.to_path_buf(),
        }
    }

    /// The `--restart` template that runs the script.
    pub fn restart_template(&self) -> String {
        format!("{}/restart.sh {{port}}", self.dir.display())
    }

    /// Makes every release but the first answer 500 to `pct`% of requests (a bad release that
    /// still passes its health check).
    pub fn bad_release(&self, pct: u64) {
        std::fs::write(self.dir.join("fail-rate"), pct.to_string()).expect("write");
    }

    /// The `--rollback` template: restart on release 1.
    pub fn rollback_template(&self) -> String {
        format!("RELEASE=1 {}/restart.sh {{port}}", self.dir.display())
    }

    /// The pid of each port's app as its pid file names it ("" when there is none).
    pub fn pids(&self, ports: &[u16]) -> Vec<String> {
        ports
            .iter()
            .map(|p| {
                std::fs::read_to_string(self.dir.join(format!("app-{p}.pid")))
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
            .collect()
    }

    /// Waits until a restart has started a new release on one of `ports` (its pid file changed
    /// from `before`), and returns that port.
    pub fn wait_restart_started(&self, ports: &[u16], before: &[String]) -> u16 {
        let mut started = None;
        wait_until(
            "a restart to start a new release",
            Duration::from_secs(30),
            || {
                let now = self.pids(ports);
                started = (0..ports.len()).find(|&i| now[i] != before[i]);
                started.is_some()
            },
        );
        started.map(|i| ports[i]).unwrap_or_default()
    }

    /// Waits until no restart script of these apps is running (one orphaned by a killed swapctl
    /// goes on in its own process group) and every app answers. A swapctl killed between forking
    /// the script and its exec leaves a child that still looks like swapctl: that counts too.
    pub fn wait_restarts_done(&self, ports: &[u16]) {
        let script = self.dir.join("restart.sh").display().to_string();
        let dir = self.dir.display().to_string();
        let swapctl = bin("swapctl").display().to_string();
        wait_until(
            "the restart scripts to finish",
            Duration::from_secs(30),
            || {
                let Ok(rd) = std::fs::read_dir("/proc") else {
                    return true;
                };
                !rd.flatten().any(|e| {
                    std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                        let c = String::from_utf8_lossy(&c);
                        c.contains(&script) || (c.starts_with(&swapctl) && c.contains(&dir))
                    })
                })
            },
        );
        wait_apps_up(ports);
    }

    /// Makes the next restart of `port` start an unhealthy release.
    pub fn break_port(&self, port: u16) {
        std::fs::write(self.dir.join(format!("broken-{port}")), "").expect("write");
    }
}

impl Drop for Apps {
    fn drop(&mut self) {
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("app-") && n.ends_with(".pid") {
                    if let Some(pid) = pid_of(&e.path()) {
                        kill(pid, "KILL");
                    }
                }
            }
        }
    }
}

/// Waits until every app answers on its port (a release that was booting is up).
pub fn wait_apps_up(ports: &[u16]) {
    wait_until("every app to answer", Duration::from_secs(30), || {
        ports.iter().all(|&p| port_open(p))
    });
}

/// How many `/sleep/MS` requests the test app on `port` is serving now.
pub fn sleeping(port: u16) -> usize {
    let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = c.write_all(b"GET /sleeping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.split("\r\n\r\n")
        .nth(1)
        .and_then(|b| b.trim().parse().ok())
        .unwrap_or(0)
}

/// `n` requests of `ms` milliseconds each (`/sleep/MS`) through the proxy on `port`, each on
/// its own connection, in threads that end when the answers do.
pub fn slow_requests(port: u16, n: usize, ms: u64) -> Vec<std::thread::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                let req =
                    format!("GET /sleep/{ms} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let _ = c.write_all(req.as_bytes());
                let mut sink = Vec::new();
                let _ = c.read_to_end(&mut sink);
            })
        })
        .collect()
}

/// One command on a haproxy admin socket at `sock` and its answer (empty when none answers).
pub fn haproxy_admin(sock: &Path, cmd: &str) -> String {
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(sock) else {
        return String::new();
    };
    let _ = s.write_all(format!("{cmd}\n").as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Waits until the apps on `ports` serve `n` long requests between them (they have arrived).
pub fn wait_sleeping(ports: &[u16], n: usize) {
    wait_until(
        "the long requests to reach the apps",
        Duration::from_secs(30),
        || ports.iter().map(|&p| sleeping(p)).sum::<usize>() >= n,
    );
}

/// Counts from a load run.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    /// 2xx answers.
    pub ok: u64,
    /// Non-2xx answers (a 502 from the proxy is one).
    pub non_2xx: u64,
    /// Requests that got no answer even after a retry on a fresh connection.
    pub errors: u64,
    /// Why they got none (distinct reasons, for the failure message).
    pub error_reasons: Vec<String>,
    /// Requests retried once on a fresh connection because the proxy had closed the reused
    /// keep-alive connection before answering (what browsers and HTTP libraries do); not failures.
    pub retried: u64,
    /// Bodies seen, by release (`release=N`).
    pub releases: Vec<String>,
}

impl LoadReport {
    /// Requests that did not succeed.
    pub fn failed(&self) -> u64 {
        self.non_2xx + self.errors
    }
}

/// Keep-alive clients through the proxy, half GET and half POST, until stopped.
pub struct Load {
    stop: Arc<AtomicBool>,
    handles: Vec<std::thread::JoinHandle<LoadReport>>,
    /// Requests sent so far.
    pub sent: Arc<AtomicU64>,
    /// Requests that have ended so far (answered or failed).
    pub done: Arc<AtomicU64>,
    clients: u64,
}

impl Load {
    /// Starts `clients` connections to 127.0.0.1:`port`, and returns once requests are flowing.
    pub fn start(port: u16, clients: usize) -> Load {
        Self::start_with(port, clients, true)
    }

    /// Keep-alive clients that only read (GET), as visitors do while a site is read-only.
    pub fn start_reads(port: u16, clients: usize) -> Load {
        Self::start_with(port, clients, false)
    }

    fn start_with(port: u16, clients: usize, writes: bool) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let handles = (0..clients)
            .map(|i| {
                let (stop, sent, done) = (stop.clone(), sent.clone(), done.clone());
                std::thread::spawn(move || client(port, i, writes, &stop, &sent, &done))
            })
            .collect();
        let load = Load {
            stop,
            handles,
            sent,
            done,
            clients: clients as u64,
        };
        load.settle();
        load
    }

    /// Waits until every client could have ended two more requests from now, so that what a
    /// change did to the traffic (a reload, a deploy that just returned) is in the counts.
    pub fn settle(&self) {
        let target = self.done.load(Ordering::SeqCst) + 2 * self.clients;
        wait_until(
            "the load's next requests to end",
            Duration::from_secs(30),
            || self.done.load(Ordering::SeqCst) >= target,
        );
    }

    /// Stops and sums the clients' counts.
    pub fn finish(self) -> LoadReport {
        self.stop.store(true, Ordering::SeqCst);
        let mut total = LoadReport::default();
        for h in self.handles {
            let r = h.join().expect("load client");
            total.ok += r.ok;
            total.non_2xx += r.non_2xx;
            total.errors += r.errors;
            total.retried += r.retried;
            for why in r.error_reasons {
                if !total.error_reasons.contains(&why) {
                    total.error_reasons.push(why);
                }
            }
            for rel in r.releases {
                if !total.releases.contains(&rel) {
                    total.releases.push(rel);
                }
            }
        }
        total
    }
}

fn client(
    port: u16,
    id: usize,
    writes: bool,
    stop: &AtomicBool,
    sent: &AtomicU64,
    done: &AtomicU64,
) -> LoadReport {
    let mut rep = LoadReport::default();
    let mut conn: Option<(BufReader<TcpStream>, TcpStream)> = None;
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let post = writes && (n + id as u64).is_multiple_of(2);
        let req = if post {
            "POST /work HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello=world".to_string()
        } else {
            "GET /work HTTP/1.1\r\nHost: t\r\n\r\n".to_string()
        };
        sent.fetch_add(1, Ordering::Relaxed);
        // A reused keep-alive connection the proxy closed before answering is retried once on a
        // fresh connection, as every HTTP client does; anything else counts.
        let mut answer = None;
        let mut why = String::new();
        for attempt in 0..2 {
            let reused = conn.is_some();
            if conn.is_none() {
                match TcpStream::connect(("127.0.0.1", port)) {
                    Ok(s) => {
                        // Longer than nginx's proxy_read_timeout (60 s): a hung upstream shows
                        // as the proxy's 504, and a starved machine is not a dropped request.
                        let _ = s.set_read_timeout(Some(Duration::from_secs(90)));
                        let w = s.try_clone().expect("clone");
                        conn = Some((BufReader::new(s), w));
                    }
                    Err(e) => {
                        why = format!("connecting: {e}");
                        break;
                    }
                }
            }
            let Some((r, w)) = conn.as_mut() else { break };
            match exchange(r, w, &req) {
                Ok(a) => {
                    answer = Some(a);
                    break;
                }
                Err(e) => {
                    conn = None;
                    why = e.why;
                    if e.got_bytes || !reused || attempt == 1 {
                        break;
                    }
                    rep.retried += 1;
                }
            }
        }
        match answer {
            Some((code, body, close)) => {
                if (200..300).contains(&code) {
                    rep.ok += 1;
                    if let Some(rel) = body.split_whitespace().next() {
                        if !rep.releases.iter().any(|r| r == rel) {
                            rep.releases.push(rel.to_string());
                        }
                    }
                } else {
                    rep.non_2xx += 1;
                }
                if close {
                    conn = None;
                }
            }
            None => {
                rep.errors += 1;
                if !rep.error_reasons.contains(&why) {
                    rep.error_reasons.push(why);
                }
            }
        }
        done.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_micros(500));
    }
    rep
}

/// Why an exchange got no answer, and whether some response bytes had arrived.
struct NoAnswer {
    got_bytes: bool,
    why: String,
}

fn no_answer(got_bytes: bool, at: &str) -> impl FnOnce(std::io::Error) -> NoAnswer + '_ {
    move |e| NoAnswer {
        got_bytes,
        why: format!("{at}: {e}"),
    }
}

/// One request/response.
fn exchange(
    r: &mut BufReader<TcpStream>,
    w: &mut TcpStream,
    req: &str,
) -> Result<(u16, String, bool), NoAnswer> {
    let closed = |got_bytes, at: &str| NoAnswer {
        got_bytes,
        why: format!("{at}: closed by the peer"),
    };
    w.write_all(req.as_bytes())
        .map_err(no_answer(false, "sending"))?;
    let mut status = String::new();
    if r.read_line(&mut status)
        .map_err(no_answer(false, "reading the status"))?
        == 0
    {
        return Err(closed(false, "reading the status"));
    }
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| closed(true, "a malformed status line"))?;
    let (mut len, mut close) = (0usize, false);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)
            .map_err(no_answer(true, "reading the headers"))?
            == 0
        {
            return Err(closed(true, "reading the headers"));
        }
        if h.trim().is_empty() {
            break;
        }
        let l = h.to_ascii_lowercase();
        if let Some(v) = l.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if l.starts_with("connection:") && l.contains("close") {
            close = true;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)
        .map_err(no_answer(true, "reading the body"))?;
    Ok((code, String::from_utf8_lossy(&body).into_owned(), close))
}
