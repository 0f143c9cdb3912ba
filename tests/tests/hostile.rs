//! Hostile input: shell metacharacters, deep nesting, huge files and lines, devices, and running
//! unprivileged against files it may not write. Each fails cleanly, bounded, and changes nothing.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs a binary under a 512 MiB address-space limit and a 20 s timeout.
fn bounded(binary: &str, args: &[&str]) -> (i32, String, Duration) {
    let t = Instant::now();
    let mut cmd = Command::new("timeout");
    cmd.args(["20", "sh", "-c", "ulimit -v 524288; exec \"$@\"", "sh"])
        .arg(bin(binary))
        .args(args);
    let out = cmd.output().expect("run");
    (out.status.code().unwrap_or(-1), text(&out), t.elapsed())
}

#[test]
fn shell_metacharacters_in_names_never_reach_a_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pwned = d.join("PWNED");
    let conf = d.join("haproxy.cfg");
    std::fs::write(
        &conf,
        format!(
            "backend app\n    server ok 127.0.0.1:1\n    server x$(touch${{IFS}}{p}) 127.0.0.1:2\n    server `touch${{IFS}}{p}` 127.0.0.1:3\n",
            p = pwned.display()
        ),
    )
    .expect("write");
    let c = conf.display().to_string();
    for cmd in ["hot-swap", "rolling"] {
        let out = swapctl(&[
            "-c",
            &c,
            "--upstream",
            "app",
            "--restart",
            "echo {name}",
            cmd,
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains("refusing to put {name}"),
            "{}",
            text(&out)
        );
    }
    let nginx = d.join("nginx.conf");
    std::fs::write(
        &nginx,
        "http { upstream app { server \"127.0.0.1:1;touch PWNED\"; server 127.0.0.1:2; } }\n",
    )
    .expect("write");
    let out = swapctl(&[
        "-c",
        &nginx.display().to_string(),
        "--restart",
        "echo {port}",
        "hot-swap",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        !pwned.exists() && !d.join("PWNED").exists(),
        "no command ran"
    );
}

#[test]
fn deep_nesting_long_lines_and_huge_files_fail_cleanly_within_bounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let deep = d.join("deep.conf");
    std::fs::write(&deep, "a {".repeat(200_000)).expect("write");
    let (code, out, took) = bounded(
        "upstream-toggle",
        &["-c", &deep.display().to_string(), "list"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("deep.conf:1:") && out.contains("nest deeper than"),
        "{out}"
    );
    assert!(took < Duration::from_secs(20));

    let long = d.join("long.conf");
    let mut line = vec![b'x'; 40 << 20];
    line.extend_from_slice(b" ;\nhttp { upstream a { server 127.0.0.1:1; } }\n");
    std::fs::write(&long, &line).expect("write");
    let (code, out, _) = bounded(
        "upstream-toggle",
        &["-c", &long.display().to_string(), "list", "--json"],
    );
    assert_eq!(
        code,
        0,
        "a 40 MB line parses within 512 MiB: {}",
        &out[..out.len().min(300)]
    );

    let huge = d.join("huge.conf");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(100 << 20))
        .expect("sparse file");
    let (code, out, _) = bounded(
        "upstream-toggle",
        &["-c", &huge.display().to_string(), "list"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("configs larger than 64 MiB are refused"),
        "{out}"
    );

    let dev = d.join("dev.conf");
    std::fs::write(
        &dev,
        "http { include /dev/zero; upstream a { server 127.0.0.1:1; } }\n",
    )
    .expect("write");
    let (code, out, _) = bounded(
        "upstream-toggle",
        &["-c", &dev.display().to_string(), "list"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("/dev/zero is not a regular file"), "{out}");
}

#[test]
fn unprivileged_user_on_a_root_file_gets_a_clear_error_and_no_change() {
    if !is_root() || Command::new("setpriv").arg("--help").output().is_err() {
        eprintln!("NOTICE: skipping: needs root and setpriv to switch to an unprivileged user");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let conf = d.join("nginx.conf");
    std::fs::write(
        &conf,
        "http { upstream a { server 127.0.0.1:1; server 127.0.0.1:2; } }\n",
    )
    .expect("write");
    let before = std::fs::read(&conf).expect("read");
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin("upstream-toggle"))
        .arg("-c")
        .arg(&conf)
        .args(["disable", "127.0.0.1:1"])
        .output()
        .expect("setpriv");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("Permission denied") && text(&out).contains("sudo"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(&conf).expect("read"), before);
    // Listing needs only read access.
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin("upstream-toggle"))
        .arg("-c")
        .arg(&conf)
        .arg("list")
        .output()
        .expect("setpriv");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_read_only_file_system_gets_a_clear_error_and_no_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mnt = dir.path().join("ro");
    std::fs::create_dir(&mnt).expect("mkdir");
    if !is_root()
        || !Command::new("mount")
            .args(["-t", "tmpfs", "tmpfs"])
            .arg(&mnt)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    {
        eprintln!("NOTICE: skipping: needs root to mount a tmpfs");
        return;
    }
    let conf = mnt.join("nginx.conf");
    std::fs::write(
        &conf,
        "http { upstream a { server 127.0.0.1:1; server 127.0.0.1:2; } }\n",
    )
    .expect("write");
    // The unprivileged user owns the config, so only the read-only mount stands in its way.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::os::unix::fs::chown(&mnt, Some(65534), Some(65534)).expect("chown");
    std::os::unix::fs::chown(&conf, Some(65534), Some(65534)).expect("chown");
    let remounted = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin("upstream-toggle"))
        .arg("-c")
        .arg(&conf)
        .args(["disable", "127.0.0.1:1"])
        .output()
        .expect("run");
    let after = std::fs::read(&conf).expect("read");
    let _ = Command::new("umount").arg(&mnt).status();
    assert!(remounted, "remount read-only");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("read-only"), "{}", text(&out));
    assert_eq!(
        after,
        b"http { upstream a { server 127.0.0.1:1; server 127.0.0.1:2; } }\n"
    );
}

