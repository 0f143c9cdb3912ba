//! nginx syntax the engine must read like nginx does, checked against the real `nginx -t`.

mod common;
use common::*;

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
    let all = list(&conf);
    assert_eq!(all.len(), 2, "{all:?}");
    let orig = read(&conf);
    ut(&conf, &["disable", "127.0.0.1:4041"]).ok();
    nginx_t(&conf).expect("still valid");
    ut(&conf, &["enable", "127.0.0.1:4041"]).ok();
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
    let all = list(&conf);
    assert_eq!(all.len(), 2);
    let r = ut(&conf, &["disable", "127.0.0.1:2", "--no-validate"]).ok();
    assert!(r.stdout.contains("app/127.0.0.1:2"));
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
    let all = list(&conf);
    assert_eq!(all.len(), 4);
    let inc = rows(&all, "127.0.0.1:5004");
    assert!(inc[0]["file"]
        .as_str()
        .expect("file")
        .ends_with("upstreams/b-servers.inc"));
    assert_eq!(inc[0]["line"], 2);
    assert_eq!(inc[0]["upstream"], "b");
    let before = read(&d.path().join("upstreams/b-servers.inc"));
    ut(&conf, &["disable", "127.0.0.1:5004"]).ok();
    assert_ne!(read(&d.path().join("upstreams/b-servers.inc")), before);
    nginx_t(&conf).expect("valid after edit");
    ut(&conf, &["enable", "127.0.0.1:5004"]).ok();
    assert_eq!(read(&d.path().join("upstreams/b-servers.inc")), before);
}

#[test]
fn a_missing_include_is_a_warning_for_list() {
    let d = tmp();
    let conf = write(
        d.path(),
        "nginx.conf",
        "http {\n include sites/missing.conf;\n upstream a { server 127.0.0.1:1; }\n}\n",
    );
    let r = ut(&conf, &["list"]).ok();
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("missing.conf"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("127.0.0.1:1"));
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
    let r = ut(&conf, &["disable", "127.0.0.1:6001"]);
    assert_eq!(r.code, 5, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("no_such_upstream") && r.stderr.contains("nginx.conf"),
        "validator message shown: {}",
        r.stderr
    );
    assert_eq!(read(&conf), before);
    assert_eq!(read(&d.path().join("conf.d/up.conf")), up_before);
    for dir in [d.path().to_path_buf(), d.path().join("conf.d")] {
        let names: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(
            names.is_empty(),
            "temp files left in {}: {names:?}",
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
    let r = ut(
        &conf,
        &[
            "disable",
            "127.0.0.1:6001",
            "--force",
            "--method",
            "comment",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("empty upstream") && r.stdout.contains("(down, marked)"),
        "{}",
        r.stdout
    );
    nginx_t(&conf).expect("still valid");
    ut(&conf, &["enable", "--all"]).ok();
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
    for addr in ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"] {
        for method in ["comment", "down"] {
            ut(&conf, &["disable", addr, "--method", method]).ok();
            nginx_t(&conf).expect("valid while disabled");
            let all = list(&conf);
            assert_eq!(rows(&all, addr)[0]["state"], "disabled");
            ut(&conf, &["enable", addr]).ok();
            assert_eq!(
                read(&conf),
                bytes,
                "byte-identical after {method} round trip of {addr}"
            );
        }
    }
}

#[test]
fn several_directives_on_one_line_and_two_line_servers_stay_valid() {
    let d = tmp();
    let body = "    upstream a { server 127.0.0.1:8001; server 127.0.0.1:8002; }\n    upstream b {\n        server 127.0.0.1:8003\n            max_fails=2 fail_timeout=5s;\n        server 127.0.0.1:8004;\n    }\n";
    let conf = write(d.path(), "nginx.conf", nginx_conf(d.path(), body));
    let orig = read(&conf);
    ut(&conf, &["disable", "127.0.0.1:8001", "--method", "comment"]).ok();
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
    assert_eq!(rows(&list(&conf), "127.0.0.1:8001")[0]["marked"], true);
    ut(&conf, &["disable", "127.0.0.1:8003"]).ok();
    nginx_t(&conf).expect("two-line server valid after commenting out");
    let t = text(&conf);
    assert!(
        t.contains("# server 127.0.0.1:8003\n            # max_fails=2"),
        "{t}"
    );
    assert_eq!(rows(&list(&conf), "127.0.0.1:8003")[0]["method"], "comment");
    ut(&conf, &["enable", "127.0.0.1:8003", "127.0.0.1:8001"]).ok();
    assert_eq!(read(&conf), orig);
}

#[test]
fn syntax_errors_exit_2_with_file_line_col() {
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
    for (src, at) in cases {
        let conf = write(d.path(), "nginx.conf", src);
        let before = read(&conf);
        for args in [&["list"][..], &["disable", "127.0.0.1:1"][..]] {
            let r = ut(&conf, args);
            assert_eq!(r.code, 2, "{src:?}: {}", r.stderr);
            assert!(r.stderr.contains(at), "{src:?}: want {at} in {}", r.stderr);
            assert_eq!(read(&conf), before);
        }
    }
}
