//! The toolkit's one contract (DESIGN.md), table-driven: the same kinds of trouble run through
//! every tool, each checked for its exit code, its kind, its context and its JSON shape, and
//! every JSON document the tools print is validated against its schema under `schema/`.

mod common;
use common::*;
use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The exit code of each kind, as DESIGN.md's table gives it.
fn code_of(kind: &str) -> i32 {
    match kind {
        "runtime" => 1,
        "usage" => 2,
        "not_found" => 3,
        "refused" => 4,
        "rejected" => 5,
        "busy" => 6,
        "timeout" => 124,
        "interrupted" => 130,
        other => panic!("no kind {other}"),
    }
}

fn validator(schema: &str) -> jsonschema::Validator {
    let path = workspace_root().join("schema").join(schema);
    let text = std::fs::read_to_string(&path).expect("read schema");
    let doc: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&doc).expect("a valid schema")
}

/// Fails with every schema violation of `doc`.
fn valid(schema: &str, doc: &Value) {
    let errors: Vec<String> = validator(schema)
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema}: {errors:#?}\n{doc:#}");
}

/// An nginx in front of `app` (three servers) and `solo` (one), running.
struct Lab {
    _dir: tempfile::TempDir,
    conf: PathBuf,
    app: [String; 3],
    solo: String,
    listen: u16,
    _nginx: Proxy,
}

impl Lab {
    fn start() -> Lab {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("tmp")).expect("mkdir");
        let listen = free_port();
        let app = [(); 3].map(|()| format!("127.0.0.1:{}", free_port()));
        let solo = format!("127.0.0.1:{}", free_port());
        let conf = d.join("nginx.conf");
        std::fs::write(
            &conf,
            nginx_conf(
                d,
                &format!(
                    "    upstream app {{\n        server {};\n        server {};\n        server {};\n    }}\n    upstream solo {{\n        server {solo};\n    }}\n    server {{\n        listen 127.0.0.1:{listen};\n        location / {{ proxy_pass http://app; }}\n        location /solo {{ proxy_pass http://solo; }}\n    }}\n",
                    app[0], app[1], app[2]
                ),
            ),
        )
        .expect("write");
        let nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
        Lab {
            conf,
            app,
            solo,
            listen,
            _nginx: nginx,
            _dir: dir,
        }
    }

    fn c(&self) -> String {
        self.conf.display().to_string()
    }
}

/// Holds a lock file as another process would (`flock FILE sleep`), with a holder line.
struct Held(Child, PathBuf);

/// Whether another process holds `path`'s lock now.
fn locked(path: &Path) -> bool {
    Command::new("flock")
        .args(["-n"])
        .arg(path)
        .arg("true")
        .status()
        .map(|s| !s.success())
        .unwrap_or(false)
}

impl Held {
    fn lock(path: &Path, holder: &str) -> Held {
        std::fs::write(path, format!("{holder}\n")).expect("write holder");
        // Its own process group: flock's child (sleep) holds the lock too, and both must go.
        let child = Command::new("flock")
            .arg(path)
            .args(["sleep", "300"])
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("flock (util-linux)");
        wait_until("the lock to be held", Duration::from_secs(10), || {
            locked(path)
        });
        Held(child, path.to_path_buf())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
        // flock's child (sleep) dies on its own schedule: the lock is free only once it has.
        wait_until("the lock to be released", Duration::from_secs(10), || {
            !locked(&self.1)
        });
    }
}

