//! A marker a person damaged never makes a server vanish: when the lines above it no longer fit
//! its `lines=` (a line deleted or added by hand, a marker pasted from elsewhere), the server is
//! still listed as disabled with a note naming the marker's line; `enable --all` leaves it out and
//! says so; `enable` by name restores the directive exactly as it now reads, which the real
//! `nginx -t` / `haproxy -c` accept.

mod common;
use common::*;
use std::path::Path;

/// An nginx config with `upstream app { live; <commented> }`.
fn nginx(d: &Path, commented: &str) -> std::path::PathBuf {
    let body = format!(
        "    upstream app {{\n        server 127.0.0.1:8081;\n{commented}    }}\n    server {{\n        listen 127.0.0.1:{};\n        location / {{ proxy_pass http://app; }}\n    }}\n",
        free_port()
    );
    let conf = write(d, "nginx.conf", nginx_conf(d, &body));
    std::fs::create_dir_all(d.join("tmp")).expect("mkdir");
    conf
}

const AT: &str = "2026-12-01T10:00:00Z";

/// The one row for `addr`, which must be listed disabled, marked, with a damage note naming
/// the marker's line.
fn damaged_row(conf: &Path, addr: &str, marker_line: usize) -> serde_json::Value {
    let all = list(conf);
    let r = rows(&all, addr);
    assert_eq!(r.len(), 1, "{addr} is listed once: {all:#?}");
    let row = r[0].clone();
    assert_eq!(row["state"], "disabled", "{row:#}");
    assert_eq!(row["marked"], true, "{row:#}");
    let note = row["damaged"].as_str().expect("a damage note");
    assert!(
        note.contains(&format!("line {marker_line}")),
        "names the marker's line: {note}"
    );
    let table = ut(conf, &["list"]).ok().stdout;
    assert!(
        table.contains(addr) && table.contains("damaged marker"),
        "{table}"
    );
    row
}

