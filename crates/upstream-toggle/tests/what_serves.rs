//! `list`, the safety rule and every edit follow what nginx and haproxy really route to.
//! Every config here is checked with the real `nginx -t` / `haproxy -c`.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn nginx(dir: &Path, body: &str) -> PathBuf {
    let conf = write(dir, "nginx.conf", nginx_conf(dir, body));
    nginx_t(&conf).expect("fixture is valid");
    conf
}

fn haproxy(dir: &Path, body: &str) -> PathBuf {
    let conf = write(dir, "haproxy.cfg", haproxy_conf(dir, body));
    haproxy_c(&conf).expect("fixture is valid");
    conf
}

fn refused(r: &Run, words: &[&str]) {
    assert_eq!(r.code, 4, "expected a refusal:\n{}{}", r.stdout, r.stderr);
    for w in words {
        assert!(r.stderr.contains(w), "missing {w:?} in:\n{}", r.stderr);
    }
}

#[test]
fn a_persons_retired_server_in_another_upstream_is_never_touched_nginx() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream a {
    server 127.0.0.1:4040;
    server 127.0.0.1:4041;
}
upstream one_line { server 127.0.0.1:4040; server 127.0.0.1:4045; }
upstream b {
    # server 127.0.0.1:4040;
    server 127.0.0.1:4042;
}
upstream c {
    server 127.0.0.1:4040 down;
    server 127.0.0.1:4043;
}
upstream e {
    server 127.0.0.1:4040;
    server 127.0.0.1:4044;
}",
    );
    let orig = read(&conf);
    let r = ut(&conf, &["disable", "127.0.0.1:4040"]).ok();
    assert!(r.stdout.contains("e"), "{}", r.stdout);
    nginx_t(&conf).expect("valid");
    let r = ut(&conf, &["enable", "127.0.0.1:4040"]).ok();
    assert!(r.stdout.contains("left as it is"), "{}", r.stdout);
    // The one-line upstream's directive was given a line of its own and marked: it came back too.
    ut(&conf, &["enable", "one_line/127.0.0.1:4040"]).ok();
    assert_eq!(
        read(&conf),
        orig,
        "the person's lines in b and c are untouched"
    );
    // Named in its upstream, the person's line is brought back (and serves).
    ut(&conf, &["enable", "c/127.0.0.1:4040"]).ok();
    nginx_t(&conf).expect("valid");
    let all = list(&conf);
    let c = all
        .iter()
        .find(|r| r["upstream"] == "c" && r["address"] == "127.0.0.1:4040")
        .expect("row");
    assert_eq!(c["state"], "enabled");
}

