//! nginx syntax the engine must read like nginx does, checked against the real `nginx -t`; the
//! proxy settings it reads (`pid`), and the address and selector forms it matches servers by.

mod support;
use support::*;

use proxyconf::address::{normalize, Address};
use proxyconf::nginx_syntax::{self as syntax, Directive, Item};
use proxyconf::{Change, Error, Method, Request, Selector, State};

/// Every directive called `name`, at any depth of the tree.
fn directives<'t>(items: &'t [Item], src: &[u8], name: &str) -> Vec<&'t Directive> {
    let mut out = Vec::new();
    for item in items {
        if let Item::Directive(d) = item {
            if d.name_bytes(src) == name.as_bytes() {
                out.push(d);
            }
            if let Some(b) = &d.block {
                out.extend(directives(&b.items, src, name));
            }
        }
    }
    out
}

/// Argument `i` of `d`, unescaped, as text.
fn arg(d: &Directive, src: &[u8], i: usize) -> String {
    String::from_utf8_lossy(&d.arg(src, i).expect("argument")).into_owned()
}

/// `line:col` (1-based, bytes) of an offset, as nginx reports it.
fn line_col(src: &[u8], offset: usize) -> String {
    let before = &src[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    format!("{line}:{col}")
}

#[test]
fn tokenizer_edge_cases_parse_and_round_trip() {
    let d = tmp();
    let body = r#"
    map $uri $x { default "a;b}"; ~^/q\{ 'c'; }
    upstream app {
        server 127.0.0.1:4040; # a comment with ; { } inside
        server 127.0.0.1:4041 max_fails=3
            ;
    }
    server {
        listen 127.0.0.1:1;
        set $v "${uri}}";
        add_header X-A a#not-a-comment;
        location ~ "^/a{1,3}$" { return 200 "}{"; }
        location /lua {
            # a Lua block needs openresty, so only the tokenizer sees this one
        }
    }
"#;
    let conf = write(d.path(), "nginx.conf", nginx_conf(d.path(), body));
    nginx_t(&conf).expect("nginx accepts the fixture");
    let cfg = load(&conf);
    let addrs: Vec<&str> = cfg.servers.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(addrs, ["127.0.0.1:4040", "127.0.0.1:4041"]);
    assert_eq!(cfg.params(&cfg.servers[1]), ["max_fails=3"]);
    assert_eq!(cfg.upstreams[cfg.servers[1].upstream].name, "app");

    // The tree reads each token as nginx does.
    let src = read(&conf);
    syntax::check(&src).expect("checks");
    let tree = syntax::parse(&src).expect("parses");
    let default = directives(&tree, &src, "default");
    assert_eq!(arg(default[0], &src, 0), "a;b}");
    let re = directives(&tree, &src, r"~^/q\{");
    assert_eq!(
        arg(re[0], &src, 0),
        "c",
        "a `\\{{` inside a word is not a block"
    );
    assert_eq!(arg(directives(&tree, &src, "set")[0], &src, 1), "${uri}}");
    let header = directives(&tree, &src, "add_header");
    assert_eq!(arg(header[0], &src, 1), "a#not-a-comment");
    assert!(header[0].trailing_comment.is_none());
    let locations = directives(&tree, &src, "location");
    assert_eq!(arg(locations[0], &src, 1), "^/a{1,3}$");
    let ret = directives(&tree, &src, "return");
    assert_eq!(arg(ret[0], &src, 1), "}{");
    let servers: Vec<_> = directives(&tree, &src, "server")
        .into_iter()
        .filter(|d| d.block.is_none())
        .collect();
    let comment = servers[0]
        .trailing_comment
        .clone()
        .expect("trailing comment");
    assert_eq!(&src[comment], b"# a comment with ; { } inside");
    assert_eq!(arg(servers[1], &src, 1), "max_fails=3");

    let orig = read(&conf);
    disable(&conf, &["127.0.0.1:4041"], None);
    assert_ne!(read(&conf), orig);
    nginx_t(&conf).expect("still valid");
    let cfg = load(&conf);
    assert_eq!(
        cfg.servers[at(&cfg, "127.0.0.1:4041")[0]].state,
        State::Disabled
    );
    enable(&conf, &["127.0.0.1:4041"]);
    assert_eq!(read(&conf), orig);
}

#[test]
fn lua_block_bodies_are_skipped() {
    let d = tmp();
    let conf = write(
        d.path(),
        "nginx.conf",
        "http {\n  upstream app { server 127.0.0.1:1; server 127.0.0.1:2; }\n  server {\n    location / {\n      content_by_lua_block {\n        local t = { \"}\", '}' } -- } in a comment\n        local s = [[ } ]] --[==[ } ]==]\n        ngx.say(\"{\")\n      }\n    }\n  }\n}\n",
    );
    let src = read(&conf);
    let tree = syntax::parse(&src).expect("parses");
    let lua = directives(&tree, &src, "content_by_lua_block");
    let body = lua[0].block.as_ref().expect("a block");
    assert!(body.items.is_empty(), "the Lua body is opaque");
    let close = body.close().expect("closed");
    assert_eq!(&src[close..close + 1], b"}");
    assert_eq!(directives(&tree, &src, "ngx.say(\"{\")").len(), 0);
    let cfg = load(&conf);
    assert_eq!(cfg.servers.len(), 2);
    // No `nginx -t` here: a Lua block needs openresty.
    let done = try_edit(
        &conf,
        &["127.0.0.1:2"],
        Request::Disable {
            method: None,
            reason: None,
        },
        false,
        false,
    )
    .expect("disable");
    let [o] = done.plan.outcomes.as_slice() else {
        panic!("one outcome: {:?}", done.plan.outcomes)
    };
    let s = &done.config.servers[o.server];
    assert_eq!(
        (done.config.upstream_of(s).name.as_str(), s.address.as_str()),
        ("app", "127.0.0.1:2")
    );
    assert!(matches!(o.change, Change::Disabled { .. }), "{o:?}");
    let cfg = load(&conf);
    assert_eq!(
        cfg.servers[at(&cfg, "127.0.0.1:2")[0]].state,
        State::Disabled
    );
}

#[test]
fn includes_with_globs_resolve_from_the_main_directory() {
    let d = tmp();
    write(
        d.path(),
        "conf.d/a.conf",
        "upstream a { server 127.0.0.1:5001; server 127.0.0.1:5002; }\n",
    );
    write(
        d.path(),
        "conf.d/b.conf",
        "upstream b {\n    include upstreams/b-servers.inc;\n}\n",
    );
    write(
        d.path(),
        "upstreams/b-servers.inc",
        "server 127.0.0.1:5003;\nserver 127.0.0.1:5004;\n",
    );
    write(
        d.path(),
        "conf.d/.hidden.conf",
        "this is not nginx syntax {{{\n",
    );
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(
            d.path(),
            "    include conf.d/*.conf;\n    include missing/*.conf;\n",
        ),
    );
    nginx_t(&conf).expect("valid tree");
    let cfg = load(&conf);
    assert_eq!(cfg.servers.len(), 4);
    let inc = &cfg.servers[at(&cfg, "127.0.0.1:5004")[0]];
    assert!(
        cfg.files[inc.file]
            .path
            .ends_with("upstreams/b-servers.inc"),
        "{}",
        cfg.location(inc)
    );
    assert_eq!(inc.line, 2);
    assert_eq!(cfg.upstream_of(inc).name, "b");
    let inc_path = d.path().join("upstreams/b-servers.inc");
    let (main_before, before) = (read(&conf), read(&inc_path));
    let done = disable(&conf, &["127.0.0.1:5004"], None);
    assert_eq!(done.written.len(), 1, "{:?}", done.written);
    assert!(done.written[0].ends_with("upstreams/b-servers.inc"));
    assert_ne!(read(&inc_path), before);
    assert_eq!(read(&conf), main_before);
    nginx_t(&conf).expect("valid after edit");
    enable(&conf, &["127.0.0.1:5004"]);
    assert_eq!(read(&inc_path), before);
}

#[test]
fn a_missing_include_is_a_warning_for_list() {
    let d = tmp();
    let conf = write(
        d.path(),
        "nginx.conf",
        "http {\n include sites/missing.conf;\n upstream a { server 127.0.0.1:1; }\n}\n",
    );
    let cfg = load(&conf);
    cfg.ensure_upstreams().expect("an upstream");
    assert!(
        cfg.warnings
            .iter()
            .any(|w| w.contains("missing.conf") && w.contains("does not exist")),
        "{:?}",
        cfg.warnings
    );
    assert_eq!(at(&cfg, "127.0.0.1:1").len(), 1);
}

#[test]
fn included_file_edit_is_validated_against_the_whole_config() {
    let d = tmp();
    write(
        d.path(),
        "conf.d/up.conf",
        "upstream a {\n    server 127.0.0.1:6001;\n    server 127.0.0.1:6002;\n}\n",
    );
    // The included file is fine on its own; the main file has a problem only `nginx -t` of the whole tree sees.
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(d.path(), "    include conf.d/*.conf;\n    server { listen 127.0.0.1:1; location / { proxy_pass http://no_such_upstream; } }\n"),
    );
    assert!(nginx_t(&conf).is_err());
    let before = read(&conf);
    let up_before = read(&d.path().join("conf.d/up.conf"));
    let req = Request::Disable {
        method: None,
        reason: None,
    };
    match try_edit(&conf, &["127.0.0.1:6001"], req, false, true) {
        Err(Error::Rejected { output, .. }) => {
            assert!(
                output.contains("no_such_upstream") && output.contains("nginx.conf"),
                "validator message shown: {output}"
            );
            let real = format!("{}:9", conf.display());
            assert!(
                output.contains(&real),
                "the message names the real file ({real}), not a temp copy: {output}"
            );
        }
        other => panic!("want the validator's rejection, got {other:?}"),
    }
    assert_eq!(read(&conf), before);
    assert_eq!(read(&d.path().join("conf.d/up.conf")), up_before);
    for dir in [d.path().to_path_buf(), d.path().join("conf.d")] {
        let left = temp_files(&dir);
        assert!(
            left.is_empty(),
            "temp files left in {}: {left:?}",
            dir.display()
        );
    }
}