#[test]
fn the_sudoers_snippet_is_valid() {
    let snippet = workspace_root().join("scripts/sudoers.hotswap");
    let Ok(out) = Command::new("visudo").arg("-cf").arg(&snippet).output() else {
        eprintln!("NOTICE: skipping: visudo is not installed (apt-get install sudo)");
        return;
    };
    assert!(out.status.success(), "{}", text(&out));
    let s = std::fs::read_to_string(&snippet).expect("read");
    assert!(
        !s.lines()
            .any(|l| l.contains("swapctl") && l.trim_end().ends_with('*')),
        "no wildcard after swapctl"
    );
}

#[test]
fn a_json_error_into_a_closed_pipe_keeps_its_exit_code_and_does_not_panic() {
    let d = tempfile::tempdir().expect("tempdir");
    let missing = d.path().join("missing.conf");
    let missing = missing.to_string_lossy();
    for args in [
        vec!["-c", missing.as_ref(), "status", "--json"],
        vec!["-c", missing.as_ref(), "plan", "--json"],
    ] {
        let out = run_into_closed_pipe(std::process::Command::new(bin("swapctl")).args(&args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    }
}

/// A flag clap refuses is swapctl's own usage error: prefixed on stderr, exit 2, and under --json
/// one JSON error document on stdout (a deploy script parsing it gets JSON, not clap's text).
#[test]
fn swapctl_flag_errors_carry_the_prefix_and_the_json_document() {
    let out = swapctl(&["status", "--bogus"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("swapctl: error: unexpected argument '--bogus'"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    for args in [
        &["--json", "status", "--bogus"][..],
        &["--json", "rolling", "--batch", "x"][..],
    ] {
        let out = swapctl(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let doc: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
        assert_eq!(doc["error"]["exit_code"], 2, "{}", text(&out));
    }
    // healthwait has no --json: a `--json` of the command it would run asks for nothing.
    let out = std::process::Command::new(bin("healthwait"))
        .args(["--bogus", "127.0.0.1:1", "--", "echo", "--json"])
        .output()
        .expect("run healthwait");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("healthwait: error: "));
    assert!(out.stdout.is_empty(), "{}", text(&out));
}