#[test]
fn a_persons_retired_server_in_another_backend_is_never_touched_haproxy() {
    let d = tmp();
    let conf = haproxy(
        d.path(),
        "backend a
    server w1 127.0.0.1:4040
    server w2 127.0.0.1:4041
backend b
    server w1 127.0.0.1:4040 disabled
    server x 127.0.0.1:4042
backend c
    #server w1 127.0.0.1:4040
    server y 127.0.0.1:4043
",
    );
    let orig = read(&conf);
    for (off, on) in [
        ("w1", "w1"),
        ("127.0.0.1:4040", "127.0.0.1:4040"),
        ("w1", "a/w1"),
    ] {
        ut(&conf, &["disable", off]).ok();
        haproxy_c(&conf).expect("valid");
        let rows = list(&conf);
        let disabled: Vec<_> = rows
            .iter()
            .filter(|r| r["name"] == "w1" && r["marked"] == true)
            .map(|r| r["upstream"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(disabled, ["a"]);
        ut(&conf, &["enable", on]).ok();
        assert_eq!(read(&conf), orig, "disable {off} / enable {on}");
    }
}

#[test]
fn a_tracking_server_counts_as_out_with_the_server_it_tracks() {
    let d = tmp();
    let conf = haproxy(
        d.path(),
        "backend app
    server s1 127.0.0.1:4001 check
    server s2 127.0.0.1:4002 check
backend mirror
    server m1 127.0.0.1:4001 track app/s1
backend same
    server t1 127.0.0.1:4011 check
    server t2 127.0.0.1:4012 track t1
",
    );
    let orig = read(&conf);
    refused(&ut(&conf, &["disable", "app/s1"]), &["mirror", "tracks"]);
    refused(
        &ut(&conf, &["disable", "same/t1"]),
        &["same", "t2", "tracks"],
    );
    assert_eq!(read(&conf), orig, "nothing written");
    // s2 is not tracked: taking it out leaves app serving through s1.
    ut(&conf, &["disable", "s2"]).ok();
    ut(&conf, &["enable", "s2"]).ok();
    ut(&conf, &["disable", "app/s1", "--force"]).ok();
    haproxy_c(&conf).expect("valid");
    ut(&conf, &["enable", "app/s1"]).ok();
    assert_eq!(read(&conf), orig);
}

#[test]
fn weight_zero_and_inactive_if_branches_do_not_serve() {
    let d = tmp();
    let conf = haproxy(
        d.path(),
        "backend w
    server s1 127.0.0.1:4001
    server s2 127.0.0.1:4002 weight 0
backend off
    server s1 127.0.0.1:4101
.if 0
    server s2 127.0.0.1:4102
.endif
backend unknown
    server s1 127.0.0.1:4201
.if defined(HOTSWAP_SURELY_UNSET)
    server s2 127.0.0.1:4202
.endif
backend on
    server s1 127.0.0.1:4301
.if 0
.else
    server s2 127.0.0.1:4302
.endif
backend cookie
    server s1 127.0.0.1:4401 cookie disabled
",
    );
    refused(&ut(&conf, &["disable", "w/s1"]), &["backend w", "weight 0"]);
    refused(&ut(&conf, &["disable", "off/s1"]), &["backend off", ".if"]);
    refused(&ut(&conf, &["disable", "unknown/s1"]), &["backend unknown"]);
    ut(&conf, &["disable", "on/s1"]).ok();
    haproxy_c(&conf).expect("valid");
    // `cookie disabled` is a cookie value: the server is enabled and the last one serving.
    let rows = list(&conf);
    let c = rows
        .iter()
        .find(|r| r["upstream"] == "cookie")
        .expect("row");
    assert_eq!(c["state"], "enabled");
    refused(&ut(&conf, &["disable", "cookie/s1"]), &["backend cookie"]);
}

#[test]
fn default_server_disabled_is_inherited_through_named_defaults_and_from() {
    let d = tmp();
    let body = "defaults base
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    default-server disabled

defaults plain
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s

backend app from base
    server s1 127.0.0.1:4001 enabled
    server s2 127.0.0.1:4002
    server s3 127.0.0.1:4003 enabled check

backend other
    server o1 127.0.0.1:4101
    server o2 127.0.0.1:4102
";
    let conf = write(
        d.path(),
        "haproxy.cfg",
        format!(
            "global\n    stats socket {}/a.sock level admin\n\n{body}",
            d.path().display()
        ),
    );
    haproxy_c(&conf).expect("valid");
    let rows = list(&conf);
    let state = |n: &str| {
        rows.iter()
            .find(|r| r["name"] == n)
            .map(|r| r["state"].clone())
            .expect("row")
    };
    assert_eq!(state("s1"), "enabled");
    assert_eq!(
        state("s2"),
        "disabled",
        "inherited from `defaults base` via `from`"
    );
    assert_eq!(
        state("o1"),
        "enabled",
        "`other` follows the last defaults, `plain`"
    );
    ut(&conf, &["disable", "s3"]).ok();
    refused(&ut(&conf, &["disable", "s1"]), &["backend app"]);
    ut(&conf, &["enable", "s3"]).ok();
    // `enabled` anywhere on the line: a marker and a byte-exact way back.
    let orig = read(&conf);
    ut(&conf, &["disable", "s1", "s3", "--force"]).ok();
    haproxy_c(&conf).expect("valid");
    let t = text(&conf);
    assert!(
        t.contains("server s1 127.0.0.1:4001 # upstream-toggle: disabled"),
        "{t}"
    );
    assert!(
        t.contains("server s3 127.0.0.1:4003 enabled check disabled # upstream-toggle: disabled"),
        "{t}"
    );
    assert!(list(&conf)
        .iter()
        .filter(|r| r["upstream"] == "app")
        .all(|r| r["state"] == "disabled"));
    ut(&conf, &["enable", "--all"]).ok();
    assert_eq!(read(&conf), orig);
    // The person's inherited `disabled` comes back with `enabled` when named.
    ut(&conf, &["enable", "app/s2"]).ok();
    haproxy_c(&conf).expect("valid");
    assert!(text(&conf).contains("server s2 127.0.0.1:4002 enabled\n"));
}

#[test]
fn an_include_shared_by_two_upstreams_is_checked_and_reported_for_each() {
    let d = tmp();
    write(d.path(), "shared.conf", "server 127.0.0.1:5000;\n");
    let conf = nginx(
        d.path(),
        "upstream a { include shared.conf; server 127.0.0.1:5001; }
upstream b {
    include shared.conf;
}",
    );
    let shared = d.path().join("shared.conf");
    refused(&ut(&conf, &["disable", "127.0.0.1:5000"]), &["upstream b"]);
    refused(
        &ut(&conf, &["disable", "a/127.0.0.1:5000"]),
        &["upstream b"],
    );
    std::fs::write(&shared, "server 127.0.0.1:5000;\nserver 127.0.0.1:5002;\n").expect("write");
    let orig = read(&shared);
    let r = ut(&conf, &["disable", "127.0.0.1:5000", "--json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let ups: Vec<&str> = doc["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["upstream"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ups, ["a", "b"], "one edit, reported for each upstream");
    nginx_t(&conf).expect("valid");
    assert_eq!(
        text(&shared).matches("# server 127.0.0.1:5000;").count(),
        1,
        "edited once"
    );
    ut(&conf, &["enable", "127.0.0.1:5000"]).ok();
    assert_eq!(read(&shared), orig);
}

#[test]
fn a_server_without_a_port_is_port_80() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream u {\n    server 127.0.0.1;\n    server 127.0.0.2:80;\n    server localhost:8080;\n}",
    );
    let orig = read(&conf);
    ut(&conf, &["disable", "127.0.0.1:80"]).ok();
    assert!(text(&conf).contains("# server 127.0.0.1; # upstream-toggle"));
    nginx_t(&conf).expect("valid");
    ut(&conf, &["disable", "127.0.0.2"]).ok();
    assert!(text(&conf).contains("# server 127.0.0.2:80; # upstream-toggle"));
    nginx_t(&conf).expect("valid");
    ut(&conf, &["enable", "127.0.0.1", "127.0.0.2:80"]).ok();
    assert_eq!(read(&conf), orig);
    let r = ut(&conf, &["disable", "127.0.0.1:8080"]);
    assert_eq!(r.code, 3, "port 80 is only the default: {}", r.stderr);
}

#[test]
fn enabling_a_persons_down_line_gives_a_line_that_serves() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream u {\n    server 127.0.0.1:4001;\n    # server 127.0.0.1:4002 down;\n    # server 127.0.0.1:4003\n    #     max_fails=2 down;\n}",
    );
    ut(&conf, &["enable", "127.0.0.1:4002", "127.0.0.1:4003"]).ok();
    nginx_t(&conf).expect("valid");
    let t = text(&conf);
    assert!(t.contains("\n    server 127.0.0.1:4002;\n"), "{t}");
    assert!(
        t.contains("\n    server 127.0.0.1:4003\n        max_fails=2;\n"),
        "{t}"
    );
    for r in list(&conf) {
        assert_eq!(r["state"], "enabled", "{r}");
    }
    let h = haproxy(
        d.path(),
        "backend app\n    server s1 127.0.0.1:4001\n    #server s2 127.0.0.1:4002 check disabled\n    #server s3 127.0.0.1:4003 cookie disabled\n",
    );
    ut(&h, &["enable", "s2", "s3"]).ok();
    haproxy_c(&h).expect("valid");
    let t = text(&h);
    assert!(t.contains("    server s2 127.0.0.1:4002 check\n"), "{t}");
    assert!(
        t.contains("    server s3 127.0.0.1:4003 cookie disabled\n"),
        "{t}"
    );
    for r in list(&h) {
        assert_eq!(r["state"], "enabled", "{r}");
    }
}

#[test]
fn markers_cannot_be_forged_by_a_person_or_a_reason() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream u {
    server 127.0.0.1:4001;
    server 127.0.0.1:4002;
    # server 127.0.0.1:4003; # upstream-toggle: disabled by ops, do NOT re-enable
    server 127.0.0.1:4004
        max_fails=3;
}",
    );
    let rows = list(&conf);
    assert_eq!(rows_marked(&rows, "127.0.0.1:4003"), Some(false));
    let orig = read(&conf);
    ut(&conf, &["enable", "--all"]).ok();
    assert_eq!(read(&conf), orig, "a person's look-alike is not a marker");
    ut(
        &conf,
        &[
            "disable",
            "127.0.0.1:4004",
            "--reason",
            "lines=3 ticket #42",
        ],
    )
    .ok();
    nginx_t(&conf).expect("valid");
    let rows = list(&conf);
    let r = rows
        .iter()
        .find(|r| r["address"] == "127.0.0.1:4004")
        .expect("row");
    assert_eq!(r["reason"], "lines=3 ticket 42");
    ut(&conf, &["disable", "127.0.0.1:4001", "--reason", "lines=1"]).ok();
    ut(&conf, &["enable", "--all"]).ok();
    assert_eq!(read(&conf), orig);
}

