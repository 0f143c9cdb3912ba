//! Bugs a hostile review found in the engine, each kept as a test with the real validator.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn nginx(dir: &Path, body: &str) -> std::path::PathBuf {
    let conf = write(dir, "nginx.conf", nginx_conf(dir, body));
    nginx_t(&conf).expect("fixture is valid");
    conf
}

#[test]
fn multi_line_servers_with_blank_lines_or_sharing_a_line_are_marked_and_come_back() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream a {
    server 10.0.0.1:80

        weight=1;
    server 10.0.0.2:80;
    server 10.0.0.4:80; server 10.0.0.1:81
        weight=2;
}
upstream b { server 10.0.0.1:80; server 10.0.0.3:80; }",
    );
    let orig = read(&conf);
    ut(&conf, &["disable", "10.0.0.1:80", "10.0.0.1:81"]).ok();
    nginx_t(&conf).expect("valid");
    let rows = list(&conf);
    for r in rows
        .iter()
        .filter(|r| r["address"] == "10.0.0.1:80" || r["address"] == "10.0.0.1:81")
    {
        assert_eq!(
            (r["state"].as_str(), r["marked"].as_bool()),
            (Some("disabled"), Some(true)),
            "{r}"
        );
    }
    ut(&conf, &["enable", "10.0.0.1:80", "10.0.0.1:81"]).ok();
    assert_eq!(read(&conf), orig);
    ut(
        &conf,
        &["disable", "10.0.0.1:80", "10.0.0.1:81", "--method", "down"],
    )
    .ok();
    nginx_t(&conf).expect("valid");
    ut(&conf, &["enable", "--all"]).ok();
    assert_eq!(read(&conf), orig);
}

#[test]
fn force_never_leaves_an_upstream_nginx_rejects() {
    let d = tmp();
    write(
        d.path(),
        "pool.inc",
        "server 10.0.0.1:80;\nserver 10.0.0.2:80;\n",
    );
    let conf = nginx(
        d.path(),
        "upstream b { server 127.0.0.1:80; server 127.0.0.2:8080 backup; }
upstream a { include pool.inc; server 10.0.0.9:80; }
upstream c { include pool.inc; }",
    );
    let r = ut(&conf, &["disable", "b/127.0.0.1:80", "--force"]).ok();
    assert!(r.stdout.contains("backups only"), "{}", r.stdout);
    nginx_t(&conf).expect("a backup alone is not enough for nginx: down was used");
    let r = ut(&conf, &["disable", "10.0.0.1:80", "10.0.0.2:80", "--force"]).ok();
    nginx_t(&conf).expect("the shared include keeps a live line for c");
    // One change per physical line, reported alike for every upstream that includes it.
    for line in ["pool.inc:1:", "pool.inc:2:"] {
        let said: std::collections::BTreeSet<&str> = r
            .stdout
            .lines()
            .filter(|l| l.contains(line))
            .filter_map(|l| l.split_once("  ").map(|(_, what)| what))
            .collect();
        assert_eq!(said.len(), 1, "{line}:\n{}", r.stdout);
    }
    assert!(r.stdout.contains("down"), "{}", r.stdout);
    for bad in [&["--no-validate"][..], &[][..]] {
        let mut args = vec!["enable", "--all"];
        args.extend_from_slice(bad);
        ut(&conf, &args).ok();
    }
    nginx_t(&conf).expect("valid");
}

#[test]
fn a_multi_line_listen_does_not_make_nginx_look_like_haproxy() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream a { server 10.0.0.1:80; server 10.0.0.2:80; }
server {
    listen 127.0.0.1:18086
           default_server;
    location / { proxy_pass http://a; }
}",
    );
    assert_eq!(list(&conf).len(), 2);
    ut(&conf, &["disable", "10.0.0.1:80"]).ok();
    nginx_t(&conf).expect("valid");
}

#[test]
fn haproxy_weights_are_read_like_atol_and_env_values_are_not_counted_on() {
    let d = tmp();
    let conf = write(
        d.path(),
        "haproxy.cfg",
        haproxy_conf(
            d.path(),
            "backend plus\n    server s1 127.0.0.1:1 weight +0\n    server s2 127.0.0.1:2\nbackend env\n    server s1 127.0.0.1:3 weight \"${HOTSWAP_W}\"\n    server s2 127.0.0.1:4\n",
        ),
    );
    haproxy_c(&conf).expect("valid");
    for b in ["plus", "env"] {
        let r = ut(&conf, &["disable", &format!("{b}/s2")]);
        assert_eq!(r.code, 4, "{b}: {}", r.stderr);
    }
}

