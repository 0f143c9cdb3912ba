//! The commit: per-file locks, validation as the running proxy reads the config, files that keep
//! their ACLs and extended attributes, and a dry run that validates and diffs raw bytes.

mod common;
use common::*;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn two_mains_sharing(dir: &Path, servers: u16) -> (std::path::PathBuf, std::path::PathBuf) {
    let shared: String = (0..servers)
        .map(|i| format!("server 127.0.0.1:{};\n", 6000 + i))
        .collect();
    write(dir, "conf.d/shared.inc", shared);
    let mk = |name: &str, up: &str| {
        let sub = dir.join(name);
        std::fs::create_dir_all(&sub).expect("mkdir");
        let conf = write(
            &sub,
            "nginx.conf",
            nginx_conf(
                &sub,
                &format!(
                    "upstream {up} {{\n    include {}/conf.d/shared.inc;\n}}",
                    dir.display()
                ),
            ),
        );
        nginx_t(&conf).expect("valid");
        conf
    };
    (mk("one", "a"), mk("two", "b"))
}

#[test]
fn parallel_edits_through_two_mains_that_include_one_file_lose_nothing() {
    let d = tmp();
    let (one, two) = two_mains_sharing(d.path(), 21);
    let children: Vec<_> = (0..20u16)
        .map(|i| {
            let conf = if i % 2 == 0 { &one } else { &two };
            Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
                .arg("-c")
                .arg(conf)
                .args(["disable", &format!("127.0.0.1:{}", 6000 + i)])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let shared = text(&d.path().join("conf.d/shared.inc"));
    assert_eq!(
        shared.matches("# server").count(),
        20,
        "no edit lost:\n{shared}"
    );
    nginx_t(&one).expect("valid");
    ut(&two, &["enable", "--all"]).ok();
    assert_eq!(
        text(&d.path().join("conf.d/shared.inc"))
            .matches('#')
            .count(),
        0
    );
}

#[test]
fn a_held_lock_is_reported_at_once_and_waited_for_within_the_bound() {
    let d = tmp();
    let (one, _) = two_mains_sharing(d.path(), 3);
    let inc = d.path().join("conf.d/shared.inc");
    let before = read(&inc);
    let lock_path = d.path().join("conf.d/.shared.inc.lock");
    let mut held = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&lock_path)
        .expect("open lock");
    held.lock().expect("lock");
    held.write_all(b"pid 4242 (deployer) since 2026-01-01T00:00:00Z: a test\n")
        .expect("write holder");
    let t = Instant::now();
    let r = ut(&one, &["--lock-timeout", "1s", "disable", "127.0.0.1:6000"]);
    let took = t.elapsed();
    assert_eq!(r.code, 6, "busy: {}", r.stderr);
    assert!(
        r.stderr
            .contains("pid 4242 (deployer) since 2026-01-01T00:00:00Z"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("waiting up to 1s"), "{}", r.stderr);
    assert!(r.stderr.contains("--lock-timeout"), "{}", r.stderr);
    assert!(
        took < Duration::from_secs(20),
        "bounded wait, took {took:?}"
    );
    assert_eq!(read(&inc), before, "nothing written");
    // Released within the bound: the edit goes through.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    });
    ut(
        &one,
        &["--lock-timeout", "20s", "disable", "127.0.0.1:6000"],
    )
    .ok();
    releaser.join().expect("join");
}

#[test]
fn edits_refuse_while_a_swapctl_deploy_holds_the_config() {
    let d = tmp();
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(
            d.path(),
            "upstream u { server 127.0.0.1:1; server 127.0.0.1:2; }",
        ),
    );
    let deploy = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(d.path().join(".nginx.conf.swapctl.lock"))
        .expect("open");
    deploy.lock().expect("lock");
    (&deploy)
        .write_all(b"pid 77 (ops) since 2026-01-01T00:00:00Z: swapctl rolling\n")
        .expect("write");
    let r = ut(&conf, &["disable", "127.0.0.1:1"]);
    assert_eq!(r.code, 6, "busy: {}", r.stderr);
    assert!(r.stderr.contains("swapctl rolling"), "{}", r.stderr);
    ut(&conf, &["disable", "127.0.0.1:1", "--force"]).ok();
    drop(deploy);
    ut(&conf, &["enable", "127.0.0.1:1"]).ok();
}

#[test]
fn a_symlinked_main_config_validates_from_where_it_is_linked() {
    let d = tmp();
    let etc = d.path().join("etc");
    let repo = d.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    write(
        &etc,
        "conf.d/up.conf",
        "upstream inc { server 127.0.0.1:7001; server 127.0.0.1:7002; }\n",
    );
    write(
        &repo,
        "nginx.conf",
        nginx_conf(
            d.path(),
            "include conf.d/up.conf;\nupstream main {\n    server 127.0.0.1:7101;\n    server 127.0.0.1:7102;\n}",
        ),
    );
    let link = etc.join("nginx.conf");
    std::os::unix::fs::symlink("../repo/nginx.conf", &link).expect("symlink");
    nginx_t(&link).expect("valid as linked");
    assert!(
        nginx_t(&repo.join("nginx.conf")).is_err(),
        "the real path alone does not resolve the include"
    );
    let orig_main = read(&link);
    let orig_inc = read(&etc.join("conf.d/up.conf"));
    ut(&link, &["disable", "127.0.0.1:7001", "127.0.0.1:7101"]).ok();
    assert!(std::fs::symlink_metadata(&link)
        .expect("stat")
        .file_type()
        .is_symlink());
    nginx_t(&link).expect("still valid");
    ut(
        &link,
        &["disable", "127.0.0.1:7002", "--dry-run", "--force"],
    )
    .ok();
    ut(&link, &["enable", "--all"]).ok();
    assert_eq!(read(&link), orig_main);
    assert_eq!(read(&etc.join("conf.d/up.conf")), orig_inc);
}

#[test]
fn nginx_prefix_is_passed_to_the_validator() {
    let d = tmp();
    let prefix = d.path().join("prefix");
    std::fs::create_dir_all(prefix.join("logs")).expect("mkdir");
    let conf = write(
        &prefix,
        "conf/nginx.conf",
        "pid logs/nginx.pid;\nerror_log logs/error.log;\nevents {}\nhttp {\n    access_log logs/access.log;\n    upstream u { server 127.0.0.1:1; server 127.0.0.1:2; }\n}\n",
    );
    let p = prefix.to_string_lossy().into_owned();
    ut(&conf, &["--prefix", &p, "disable", "127.0.0.1:1"]).ok();
    assert!(prefix.join("logs/error.log").exists() || prefix.join("logs/access.log").exists());
    ut(&conf, &["enable", "127.0.0.1:1", "--prefix", &p]).ok();
    if !Path::new("/usr/share/nginx/logs").exists() && !Path::new("/etc/nginx/logs").exists() {
        // Without the prefix, nginx looks for logs/ under its compiled-in prefix and rejects it.
        let r = ut(&conf, &["disable", "127.0.0.1:1"]);
        assert_eq!(r.code, 5, "{}", r.stderr);
    }
}

#[test]
fn haproxy_default_path_config_is_honoured_for_a_linked_config() {
    let d = tmp();
    let etc = d.path().join("etc");
    let repo = d.path().join("repo");
    write(
        &etc,
        "errors/503.http",
        "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nsorry\n",
    );
    let body = "backend app\n    errorfile 503 errors/503.http\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n";
    let text_cfg =
        haproxy_conf(d.path(), body).replacen("global\n", "global\n    default-path config\n", 1);
    write(&repo, "haproxy.cfg", text_cfg);
    let link = etc.join("haproxy.cfg");
    std::os::unix::fs::symlink("../repo/haproxy.cfg", &link).expect("symlink");
    let orig = read(&link);
    ut(&link, &["disable", "s1"]).ok();
    ut(&link, &["enable", "s1"]).ok();
    assert_eq!(read(&link), orig);
    // And a relative file that really is missing is caught, with nothing written.
    std::fs::remove_file(etc.join("errors/503.http")).expect("rm");
    let r = ut(&link, &["disable", "s1"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(read(&link), orig);
}

#[test]
fn dry_run_validates_and_its_diff_applies_byte_for_byte_on_latin1() {
    let d = tmp();
    let body = "upstream u {\n    hash $request_uri;\n    server 127.0.0.1:1; # caf\u{e9}\n    # server 127.0.0.1:2 backup;\n}";
    let mut bytes = nginx_conf(d.path(), body).into_bytes();
    // Make the comment latin-1: é as the single byte 0xE9.
    let at = bytes.windows(2).position(|w| w == [0xC3, 0xA9]).expect("é");
    bytes.splice(at..at + 2, [0xE9]);
    let conf = write(d.path(), "nginx.conf", &bytes);
    nginx_t(&conf).expect("valid");
    // Bringing back a backup server into a hash upstream is rejected by nginx: the dry run says so.
    let r = ut(&conf, &["enable", "127.0.0.1:2", "--dry-run"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("backup"), "{}", r.stderr);
    let out = Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
        .arg("-c")
        .arg(&conf)
        .args(["disable", "127.0.0.1:1", "--dry-run", "--force"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(&conf), bytes, "a dry run writes nothing");
    let copy = write(d.path(), "copy/nginx.conf", &bytes);
    let patched = Command::new(require("patch"))
        .arg(&copy)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().expect("stdin").write_all(&out.stdout)?;
            c.wait()
        })
        .expect("patch");
    assert!(patched.success());
    ut(&conf, &["disable", "127.0.0.1:1", "--force"]).ok();
    // The two runs may fall in different seconds: the marker's time is the one byte range that
    // may differ.
    assert_eq!(
        without_marker_time(&read(&copy)),
        without_marker_time(&read(&conf)),
        "the dry-run diff is the real edit, byte for byte"
    );
}

#[test]
fn acls_and_extended_attributes_survive_the_edit() {
    let d = tmp();
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(
            d.path(),
            "upstream u { server 127.0.0.1:1; server 127.0.0.1:2; }",
        ),
    );
    let acl = Command::new("setfacl")
        .args(["-m", "u:nobody:rw"])
        .arg(&conf)
        .status();
    if !matches!(acl, Ok(s) if s.success()) {
        eprintln!("NOTICE: skipping: setfacl is missing or the file system has no ACLs");
        return;
    }
    if xattr::set(&conf, "user.hotswap", b"keep me").is_err() {
        eprintln!("NOTICE: skipping: the file system has no user extended attributes");
        return;
    }
    let acl_before = xattr::get(&conf, "system.posix_acl_access").expect("get");
    assert!(acl_before.is_some());
    ut(&conf, &["disable", "127.0.0.1:1"]).ok();
    assert!(
        text(&conf).contains("# server 127.0.0.1:1;") || text(&conf).contains("127.0.0.1:1 down;")
    );
    assert_eq!(
        xattr::get(&conf, "system.posix_acl_access").expect("get"),
        acl_before
    );
    assert_eq!(
        xattr::get(&conf, "user.hotswap").expect("get").as_deref(),
        Some(&b"keep me"[..])
    );
    let shown = Command::new("getfacl")
        .arg(&conf)
        .output()
        .expect("getfacl");
    assert!(String::from_utf8_lossy(&shown.stdout).contains("user:nobody:rw-"));
}

/// The bytes with each marker's RFC 3339 time (`2026-12-06T23:59:59Z`, 20 bytes) blanked.
fn without_marker_time(bytes: &[u8]) -> Vec<u8> {
    let tag = b"upstream-toggle: disabled ";
    let mut out = bytes.to_vec();
    let mut at = 0;
    while let Some(p) = out[at..].windows(tag.len()).position(|w| w == tag) {
        let start = at + p + tag.len();
        let end = (start + 20).min(out.len());
        out[start..end].fill(b'T');
        at = end;
    }
    out
}