#[test]
fn force_commenting_out_the_last_server_uses_down_so_nginx_still_accepts_it() {
    let d = tmp();
    write(
        d.path(),
        "conf.d/up.conf",
        "upstream a {\n    server 127.0.0.1:6001;\n}\n",
    );
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(d.path(), "    include conf.d/*.conf;\n"),
    );
    let up_before = read(&d.path().join("conf.d/up.conf"));
    let req = Request::Disable {
        method: Some(Method::Comment),
        reason: None,
    };
    let done = try_edit(&conf, &["127.0.0.1:6001"], req, true, true).expect("forced");
    let [o] = done.plan.outcomes.as_slice() else {
        panic!("one outcome: {:?}", done.plan.outcomes)
    };
    assert_eq!(
        o.change,
        Change::Disabled {
            method: Method::Down,
            marked: true
        }
    );
    assert!(
        o.note
            .as_deref()
            .is_some_and(|n| n.contains("empty upstream")),
        "{o:?}"
    );
    nginx_t(&conf).expect("still valid");
    enable_all(&conf);
    assert_eq!(read(&d.path().join("conf.d/up.conf")), up_before);
}

#[test]
fn crlf_tabs_no_final_newline_and_latin1_survive_round_trips() {
    let d = tmp();
    let mut bytes = b"# caf\xe9 cr\xe8me\r\nevents {}\r\nhttp {\r\n\tupstream app {\r\n\t\tserver\t127.0.0.1:7001;\t# \xe9t\xe9\r\n\t\tserver 127.0.0.1:7002\r\n\t\t\tweight=2;\r\n\t\tserver 127.0.0.1:7003;\r\n\t}\r\n}".to_vec();
    bytes.splice(
        0..0,
        format!("pid {}/nginx.pid;\r\n", d.path().display()).into_bytes(),
    );
    let conf = write(d.path(), "nginx.conf", &bytes);
    nginx_t(&conf).expect("nginx accepts it");
    let cfg = load(&conf);
    assert_eq!(
        cfg.params(&cfg.servers[at(&cfg, "127.0.0.1:7002")[0]]),
        ["weight=2"]
    );
    for addr in ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"] {
        for method in [Method::Comment, Method::Down] {
            disable(&conf, &[addr], Some(method));
            nginx_t(&conf).expect("valid while disabled");
            let cfg = load(&conf);
            let s = &cfg.servers[at(&cfg, addr)[0]];
            assert_eq!((s.state, s.method), (State::Disabled, Some(method)));
            enable(&conf, &[addr]);
            assert_eq!(
                read(&conf),
                bytes,
                "byte-identical after {method:?} round trip of {addr}"
            );
        }
    }
}

