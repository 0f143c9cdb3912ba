//! What happens when a release is bad, when swapctl is killed, interrupted, or run twice.

mod common;
use common::*;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_release_that_never_becomes_healthy_stops_the_deploy_and_drops_nothing() {
    let s = nginx_stack(2, 100);
    s.apps.break_port(s.app_ports[0]);
    let load = Load::start(s.listen, 4);
    let out = run(&deploy_args(
        &s,
        &["--health-timeout", "1500ms", "hot-swap"],
    ));
    load.settle();
    let report = load.finish();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert_eq!(report.failed(), 0, "{report:?}\n{t}");
    assert_eq!(
        report.releases,
        ["release=1"],
        "only the old release served: {report:?}"
    );
    assert!(
        t.contains("not healthy within") && t.contains("status 503"),
        "{t}"
    );
    assert!(
        t.contains("out of rotation:") && t.contains(&format!("127.0.0.1:{}", s.app_ports[0])),
        "{t}"
    );
    assert!(t.contains("recover"), "names the next command: {t}");
    assert_eq!(enabled_count(&s.conf), 1, "only the failed server is out");
    let st = text(&run(&deploy_args(&s, &["status"])));
    assert!(
        st.contains("FAILED")
            && st.contains("[failed] restart + health check")
            && st.contains("status 503"),
        "{st}"
    );
    // Only the healthy is brought back by recover: the broken one stays out and is reported.
    let r = run(&deploy_args(&s, &["recover"]));
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    assert!(
        text(&r).contains("still out because unhealthy"),
        "{}",
        text(&r)
    );
}

#[test]
fn sigkill_mid_deploy_then_recover_brings_everything_back() {
    let s = nginx_stack(2, 800);
    let original = std::fs::read(&s.conf).expect("read");
    let before = s.apps.pids(&s.app_ports);
    let mut child = Command::new(bin("swapctl"))
        .args(deploy_args(&s, &["hot-swap"]))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it while the first half restarts (server out, app booting).
    s.apps.wait_restart_started(&s.app_ports, &before);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(enabled_count(&s.conf), 1, "killed with one server out");
    // A stale lock after a kill does not block the next command.
    s.apps.wait_restarts_done(&s.app_ports);
    let r = run(&deploy_args(&s, &["recover"]));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(enabled_count(&s.conf), 2);
    assert_eq!(
        std::fs::read(&s.conf).expect("read"),
        original,
        "recover restores the file exactly"
    );
    let again = run(&deploy_args(&s, &["hot-swap"]));
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
}

#[test]
fn a_second_deploy_exits_6_busy_and_ctrl_c_stops_after_the_current_step() {
    let s = nginx_stack(2, 700);
    let before = s.apps.pids(&s.app_ports);
    let mut first = Command::new(bin("swapctl"))
        .args(deploy_args(&s, &["hot-swap"]))
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("spawn");
    let err = Lines::of(first.stderr.take().expect("stderr"));
    s.apps.wait_restart_started(&s.app_ports, &before);
    let second = run(&deploy_args(&s, &["rolling"]));
    assert_eq!(second.status.code(), Some(6), "{}", text(&second));
    assert!(
        text(&second).contains(&format!("pid {}", first.id())) && text(&second).contains("since"),
        "{}",
        text(&second)
    );
    // Ctrl-C as a terminal sends it, to the whole process group, while the first half restarts:
    // acknowledged at once, the restart finishes, and the restarted server comes back healthy.
    let _ = Command::new("kill")
        .args(["-s", "INT", "--", &format!("-{}", first.id())])
        .status();
    let status = first.wait().expect("wait");
    let t = err.rest();
    assert_eq!(status.code(), Some(130), "{t}");
    assert!(t.contains("interrupted: stopping waits"), "{t}");
    assert!(t.contains("out of rotation:   none"), "{t}");
    assert_eq!(enabled_count(&s.conf), 2, "nothing is left out: {t}");
    let st = run(&deploy_args(&s, &["status"]));
    assert!(text(&st).contains("INTERRUPTED"), "{}", text(&st));
    assert_eq!(
        st.status.code(),
        Some(1),
        "nothing out, but the deploy stopped half-way (mixed releases): a person decides"
    );
    for p in &s.app_ports {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok(),
            "no app is left stopped"
        );
    }
    let r = run(&deploy_args(&s, &["resume"]));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
}