fn run(tool: &str, args: &[String]) -> Output {
    Command::new(bin(tool))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// The error object a run printed under `--json`: the document's `error`, or for swapctl's
/// JSON Lines the `finished` event's (every line checked against the event schema).
fn error_object(tool: &str, args: &[String], out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
        .collect();
    assert!(!lines.is_empty(), "{tool} {args:?}: nothing on stdout");
    if lines.len() == 1 && lines[0].get("event").is_none() {
        let doc = &lines[0];
        if tool == "healthwait" && doc.get("targets").is_some() {
            valid("healthwait.schema.json", doc);
        } else {
            valid("error.schema.json", doc);
        }
        return doc["error"].clone();
    }
    for l in &lines {
        valid("swapctl-event.schema.json", l);
        let ts = l["ts"].as_str().unwrap_or_default();
        assert!(
            ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[19] == b'.',
            "ts is RFC 3339 with milliseconds, UTC: {l}"
        );
    }
    let last = lines.last().expect("a line");
    assert_eq!(last["event"], "finished", "{args:?}: {stdout}");
    last["error"].clone()
}

/// One trouble through one tool: exit code, kind, context, shape; and without `--json`, the
/// tool's `error:` line on stderr and nothing on stdout.
fn check(tool: &str, args: &[String], kind: &str, context: &[(&str, &str)]) {
    let want = code_of(kind);
    for json_first in [false, true] {
        let mut a = args.to_vec();
        if json_first {
            // `--json` before the subcommand (or first, for healthwait).
            let at = a
                .iter()
                .position(|x| {
                    matches!(
                        x.as_str(),
                        "list" | "disable" | "enable" | "status" | "out" | "in" | "plan" | "mode"
                    )
                })
                .unwrap_or(0);
            a.insert(at, "--json".into());
        } else {
            a.push("--json".into());
        }
        let out = run(tool, &a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(want), "{tool} {a:?}: {err}");
        let e = error_object(tool, &a, &out);
        assert_eq!(e["kind"], kind, "{tool} {a:?}: {e:#}");
        assert_eq!(e["exit_code"], want, "{tool} {a:?}: {e:#}");
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{e:#}"
        );
        for (field, value) in context {
            assert!(
                e[field].as_str().is_some_and(|v| v.contains(value)),
                "{tool} {a:?}: {field} should hold {value}: {e:#}"
            );
        }
    }
    let plain = run(tool, args);
    let err = String::from_utf8_lossy(&plain.stderr);
    assert_eq!(plain.status.code(), Some(want), "{tool} {args:?}: {err}");
    if kind != "timeout" {
        assert!(
            err.contains(&format!("{tool}: error")),
            "{tool} {args:?}: {err}"
        );
        assert!(plain.stdout.is_empty(), "{tool} {args:?}: stdout is data");
    }
}

#[test]
fn the_same_trouble_gets_the_same_code_kind_and_shape_in_every_tool() {
    let lab = Lab::start();
    let c = lab.c();
    let dir = lab.conf.parent().expect("dir").to_path_buf();
    let missing = dir.join("missing.conf").display().to_string();
    let ghost = "127.0.0.1:9".to_string();

    // usage: an unreadable -c names the file.
    for (tool, args) in [
        ("upstream-toggle", vec!["-c", &missing, "list"]),
        (
            "upstream-toggle",
            vec!["-c", &missing, "disable", &lab.app[0]],
        ),
        ("swapctl", vec!["-c", &missing, "status"]),
        ("swapctl", vec!["-c", &missing, "plan"]),
        ("swapctl", vec!["-c", &missing, "out", &lab.app[0]]),
    ] {
        check(tool, &strings(&args), "usage", &[("file", &missing)]);
    }
    // usage: a flag clap refuses, in every tool; a percentage that is not one.
    for (tool, args) in [
        ("upstream-toggle", vec!["-c", &c, "list", "--bogus"]),
        ("healthwait", vec!["--bogus", "tcp://127.0.0.1:1"]),
        ("healthwait", vec!["-t", "soon", "tcp://127.0.0.1:1"]),
        ("swapctl", vec!["-c", &c, "status", "--bogus"]),
        (
            "swapctl",
            vec![
                "-c",
                &c,
                "--upstream",
                "app",
                "plan",
                "rolling",
                "--canary",
                "1",
                "--observe",
                "10s",
                "--max-error-rate",
                "two",
            ],
        ),
    ] {
        check(tool, &strings(&args), "usage", &[]);
    }
    // not_found: an upstream, and a server, that do not exist.
    for (tool, args) in [
        (
            "upstream-toggle",
            vec!["-c", &c, "--upstream", "nope", "list"],
        ),
        (
            "swapctl",
            vec!["-c", &c, "--upstream", "nope", "out", &lab.app[0]],
        ),
        ("swapctl", vec!["-c", &c, "--upstream", "nope", "status"]),
    ] {
        check(tool, &strings(&args), "not_found", &[("upstream", "nope")]);
    }
    for (tool, args) in [
        ("upstream-toggle", vec!["-c", &c, "disable", &ghost]),
        ("swapctl", vec!["-c", &c, "out", &ghost]),
    ] {
        check(tool, &strings(&args), "not_found", &[("server", &ghost)]);
    }
    // refused: the last server of an upstream.
    for (tool, args) in [
        ("upstream-toggle", vec!["-c", &c, "disable", &lab.solo]),
        ("swapctl", vec!["-c", &c, "out", &lab.solo]),
    ] {
        check(tool, &strings(&args), "refused", &[("upstream", "solo")]);
    }
    // busy: a deploy holds the config; another edit holds its edit lock.
    {
        let _held = Held::lock(
            &proxyconf::lock::deploy_lock_path(&lab.conf),
            "pid 4242 (ops) since 2026-01-01T00:00:00Z: swapctl rolling",
        );
        for (tool, args) in [
            ("swapctl", vec!["-c", &c, "out", &lab.app[0]]),
            ("swapctl", vec!["-c", &c, "--upstream", "app", "rolling"]),
            ("upstream-toggle", vec!["-c", &c, "disable", &lab.app[0]]),
        ] {
            check(
                tool,
                &strings(&args),
                "busy",
                &[("holder", "pid 4242 (ops)")],
            );
        }
    }
    {
        let _held = Held::lock(
            &proxyconf::lock::edit_lock_path(&lab.conf),
            "pid 4343 (ops) since 2026-01-01T00:00:00Z: an edit",
        );
        let args = ["-c", &c, "--lock-timeout", "0", "disable", &lab.app[0]];
        check(
            "upstream-toggle",
            &strings(&args),
            "busy",
            &[("holder", "pid 4343")],
        );
    }
    // timeout: healthwait's deadline, with the document naming each target.
    let closed = free_port();
    let target = format!("tcp://127.0.0.1:{closed}");
    check(
        "healthwait",
        &strings(&["-t", "300ms", &target]),
        "timeout",
        &[],
    );
    let out = run("healthwait", &strings(&["--json", "-t", "300ms", &target]));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one document");
    assert_eq!(doc["passed"], false, "{doc:#}");
    assert_eq!(doc["targets"][0]["passed"], false, "{doc:#}");
    assert!(doc["targets"][0]["last_failure"].is_string(), "{doc:#}");
    // healthwait's CMD that is not found: 127, kind runtime, after a healthy wait.
    let up = format!("tcp://127.0.0.1:{}", lab.listen);
    let out = run(
        "healthwait",
        &strings(&["--json", &up, "--", "/nonexistent/cmd"]),
    );
    assert_eq!(out.status.code(), Some(127));
    let e = error_object("healthwait", &[], &out);
    assert_eq!(
        (e["kind"].as_str(), e["exit_code"].as_i64()),
        (Some("runtime"), Some(127))
    );
    // Nothing was changed by any of it.
    let list = run("upstream-toggle", &strings(&["-c", &c, "list", "--json"]));
    let rows: Value = serde_json::from_slice(&list.stdout).expect("list");
    assert!(
        rows.as_array()
            .is_some_and(|r| r.iter().all(|s| s["state"] == "enabled")),
        "{rows:#}"
    );
}

#[test]
fn every_document_the_tools_print_matches_its_schema() {
    let lab = Lab::start();
    let c = lab.c();
    let doc = |tool: &str, args: &[&str]| -> Value {
        let out = run(tool, &strings(args));
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    };
    let events = |args: &[&str]| -> Vec<Value> {
        let out = run("swapctl", &strings(args));
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        for l in &lines {
            valid("swapctl-event.schema.json", l);
        }
        lines
    };
    valid(
        "upstream-toggle-list.schema.json",
        &doc("upstream-toggle", &["-c", &c, "--json", "list"]),
    );
    valid(
        "upstream-toggle-edit.schema.json",
        &doc(
            "upstream-toggle",
            &["-c", &c, "disable", &lab.app[1], "--dry-run", "--json"],
        ),
    );
    // out, status (with a server out), plan, in: servers are objects, steps are enums.
    let out = events(&["-c", &c, "--json", "out", &lab.app[0], "--reason", "a test"]);
    let started = &out[0];
    assert_eq!(started["event"], "step_started", "{started:#}");
    assert_eq!(started["action"], "take_out", "{started:#}");
    assert_eq!(
        started["servers"][0],
        serde_json::json!({"upstream": "app", "name": null, "address": lab.app[0]}),
        "{started:#}"
    );
    let status = run("swapctl", &strings(&["-c", &c, "--json", "status"]));
    let status: Value = serde_json::from_slice(&status.stdout).expect("status");
    valid("swapctl-status.schema.json", &status);
    let server = status["proxies"]
        .as_array()
        .and_then(|p| {
            p.iter()
                .flat_map(|p| p["servers"].as_array().cloned().unwrap_or_default())
                .find(|s| s["address"] == lab.app[0].as_str())
        })
        .expect("the server in status");
    assert_eq!(
        (&server["upstream"], &server["state"], &server["method"]),
        (
            &Value::from("app"),
            &Value::from("disabled"),
            &Value::from("comment")
        ),
        "{server:#}"
    );
    let plan = doc(
        "swapctl",
        &[
            "-c",
            &c,
            "--upstream",
            "app",
            "--restart",
            "true {port}",
            "--json",
            "plan",
            "rolling",
        ],
    );
    valid("swapctl-plan.schema.json", &plan);
    assert_eq!(
        plan["left_out"][0]["address"],
        lab.app[0].as_str(),
        "{plan:#}"
    );
    assert_eq!(plan["steps"][0]["step"], 1, "{plan:#}");
    let back = events(&["-c", &c, "--json", "in", &lab.app[0]]);
    assert_eq!(back[0]["action"], "bring_in");
    assert_eq!(back.last().expect("finished")["event"], "finished");
    // mode: the shown document and the change's events.
    valid(
        "swapctl-mode.schema.json",
        &doc(
            "swapctl",
            &["-c", &c, "--upstream", "app", "mode", "--json"],
        ),
    );
    let mode = events(&[
        "-c",
        &c,
        "--upstream",
        "app",
        "--json",
        "mode",
        "maintenance",
    ]);
    assert_eq!(mode[0]["action"], "mode");
    events(&["-c", &c, "--upstream", "app", "--json", "mode", "normal"]);
    // healthwait: a healthy wait and its command.
    let up = format!("tcp://127.0.0.1:{}", lab.listen);
    let hw = doc("healthwait", &["--json", &up, "--", "true"]);
    valid("healthwait.schema.json", &hw);
    assert_eq!(hw["passed"], true, "{hw:#}");
    assert_eq!(hw["command"]["exit_code"], 0, "{hw:#}");
}

#[test]
fn a_stopped_deploy_gives_a_script_its_account_and_flags_read_alike() {
    let lab = Lab::start();
    let c = lab.c();
    // A restart that fails: the deploy stops with the first server out, and the finished
    // event carries the account as arrays besides the text.
    let out = run(
        "swapctl",
        &strings(&[
            "-c",
            &c,
            "--upstream",
            "app",
            "--restart",
            "false {port}",
            "--json",
            "rolling",
        ]),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = error_object("swapctl", &[], &out);
    assert_eq!(e["kind"], "runtime", "{e:#}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Value = serde_json::from_str(stdout.lines().last().expect("a line")).expect("json");
    let account = &last["account"];
    let addresses = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|s| s["address"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(addresses(&account["out"]), [lab.app[0].clone()], "{last:#}");
    assert_eq!(
        addresses(&account["failed"]),
        [lab.app[0].clone()],
        "{last:#}"
    );
    assert_eq!(addresses(&account["serving"]).len(), 2, "{last:#}");
    let next: Vec<&str> = account["next"]
        .as_array()
        .map(|n| n.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        next.iter().any(|n| n.ends_with(" resume")) && next.iter().any(|n| n.ends_with(" recover")),
        "{last:#}"
    );
    assert!(last["message"]
        .as_str()
        .is_some_and(|m| m.contains("out of rotation")));
    let back = run("swapctl", &strings(&["-c", &c, "in", &lab.app[0]]));
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );

    // Percentages as `2%`, durations as bare seconds in a profile.
    let log = lab.conf.parent().expect("dir").join("swapctl.log");
    std::fs::write(&log, "").expect("log");
    let log = log.display().to_string();
    let plan = run(
        "swapctl",
        &strings(&[
            "-c",
            &c,
            "--upstream",
            "app",
            "--restart",
            "true {port}",
            "--json",
            "plan",
            "rolling",
            "--canary",
            "1",
            "--observe",
            "10s",
            "--max-error-rate",
            "2%",
            "--access-log",
            &log,
        ]),
    );
    let plan: Value = serde_json::from_slice(&plan.stdout).expect("plan");
    assert!(
        plan["canary"]
            .as_str()
            .is_some_and(|t| t.contains("at most 2% errors")),
        "{plan:#}"
    );
    assert_eq!(plan["gate"]["max_error_rate"], 2.0, "{plan:#}");
    let profiles = lab.conf.parent().expect("dir").join("profiles");
    std::fs::create_dir_all(&profiles).expect("mkdir");
    std::fs::write(
        profiles.join("app.toml"),
        format!(
            "config = \"{c}\"\nupstream = \"app\"\nrestart = \"true {{port}}\"\nhealth = \"http://{{address}}/up\"\nhealth-timeout = 30\ndrain-timeout = 2.5\nhealth-status = \"204\"\n"
        ),
    )
    .expect("write profile");
    let out = Command::new(bin("swapctl"))
        .env("HOTSWAP_PROFILE_DIR", &profiles)
        .args(["--profile", "app", "plan", "rolling", "--json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan");
    let timeouts = plan["timeouts"].as_str().unwrap_or_default();
    assert!(
        timeouts.contains("health 30s") && timeouts.contains("drain 2.5s"),
        "{timeouts}"
    );
    assert_eq!(
        (
            &plan["bounds"]["health_timeout_ms"],
            &plan["bounds"]["drain_timeout_ms"]
        ),
        (&Value::from(30_000), &Value::from(2_500)),
        "{plan:#}"
    );

    // -q and -v: quiet says nothing on stderr, verbose says more, in every tool.
    let quiet = run(
        "upstream-toggle",
        &strings(&["-c", &c, "-q", "disable", &lab.app[2]]),
    );
    assert!(
        quiet.status.success() && quiet.stderr.is_empty(),
        "{quiet:?}"
    );
    let verbose = run(
        "upstream-toggle",
        &strings(&["-c", &c, "-v", "enable", &lab.app[2]]),
    );
    let err = String::from_utf8_lossy(&verbose.stderr);
    assert!(err.contains("read ") && err.contains("wrote "), "{err}");
    let up = format!("tcp://127.0.0.1:{}", lab.listen);
    let quiet = run("healthwait", &strings(&["-q", &up]));
    assert!(
        quiet.status.success() && quiet.stderr.is_empty(),
        "{quiet:?}"
    );
    let quiet = run("swapctl", &strings(&["-c", &c, "-q", "out", &lab.app[2]]));
    let err = String::from_utf8_lossy(&quiet.stderr);
    assert!(quiet.status.success() && !err.contains("step"), "{err}");
    let back = run("swapctl", &strings(&["-c", &c, "-q", "in", &lab.app[2]]));
    assert!(back.status.success());
}

/// A `swapctl --json rolling` of `app` in `conf` with `restart` (and `extra` flags), running, with
/// its stdout and stderr read as they come.
fn rolling_json(conf: &str, restart: &str, extra: &[&str]) -> (Child, Lines, Lines) {
    let mut child = Command::new(bin("swapctl"))
        .args(["-c", conf, "--upstream", "app", "--restart", restart])
        .args(extra)
        .args(["--json", "rolling"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = Lines::of(child.stdout.take().expect("stdout"));
    let err = Lines::of(child.stderr.take().expect("stderr"));
    (child, out, err)
}

/// Sends `sig` to `pid` (kill(1), so the test needs no signal crate).
fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{sig} {pid}");
}

#[test]
fn a_stop_in_a_step_keeps_its_kind_and_interrupts_end_with_finished_and_130() {
    let lab = Lab::start();
    let c = lab.c();

    // One Ctrl-C: the running restart finishes, the step ends with step_failed (interrupted),
    // then finished.
    let (mut deploy, out, err) =
        rolling_json(&c, "sleep 1 && true {port}", &["--health-timeout", "1s"]);
    out.wait_for("\"action\":\"restart\"", Duration::from_secs(30));
    signal(deploy.id(), "INT");
    let status = deploy.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{}", err.rest());
    let events: Vec<Value> = out
        .rest()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let failed = events
        .iter()
        .find(|e| e["event"] == "step_failed")
        .expect("the interrupted step ends");
    assert_eq!(
        (&failed["action"], &failed["reason"]),
        (&Value::from("restart"), &Value::from("interrupted"))
    );
    assert_eq!(events.last().expect("finished")["event"], "finished");
    let out_now = failed["servers"][0]["address"].as_str().unwrap_or_default();
    let back = run("swapctl", &strings(&["-c", &c, "in", out_now]));
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );

    // Ctrl-C twice during a restart: JSON Lines still end with `finished`, kind interrupted.
    let (mut deploy, out, err) = rolling_json(&c, "sleep 30 && true {port}", &[]);
    out.wait_for("\"action\":\"restart\"", Duration::from_secs(30));
    signal(deploy.id(), "INT");
    err.wait_for("Ctrl-C again to stop at once", Duration::from_secs(10));
    signal(deploy.id(), "INT");
    let status = deploy.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{}", err.rest());
    let stdout = out.rest();
    let last: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    valid("swapctl-event.schema.json", &last);
    assert_eq!(
        (&last["event"], &last["error"]["kind"], &last["exit_code"]),
        (
            &Value::from("finished"),
            &Value::from("interrupted"),
            &Value::from(130)
        ),
        "{stdout}"
    );

    // healthwait: Ctrl-C ends the wait as interrupted, with its document.
    let mut wait = Command::new(bin("healthwait"))
        .args([
            "--json",
            "-t",
            "60s",
            &format!("tcp://127.0.0.1:{}", free_port()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let werr = Lines::of(wait.stderr.take().expect("stderr"));
    werr.wait_for("waiting for", Duration::from_secs(10));
    signal(wait.id(), "INT");
    let done = wait.wait_with_output().expect("wait");
    assert_eq!(done.status.code(), Some(130), "{}", werr.rest());
    let doc: Value = serde_json::from_slice(&done.stdout).expect("one document");
    valid("healthwait.schema.json", &doc);
    assert_eq!(doc["error"]["kind"], "interrupted", "{doc:#}");

    // The validator rejects the config on disk: swapctl stops with exit 5, as upstream-toggle
    // does, and writes nothing.
    let text = std::fs::read_to_string(&lab.conf).expect("read");
    let broken = text.replacen("http {", "http {\n    no_such_directive on;", 1);
    std::fs::write(&lab.conf, &broken).expect("write");
    for (tool, args) in [
        ("upstream-toggle", vec!["-c", &c, "disable", &lab.app[1]]),
        (
            "swapctl",
            vec!["-c", &c, "--drain-timeout", "2s", "out", &lab.app[1]],
        ),
    ] {
        check(tool, &strings(&args), "rejected", &[]);
        assert_eq!(
            std::fs::read_to_string(&lab.conf).expect("read"),
            broken,
            "{tool} wrote"
        );
    }
}
