//! The commit path: locking, temp files, mode and owner, symlinks, validation, dry runs, full disks.

mod common;
use common::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

fn many_servers(dir: &std::path::Path, n: u16) -> std::path::PathBuf {
    let servers: String = (0..n)
        .map(|i| format!("        server 127.0.0.1:{};\n", 20000 + i))
        .collect();
    let conf = write(
        dir,
        "nginx.conf",
        nginx_conf(dir, &format!("    upstream app {{\n{servers}    }}\n")),
    );
    nginx_t(&conf).expect("valid");
    conf
}

fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn forty_concurrent_invocations_lose_no_edit() {
    let d = tmp();
    let conf = many_servers(d.path(), 41);
    let children: Vec<_> = (0..40)
        .map(|i| {
            std::process::Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
                .arg("-c")
                .arg(&conf)
                .args(["disable", &format!("127.0.0.1:{}", 20000 + i)])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("wait").success());
    }
    let all = list(&conf);
    let disabled = all.iter().filter(|r| r["state"] == "disabled").count();
    assert_eq!(disabled, 40, "every concurrent edit landed");
    nginx_t(&conf).expect("valid");
    assert!(temp_files(d.path()).is_empty());
    ut(&conf, &["enable", "--all"]).ok();
    assert!(list(&conf).iter().all(|r| r["state"] == "enabled"));
}

#[test]
fn mode_and_owner_are_kept() {
    let d = tmp();
    let conf = many_servers(d.path(), 2);
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let is_root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if is_root {
        std::os::unix::fs::chown(&conf, Some(65534), Some(65534)).expect("chown");
    }
    let before = std::fs::metadata(&conf).expect("stat");
    ut(&conf, &["disable", "127.0.0.1:20000"]).ok();
    let after = std::fs::metadata(&conf).expect("stat");
    assert_ne!(before.ino(), after.ino(), "replaced by rename");
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    if !is_root {
        eprintln!("NOTICE: not root, so the owner part of this test kept the current owner");
    }
}

#[test]
fn a_symlinked_config_stays_a_link() {
    let d = tmp();
    std::fs::create_dir(d.path().join("real")).expect("mkdir");
    let real = many_servers(&d.path().join("real"), 2);
    let link = d.path().join("nginx.conf");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let orig = read(&real);
    ut(&link, &["disable", "127.0.0.1:20001"]).ok();
    assert!(std::fs::symlink_metadata(&link)
        .expect("lstat")
        .file_type()
        .is_symlink());
    assert_ne!(read(&real), orig, "the target was edited");
    assert!(temp_files(d.path()).is_empty() && temp_files(&d.path().join("real")).is_empty());
    ut(&link, &["enable", "127.0.0.1:20001"]).ok();
    assert_eq!(read(&real), orig);
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let d = tmp();
    let conf = many_servers(d.path(), 2);
    let before = std::fs::metadata(&conf).expect("stat");
    let orig = read(&conf);
    let r = ut(&conf, &["disable", "127.0.0.1:20001", "--dry-run"]).ok();
    assert!(r.stdout.starts_with("--- a/"), "{}", r.stdout);
    assert!(r.stdout.contains("-        server 127.0.0.1:20001;\n+        # server 127.0.0.1:20001; # upstream-toggle: disabled "), "{}", r.stdout);
    assert!(r.stderr.contains("would be disabled"), "{}", r.stderr);
    assert_eq!(read(&conf), orig);
    assert_eq!(std::fs::metadata(&conf).expect("stat").ino(), before.ino());
}