#[test]
fn plan_prints_steps_and_changes_nothing() {
    let s = nginx_stack(3, 0);
    let before = std::fs::read(&s.conf).expect("read");
    let out = run(&deploy_args(&s, &["plan", "rolling", "--batch", "2"]));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(t.matches("take out").count(), 2, "{t}");
    let out = run(&deploy_args(&s, &["plan"]));
    assert!(text(&out).contains("3. swap: bring in"), "{}", text(&out));
    // The filled-in commands, the bounds, and what an earlier out left out.
    let first = format!("127.0.0.1:{}", s.app_ports[0]);
    let restart = s
        .apps
        .restart_template()
        .replace("{port}", &s.app_ports[0].to_string());
    assert!(
        text(&out).contains(&format!(
            "restart `{restart}`, health http://{first}/health"
        )) && text(&out).contains("timeouts: health 1m00s, restart 2m00s, drain 30s (then stop)"),
        "{}",
        text(&out)
    );
    assert_eq!(
        run(&deploy_args(&s, &["out", &first])).status.code(),
        Some(0)
    );
    let out = run(&deploy_args(&s, &["--json", "plan", "rolling"]));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["left_out"][0]["address"], first.as_str(), "{doc:#}");
    assert_eq!(doc["left_out"][0]["upstream"], "app", "{doc:#}");
    assert_eq!(
        run(&deploy_args(&s, &["in", &first])).status.code(),
        Some(0)
    );
    assert_eq!(std::fs::read(&s.conf).expect("read"), before);
    let bad = run(&deploy_args(&s, &["rolling", "--batch", "3"]));
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}

