//! swapctl killed with SIGKILL at every step of hot-swap and of rolling: the journal is never torn
//! and `recover` always brings back a healthy, fully enabled upstream with the original file.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn journal(conf: &std::path::Path) -> Option<serde_json::Value> {
    let real = std::fs::canonicalize(conf).ok()?;
    let name = real.file_name()?.to_string_lossy().into_owned();
    let bytes = std::fs::read(real.with_file_name(format!(".{name}.swapctl.json"))).ok()?;
    Some(serde_json::from_slice(&bytes).expect("the journal is never torn"))
}

fn kill_at(strategy: &[&str], step: usize, servers: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(servers);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 150);
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let c = conf.display().to_string();
    let restart = apps.restart_template();
    let mut args = vec![
        "-c",
        c.as_str(),
        "--upstream",
        "app",
        "--restart",
        restart.as_str(),
        "--health",
        "http://{address}/health",
    ];
    args.extend_from_slice(strategy);
    let mut child = Command::new(bin("swapctl"))
        .args(&args)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let t = Instant::now();
    loop {
        let running = journal(&conf)
            .and_then(|j| j["steps"].get(step - 1).map(|s| s["state"] == "running"))
            .unwrap_or(false);
        if running
            || t.elapsed() > Duration::from_secs(20)
            || child.try_wait().ok().flatten().is_some()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    let j = journal(&conf).expect("a journal exists");
    assert_eq!(j["status"], "running", "killed mid-deploy at step {step}");
    apps.wait_restarts_done(&app_ports);
    let out = swapctl(&[&args[..8], &["recover"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "recover after a kill at step {step}: {}",
        text(&out)
    );
    let cfg = proxyconf::Config::load(&conf, None).expect("config");
    assert!(
        cfg.servers
            .iter()
            .all(|s| s.state == proxyconf::State::Enabled),
        "all enabled after step {step}"
    );
    assert_eq!(
        std::fs::read(&conf).expect("read"),
        original,
        "file restored exactly after a kill at step {step}"
    );
    for p in &app_ports {
        let h = healthwait::Probe::new(
            healthwait::Target::parse(&format!("http://127.0.0.1:{p}/health")).expect("t"),
            Default::default(),
        )
        .expect("probe");
        assert!(
            h.check(Duration::from_secs(2)).is_ok(),
            "port {p} healthy after step {step}"
        );
    }
}

#[test]
fn sigkill_at_every_step_of_hot_swap() {
    for step in 1..=5 {
        kill_at(&["hot-swap"], step, 2);
    }
}

#[test]
fn sigkill_at_every_step_of_rolling() {
    for step in 1..=5 {
        kill_at(&["rolling"], step, 2);
    }
}

/// swapctl killed while a restart runs: the restart goes on in its own process group. `status`
/// says the deploy died and the restart still runs; `recover` waits for it before it brings the
/// server back (else it would route to an app about to stop).
#[test]
fn recover_waits_for_a_restart_a_killed_swapctl_left_running() {
    let s = nginx_stack(2, 0);
    let original = std::fs::read(&s.conf).expect("read");
    // The restart holds until the test opens this gate: its length is the test's to decide.
    let gate = s.apps.dir.join("gate");
    let restart = format!(
        "while [ ! -e {g} ]; do sleep 0.01; done; {d}/restart.sh {{port}}",
        g = gate.display(),
        d = s.apps.dir.display()
    );
    let c = s.conf.display().to_string();
    let base = [
        "-c",
        c.as_str(),
        "--upstream",
        "app",
        "--restart",
        restart.as_str(),
        "--health",
        "http://{address}/health",
    ];
    let before = s.apps.pids(&s.app_ports);
    let mut child = Command::new(bin("swapctl"))
        .args(base)
        .arg("hot-swap")
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let gate_text = gate.display().to_string();
    let restart_runs = || {
        std::fs::read_dir("/proc")
            .expect("proc")
            .flatten()
            .any(|e| {
                std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                    // The restart's own `sh -c`, not swapctl, whose arguments name the gate too.
                    c.starts_with(b"sh\0-c\0") && String::from_utf8_lossy(&c).contains(&gate_text)
                })
            })
    };
    // swapctl records a restart beside the journal just after it spawns it: kill it only then.
    let dir = s.conf.parent().expect("dir").to_path_buf();
    let recorded = || {
        std::fs::read_dir(&dir).expect("dir").flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(".swapctl.json.restart.")
        })
    };
    wait_until(
        "the restart to run and be recorded",
        Duration::from_secs(20),
        || restart_runs() && recorded(),
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let st = swapctl(&[&base[..4], &["status"]].concat());
    assert_eq!(st.status.code(), Some(1), "{}", text(&st));
    assert!(
        text(&st).contains("DIED") && text(&st).contains("still running"),
        "{}",
        text(&st)
    );
    let mut rec = Command::new(bin("swapctl"))
        .args(&base[..4])
        .arg("recover")
        .stderr(Stdio::piped())
        .spawn()
        .expect("recover");
    let lines = Lines::of(rec.stderr.take().expect("stderr"));
    lines.wait_for("waiting for it to end", Duration::from_secs(20));
    // The restart cannot end before the gate opens, so neither can recover.
    assert!(rec.try_wait().expect("try_wait").is_none(), "recover waits");
    assert_eq!(enabled_count(&s.conf), 1, "nothing brought back yet");
    std::fs::write(&gate, "").expect("open the gate");
    let code = rec.wait().expect("wait").code();
    let err = lines.rest();
    assert_eq!(code, Some(0), "{err}");
    assert_ne!(
        s.apps.pids(&s.app_ports),
        before,
        "the restart ran first: {err}"
    );
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
    let st = swapctl(&[&base[..4], &["status"]].concat());
    assert_eq!(st.status.code(), Some(0), "{}", text(&st));
}

/// The journal cannot be written mid-deploy (a full disk; here its path turns into a directory
/// during the first restart): swapctl stops as after a failed step, brings back the healthy
/// server it had out, and prints the account naming the journal, instead of exiting with a
/// server out and one line.
#[test]
fn a_journal_that_cannot_be_written_still_brings_back_what_is_healthy() {
    let s = nginx_stack(2, 0);
    let journal = s.conf.with_file_name(".nginx.conf.swapctl.json");
    let restart = format!(
        "rm -f {j} && mkdir -p {j}/blocked && {d}/restart.sh {{port}}",
        j = journal.display(),
        d = s.apps.dir.display()
    );
    let c = s.conf.display().to_string();
    let before = s.apps.pids(&s.app_ports);
    let out = swapctl(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--restart",
        &restart,
        "--health",
        "http://{address}/health",
        "rolling",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains(&journal.display().to_string()) && t.contains("out of rotation:   none"),
        "names the journal and gives the account: {t}"
    );
    assert_eq!(
        enabled_count(&s.conf),
        2,
        "the restarted server is back: {t}"
    );
    let now = s.apps.pids(&s.app_ports);
    let restarted = now.iter().zip(&before).filter(|(a, b)| a != b).count();
    assert_eq!(restarted, 1, "it stopped after the first: {t}");
}