#[test]
fn several_directives_on_one_line_and_two_line_servers_stay_valid() {
    let d = tmp();
    let body = "    upstream a { server 127.0.0.1:8001; server 127.0.0.1:8002; }\n    upstream b {\n        server 127.0.0.1:8003\n            max_fails=2 fail_timeout=5s;\n        server 127.0.0.1:8004;\n    }\n";
    let conf = write(d.path(), "nginx.conf", nginx_conf(d.path(), body));
    nginx_t(&conf).expect("valid fixture");
    let orig = read(&conf);
    disable(&conf, &["127.0.0.1:8001"], Some(Method::Comment));
    nginx_t(&conf).expect("one-line upstream valid after edit");
    // The directive gets a line of its own, so its marker swallows nothing after it.
    let t = text(&conf);
    assert!(
        t.contains("    upstream a { \n# server 127.0.0.1:8001; # upstream-toggle: disabled "),
        "{t}"
    );
    assert!(
        t.contains(" lines=1,split=both\n server 127.0.0.1:8002; }"),
        "{t}"
    );
    let cfg = load(&conf);
    assert!(cfg.servers[at(&cfg, "127.0.0.1:8001")[0]].marked());
    disable(&conf, &["127.0.0.1:8003"], None);
    nginx_t(&conf).expect("two-line server valid after commenting out");
    let t = text(&conf);
    assert!(
        t.contains("# server 127.0.0.1:8003\n            # max_fails=2"),
        "{t}"
    );
    let cfg = load(&conf);
    let s = &cfg.servers[at(&cfg, "127.0.0.1:8003")[0]];
    assert_eq!(s.method, Some(Method::Comment));
    assert_eq!(cfg.params(s), ["max_fails=2", "fail_timeout=5s"]);
    enable(&conf, &["127.0.0.1:8003", "127.0.0.1:8001"]);
    assert_eq!(read(&conf), orig);
}