#[test]
fn only_the_proxys_own_connections_hold_a_drain() {
    let s = nginx_stack(2, 0);
    // A client (a monitor, another load balancer) holding a keep-alive connection straight to
    // a server is not nginx's: it must not hold the deploy.
    let mut held = std::net::TcpStream::connect(("127.0.0.1", s.app_ports[0])).expect("connect");
    use std::io::Write;
    held.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request");
    let out = run(&deploy_args(&s, &["--drain-timeout", "5s", "rolling"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_request_through_the_proxy_that_never_ends_hits_the_drain_timeout() {
    let s = nginx_stack(2, 0);
    // A long request through nginx keeps the old worker, and its connection to the server, alive.
    // Two, so that round robin sends one to each server.
    let port = s.listen;
    let slow = slow_requests(port, 2, 4000);
    wait_sleeping(&s.app_ports, 2);
    let t = Instant::now();
    let out = run(&deploy_args(&s, &["--drain-timeout", "500ms", "hot-swap"]));
    let txt = text(&out);
    assert_eq!(out.status.code(), Some(1), "{txt}");
    assert!(
        txt.contains("still hold connections")
            && txt.contains("after 500ms")
            && txt.contains("--drain-timeout"),
        "{txt}"
    );
    assert!(t.elapsed() < Duration::from_secs(10), "the wait is bounded");
    // The step is undone: nothing was restarted, so nothing stays out.
    assert!(txt.contains("out of rotation:   none"), "{txt}");
    assert_eq!(enabled_count(&s.conf), 2);
    // A failed deploy needs a person, even with nothing left out, until a recover finds
    // nothing to do.
    let st = run(&deploy_args(&s, &["status"]));
    assert_eq!(st.status.code(), Some(1), "{}", text(&st));
    let r = run(&deploy_args(&s, &["recover"]));
    assert!(text(&r).contains("nothing to recover"), "{}", text(&r));
    let st = run(&deploy_args(&s, &["status"]));
    assert_eq!(st.status.code(), Some(0), "{}", text(&st));
    for t in slow {
        let _ = t.join();
    }
}

/// `--on-drain-timeout proceed`: the server stays out and is restarted anyway, whatever is still
/// open (a websocket or an SSE stream would never end by itself).
#[test]
fn on_drain_timeout_proceed_restarts_anyway() {
    let s = nginx_stack(2, 0);
    let port = s.listen;
    let open = slow_requests(port, 2, 3000);
    wait_sleeping(&s.app_ports, 2);
    let before = s.apps.pids(&s.app_ports);
    let out = run(&deploy_args(
        &s,
        &[
            "--drain-timeout",
            "500ms",
            "--on-drain-timeout",
            "proceed",
            "hot-swap",
        ],
    ));
    let txt = text(&out);
    assert_eq!(out.status.code(), Some(0), "{txt}");
    assert!(
        txt.contains("proceeding as --on-drain-timeout proceed asks"),
        "{txt}"
    );
    let now = s.apps.pids(&s.app_ports);
    assert!(
        now.iter().zip(&before).all(|(a, b)| a != b),
        "both restarted"
    );
    assert_eq!(enabled_count(&s.conf), 2);
    // The restarts went ahead while the requests were open (this app stops gracefully, so it
    // finishes them; one that does not, or a websocket, is cut).
    for t in open {
        t.join().expect("client");
    }
    let st = run(&deploy_args(&s, &["status"]));
    assert_eq!(st.status.code(), Some(0), "{}", text(&st));
}

#[test]
fn a_hung_restart_is_ended_with_its_whole_process_group_even_when_piped() {
    let s = nginx_stack(2, 100);
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("grandchild.pid");
    // The restart hangs, and so does a grandchild it started in the background.
    let script = dir.path().join("hang.sh");
    std::fs::write(
        &script,
        format!(
            "sh -c 'sleep 600' &\necho $! > {m}\necho restarting $1\nsleep 600\n",
            m = marker.display()
        ),
    )
    .expect("script");
    let restart = format!("sh {} {{port}}", script.display());
    let conf = s.conf.display().to_string();
    let t = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} -c {conf} --upstream app --restart \"{restart}\" --restart-timeout 2s rolling | cat",
            bin("swapctl").display()
        ))
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let took = t.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        took < Duration::from_secs(15),
        "returned within the timeout plus a few seconds: {took:?}\n{err}"
    );
    assert!(err.contains("did not finish within 2s"), "{err}");
    assert!(
        err.contains("restarting"),
        "the restart's own output goes to stderr: {err}"
    );
    assert!(
        !stdout.contains("restarting"),
        "stdout stays data: {stdout}"
    );
    let pid: i32 = std::fs::read_to_string(&marker)
        .expect("grandchild pid")
        .trim()
        .parse()
        .expect("pid");
    // The group was sent KILL before swapctl returned; the kernel ends it at once, but the
    // orphaned grandchild is reaped by init in its own time.
    wait_until(
        &format!("the restart's grandchild (pid {pid}) to end"),
        Duration::from_secs(10),
        || !alive(pid),
    );
    // The stopped deploy left only the hung server out; recover brings it back once it answers.
    let _ = run(&deploy_args(&s, &["recover"]));
}

