//! haproxy syntax the engine must read like haproxy does, checked against the real `haproxy -c`;
//! the proxy settings it reads (`pidfile`, `stats socket`), and haproxy's address forms.

mod support;
use support::*;

use proxyconf::address::{normalize, Address};
use proxyconf::inventory::AdminSocket;
use proxyconf::{Change, Config, Error, Method, ProxyKind, Request, State};
use std::path::{Path, PathBuf};

fn fixture(dir: &Path) -> PathBuf {
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

fn disable_req(method: Option<Method>) -> Request {
    Request::Disable {
        method,
        reason: None,
    }
}

#[test]
fn inventory_follows_sections_conditionals_and_defaults() {
    let d = tmp();
    let conf = fixture(d.path());
    let cfg = load(&conf);
    let names: Vec<&str> = cfg
        .servers
        .iter()
        .map(|s| s.name.as_deref().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "web1", "web10", "web1", "web1", "v6a", "v6b", "srv", "cond1", "cond2", "cond3", "d1",
            "d2"
        ],
        "peers and ring servers are not backend servers"
    );
    let ups: Vec<(&str, &str)> = cfg
        .upstreams
        .iter()
        .map(|u| (u.name.as_str(), u.context.as_str()))
        .collect();
    assert_eq!(ups, [("app", "backend"), ("dflt", "backend")]);
    let web1 = named(&cfg, "web1");
    let (live, commented) = (&cfg.servers[web1[0]], &cfg.servers[web1[1]]);
    assert_eq!(live.state, State::Enabled);
    assert!(live.is_live() && cfg.serves(web1[0]));
    assert_eq!(
        cfg.params(live),
        ["check"],
        "the trailing comment is no parameter"
    );
    assert_eq!(
        (commented.state, commented.method),
        (State::Disabled, Some(Method::Comment))
    );
    assert!(!commented.is_live());
    assert_eq!(commented.line, live.line + 2);
    assert_eq!(cfg.params(&cfg.servers[web1[2]]), ["check", "inter", "5s"]);
    assert_eq!(the(&cfg, "v6a").address, "ipv6@::1:4043");
    assert_eq!(the(&cfg, "v6b").address, "[::1]:4044");
    for c in ["cond1", "cond2", "cond3"] {
        let s = the(&cfg, c);
        assert!(s.conditional, "{c}");
        // `defined()` depends on the environment of the running haproxy: none of them counts.
        assert!(!s.active && !cfg.serves(named(&cfg, c)[0]), "{c}");
    }
    let d1 = the(&cfg, "d1");
    assert_eq!(
        (d1.state, d1.method),
        (State::Disabled, Some(Method::Disabled))
    );
    assert!(d1.inherited_disabled && !cfg.serves(named(&cfg, "d1")[0]));
    let d2 = the(&cfg, "d2");
    assert_eq!(d2.state, State::Enabled);
    assert!(cfg.serves(named(&cfg, "d2")[0]));
    assert_eq!(the(&cfg, "srv").template.as_deref(), Some("1-3"));
}

#[test]
fn names_are_exact_and_ipv6_forms_match() {
    let d = tmp();
    let conf = fixture(d.path());
    let orig = read(&conf);
    let done = disable(&conf, &["web1"], None);
    let [o] = done.plan.outcomes.as_slice() else {
        panic!("only the live web1: {:?}", done.plan.outcomes)
    };
    assert!(done.config.servers[o.server].is_live());
    assert!(matches!(o.change, Change::Disabled { .. }), "{o:?}");
    let cfg = load(&conf);
    assert_eq!(the(&cfg, "web10").state, State::Enabled);
    haproxy_c(&conf).expect("valid");
    disable(&conf, &["[::1]:4043", "app/::1:4044"], None);
    let cfg = load(&conf);
    for n in ["v6a", "v6b"] {
        assert_eq!(the(&cfg, n).state, State::Disabled, "{n}");
    }
    haproxy_c(&conf).expect("valid");
    enable(&conf, &["web1", "v6a", "ipv6@::1:4044"]);
    assert_eq!(read(&conf), orig);
}