#[test]
fn syntax_errors_name_file_line_col_and_change_nothing() {
    let d = tmp();
    let cases: &[(&str, &str)] = &[
        (
            "http {\n  upstream a {\n    server 127.0.0.1:1;\n",
            "nginx.conf:2:14",
        ),
        (
            "http {\n  upstream a { server 127.0.0.1:1 }\n}\n",
            "nginx.conf:2:35",
        ),
        ("http {\n}\n}\n", "nginx.conf:3:1"),
        (
            "http {\n  add_header X \"unterminated;\n}\n",
            "nginx.conf:2:16",
        ),
    ];
    for (src, want) in cases {
        let conf = write(d.path(), "nginx.conf", src);
        let before = read(&conf);
        let e = syntax::check(src.as_bytes()).expect_err("not nginx syntax");
        assert!(
            want.ends_with(&line_col(src.as_bytes(), e.offset)),
            "{src:?}: the parser stops at {} ({}), want {want}",
            line_col(src.as_bytes(), e.offset),
            e.message
        );
        let syntax_at = |r: proxyconf::Result<()>| match r {
            Err(Error::Syntax { at, .. }) => at.to_string(),
            other => panic!("{src:?}: want a syntax error, got {other:?}"),
        };
        let listed =
            syntax_at(proxyconf::Config::load(&conf, Some(proxyconf::ProxyKind::Nginx)).map(drop));
        assert!(listed.ends_with(want), "{src:?}: want {want}, got {listed}");
        let req = Request::Disable {
            method: None,
            reason: None,
        };
        let edited = syntax_at(try_edit(&conf, &["127.0.0.1:1"], req, false, true).map(drop));
        assert!(edited.ends_with(want), "{src:?}: want {want}, got {edited}");
        assert_eq!(read(&conf), before);
    }
}