#[test]
fn a_rejecting_validator_exits_5_and_no_validate_skips_it() {
    let d = tmp();
    let conf = many_servers(d.path(), 2);
    // Valid syntax that only the real nginx rejects: an unknown directive.
    let t = text(&conf).replace(
        "access_log off;",
        "access_log off;\n    no_such_directive on;",
    );
    std::fs::write(&conf, &t).expect("write");
    let r = ut(&conf, &["disable", "127.0.0.1:20001"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown directive \"no_such_directive\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("nginx.conf:6"),
        "the message names the real file: {}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("/.nginx.conf."),
        "the temp copy is not named: {}",
        r.stderr
    );
    assert_eq!(text(&conf), t);
    assert!(temp_files(d.path()).is_empty());
    ut(&conf, &["disable", "127.0.0.1:20001", "--no-validate"]).ok();
    assert_ne!(text(&conf), t);
}

#[test]
fn a_validator_variable_naming_a_missing_binary_is_an_error_not_a_skip() {
    let d = tmp();
    let conf = many_servers(d.path(), 2);
    let before = read(&conf);
    for args in [
        &["disable", "127.0.0.1:20001"][..],
        &["disable", "127.0.0.1:20001", "--dry-run"][..],
    ] {
        let r = ut_env(&conf, args, &[("HOTSWAP_NGINX", "/nonexistent/nginx")]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr
                .contains("HOTSWAP_NGINX=/nonexistent/nginx is not a file"),
            "{}",
            r.stderr
        );
        assert_eq!(read(&conf), before, "nothing written");
    }
}

#[test]
fn a_full_disk_leaves_the_original_and_no_temp_file() {
    let d = tmp();
    let mnt = d.path().join("small");
    std::fs::create_dir(&mnt).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("NOTICE: skipping the full-disk test: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let conf = many_servers(&mnt, 400);
    let orig = read(&conf);
    // Fill the rest of the tmpfs so the new copy cannot be written.
    let mut filler = std::fs::File::create(mnt.join("filler")).expect("filler");
    let _ = std::io::Write::write_all(&mut filler, &vec![0u8; 1 << 20]);
    drop(filler);
    let r = ut(&conf, &["disable", "127.0.0.1:20001", "--no-validate"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("No space left") || r.stderr.contains("disk is full"),
        "{}",
        r.stderr
    );
    assert_eq!(read(&conf), orig);
    assert!(temp_files(&mnt).is_empty(), "{:?}", temp_files(&mnt));
}

/// The diff names files as `diff -u` would: relative to the working directory (an included file
/// too), so `patch -p1` there applies it; a file outside it keeps its absolute path.
#[test]
fn dry_run_diff_names_files_relative_to_the_working_directory() {
    let d = tmp();
    let etc = d.path().join("etc");
    write(
        &etc,
        "pool.inc",
        "server 127.0.0.1:4001;\nserver 127.0.0.1:4002;\n",
    );
    let conf = write(
        &etc,
        "nginx.conf",
        nginx_conf(
            &etc,
            "    upstream app {\n        include pool.inc;\n    }\n",
        ),
    );
    nginx_t(&conf).expect("valid");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
        .current_dir(d.path())
        .args([
            "-c",
            "etc/nginx.conf",
            "disable",
            "127.0.0.1:4002",
            "--dry-run",
        ])
        .output()
        .expect("run");
    let diff = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        diff.starts_with("--- a/etc/pool.inc\n+++ b/etc/pool.inc\n"),
        "{diff}"
    );
    let patched = std::process::Command::new(require("patch"))
        .args(["-p1", "--dry-run"])
        .current_dir(d.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(diff.as_bytes())?;
            c.wait_with_output()
        })
        .expect("patch");
    assert!(
        patched.status.success(),
        "{}",
        String::from_utf8_lossy(&patched.stdout)
    );
    // From elsewhere, the path stays absolute.
    let r = ut(&conf, &["disable", "127.0.0.1:4002", "--dry-run"]).ok();
    let abs = etc.join("pool.inc").canonicalize().expect("path");
    assert!(
        r.stdout.starts_with(&format!("--- a/{}", abs.display()))
            || r.stdout
                .starts_with(&format!("--- a/{}", etc.join("pool.inc").display())),
        "{}",
        r.stdout
    );
}

/// A reason long enough to push the marked line past what nginx reads as one comment (4096
/// bytes) is a usage error and nothing is written, with or without validation; one byte less is
/// written and nginx accepts it.
#[test]
fn a_reason_that_would_make_nginx_refuse_the_line_is_a_usage_error() {
    let d = tmp();
    let conf = many_servers(d.path(), 2);
    let orig = read(&conf);
    let marked_len = |reason: &str| {
        ut(&conf, &["disable", "127.0.0.1:20001", "--reason", reason]).ok();
        let len = text(&conf)
            .lines()
            .find(|l| l.contains("20001"))
            .map(str::len)
            .expect("marked line");
        ut(&conf, &["enable", "127.0.0.1:20001"]).ok();
        assert_eq!(read(&conf), orig);
        len
    };
    let room = 4095 - marked_len("r");
    let longest = "r".repeat(1 + room);
    assert_eq!(marked_len(&longest), 4095);
    let mut cmd = vec!["disable", "127.0.0.1:20001", "--reason", &longest];
    ut(&conf, &cmd).ok();
    nginx_t(&conf).expect("a 4095-byte marked line is one nginx reads");
    ut(&conf, &["enable", "127.0.0.1:20001"]).ok();
    let too_long = format!("{longest}r");
    cmd[3] = &too_long;
    for extra in [&[][..], &["--no-validate"][..], &["--dry-run"][..]] {
        let args: Vec<&str> = cmd.iter().chain(extra).copied().collect();
        let r = ut(&conf, &args);
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("too long") && r.stderr.contains("by 1 bytes"),
            "{}",
            r.stderr
        );
        assert_eq!(read(&conf), orig, "nothing written");
    }
}