/// `enable --all` brings back nothing, names the server and writes nothing.
fn bulk_enable_leaves_it(conf: &Path, addr: &str) {
    let before = read(conf);
    let r = ut(conf, &["enable", "--all"]).ok();
    assert!(
        r.stdout.contains("left out") && r.stdout.contains(addr),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(read(conf), before, "enable --all wrote nothing");
}

#[test]
fn nginx_a_deleted_line_of_a_marked_multi_line_server_keeps_it_listed_and_enable_restores_it() {
    let d = tmp();
    // The tool wrote three lines; a person deleted the middle one.
    let conf = nginx(
        d.path(),
        &format!(
            "        #server 127.0.0.1:8082\n        #    max_fails=3; # upstream-toggle: disabled {AT} lines=3 deploy 7\n"
        ),
    );
    nginx_t(&conf).expect("valid before");
    let marker_line = text(&conf)
        .lines()
        .position(|l| l.contains("lines=3"))
        .expect("marker")
        + 1;
    let row = damaged_row(&conf, "127.0.0.1:8082", marker_line);
    assert_eq!(row["reason"], "deploy 7");
    assert_eq!(row["line"], marker_line - 1, "listed from its first line");
    bulk_enable_leaves_it(&conf, "127.0.0.1:8082");
    let r = ut(&conf, &["enable", "127.0.0.1:8082"]).ok();
    assert!(r.stdout.contains("restored"), "{}", r.stdout);
    let after = text(&conf);
    assert!(
        after.contains("        server 127.0.0.1:8082\n           max_fails=3;\n"),
        "restored exactly as the lines read, marker gone:\n{after}"
    );
    assert!(!after.contains("upstream-toggle"), "{after}");
    nginx_t(&conf).expect("nginx -t accepts the restored server");
}

#[test]
fn nginx_an_added_line_and_a_pasted_marker_keep_their_servers_listed() {
    let d = tmp();
    // Four lines under a lines=3 marker (a person added one), and a one-line server carrying a
    // marker pasted from a multi-line one.
    let conf = nginx(
        d.path(),
        &format!(
            "        # kept for the migration\n        #server 127.0.0.1:8082\n        #    weight=5\n        #    max_fails=3\n        #    fail_timeout=5s; # upstream-toggle: disabled {AT} lines=3\n        #server 127.0.0.1:8083 weight=2; # upstream-toggle: disabled {AT} lines=5\n"
        ),
    );
    nginx_t(&conf).expect("valid before");
    let body = text(&conf);
    let line_of = |needle: &str| body.lines().position(|l| l.contains(needle)).expect(needle) + 1;
    let row = damaged_row(&conf, "127.0.0.1:8082", line_of("fail_timeout"));
    assert_eq!(
        row["params"],
        serde_json::json!(["weight=5", "max_fails=3", "fail_timeout=5s"])
    );
    let row = damaged_row(&conf, "127.0.0.1:8083", line_of("8083"));
    assert!(
        row["damaged"]
            .as_str()
            .expect("a damage note")
            .contains("lines=5"),
        "{row:#}"
    );
    bulk_enable_leaves_it(&conf, "127.0.0.1:8082");
    ut(&conf, &["enable", "127.0.0.1:8082", "127.0.0.1:8083"]).ok();
    let after = text(&conf);
    assert!(
        after.contains(
            "        # kept for the migration\n        server 127.0.0.1:8082\n           weight=5\n           max_fails=3\n           fail_timeout=5s;\n        server 127.0.0.1:8083 weight=2;\n"
        ),
        "{after}"
    );
    nginx_t(&conf).expect("nginx -t accepts both");
}

#[test]
fn nginx_a_marker_with_no_readable_server_above_it_is_named_and_nothing_changes() {
    let d = tmp();
    // A person deleted the first line, the one with `server` and the address.
    let conf = nginx(
        d.path(),
        &format!("        #    weight=5\n        #    max_fails=3; # upstream-toggle: disabled {AT} lines=3\n"),
    );
    let marker_line = text(&conf)
        .lines()
        .position(|l| l.contains("lines=3"))
        .expect("marker")
        + 1;
    let r = ut(&conf, &["list"]).ok();
    assert!(
        r.stderr.contains(&format!(
            "nginx.conf:{marker_line}: a marker of upstream-toggle"
        )),
        "{}",
        r.stderr
    );
    let before = read(&conf);
    let r = ut(&conf, &["enable", "--all"]).ok();
    assert!(
        r.stderr.contains(&format!(":{marker_line}:")),
        "{}",
        r.stderr
    );
    assert_eq!(read(&conf), before);
}

#[test]
fn haproxy_a_pasted_multi_line_marker_keeps_the_server_and_a_marker_on_no_server_is_named() {
    let d = tmp();
    let port = free_port();
    let conf = write(
        d.path(),
        "haproxy.cfg",
        haproxy_conf(
            d.path(),
            &format!(
                "frontend fe\n    bind 127.0.0.1:{port}\n    default_backend app\n\nbackend app\n    server web1 127.0.0.1:8081 check\n    #server web2 127.0.0.1:8082 check # upstream-toggle: disabled {AT} lines=3\n    # retired web3 # upstream-toggle: disabled {AT}\n"
            ),
        ),
    );
    haproxy_c(&conf).expect("valid before");
    let body = text(&conf);
    let web2_line = body.lines().position(|l| l.contains("web2")).expect("web2") + 1;
    let web3_line = body.lines().position(|l| l.contains("web3")).expect("web3") + 1;
    let all = list(&conf);
    let web2: Vec<_> = all.iter().filter(|r| r["name"] == "web2").collect();
    assert_eq!(web2.len(), 1, "{all:#?}");
    assert_eq!(web2[0]["state"], "disabled");
    assert_eq!(web2[0]["line"], web2_line);
    assert!(
        web2[0]["damaged"]
            .as_str()
            .expect("a damage note")
            .contains("lines=3"),
        "{:#}",
        web2[0]
    );
    let r = ut(&conf, &["list"]).ok();
    assert!(
        r.stderr
            .contains(&format!("haproxy.cfg:{web3_line}: a marker")),
        "{}",
        r.stderr
    );
    let before = read(&conf);
    let r = ut(&conf, &["enable", "--all"]).ok();
    assert!(
        r.stdout.contains("left out") && r.stdout.contains("web2"),
        "{}",
        r.stdout
    );
    assert_eq!(read(&conf), before);
    ut(&conf, &["enable", "app/web2"]).ok();
    assert!(
        text(&conf).contains("\n    server web2 127.0.0.1:8082 check\n"),
        "{}",
        text(&conf)
    );
    haproxy_c(&conf).expect("haproxy -c accepts it");
}