fn rows_marked(rows: &[serde_json::Value], addr: &str) -> Option<bool> {
    rows.iter()
        .find(|r| r["address"] == addr)
        .and_then(|r| r["marked"].as_bool())
}

#[test]
fn the_kind_is_read_from_the_content_and_a_wrong_kind_says_so() {
    let d = tmp();
    let body = "frontend fe
    bind 127.0.0.1:1
    acl admin path_beg /admin
    http-request deny if { path_beg /private } || admin
    default_backend app
backend app
    server s1 127.0.0.1:4001
    server s2 127.0.0.1:4002
";
    let lb = write(d.path(), "lb.conf", haproxy_conf(d.path(), body));
    haproxy_c(&lb).expect("valid");
    let rows = list(&lb);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "s1");
    let r = ut(&lb, &["-k", "nginx", "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("-k haproxy"), "{}", r.stderr);
    let n = nginx(d.path(), "upstream u { server 127.0.0.1:1; }");
    let r = ut(&n, &["-k", "haproxy", "list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("-k nginx"), "{}", r.stderr);
    // An nginx `listen` line reads as a haproxy `listen` section named `127.0.0.1:1;`, which
    // haproxy refuses: no empty table, no "no such server".
    let site = write(
        d.path(),
        "site-up.conf",
        nginx_conf(
            d.path(),
            "upstream u { server 127.0.0.1:1; server 127.0.0.1:3; }\nserver {\n    listen 127.0.0.1:1;\n    location / { proxy_pass http://u; }\n}",
        ),
    );
    for args in [
        &["-k", "haproxy", "list"][..],
        &["-k", "haproxy", "disable", "127.0.0.1:1"][..],
    ] {
        let r = ut(&site, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("-k nginx"), "{}", r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
    let none = write(
        d.path(),
        "site.conf",
        nginx_conf(
            d.path(),
            "server { listen 127.0.0.1:1; location / { proxy_pass http://127.0.0.1:2; } }",
        ),
    );
    for args in [&["list"][..], &["disable", "127.0.0.1:2"][..]] {
        let r = ut(&none, args);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("no `upstream` block"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn list_into_a_closed_pipe_ends_quietly() {
    use std::process::{Command, Stdio};
    let d = tmp();
    let servers: String = (0..3000)
        .map(|i| format!("    server 127.0.0.1:{};\n", 10000 + i))
        .collect();
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(d.path(), &format!("upstream u {{\n{servers}}}")),
    );
    for json in [false, true] {
        let mut c = Command::new(env!("CARGO_BIN_EXE_upstream-toggle"));
        c.arg("-c").arg(&conf).arg("list");
        if json {
            c.arg("--json");
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Read one line, then hang up, as `| head -1` does.
        let mut out = child.stdout.take().expect("stdout");
        let mut first = [0u8; 16];
        std::io::Read::read_exact(&mut out, &mut first).expect("some output");
        drop(out);
        let done = child.wait_with_output().expect("wait");
        assert_eq!(done.status.code(), Some(0), "json={json}");
        assert!(
            done.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}

#[test]
fn a_json_error_into_a_closed_pipe_keeps_its_exit_code() {
    use std::process::Command;
    let d = tmp();
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(d.path(), "upstream u {\n    server 127.0.0.1:4040;\n}"),
    );
    let missing = d.path().join("missing.conf");
    let cases: [(&std::path::Path, &[&str], i32); 3] = [
        (&missing, &["list", "--json"], 2),
        (&conf, &["disable", "127.0.0.9:1", "--json"], 3),
        (&conf, &["disable", "127.0.0.1:4040", "--json"], 4),
    ];
    for (c, args, code) in cases {
        let out = run_into_closed_pipe(
            Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
                .arg("-c")
                .arg(c)
                .args(args),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            err.contains("upstream-toggle: error:") && !err.contains("panicked"),
            "{err}"
        );
    }
}

/// `show stat` over the admin socket: (backend, server) → (status, weight).
fn haproxy_stat(sock: &Path) -> Vec<(String, String, String, u64)> {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(sock).expect("admin socket");
    s.write_all(b"show stat\n").expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let (px, sv) = (f.first()?, f.get(1)?);
            if *sv == "FRONTEND" || *sv == "BACKEND" {
                return None;
            }
            Some((
                px.to_string(),
                sv.to_string(),
                f.get(17)?.to_string(),
                f.get(18)?.parse().ok()?,
            ))
        })
        .collect()
}

#[test]
fn the_serving_model_agrees_with_a_running_haproxy() {
    let d = tmp();
    let port = free_port();
    let body = format!(
        "frontend fe
    bind 127.0.0.1:{port}
    default_backend app
backend app
    server s1 127.0.0.1:1 check
    server s2 127.0.0.1:2 weight 0
    server s3 127.0.0.1:3 cookie disabled
    server s5 127.0.0.1:5 backup
.if 0
    server s4 127.0.0.1:4
.endif
backend mirror
    server m1 127.0.0.1:1 track app/s1
    server m2 127.0.0.1:6 enabled
"
    );
    let conf = haproxy(d.path(), &body);
    ut(&conf, &["disable", "app/s1", "--force"]).ok();
    haproxy_c(&conf).expect("valid");
    let ours = list(&conf);
    let pidfile = d.path().join("haproxy.pid");
    let _proxy = Proxy::haproxy(&conf, &pidfile, port);
    let stats = haproxy_stat(&d.path().join("admin.sock"));
    assert!(!stats.is_empty());
    for row in &ours {
        let (up, name) = (
            row["upstream"].as_str().unwrap_or_default(),
            row["name"].as_str().unwrap_or_default(),
        );
        let theirs = stats.iter().find(|(p, s, _, _)| p == up && s == name);
        let haproxy_serves = theirs.is_some_and(|(_, _, status, weight)| {
            !status.starts_with("MAINT") && *weight > 0 && row["backup"] == false
        });
        assert_eq!(
            row["serves"].as_bool(),
            Some(haproxy_serves),
            "{up}/{name}: haproxy says {theirs:?}, we say {row}"
        );
    }
    let m1 = stats
        .iter()
        .find(|(p, s, _, _)| p == "mirror" && s == "m1")
        .expect("m1");
    assert!(
        m1.2.contains("via"),
        "the tracker is in maintenance via its target: {m1:?}"
    );
}

/// A selector no server could be written as is a usage error (exit 2) that says what is wrong, on
/// both proxies and under --json; a well-formed one that matches nothing stays "no such server".
#[test]
fn malformed_selectors_are_usage_errors() {
    let d = tmp();
    let n = nginx(
        d.path(),
        "upstream app { server 127.0.0.1:4001; server 127.0.0.1:4002; }",
    );
    let h = haproxy(
        d.path(),
        "backend app\n    server s1 127.0.0.1:4001\n    server s2 127.0.0.1:4002\n",
    );
    for conf in [&n, &h] {
        let before = std::fs::read(conf).expect("read");
        let mut bad = vec![("app/", "after the '/'"), ("[::1", "never closes")];
        // A haproxy server name may hold a `:`, so only nginx knows a port is out of range.
        if conf == &n {
            bad.extend([
                ("127.0.0.1:99999", "out of range"),
                ("app/127.0.0.1:4294967296", "out of range"),
            ]);
        }
        for (arg, says) in bad {
            let r = ut(conf, &["disable", arg]);
            assert_eq!(r.code, 2, "{arg}: {}", r.stderr);
            assert!(r.stderr.contains(says), "{arg}: {}", r.stderr);
            let r = ut(conf, &["enable", arg, "--json"]);
            assert_eq!(r.code, 2, "{arg}: {}", r.stderr);
            let doc: serde_json::Value =
                serde_json::from_str(&r.stdout).expect("one JSON document");
            assert_eq!(doc["error"]["exit_code"], 2, "{}", r.stdout);
        }
        assert_eq!(std::fs::read(conf).expect("read"), before);
        let r = ut(conf, &["disable", "127.0.0.1:4009"]);
        assert_eq!(r.code, 3, "{}", r.stderr);
    }
    let r = ut(&h, &["disable", "web:70000"]);
    assert_eq!(r.code, 3, "a haproxy name, not a port: {}", r.stderr);
}

/// A flag clap refuses is still the tool's own usage error: prefixed on stderr, exit 2, and under
/// --json one JSON error document on stdout; --help and --version still print and exit 0.
#[test]
fn flag_errors_carry_the_prefix_and_the_json_document() {
    let d = tmp();
    let n = nginx(
        d.path(),
        "upstream app { server 127.0.0.1:4001; server 127.0.0.1:4002; }",
    );
    let r = ut(&n, &["list", "--bogus"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("upstream-toggle: error: unexpected argument '--bogus'"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    for args in [
        &["list", "--json", "--bogus"][..],
        &[
            "disable",
            "--json",
            "--method",
            "sideways",
            "127.0.0.1:4001",
        ][..],
    ] {
        let r = ut(&n, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
        assert_eq!(doc["error"]["exit_code"], 2, "{}", r.stdout);
        assert!(doc["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    for args in [&["--help"][..], &["--version"][..], &["list", "--help"][..]] {
        let r = ut(&n, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(!r.stdout.is_empty());
    }
}

/// When the validator rejects the config as it already is (an error the edit did not make), the
/// refusal says so, on both proxies; an edit that itself breaks the config is not said to.
#[test]
fn a_config_the_validator_already_rejects_is_said_to_be_broken_before_the_edit() {
    let d = tmp();
    let n = write(
        d.path(),
        "nginx.conf",
        nginx_conf(
            d.path(),
            "upstream app { server 127.0.0.1:4001; server 127.0.0.1:4002; }\nbogus_directive on;",
        ),
    );
    assert!(nginx_t(&n).is_err(), "nginx rejects the fixture");
    let h = write(
        d.path(),
        "haproxy.cfg",
        haproxy_conf(
            d.path(),
            "backend app\n    bogus_keyword 1\n    server s1 127.0.0.1:4001\n    server s2 127.0.0.1:4002\n",
        ),
    );
    assert!(haproxy_c(&h).is_err(), "haproxy rejects the fixture");
    for (conf, says) in [(&n, "bogus_directive"), (&h, "bogus_keyword")] {
        let before = std::fs::read(conf).expect("read");
        let r = ut(conf, &["disable", "127.0.0.1:4001"]);
        assert_eq!(r.code, 5, "{}", r.stderr);
        assert!(
            r.stderr.contains("already is on disk, before this edit"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(says), "{}", r.stderr);
        assert_eq!(std::fs::read(conf).expect("read"), before);
    }
    // A valid config the edit itself would break: a backup server brought back into a hash upstream.
    let ok = nginx(
        d.path(),
        "upstream app {\n    hash $uri;\n    server 127.0.0.1:4001;\n    # server 127.0.0.1:4002 backup;\n}",
    );
    let r = ut(&ok, &["enable", "127.0.0.1:4002", "--force"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("rejected the edited config"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("before this edit"), "{}", r.stderr);
    // Broken before, and the edit breaks it first in another way: the edit is still to blame.
    let both = write(
        d.path(),
        "both.conf",
        nginx_conf(
            d.path(),
            "upstream app {\n    hash $uri;\n    server 127.0.0.1:4001;\n    # server 127.0.0.1:4002 backup;\n}\nbogus_directive on;",
        ),
    );
    let r = ut(&both, &["enable", "127.0.0.1:4002", "--force"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr.contains("rejected the edited config"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("backup"), "{}", r.stderr);
}

/// A server that both arms of `.if … .else … .endif` define exists whatever the condition, so it
/// serves; with no `.else`, an unknown condition still counts as not read.
#[test]
fn a_server_in_every_arm_of_an_if_else_serves() {
    let d = tmp();
    let body = "backend app
.if defined(HAPROXY_MWORKER)
    server s1 127.0.0.1:1 check
.elif version_atleast(2.0)
    server s1 127.0.0.1:1 check inter 5s
.else
    server s1 127.0.0.1:1
.endif
    server s2 127.0.0.1:2
backend half
.if defined(HAPROXY_MWORKER)
    server h1 127.0.0.1:3
.endif
    server h2 127.0.0.1:4
";
    let conf = haproxy(d.path(), body);
    let all = list(&conf);
    let s1: Vec<bool> = rows(&all, "127.0.0.1:1")
        .iter()
        .map(|r| r["serves"].as_bool().expect("bool"))
        .collect();
    assert_eq!(s1, [true, true, true], "{all:?}");
    assert_eq!(rows(&all, "127.0.0.1:3")[0]["serves"], false);
    ut(&conf, &["disable", "app/s2"]).ok();
    haproxy_c(&conf).expect("valid");
    refused(&ut(&conf, &["disable", "half/h2"]), &["half"]);
    // Taking s1 out takes out every copy, and then nothing is left.
    refused(&ut(&conf, &["disable", "app/s1"]), &["app"]);
}

/// The file with its markers' time set to a day long past.
fn older_marker(text: &str) -> String {
    let at = text.find("disabled 20").expect("a marker") + "disabled ".len();
    format!("{}2025-01-01T00:00:00Z{}", &text[..at], &text[at + 20..])
}

/// A person put a server back by hand and left the tool's marked line beside it: no enable makes
/// a second live copy; the marked line is named as a stale leftover with the live one.
#[test]
fn a_stale_marked_line_beside_a_live_copy_is_never_enabled() {
    let d = tmp();
    let conf = nginx(
        d.path(),
        "upstream app {\n    server 127.0.0.1:4001;\n    server 127.0.0.1:4002;\n}",
    );
    ut(&conf, &["disable", "127.0.0.1:4001"]).ok();
    // Put back by hand: a new line, the marked one left.
    let by_hand = text(&conf).replace(
        "    server 127.0.0.1:4002;\n",
        "    server 127.0.0.1:4002;\n    server 127.0.0.1:4001;\n",
    );
    std::fs::write(&conf, &by_hand).expect("write");
    nginx_t(&conf).expect("valid");
    for args in [&["enable", "--all"][..], &["enable", "127.0.0.1:4001"][..]] {
        let r = ut(&conf, args).ok();
        assert!(
            r.stdout.contains("stale leftover") && r.stdout.contains("nginx.conf:11"),
            "{args:?}: {}",
            r.stdout
        );
        assert_eq!(text(&conf), by_hand, "{args:?}: nothing written");
    }
    // Taken out again and brought back: the line just taken out returns, the leftover (from an
    // earlier day) stays.
    let by_hand = older_marker(&by_hand);
    std::fs::write(&conf, &by_hand).expect("write");
    for enable in [&["enable", "127.0.0.1:4001"][..], &["enable", "--all"][..]] {
        ut(&conf, &["disable", "127.0.0.1:4001"]).ok();
        let r = ut(&conf, enable).ok();
        assert!(r.stdout.contains("second copy"), "{}", r.stdout);
        assert_eq!(text(&conf), by_hand, "{enable:?}: one live copy, as before");
        nginx_t(&conf).expect("valid");
    }
    let h = tmp();
    let hconf = haproxy(
        h.path(),
        "backend app\n    server s1 127.0.0.1:4001\n    server s2 127.0.0.1:4002\n",
    );
    ut(&hconf, &["disable", "s1", "--method", "comment"]).ok();
    let by_hand = text(&hconf).replace(
        "    server s2 127.0.0.1:4002\n",
        "    server s2 127.0.0.1:4002\n    server s1 127.0.0.1:4011\n",
    );
    std::fs::write(&hconf, &by_hand).expect("write");
    haproxy_c(&hconf).expect("valid");
    let r = ut(&hconf, &["enable", "--all"]).ok();
    assert!(r.stdout.contains("stale leftover"), "{}", r.stdout);
    assert_eq!(text(&hconf), by_hand);
    haproxy_c(&hconf).expect("still valid: no second s1");
    let by_hand = older_marker(&by_hand);
    std::fs::write(&hconf, &by_hand).expect("write");
    ut(&hconf, &["disable", "s1", "--method", "comment"]).ok();
    ut(&hconf, &["enable", "s1"]).ok();
    assert_eq!(
        text(&hconf),
        by_hand,
        "the live s1 is back, the leftover stays"
    );
    haproxy_c(&hconf).expect("still valid: no second s1");
}

/// A pool included by a round-robin and a hashing upstream is taken out with `down` (the hash
/// keeps its keys); a comment asked for explicitly is refused.
#[test]
fn a_pool_shared_with_a_hashing_upstream_is_taken_out_with_down() {
    let d = tmp();
    write(
        d.path(),
        "pool.inc",
        "server 127.0.0.1:4001;\nserver 127.0.0.1:4002;\n",
    );
    let conf = nginx(
        d.path(),
        "upstream rr {\n    include pool.inc;\n}\nupstream sticky {\n    hash $request_uri consistent;\n    include pool.inc;\n}",
    );
    let pool = d.path().join("pool.inc");
    let before = read(&pool);
    let r = ut(
        &conf,
        &["disable", "rr/127.0.0.1:4001", "--method", "comment"],
    );
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("sticky") && r.stderr.contains("down"),
        "{}",
        r.stderr
    );
    assert_eq!(read(&pool), before);
    let r = ut(&conf, &["disable", "rr/127.0.0.1:4001"]).ok();
    assert!(r.stdout.contains("sticky"), "{}", r.stdout);
    let line = text(&pool).lines().next().unwrap_or_default().to_string();
    assert!(
        line.starts_with("server 127.0.0.1:4001 down;"),
        "down, not commented out: {line}"
    );
    nginx_t(&conf).expect("valid");
    ut(&conf, &["enable", "rr/127.0.0.1:4001"]).ok();
    assert_eq!(read(&pool), before);
}