#[test]
fn default_server_disabled_is_overridden_with_enabled() {
    let d = tmp();
    let conf = fixture(d.path());
    let orig = text(&conf);
    enable(&conf, &["dflt/d1"]);
    let t = text(&conf);
    assert!(t.contains("    server d1 127.0.0.1:5000 enabled\n"), "{t}");
    haproxy_c(&conf).expect("valid");
    assert_eq!(the(&load(&conf), "d1").state, State::Enabled);
    let enabled = text(&conf);
    disable(&conf, &["d1"], None);
    let t = text(&conf);
    assert!(
        t.contains("    server d1 127.0.0.1:5000 # upstream-toggle: disabled "),
        "the `enabled` goes and the tool marks what it took out:\n{t}"
    );
    haproxy_c(&conf).expect("valid");
    let cfg = load(&conf);
    assert!(the(&cfg, "d1").marked() && the(&cfg, "d1").state == State::Disabled);
    enable_all(&conf);
    assert_eq!(text(&conf), enabled, "a byte-exact way back");
    disable(&conf, &["d1"], None);
    enable(&conf, &["d1"]);
    assert_eq!(text(&conf), enabled);
    assert_ne!(enabled, orig);
}

#[test]
fn server_template_members_are_refused() {
    let d = tmp();
    let conf = fixture(d.path());
    let before = read(&conf);
    for target in ["srv2", "app/srv1"] {
        match try_edit(&conf, &[target], disable_req(None), false, true) {
            Err(Error::Refused(m)) => assert!(
                m.contains("server-template") && m.contains("set server app/"),
                "{target}: {m}"
            ),
            other => panic!("{target}: want a refusal, got {other:?}"),
        }
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
    let cfg = load(&conf);
    let names: Vec<&str> = cfg
        .servers
        .iter()
        .map(|s| s.name.as_deref().expect("n"))
        .collect();
    assert_eq!(names, ["web1", "web2", "web3", "web4"]);
    assert_eq!(cfg.servers[0].address, "127.0.0.1:4040", "unquoted");
    assert_eq!(cfg.params(&cfg.servers[1]), ["inter", "2s"]);
    assert_eq!(cfg.params(&cfg.servers[2]), ["cookie", "a#b"]);
    for n in ["web1", "web2", "web3"] {
        for m in [Method::Comment, Method::Down] {
            disable(&conf, &[n], Some(m));
            haproxy_c(&conf).expect("valid while disabled");
            assert_eq!(the(&load(&conf), n).state, State::Disabled, "{n} {m:?}");
            enable(&conf, &[n]);
            assert_eq!(read(&conf), orig, "{n} {m:?}");
        }
    }
}

#[test]
fn unmatched_quote_and_stray_endif_name_their_position() {
    let d = tmp();
    for (body, want) in [
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
        assert!(haproxy_c(&conf).is_err(), "haproxy rejects it too: {body}");
        let before = read(&conf);
        match Config::load(&conf, Some(ProxyKind::Haproxy)) {
            Err(Error::Syntax { at, .. }) => {
                assert!(at.to_string().ends_with(want), "want {want}: {at}")
            }
            other => panic!("{body}: want a syntax error, got {other:?}"),
        }
        match try_edit(&conf, &["web1"], disable_req(None), false, true) {
            Err(Error::Syntax { at, .. }) => {
                assert!(at.to_string().ends_with(want), "want {want}: {at}")
            }
            other => panic!("{body}: want a syntax error, got {other:?}"),
        }
        assert_eq!(read(&conf), before);
    }
}

#[test]
fn settings_read_the_pidfile_and_stats_sockets_of_global() {
    let d = tmp();
    let dir = d.path().display();
    let conf = write(
        d.path(),
        "haproxy.cfg",
        format!(
            "global\n    pidfile {dir}/haproxy.pid\n    stats socket {dir}/admin.sock mode 600 level admin\n    stats socket ipv4@127.0.0.1:9999 level operator expose-fd listeners\n\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nbackend app\n    server web1 127.0.0.1:4040\n"
        ),
    );
    haproxy_c(&conf).expect("haproxy accepts it");
    let cfg = load(&conf);
    let s = &cfg.settings;
    let pid = s.pid_file.as_ref().expect("a pidfile");
    assert_eq!(pid.value, d.path().join("haproxy.pid"));
    assert_eq!(pid.at, format!("{}:2", conf.display()));
    let socks: Vec<(&AdminSocket, &str)> = s
        .admin_sockets
        .iter()
        .map(|x| (&x.value, x.at.as_str()))
        .collect();
    let admin = AdminSocket {
        address: format!("{dir}/admin.sock"),
        level: Some("admin".into()),
    };
    let operator = AdminSocket {
        address: "ipv4@127.0.0.1:9999".into(),
        level: Some("operator".into()),
    };
    let (line3, line4) = (
        format!("{}:3", conf.display()),
        format!("{}:4", conf.display()),
    );
    assert_eq!(
        socks,
        [(&admin, line3.as_str()), (&operator, line4.as_str())],
        "in file order"
    );
    assert!(admin.is_admin());
    assert!(
        !operator.is_admin(),
        "operator may not change server states"
    );
    let user = AdminSocket {
        address: "/run/u.sock".into(),
        level: Some("user".into()),
    };
    assert!(!user.is_admin());
}

#[test]
fn settings_come_from_global_only() {
    // A `pidfile` or `stats socket` in another section is not the proxy's own.
    let src = "global\n    log stdout local0\n\ndefaults\n    mode http\n\nbackend app\n    stats socket /run/not-this.sock level admin\n    pidfile /run/not-this.pid\n    server web1 127.0.0.1:4040\n";
    let cfg = Config::standalone(src.as_bytes().to_vec(), ProxyKind::Haproxy).expect("parses");
    assert_eq!(cfg.settings.pid_file, None);
    assert!(cfg.settings.admin_sockets.is_empty(), "{:?}", cfg.settings);
    assert_eq!(cfg.servers.len(), 1);
}

#[test]
fn the_first_pidfile_wins_as_in_haproxy() {
    // haproxy warns "'pidfile' already specified. Continuing." and keeps the first.
    let src = "global\n    pidfile /run/first.pid\n    pidfile /run/second.pid\n\nbackend app\n    server web1 127.0.0.1:4040\n";
    let cfg = Config::standalone(src.as_bytes().to_vec(), ProxyKind::Haproxy).expect("parses");
    let pid = cfg.settings.pid_file.expect("a pidfile");
    assert_eq!(pid.value, std::path::PathBuf::from("/run/first.pid"));
    assert_eq!(pid.at, "standalone:2");
}

#[test]
fn addresses_normalise_haproxy_forms() {
    assert_eq!(Address::parse("unix@/x"), Address::Unix("/x"));
    assert_eq!(normalize("unix@/x", None), "unix:/x");
    assert_eq!(
        normalize("unix@/run/a.sock", None),
        normalize("/run/a.sock", None)
    );
    assert_eq!(
        Address::parse("ipv6@::1:80"),
        Address::Inet {
            host: "::1",
            port: Some("80")
        }
    );
    assert_eq!(normalize("ipv6@::1:80", None), "[::1]:80");
    assert_eq!(normalize("::1:80", None), "[::1]:80");
    assert_eq!(normalize("ipv6@::1:80", None), normalize("[::1]:80", None));
    assert_eq!(
        Address::parse("tcp@h:81"),
        Address::Inet {
            host: "h",
            port: Some("81")
        }
    );
    assert_eq!(normalize("tcp@h:81", None), "h:81");
    assert_eq!(normalize("ipv4@10.0.0.1:80", None), "10.0.0.1:80");
    assert_eq!(normalize("tcp4@App.Example:81", None), "app.example:81");
    assert_eq!(normalize("ipv6@[FE80::1]:80", None), "[fe80::1]:80");
    // haproxy has no default port: a bare host stays bare.
    assert_eq!(normalize("Web.Internal", None), "web.internal");
}

/// The level the running haproxy grants on a stats socket (`show cli level`).
fn cli_level(sock: &Path) -> String {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(sock).expect("connect the stats socket");
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(b"show cli level\n").expect("ask");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("answer");
    out.trim().to_string()
}

/// Starts the real haproxy with one `stats socket` per `(file, options)` and checks that
/// [`AdminSocket::is_admin`] says what the running haproxy grants on each.
fn is_admin_agrees_with_haproxy(sockets: &[(&str, &str)]) {
    let d = tmp();
    let port = hotswap_tests::free_port();
    let mut global = String::from("global\n");
    for (file, opts) in sockets {
        global.push_str(&format!(
            "    stats socket {}/{file} mode 600{opts}\n",
            d.path().display()
        ));
    }
    let conf = write(
        d.path(),
        "haproxy.cfg",
        format!("{global}\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend app\n\nbackend app\n    server web1 127.0.0.1:4040\n"),
    );
    haproxy_c(&conf).expect("valid");
    let cfg = load(&conf);
    assert_eq!(cfg.settings.admin_sockets.len(), sockets.len());
    let _haproxy = hotswap_tests::Proxy::haproxy(&conf, &d.path().join("haproxy.pid"), port);
    for s in &cfg.settings.admin_sockets {
        let granted = cli_level(Path::new(&s.value.address));
        assert_eq!(
            s.value.is_admin(),
            granted == "admin",
            "{} ({:?}): haproxy grants `{granted}`",
            s.at,
            s.value.level
        );
    }
}

#[test]
fn is_admin_agrees_with_the_running_haproxy() {
    is_admin_agrees_with_haproxy(&[
        ("admin.sock", " level admin"),
        ("operator.sock", " level operator"),
        ("user.sock", " level user"),
    ]);
}

/// haproxy 2.x gives a `stats socket` without `level` the `operator` level (`show cli level`
/// answers `operator`, `set server ... state maint` is refused), so it is not an admin socket.
#[test]
fn a_socket_without_level_is_not_admin() {
    is_admin_agrees_with_haproxy(&[("nolevel.sock", "")]);
}

/// haproxy refuses a proxy section with no name, or whose name has a character other than
/// letters, digits, `.`, `:`, `_` and `-`; so does the engine, which also tells an nginx config read
/// as haproxy (its `listen 80;` is a `listen` section) from a haproxy one.
#[test]
fn proxy_names_haproxy_refuses_are_refused() {
    let dir = tmp();
    for body in [
        "backend bad;name\n    server a 127.0.0.1:1\n",
        "listen\n    bind 127.0.0.1:1\n",
        "frontend a/b\n    bind 127.0.0.1:1\n",
    ] {
        let conf = write(dir.path(), "bad.cfg", haproxy_conf(dir.path(), body));
        assert!(haproxy_c(&conf).is_err(), "haproxy accepts {body:?}");
        let err = Config::load(&conf, Some(ProxyKind::Haproxy)).expect_err("refused");
        assert!(matches!(err, Error::Syntax { .. }), "{err}");
    }
    // Names haproxy accepts: a bad one in a branch it never reads, a `defaults` name no section
    // refers to, and one it builds from the environment.
    let body = ".if 0\nbackend x;y\n.endif\ndefaults web@v2\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nbackend \"be_${HOTSWAP_NEVER_SET_IN_TESTS}\"\n    server b 127.0.0.1:2\nbackend ok.v2:blue_green-1\n    server a 127.0.0.1:1\n";
    let conf = write(dir.path(), "ok.cfg", haproxy_conf(dir.path(), body));
    haproxy_c(&conf).expect("haproxy accepts it");
    let cfg = Config::load(&conf, Some(ProxyKind::Haproxy)).expect("loads");
    assert_eq!(cfg.upstreams.len(), 2, "{:?}", cfg.upstreams);
    assert_eq!(cfg.upstreams[1].name, "ok.v2:blue_green-1");
    let nginx = write(
        dir.path(),
        "nginx.conf",
        "http {\n  upstream app { server 127.0.0.1:1; }\n  server {\n    listen 80;\n    location / { proxy_pass http://app; }\n  }\n}\n",
    );
    match Config::load(&nginx, Some(ProxyKind::Haproxy)) {
        Err(Error::Syntax {
            looks_like: Some(l),
            ..
        }) => assert_eq!(l.kind, ProxyKind::Nginx),
        other => panic!("{:?}", other.map(|c| c.servers.len())),
    }
}
