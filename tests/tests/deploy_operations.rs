//! What an operator does around a deploy: resume after a failure, read state without root, feed
//! JSON to other tools, stop at once, run through sudo with a profile, and unix-socket servers.

mod common;
use common::*;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_failed_deploy_names_the_exact_resume_command_and_resume_finishes_it() {
    let s = nginx_stack(3, 100);
    let original = std::fs::read(&s.conf).expect("read");
    s.apps.break_port(s.app_ports[1]);
    let load = Load::start(s.listen, 2);
    let out = run(&deploy_args(&s, &["--health-timeout", "1s", "rolling"]));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("failed:"), "{t}");
    // The account gives the next command with the same --restart and --health.
    let line = t
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("swapctl ") && l.ends_with(" resume"))
        .unwrap_or_else(|| panic!("no resume command in: {t}"))
        .to_string();
    assert!(line.contains("--health http://{address}/health"), "{line}");
    assert!(line.contains("--restart"), "{line}");
    // status exits 1 while servers are out, in text and JSON.
    let st = run(&deploy_args(&s, &["status"]));
    assert_eq!(st.status.code(), Some(1), "{}", text(&st));
    let js = run(&deploy_args(&s, &["--json", "status"]));
    assert_eq!(js.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&js.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["journal"]["status"], "failed");
    assert_eq!(doc["proxies"][0]["upstream"], "app");
    // Fix the release, then run exactly the command the account gave.
    std::fs::remove_file(s.apps.dir.join(format!("broken-{}", s.app_ports[1]))).expect("fix");
    let words = shell_words(&line);
    let resumed = Command::new(bin("swapctl"))
        .args(&words[1..])
        .output()
        .expect("resume");
    let r = load.finish();
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    assert_eq!(r.failed(), 0, "{r:?}");
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
    let st = run(&deploy_args(&s, &["status"]));
    assert_eq!(st.status.code(), Some(0), "{}", text(&st));
    let again = run(&deploy_args(&s, &["resume"]));
    assert!(
        text(&again).contains("nothing to resume"),
        "{}",
        text(&again)
    );
}