#[test]
fn settings_take_the_main_context_pid() {
    let d = tmp();
    // The fixture every test uses: its `pid` is on line 1.
    let conf = write(
        d.path(),
        "nginx.conf",
        nginx_conf(d.path(), "    upstream a { server 127.0.0.1:1; }\n"),
    );
    nginx_t(&conf).expect("valid");
    let cfg = load(&conf);
    let pid = cfg.settings.pid_file.expect("a pid file");
    assert_eq!(pid.value, d.path().join("nginx.pid"));
    assert_eq!(pid.at, format!("{}:1", conf.display()));
    assert!(cfg.settings.admin_sockets.is_empty(), "nginx has none");

    let conf = write(
        d.path(),
        "other.conf",
        "# the main context\npid /run/x.pid;\nevents {}\nhttp {\n    upstream a { server 127.0.0.1:1; }\n}\n",
    );
    let cfg = load(&conf);
    let pid = cfg.settings.pid_file.expect("a pid file");
    assert_eq!(pid.value, std::path::Path::new("/run/x.pid"));
    assert_eq!(pid.at, format!("{}:2", conf.display()));
}

#[test]
fn settings_ignore_a_pid_inside_a_block_and_read_it_as_written() {
    let nginx = proxyconf::ProxyKind::Nginx;
    let inside = b"events {}\nhttp {\n    pid /run/not-this.pid;\n    upstream a { server 127.0.0.1:1; }\n}\n";
    let cfg = proxyconf::Config::standalone(inside.to_vec(), nginx).expect("parses");
    assert_eq!(
        cfg.settings.pid_file, None,
        "`pid` counts only at top level"
    );

    let both = b"events {}\nhttp {\n    pid /run/not-this.pid;\n}\npid \"/run/a b.pid\";\n";
    let cfg = proxyconf::Config::standalone(both.to_vec(), nginx).expect("parses");
    let pid = cfg.settings.pid_file.expect("a pid file");
    assert_eq!(pid.value, std::path::Path::new("/run/a b.pid"), "unquoted");
    assert_eq!(pid.at, "standalone:5");

    // A relative path stays relative: the caller resolves it against nginx's prefix.
    let relative = b"pid logs/nginx.pid;\n";
    let cfg = proxyconf::Config::standalone(relative.to_vec(), nginx).expect("parses");
    let pid = cfg.settings.pid_file.expect("a pid file");
    assert_eq!(pid.value, std::path::Path::new("logs/nginx.pid"));
}