#[test]
fn json_errors_and_the_dry_run_diff_are_one_json_document_on_stdout() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream a { server 10.0.0.1:80; server 10.0.0.2:80; }",
    );
    for (args, code) in [
        (&["disable", "9.9.9.9:1", "--json"][..], 3),
        (&["disable", "10.0.0.1:80", "10.0.0.2:80", "--json"][..], 4),
    ] {
        let r = ut(&conf, args);
        assert_eq!(r.code, code, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
        assert_eq!(v["error"]["exit_code"], code);
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let r = ut(&conf, &["list", "--json"]);
    assert!(serde_json::from_str::<serde_json::Value>(&r.stdout).is_ok_and(|v| v.is_array()));
    let missing = d.path().join("missing.conf");
    let r = ut(&missing, &["list", "--json"]);
    assert_ne!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["error"]["exit_code"], r.code);
    let r = ut(&conf, &["disable", "10.0.0.1:80", "--dry-run", "--json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(
        v["diff"]
            .as_str()
            .is_some_and(|t| t.contains("+upstream a { \n+# server 10.0.0.1:80;")),
        "{v}"
    );
    assert_eq!(v["outcomes"][0]["change"], "disabled");
    assert_eq!(v["dry_run"], true);
}

#[test]
fn validator_errors_name_the_real_files() {
    let d = tmp();
    write(
        d.path(),
        "conf.d/site.conf",
        "upstream h {\n    hash $request_uri;\n    include conf.d/pool.inc;\n    server 10.0.0.9:80;\n}\n",
    );
    write(
        d.path(),
        "conf.d/pool.inc",
        "server 10.0.0.1:80;\n# server 10.0.0.2:80 backup;\n",
    );
    let conf = nginx(d.path(), "include conf.d/site.conf;");
    let r = ut(&conf, &["enable", "10.0.0.2:80"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(!r.stderr.contains(".hotswap-check"), "{}", r.stderr);
    assert!(r.stderr.contains("conf.d/pool.inc:2"), "{}", r.stderr);
}

#[test]
fn a_relative_prefix_is_the_callers() {
    let d = tmp();
    std::fs::create_dir_all(d.path().join("logs")).expect("mkdir");
    write(
        d.path(),
        "conf/nginx.conf",
        "pid logs/nginx.pid;\nerror_log logs/error.log;\nevents {}\nhttp {\n    access_log off;\n    upstream u { server 127.0.0.1:1; server 127.0.0.1:2; }\n}\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
        .args([
            "--prefix",
            ".",
            "-c",
            "conf/nginx.conf",
            "disable",
            "127.0.0.1:1",
        ])
        .current_dir(d.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_lock_file_names_no_one_once_released_and_0080_is_port_80() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream a { server 127.0.0.1:0080; server 127.0.0.2:80; }\nupstream c {\n    server 127.0.0.1:80;\n    server 127.0.0.3:80;\n}",
    );
    let orig = read(&conf);
    let r = ut(&conf, &["disable", "127.0.0.1:80"]).ok();
    assert!(
        r.stdout.contains("a") && r.stdout.contains("c"),
        "{}",
        r.stdout
    );
    nginx_t(&conf).expect("valid");
    assert_eq!(
        std::fs::read(d.path().join(".nginx.conf.lock")).expect("lock file"),
        b"",
        "a released lock names no holder"
    );
    ut(&conf, &["enable", "a/127.0.0.1:80", "c/127.0.0.1:80"]).ok();
    assert_eq!(read(&conf), orig);
}

#[test]
fn upstream_is_a_global_flag_before_or_after_the_subcommand_and_filters_list() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream app { server 10.0.0.1:80; server 10.0.0.2:80; }\nupstream api { server 10.0.0.1:80; server 10.0.0.3:80; }",
    );
    let orig = read(&conf);
    let c = conf.display().to_string();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
            .args(args)
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["--upstream", "api", "-c", &c, "list", "--json"]);
    assert_eq!(code, Some(0));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["upstream"] == "api"));
    assert_eq!(
        run(&["-c", &c, "disable", "10.0.0.1:80", "--upstream", "app"]).0,
        Some(0)
    );
    assert_eq!(
        run(&["--upstream", "app", "-c", &c, "enable", "10.0.0.1:80"]).0,
        Some(0)
    );
    assert_eq!(read(&conf), orig);
    assert_eq!(run(&["-c", &c, "list", "--upstream", "nope"]).0, Some(3));
}

/// A refusal for an upstream the edit reaches only through a shared include says so and names the
/// shared file; an nginx refusal lists why each other server does not serve, as haproxy's does
/// (the whole config is read again on that failure path).
#[test]
fn refusals_explain_shared_lines_and_list_why_the_others_do_not_serve() {
    let d = tmp();
    write(d.path(), "pool.inc", "server 10.0.0.1:80;\n");
    let conf = nginx(
        d.path(),
        "upstream a { include pool.inc; server 10.0.0.9:80; }
upstream c { include pool.inc; server 10.0.0.5:80 down; server 10.0.0.6:80 backup down; }",
    );
    let before = read(&conf);
    let r = ut(&conf, &["disable", "a/10.0.0.1:80"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("upstream c"), "{}", r.stderr);
    assert!(r.stderr.contains("pool.inc"), "{}", r.stderr);
    assert!(r.stderr.contains("includes too"), "{}", r.stderr);
    // Why the others of c do not serve: one line each.
    assert!(r.stderr.contains("10.0.0.5:80"), "{}", r.stderr);
    assert!(r.stderr.contains("10.0.0.6:80"), "{}", r.stderr);
    assert_eq!(read(&conf), before);
    // Named directly, no shared-line remark, and the others are still listed.
    let r = ut(&conf, &["disable", "c/10.0.0.1:80"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("10.0.0.6:80"), "{}", r.stderr);
    assert_eq!(read(&conf), before);
}

/// A `server` line whose `;` was forgotten runs into the next one (nginx rejects the pair as one
/// directive with an "invalid parameter"): editing it would take out both servers, so it is
/// refused with the fix, even without validation.
#[test]
fn a_server_line_missing_its_semicolon_is_refused_with_the_fix() {
    let d = tmp();
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(
            d.path(),
            "upstream app {\n    server 127.0.0.1:4001\n    server 127.0.0.1:4002;\n    server 127.0.0.1:4003;\n}",
        ),
    );
    assert!(nginx_t(&conf).is_err(), "nginx rejects the fixture");
    let before = read(&conf);
    for extra in [&[][..], &["--no-validate"][..]] {
        let mut args = vec!["disable", "127.0.0.1:4001"];
        args.extend_from_slice(extra);
        let r = ut(&conf, &args);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(r.stderr.contains("a `;` is missing"), "{}", r.stderr);
        assert!(r.stderr.contains("nginx.conf:"), "{}", r.stderr);
        assert_eq!(read(&conf), before);
    }
}