/// Splits a command line the account printed (single quotes only, as it writes them).
fn shell_words(line: &str) -> Vec<String> {
    let out = Command::new("sh")
        .args([
            "-c",
            &format!("for a in {line}; do printf '%s\\0' \"$a\"; done"),
        ])
        .output()
        .expect("sh");
    String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_second_ctrl_c_stops_at_once_after_journaling() {
    let s = nginx_stack(2, 4000);
    let before = s.apps.pids(&s.app_ports);
    let mut child = Command::new(bin("swapctl"))
        .args(deploy_args(&s, &["rolling"]))
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn");
    let lines = Lines::of(child.stderr.take().expect("stderr"));
    // Step 2 restarts the first server, which takes 4 s to boot.
    s.apps.wait_restart_started(&s.app_ports, &before);
    let t = Instant::now();
    let ctrl_c = || {
        let _ = Command::new("kill")
            .args(["-s", "INT", "--", &format!("-{}", child.id())])
            .status();
    };
    // Two signals sent back to back can arrive as one; the second follows the acknowledgement.
    ctrl_c();
    lines.wait_for("interrupted", Duration::from_secs(10));
    ctrl_c();
    let status = child.wait().expect("wait");
    let took = t.elapsed();
    let err = lines.rest();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(took < Duration::from_secs(3), "at once: {err}");
    assert!(err.contains("stopped at once"), "{err}");
    let st = run(&deploy_args(&s, &["status"]));
    assert!(text(&st).contains("INTERRUPTED"), "{}", text(&st));
    // recover brings it back once it is up.
    s.apps.wait_restarts_done(&s.app_ports);
    let r = run(&deploy_args(&s, &["recover"]));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(enabled_count(&s.conf), 2);
}

#[test]
fn json_events_plan_and_a_journal_anyone_can_read() {
    let s = nginx_stack(3, 0);
    let plan = run(&deploy_args(&s, &["--json", "plan", "rolling"]));
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let doc: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("one document");
    let steps = doc["steps"].as_array().expect("steps");
    // One routing change per step: take out, then (restart, swap) twice, restart, bring in.
    assert_eq!(steps.len(), 7);
    assert_eq!(steps[2]["action"], "swap");
    // While the first server is out, two serve on the old release; once it is back, one new.
    assert_eq!(steps[0]["serving_old"], 2);
    assert_eq!(steps[2]["serving_new"], 1);
    let out = run(&deploy_args(&s, &["--json", "rolling"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(
        events.iter().filter(|e| e["event"] == "step_done").count(),
        7
    );
    let last = events.last().expect("events");
    assert_eq!(last["event"], "finished");
    assert_eq!(last["exit_code"], 0);
    // The journal is world-readable, and status works as an unprivileged user.
    let journal = s.conf.with_file_name(".nginx.conf.swapctl.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&journal)
        .expect("journal")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    if is_root() && have("setpriv") {
        let _ = Command::new("chmod")
            .args(["o+rx"])
            .arg(s.conf.parent().expect("dir"))
            .status();
        let st = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin("swapctl"))
            .args([
                "-c",
                &s.conf.display().to_string(),
                "--upstream",
                "app",
                "status",
            ])
            .output()
            .expect("setpriv");
        assert_eq!(st.status.code(), Some(0), "{}", text(&st));
        assert!(text(&st).contains("DONE"), "{}", text(&st));
    }
}

#[test]
fn bad_templates_are_refused_before_anything_changes() {
    let s = nginx_stack(2, 0);
    let before = std::fs::read(&s.conf).expect("read");
    let c = s.conf.display().to_string();
    for (args, says) in [
        (
            vec!["--restart", "./r {prot}", "plan"],
            "unknown placeholder {prot}",
        ),
        (vec!["--health", "{address}/health", "plan"], "no scheme"),
        (
            vec![
                "--restart",
                "./r {port}",
                "--health",
                "127.0.0.1:{port}",
                "rolling",
            ],
            "no scheme",
        ),
    ] {
        let mut a = vec!["-c", &c, "--upstream", "app"];
        a.extend(args);
        let out = swapctl(&a);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(says), "{}", text(&out));
    }
    assert_eq!(std::fs::read(&s.conf).expect("read"), before);
}

#[test]
fn unix_socket_servers_are_checked_over_their_socket_and_drained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let socks = [d.join("a.sock"), d.join("b.sock")];
    let servers: Vec<HttpServer> = socks
        .iter()
        .map(|p| HttpServer::unix(p, |_, _| Reply::Status(200, "release=1".into())))
        .collect();
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &[]);
    let body = std::fs::read_to_string(&conf).expect("read");
    let ups: String = socks
        .iter()
        .map(|p| format!("        server unix:{};\n", p.display()))
        .collect();
    let body = body.replace(
        "        keepalive 16;\n",
        &format!("{ups}        keepalive 16;\n"),
    );
    std::fs::write(&conf, &body).expect("write");
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let c = conf.display().to_string();
    // {port} means nothing for a unix socket: refused, with what to use instead.
    let plan = swapctl(&[
        "-c",
        &c,
        "--restart",
        "systemctl restart app@{port}",
        "plan",
    ]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    assert!(text(&plan).contains("use {address}"), "{}", text(&plan));
    let load = Load::start(listen, 2);
    let a = format!("unix:{}", socks[0].display());
    let out = swapctl(&["-c", &c, "out", &a]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = servers[0].hits.load(std::sync::atomic::Ordering::SeqCst);
    load.settle();
    load.settle();
    assert_eq!(
        servers[0].hits.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "out means no traffic"
    );
    let back = swapctl(&[
        "-c",
        &c,
        "--health",
        "http://{address}/okcomputer",
        "in",
        &a,
    ]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    let r = load.finish();
    assert_eq!(r.failed(), 0, "{r:?}");
    let seen = servers[0].seen.lock().expect("seen").clone();
    assert!(
        seen.iter().any(|s| s.path == "/okcomputer"),
        "the health check reached the socket itself: {seen:?}"
    );
    assert_eq!(std::fs::read_to_string(&conf).expect("read"), body);
}

#[test]
fn a_profile_pins_the_settings_for_sudo() {
    if !is_root() || !have("sudo") || !have("setpriv") {
        eprintln!("NOTICE: skipping: needs root, sudo and setpriv");
        return;
    }
    let s = nginx_stack(2, 0);
    let original = std::fs::read(&s.conf).expect("read");
    let name = format!("hotswap-test-{}", std::process::id());
    let _ = std::fs::create_dir_all("/etc/hotswap");
    let profile = Path::new("/etc/hotswap").join(format!("{name}.toml"));
    let sudoers = Path::new("/etc/sudoers.d").join(&name);
    struct Cleanup(Vec<std::path::PathBuf>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            for p in &self.0 {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    let _cleanup = Cleanup(vec![profile.clone(), sudoers.clone()]);
    std::fs::write(
        &profile,
        format!(
            "config = \"{}\"\nupstream = \"app\"\nrestart = \"{}\"\nhealth = \"http://{{address}}/health\"\nhealth-timeout = \"20s\"\n",
            s.conf.display(),
            s.apps.restart_template()
        ),
    )
    .expect("profile");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&profile, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let swapctl_bin = bin("swapctl").display().to_string();
    std::fs::write(
        &sudoers,
        format!("nobody ALL=(root) NOPASSWD: {swapctl_bin} --profile {name} rolling\n"),
    )
    .expect("sudoers");
    std::fs::set_permissions(&sudoers, std::fs::Permissions::from_mode(0o440)).expect("chmod");
    let load = Load::start(s.listen, 2);
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args(["sudo", "-n", &swapctl_bin, "--profile", &name, "rolling"])
        .output()
        .expect("sudo");
    let r = load.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(r.failed(), 0, "{r:?}");
    assert!(r.releases.iter().any(|x| x == "release=2"), "{r:?}");
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
    // The pinned line allows nothing else.
    let other = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args([
            "sudo",
            "-n",
            &swapctl_bin,
            "--profile",
            &name,
            "--restart",
            "id",
            "rolling",
        ])
        .output()
        .expect("sudo");
    assert!(!other.status.success());
    // Command-line flags cannot replace the profile's commands.
    let clash = swapctl(&["--profile", &name, "--restart", "id", "rolling"]);
    assert_eq!(clash.status.code(), Some(2), "{}", text(&clash));
    assert!(
        text(&clash).contains("cannot be given with it"),
        "{}",
        text(&clash)
    );
    // A profile others can write is refused.
    std::fs::set_permissions(&profile, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let weak = swapctl(&["--profile", &name, "plan"]);
    assert_eq!(weak.status.code(), Some(2), "{}", text(&weak));
    assert!(text(&weak).contains("chmod go-w"), "{}", text(&weak));
}

/// --health takes healthwait's expectations under a health- prefix, read by healthwait's own
/// code: a status or body the app does not give keeps the server out; an expectation a tcp://
/// check cannot have is refused before anything changes.
#[test]
fn health_expectations_decide_whether_in_brings_a_server_back() {
    let s = nginx_stack(2, 0);
    let original = std::fs::read(&s.conf).expect("read");
    let c = s.conf.display().to_string();
    let first = format!("127.0.0.1:{}", s.app_ports[0]);
    let base = ["-c", c.as_str(), "--upstream", "app"];
    let out = swapctl(&[&base[..], &["out", &first]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let health = ["--health", "http://{address}/health"];
    for wrong in [
        &["--health-status", "204"][..],
        &["--health-body", "degraded"][..],
    ] {
        let r = swapctl(
            &[
                &base[..],
                &health[..],
                wrong,
                &["--health-timeout", "300ms", "in", &first],
            ]
            .concat(),
        );
        assert_eq!(r.status.code(), Some(1), "{wrong:?}: {}", text(&r));
        assert!(text(&r).contains("stays out"), "{wrong:?}: {}", text(&r));
        assert_eq!(enabled_count(&s.conf), 1, "{wrong:?}");
    }
    let r = swapctl(
        &[
            &base[..],
            &[
                "--health",
                "tcp://{address}",
                "--health-status",
                "200",
                "in",
                &first,
            ],
        ]
        .concat(),
    );
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    let r = swapctl(
        &[
            &base[..],
            &health[..],
            &[
                "--health-status",
                "200",
                "--health-body",
                "ok",
                "in",
                &first,
            ],
        ]
        .concat(),
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(std::fs::read(&s.conf).expect("read"), original);
}
