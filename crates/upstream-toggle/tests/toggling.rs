//! Selecting, disabling and enabling servers: matching, methods, markers, safety, idempotence.

mod common;
use common::*;

fn app_conf(dir: &std::path::Path) -> std::path::PathBuf {
    let body = format!(
        r#"    upstream app {{
        server 127.0.0.1:4040 weight=2;
        server 127.0.0.1:40401;
        server unix:{d}/app.sock;
        server 127.0.0.1:4041 backup;
        #server 127.0.0.1:4099; # retired by a person
    }}
    upstream admin {{
        server 127.0.0.1:4040;
        server 127.0.0.1:5050;
    }}
    upstream sticky {{
        ip_hash;
        server 127.0.0.1:6060;
        server 127.0.0.1:6061;
    }}
    server {{ listen 127.0.0.1:1; location / {{ proxy_pass http://app; }} }}
"#,
        d = dir.display()
    );
    let conf = write(dir, "nginx.conf", nginx_conf(dir, &body));
    nginx_t(&conf).expect("fixture valid");
    conf
}

#[test]
fn list_json_reports_every_field() {
    let d = tmp();
    let conf = app_conf(d.path());
    let all = list(&conf);
    assert_eq!(all.len(), 9);
    for r in &all {
        for key in [
            "file", "line", "upstream", "name", "address", "state", "method", "backup",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert!(r["name"].is_null());
    }
    let b = &rows(&all, "127.0.0.1:4041")[0];
    assert_eq!(
        (b["backup"].as_bool(), b["line"].as_u64()),
        (Some(true), Some(12))
    );
    let retired = &rows(&all, "127.0.0.1:4099")[0];
    assert_eq!(
        (retired["state"].as_str(), retired["method"].as_str()),
        (Some("disabled"), Some("comment"))
    );
    assert_eq!(retired["marked"], false);
}

#[test]
fn exact_matching_every_upstream_and_unix_sockets() {
    let d = tmp();
    let conf = app_conf(d.path());
    let r = ut(&conf, &["disable", "127.0.0.1:4040"]).ok();
    assert!(
        r.stdout.contains("app/127.0.0.1:4040") && r.stdout.contains("admin/127.0.0.1:4040"),
        "{}",
        r.stdout
    );
    let all = list(&conf);
    assert!(rows(&all, "127.0.0.1:4040")
        .iter()
        .all(|r| r["state"] == "disabled"));
    assert_eq!(
        rows(&all, "127.0.0.1:40401")[0]["state"],
        "enabled",
        "no prefix match"
    );
    let sock = format!("unix:{}/app.sock", d.path().display());
    ut(&conf, &["disable", &sock]).ok();
    assert_eq!(rows(&list(&conf), &sock)[0]["state"], "disabled");
    nginx_t(&conf).expect("valid");
    let r = ut(&conf, &["enable", "admin/127.0.0.1:4040"]).ok();
    assert_eq!(r.stdout.lines().count(), 1);
    let all = list(&conf);
    let states: Vec<_> = rows(&all, "127.0.0.1:4040")
        .iter()
        .map(|r| r["upstream"].to_string() + &r["state"].to_string())
        .collect();
    assert_eq!(states, ["\"app\"\"disabled\"", "\"admin\"\"enabled\""]);
    let r = ut(&conf, &["enable", "127.0.0.1:4040", "--upstream", "app"]).ok();
    assert_eq!(r.stdout.lines().count(), 1);
}

#[test]
fn hashing_upstreams_default_to_down_and_methods_can_be_chosen() {
    let d = tmp();
    let conf = app_conf(d.path());
    ut(&conf, &["disable", "127.0.0.1:6060"]).ok();
    assert_eq!(rows(&list(&conf), "127.0.0.1:6060")[0]["method"], "down");
    assert!(text(&conf).contains("server 127.0.0.1:6060 down; # upstream-toggle: disabled "));
    ut(&conf, &["disable", "127.0.0.1:5050", "--method", "down"]).ok();
    assert_eq!(rows(&list(&conf), "127.0.0.1:5050")[0]["method"], "down");
    ut(&conf, &["disable", "127.0.0.1:40401"]).ok();
    assert_eq!(
        rows(&list(&conf), "127.0.0.1:40401")[0]["method"],
        "comment"
    );
    nginx_t(&conf).expect("valid");
}

#[test]
fn markers_protect_what_a_person_retired() {
    let d = tmp();
    let conf = app_conf(d.path());
    let orig = read(&conf);
    ut(
        &conf,
        &[
            "disable",
            "127.0.0.1:40401",
            "127.0.0.1:5050",
            "--reason",
            "deploy 42",
        ],
    )
    .ok();
    let all = list(&conf);
    let r = &rows(&all, "127.0.0.1:40401")[0];
    assert_eq!(
        (r["marked"].as_bool(), r["reason"].as_str()),
        (Some(true), Some("deploy 42"))
    );
    let r = ut(&conf, &["enable", "--all"]).ok();
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
    assert_eq!(
        read(&conf),
        orig,
        "the person's #server 4099 stays commented"
    );
    // Named exactly, the single commented-out line comes back.
    ut(&conf, &["enable", "127.0.0.1:4099"]).ok();
    assert_eq!(rows(&list(&conf), "127.0.0.1:4099")[0]["state"], "enabled");
    nginx_t(&conf).expect("valid");
}

#[test]
fn several_unmarked_alternatives_are_ambiguous() {
    let d = tmp();
    let body = "backend app\n    server s1 127.0.0.1:1 check\n    server s2 127.0.0.1:2\n    #server s3 127.0.0.1:3 check\n    #server s3 127.0.0.1:3 check inter 1s\n";
    let conf = write(d.path(), "haproxy.cfg", haproxy_conf(d.path(), body));
    let before = read(&conf);
    let r = ut(&conf, &["enable", "s3"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("haproxy.cfg:13") && r.stderr.contains("haproxy.cfg:14"),
        "{}",
        r.stderr
    );
    assert_eq!(read(&conf), before);
    // With a marked line among them, the marked one is restored.
    ut(&conf, &["disable", "s1"]).ok();
    let r = ut(&conf, &["enable", "s1"]).ok();
    assert!(r.stdout.contains("haproxy.cfg:11"), "{}", r.stdout);
    assert_eq!(read(&conf), before);
}

#[test]
fn idempotent_requests_exit_0_and_say_so() {
    let d = tmp();
    let conf = app_conf(d.path());
    let r = ut(&conf, &["enable", "127.0.0.1:5050"]).ok();
    assert!(r.stdout.contains("already enabled"), "{}", r.stdout);
    ut(&conf, &["disable", "127.0.0.1:5050"]).ok();
    let after = read(&conf);
    let r = ut(&conf, &["disable", "127.0.0.1:5050"]).ok();
    assert!(r.stdout.contains("already disabled"), "{}", r.stdout);
    assert_eq!(read(&conf), after);
}

#[test]
fn refusing_the_last_server_and_force() {
    let d = tmp();
    let conf = app_conf(d.path());
    ut(&conf, &["disable", "127.0.0.1:5050"]).ok();
    let before = read(&conf);
    let r = ut(&conf, &["disable", "admin/127.0.0.1:4040"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("admin") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(read(&conf), before);
    // A backup serves once no primary does: the last primary may go, the backup then may not.
    ut(
        &conf,
        &[
            "disable",
            "127.0.0.1:40401",
            "127.0.0.1:4040",
            "--upstream",
            "app",
        ],
    )
    .ok();
    ut(
        &conf,
        &["disable", &format!("unix:{}/app.sock", d.path().display())],
    )
    .ok();
    nginx_t(&conf).expect("valid with only the backup serving");
    let r = ut(&conf, &["disable", "127.0.0.1:4041"]);
    assert_eq!(r.code, 4, "the backup is all that serves: {}", r.stderr);
    // --force takes the last one out; commenting it out would empty the upstream, so it is marked down.
    let r = ut(&conf, &["disable", "admin/127.0.0.1:4040", "--force"]).ok();
    assert!(r.stdout.contains("(down, marked)"), "{}", r.stdout);
    nginx_t(&conf).expect("valid");
    assert_eq!(rows(&list(&conf), "127.0.0.1:4040")[1]["state"], "disabled");
}

#[test]
fn unknown_servers_exit_3_and_list_what_exists() {
    let d = tmp();
    let conf = app_conf(d.path());
    for args in [
        &["disable", "127.0.0.1:404"][..],
        &["enable", "nosuch/127.0.0.1:4040"][..],
        &["disable", "4040"][..],
    ] {
        let r = ut(&conf, args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("127.0.0.1:40401") || r.stderr.contains("the config has: app"),
            "{}",
            r.stderr
        );
    }
}

/// Every address `list` prints selects its server, haproxy's `proto@` prefixes included, plain
/// and scoped to its backend.
#[test]
fn every_address_form_list_prints_is_a_selector() {
    let d = tmp();
    let body = "backend app
    server u unix@/run/app.sock
    server v ipv4@127.0.0.1:8081
    server w ipv6@[::1]:8082
    server x 127.0.0.1:8083
    server y tcp@127.0.0.1:8084
";
    let conf = write(d.path(), "haproxy.cfg", haproxy_conf(d.path(), body));
    haproxy_c(&conf).expect("fixture valid");
    let before = read(&conf);
    let printed: Vec<String> = list(&conf)
        .iter()
        .map(|r| r["address"].as_str().expect("address").to_string())
        .collect();
    assert_eq!(printed.len(), 5, "{printed:?}");
    for addr in &printed {
        for sel in [addr.clone(), format!("app/{addr}")] {
            let r = ut(&conf, &["disable", &sel]).ok();
            assert!(r.stdout.contains("disabled"), "{sel}: {}", r.stdout);
            haproxy_c(&conf).expect("valid");
            ut(&conf, &["enable", &sel]).ok();
            assert_eq!(read(&conf), before, "{sel}");
        }
    }
    // An nginx upstream name may hold an `@`: only haproxy's prefixes are addresses.
    let n = tmp();
    let nconf = write(
        n.path(),
        "nginx.conf",
        nginx_conf(
            n.path(),
            "    upstream app@eu {\n        server 127.0.0.1:1;\n        server 127.0.0.1:2;\n    }\n",
        ),
    );
    nginx_t(&nconf).expect("fixture valid");
    let r = ut(&nconf, &["disable", "app@eu/127.0.0.1:1"]).ok();
    assert!(r.stdout.contains("app@eu"), "{}", r.stdout);
}