#[test]
fn addresses_normalise_as_nginx_reads_them() {
    assert_eq!(
        Address::parse("[::1]"),
        Address::Inet {
            host: "::1",
            port: None
        }
    );
    assert_eq!(normalize("[::1]", Some(80)), "[::1]:80");
    assert_eq!(normalize("[::1]", None), "[::1]");
    assert_eq!(normalize("[::1]:8080", Some(80)), "[::1]:8080");
    assert_eq!(
        Address::parse("Backend.Example.COM:8080"),
        Address::Inet {
            host: "Backend.Example.COM",
            port: Some("8080")
        },
        "parsing keeps the host as written"
    );
    assert_eq!(
        normalize("Backend.Example.COM:8080", None),
        "backend.example.com:8080"
    );
    assert_eq!(normalize("LOCALHOST", Some(80)), "localhost:80");
    assert_eq!(normalize("[FE80::1]:80", None), "[fe80::1]:80");
    assert_eq!(normalize("127.0.0.1:0080", None), "127.0.0.1:80");
    assert_eq!(
        Address::parse("unix:/run/a.sock"),
        Address::Unix("/run/a.sock")
    );
    assert_eq!(normalize("unix:/run/a.sock", Some(80)), "unix:/run/a.sock");
}

#[test]
fn selectors_split_scope_and_server() {
    let s = Selector::parse("UP/SERVER", None).expect("selector");
    assert_eq!(
        (s.upstream.as_deref(), s.server.as_str()),
        (Some("UP"), "SERVER")
    );
    let s = Selector::parse("app/127.0.0.1:80", None).expect("selector");
    assert_eq!(
        (s.upstream.as_deref(), s.server.as_str()),
        (Some("app"), "127.0.0.1:80")
    );
    // A socket path or a bracketed address keeps its slashes and colons.
    let s = Selector::parse("unix:/a/b", None).expect("selector");
    assert_eq!((s.upstream, s.server.as_str()), (None, "unix:/a/b"));
    let s = Selector::parse("/run/app.sock", None).expect("selector");
    assert_eq!((s.upstream, s.server.as_str()), (None, "/run/app.sock"));
    let s = Selector::parse("[::1]:80", None).expect("selector");
    assert_eq!((s.upstream, s.server.as_str()), (None, "[::1]:80"));
    let s = Selector::parse("  web1 ", Some("app")).expect("selector");
    assert_eq!(
        (s.upstream.as_deref(), s.server.as_str()),
        (Some("app"), "web1")
    );
    let s = Selector::parse("app/web1", Some("app")).expect("the same upstream twice is fine");
    assert_eq!(
        (s.upstream.as_deref(), s.server.as_str()),
        (Some("app"), "web1")
    );

    for empty in ["", "   "] {
        let e = Selector::parse(empty, None).expect_err("an empty name");
        assert!(matches!(e, Error::Usage(_)), "{empty:?}: {e:?}");
    }
    match Selector::parse("a/web1", Some("b")) {
        Err(Error::ScopeClash { arg, named, given }) => {
            assert_eq!(
                (arg.as_str(), named.as_str(), given.as_str()),
                ("a/web1", "a", "b")
            );
        }
        other => panic!("want a scope clash, got {other:?}"),
    }
}

#[test]
fn selectors_name_servers_through_normalised_addresses() {
    let d = tmp();
    let body = "    upstream a {\n        server Backend.Example:8080;\n        server [::1]:8081;\n        server unix:/run/hotswap-a.sock;\n        server localhost;\n    }\n";
    let conf = write(d.path(), "nginx.conf", nginx_conf(d.path(), body));
    let cfg = load(&conf);
    for (sel, want) in [
        ("backend.example:8080", "Backend.Example:8080"),
        ("a/BACKEND.EXAMPLE:08080", "Backend.Example:8080"),
        ("[::1]:8081", "[::1]:8081"),
        ("unix:/run/hotswap-a.sock", "unix:/run/hotswap-a.sock"),
        ("localhost:80", "localhost"),
    ] {
        let s = Selector::parse(sel, None).expect("selector");
        let hits: Vec<&str> = cfg
            .servers
            .iter()
            .filter(|x| s.names(&cfg, x))
            .map(|x| x.address.as_str())
            .collect();
        assert_eq!(hits, [want], "{sel}");
    }
    let other = Selector::parse("b/[::1]:8081", None).expect("selector");
    assert!(!cfg.servers.iter().any(|x| other.names(&cfg, x)));
}