/// Ctrl-C during `recover` stops its health checks at once: what was found healthy by then comes
/// back, the rest stay out and are named, and it exits 130; a later recover finishes the job.
#[test]
fn ctrl_c_stops_recover_and_leaves_the_unchecked_out() {
    let s = nginx_stack(3, 0);
    let one = format!("127.0.0.1:{}", s.app_ports[0]);
    let out = run(&deploy_args(&s, &["out", &one]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(enabled_count(&s.conf), 2);
    // A health URL nothing answers: recover would try it for up to 5 s.
    let c = s.conf.display().to_string();
    let mut rec = Command::new(bin("swapctl"))
        .args([
            "-c",
            &c,
            "--upstream",
            "app",
            "-v",
            "--health",
            "http://127.0.0.1:1/never",
            "recover",
        ])
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("spawn");
    // -v reports the health check's first failure: recover is checking.
    let err = Lines::of(rec.stderr.take().expect("stderr"));
    err.wait_for("127.0.0.1:1/never: ", Duration::from_secs(30));
    let _ = Command::new("kill")
        .args(["-s", "INT", "--", &format!("-{}", rec.id())])
        .status();
    let status = rec.wait().expect("wait");
    let t = err.rest();
    assert_eq!(status.code(), Some(130), "{t}");
    // "not checked", not "unhealthy": the check was cut short, not waited out.
    assert!(
        t.contains("not checked, so still out") && t.contains(&one),
        "{t}"
    );
    assert_eq!(enabled_count(&s.conf), 2, "{t}");
    let again = run(&deploy_args(&s, &["recover"]));
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(enabled_count(&s.conf), 3);
}

/// `out` of a sick server whose requests hang: when the drain outlasts --drain-timeout, the
/// server stays out (putting it back would send it traffic again), swapctl exits 1 naming what
/// still holds it and the command that brings it back; --reason is in the marker.
#[test]
fn an_out_that_cannot_drain_stays_out() {
    let s = nginx_stack(2, 0);
    let original = std::fs::read(&s.conf).expect("read");
    let port = s.listen;
    let hung = slow_requests(port, 2, 4000);
    wait_sleeping(&s.app_ports, 2);
    let sick = format!("127.0.0.1:{}", s.app_ports[0]);
    let c = s.conf.display().to_string();
    let base = ["-c", c.as_str(), "--upstream", "app"];
    let out = swapctl(
        &[
            &base[..],
            &[
                "--drain-timeout",
                "500ms",
                "out",
                &sick,
                "--reason",
                "sick box, ticket 7",
            ],
        ]
        .concat(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("stays out") && t.contains("still hold") && t.contains(&format!("in {sick}")),
        "{t}"
    );
    assert_eq!(enabled_count(&s.conf), 1, "it stays out: {t}");
    let conf = std::fs::read_to_string(&s.conf).expect("read");
    assert!(conf.contains("swapctl out: sick box, ticket 7"), "{conf}");
    // status does not call an undrained out done.
    let st = swapctl(&[&base[..], &["status"]].concat());
    assert_eq!(st.status.code(), Some(1), "{}", text(&st));
    assert!(text(&st).contains("FAILED"), "{}", text(&st));
    for h in hung {
        let _ = h.join();
    }
    let back = swapctl(&[&base[..], &["in", &sick]].concat());
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
}

/// A rolling step that brings the restarted server back and takes the next one out in one swap:
/// when the next one does not drain in time, the swap is undone, and the restarted, healthy
/// server comes back alone, so the deploy stops with nothing out (`resume` goes on from there).
#[test]
fn a_failed_swap_brings_the_restarted_server_back_alone() {
    let s = nginx_stack(3, 1500);
    let before = s.apps.pids(&s.app_ports);
    let mut child = Command::new(bin("swapctl"))
        .args(deploy_args(&s, &["--drain-timeout", "1s", "rolling"]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let err = Lines::of(child.stderr.take().expect("stderr"));
    // While the first server boots (1.5 s), long requests reach the other two through nginx.
    s.apps.wait_restart_started(&s.app_ports, &before);
    let open = slow_requests(s.listen, 2, 6000);
    wait_sleeping(&s.app_ports[1..], 2);
    let status = child.wait().expect("wait");
    let txt = err.rest();
    assert_eq!(status.code(), Some(1), "{txt}");
    assert!(txt.contains("step 3/7 swap"), "{txt}");
    assert!(txt.contains("nothing is out of rotation"), "{txt}");
    assert_eq!(enabled_count(&s.conf), 3, "{txt}");
    for t in open {
        t.join().expect("client");
    }
    // resume goes on with the two not yet deployed (with the default drain bound: the journal's
    // 1s was this test's way to make the swap fail).
    s.apps.wait_restarts_done(&s.app_ports);
    let r = run(&deploy_args(&s, &["--drain-timeout", "30s", "resume"]));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    let now = s.apps.pids(&s.app_ports);
    assert!(
        now.iter().zip(&before).all(|(a, b)| a != b),
        "all three restarted"
    );
}
