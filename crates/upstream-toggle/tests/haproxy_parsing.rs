//! haproxy syntax the engine must read like haproxy does, checked against the real `haproxy -c`.

mod common;
use common::*;

fn fixture(dir: &std::path::Path) -> std::path::PathBuf {
    let body = r#"peers mypeers
    peer local 127.0.0.1:10000
    server other 127.0.0.1:10001

ring myring
    format rfc3164
    size 32764
    server logsrv 127.0.0.1:6514

frontend fe
    bind 127.0.0.1:1
    http-request set-header X-Quoted "a b # not a comment" # a real comment
    http-request set-header X-Escaped a\ b\#c
    default_backend app

backend app
    balance roundrobin
    server web1 127.0.0.1:4040 check # the main one
    server web10 127.0.0.1:4050 check
    #server web1 127.0.0.1:4041 check
    #server web1 127.0.0.1:4042 check inter 5s
    server v6a ipv6@::1:4043
    server v6b [::1]:4044
    server-template srv 1-3 127.0.0.1:4060 check
.if defined(HOTSWAP_NEVER_SET)
    server cond1 127.0.0.1:4070
.elif defined(ALSO_NEVER)
    server cond2 127.0.0.1:4071
.else
    server cond3 127.0.0.1:4072
.endif

backend dflt
    default-server disabled
    server d1 127.0.0.1:5000
    server d2 127.0.0.1:5001 enabled
"#;
    let conf = write(dir, "haproxy.cfg", haproxy_conf(dir, body));
    haproxy_c(&conf).expect("haproxy accepts the fixture");
    conf
}

#[test]
fn inventory_follows_sections_conditionals_and_defaults() {
    let d = tmp();
    let conf = fixture(d.path());
    let all = list(&conf);
    let names: Vec<&str> = all
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "web1", "web10", "web1", "web1", "v6a", "v6b", "srv", "cond1", "cond2", "cond3", "d1",
            "d2"
        ],
        "peers and ring servers are not backend servers"
    );
    let web1: Vec<_> = all.iter().filter(|r| r["name"] == "web1").collect();
    assert_eq!(web1[0]["state"], "enabled");
    assert_eq!(web1[1]["method"], "comment");
    assert_eq!(web1[1]["line"], web1[0]["line"].as_u64().expect("line") + 2);
    let cond = all.iter().find(|r| r["name"] == "cond1").expect("cond1");
    assert_eq!(cond["conditional"], true);
    let d1 = all.iter().find(|r| r["name"] == "d1").expect("d1");
    assert_eq!(
        (d1["state"].as_str(), d1["method"].as_str()),
        (Some("disabled"), Some("disabled"))
    );
    let d2 = all.iter().find(|r| r["name"] == "d2").expect("d2");
    assert_eq!(d2["state"], "enabled");
    assert_eq!(
        all.iter().find(|r| r["name"] == "srv").expect("srv")["template"],
        "1-3"
    );
}

#[test]
fn names_are_exact_and_ipv6_forms_match() {
    let d = tmp();
    let conf = fixture(d.path());
    let orig = read(&conf);
    let r = ut(&conf, &["disable", "web1"]).ok();
    assert_eq!(
        r.stdout.lines().count(),
        1,
        "only the live web1: {}",
        r.stdout
    );
    let all = list(&conf);
    assert_eq!(
        all.iter().find(|r| r["name"] == "web10").expect("web10")["state"],
        "enabled"
    );
    haproxy_c(&conf).expect("valid");
    ut(&conf, &["disable", "[::1]:4043", "app/::1:4044"]).ok();
    let all = list(&conf);
    for n in ["v6a", "v6b"] {
        assert_eq!(
            all.iter().find(|r| r["name"] == n).expect(n)["state"],
            "disabled"
        );
    }
    haproxy_c(&conf).expect("valid");
    ut(&conf, &["enable", "web1", "v6a", "ipv6@::1:4044"]).ok();
    assert_eq!(read(&conf), orig);
}

#[test]
fn default_server_disabled_is_overridden_with_enabled() {
    let d = tmp();
    let conf = fixture(d.path());
    let orig = text(&conf);
    ut(&conf, &["enable", "dflt/d1"]).ok();
    let t = text(&conf);
    assert!(t.contains("    server d1 127.0.0.1:5000 enabled\n"), "{t}");
    haproxy_c(&conf).expect("valid");
    let enabled = text(&conf);
    ut(&conf, &["disable", "d1"]).ok();
    let t = text(&conf);
    assert!(
        t.contains("    server d1 127.0.0.1:5000 # upstream-toggle: disabled "),
        "the `enabled` goes and the tool marks what it took out:\n{t}"
    );
    haproxy_c(&conf).expect("valid");
    ut(&conf, &["enable", "--all"]).ok();
    assert_eq!(text(&conf), enabled, "a byte-exact way back");
    ut(&conf, &["disable", "d1"]).ok();
    ut(&conf, &["enable", "d1"]).ok();
    assert_eq!(text(&conf), enabled);
    assert_ne!(enabled, orig);
}

#[test]
fn server_template_members_are_refused() {
    let d = tmp();
    let conf = fixture(d.path());
    let before = read(&conf);
    for target in ["srv2", "app/srv1"] {
        let r = ut(&conf, &["disable", target]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(
            r.stderr.contains("server-template") && r.stderr.contains("set server app/"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(read(&conf), before);
}

#[test]
fn quoting_escapes_and_inline_comments_survive_edits() {
    let d = tmp();
    let body = "backend app\n    server \"web1\" \"127.0.0.1:4040\" check # quoted\n    server 'web2' 127.0.0.1:4041 inter \"2s\"\n    server web3 127.0.0.1:4042 cookie a\\#b # comment with \"quotes\"\n    server web4 127.0.0.1:4043\n";
    let conf = write(d.path(), "haproxy.cfg", haproxy_conf(d.path(), body));
    haproxy_c(&conf).expect("valid");
    let orig = read(&conf);
    let all = list(&conf);
    let names: Vec<&str> = all.iter().map(|r| r["name"].as_str().expect("n")).collect();
    assert_eq!(names, ["web1", "web2", "web3", "web4"]);
    assert_eq!(all[2]["params"][1], "a#b");
    for n in ["web1", "web2", "web3"] {
        for m in ["comment", "down"] {
            ut(&conf, &["disable", n, "--method", m]).ok();
            haproxy_c(&conf).expect("valid while disabled");
            ut(&conf, &["enable", n]).ok();
            assert_eq!(read(&conf), orig, "{n} {m}");
        }
    }
}

#[test]
fn unmatched_quote_and_stray_endif_exit_2_with_position() {
    let d = tmp();
    for (body, at) in [
        (
            "backend app\n    server web1 \"127.0.0.1:1\n",
            "haproxy.cfg:11:17",
        ),
        (
            "backend app\n    server web1 127.0.0.1:1\n.endif\n",
            "haproxy.cfg:12:1",
        ),
        (
            "backend app\n.if defined(X)\n    server web1 127.0.0.1:1\n",
            "haproxy.cfg:11:1",
        ),
    ] {
        let conf = write(d.path(), "haproxy.cfg", haproxy_conf(d.path(), body));
        let r = ut(&conf, &["list"]);
        assert_eq!(r.code, 2, "{body}");
        assert!(r.stderr.contains(at), "want {at}: {}", r.stderr);
    }
}
