//! Backups serve when no primary can, and a switched-off haproxy proxy serves nothing: `list` says
//! which servers serve and the safety rule counts them so, checked against a running nginx and a
//! running haproxy whose routing the test observes.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::Ordering;

/// An app answering its own name.
fn app(name: &'static str) -> HttpServer {
    HttpServer::tcp("127.0.0.1:0", move |_, _| Reply::Status(200, name.into()))
}

/// The body of one request through the proxy on `port` (a fresh connection each time).
fn answer(port: u16) -> String {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
}

/// Which apps 40 requests through the proxy reached.
fn reached(port: u16) -> Vec<String> {
    let mut seen: Vec<String> = (0..40).map(|_| answer(port)).collect();
    seen.sort();
    seen.dedup();
    seen
}

/// A running nginx on a free port that proxies to `upstream app { servers }`: (config, port, nginx).
fn nginx_in_front(d: &Path, servers: &str) -> (std::path::PathBuf, u16, Proxy) {
    let port = free_port();
    let body = format!(
        "    upstream app {{\n{servers}    }}\n    server {{\n        listen 127.0.0.1:{port};\n        location / {{ proxy_pass http://app; }}\n    }}\n"
    );
    let conf = write(d, "nginx.conf", nginx_conf(d, &body));
    std::fs::create_dir_all(d.join("tmp")).expect("mkdir");
    nginx_t(&conf).expect("valid");
    let nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), port);
    (conf, port, nginx)
}

/// `serves` from `list --json`, by address.
fn serves(conf: &Path, addr: &str) -> bool {
    let all = list(conf);
    let r = rows(&all, addr);
    assert_eq!(r.len(), 1, "{addr} listed once: {all:?}");
    r[0]["serves"].as_bool().expect("serves is a bool")
}

#[test]
fn nginx_backups_serve_when_every_primary_is_down_and_the_last_one_stays() {
    let d = tmp();
    let (b, c) = (app("b"), app("c"));
    let (conf, port, nginx) = nginx_in_front(
        d.path(),
        &format!(
            "        server 127.0.0.1:1 down;\n        server {} backup;\n        server {} backup;\n",
            b.addr, c.addr
        ),
    );
    // nginx balances over both backups: list says so.
    assert_eq!(reached(port), ["b", "c"]);
    assert!(!serves(&conf, "127.0.0.1:1"));
    assert!(serves(&conf, &b.addr) && serves(&conf, &c.addr));
    // One backup may go: the other carries the traffic.
    ut(&conf, &["disable", &b.addr]).ok();
    nginx.reload_nginx(&conf);
    assert_eq!(reached(port), ["c"]);
    assert!(serves(&conf, &c.addr));
    // The last one would leave nothing serving: refused, nothing written.
    let before = read(&conf);
    let r = ut(&conf, &["disable", &c.addr]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("app"), "{}", r.stderr);
    assert_eq!(read(&conf), before);
    let r = ut(&conf, &["disable", &c.addr, "--dry-run"]);
    assert_eq!(r.code, 4, "a dry run refuses alike: {}", r.stderr);
    assert!(c.hits.load(Ordering::SeqCst) > 0);
}

#[test]
fn nginx_the_last_primary_may_go_when_a_backup_takes_over() {
    let d = tmp();
    let (a, b) = (app("a"), app("b"));
    let (conf, port, nginx) = nginx_in_front(
        d.path(),
        &format!(
            "        server {};\n        server {} backup;\n",
            a.addr, b.addr
        ),
    );
    assert_eq!(reached(port), ["a"]);
    assert!(serves(&conf, &a.addr) && !serves(&conf, &b.addr));
    ut(&conf, &["disable", &a.addr]).ok();
    nginx_t(&conf).expect("valid after the edit");
    nginx.reload_nginx(&conf);
    assert_eq!(reached(port), ["b"], "the backup took over");
    assert!(!serves(&conf, &a.addr) && serves(&conf, &b.addr));
    // Now the backup is all that serves.
    let r = ut(&conf, &["disable", &b.addr]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
}

fn haproxy_backups(all_backups: bool) {
    let d = tmp();
    let (b, c) = (app("b"), app("c"));
    let port = free_port();
    let option = if all_backups {
        "    option allbackups\n"
    } else {
        ""
    };
    let body = format!(
        "frontend fe\n    bind 127.0.0.1:{port}\n    default_backend app\nbackend app\n{option}    server a 127.0.0.1:1 disabled\n    server b {b} backup\n    server c {c} backup\n",
        b = b.addr,
        c = c.addr
    );
    let conf = write(d.path(), "haproxy.cfg", haproxy_conf(d.path(), &body));
    haproxy_c(&conf).expect("valid");
    let _haproxy = Proxy::haproxy(&conf, &d.path().join("haproxy.pid"), port);
    // haproxy uses the first backup, or all of them with `option allbackups`.
    let expected: &[&str] = if all_backups { &["b", "c"] } else { &["b"] };
    assert_eq!(reached(port), expected);
    assert!(!serves(&conf, "127.0.0.1:1"));
    assert!(serves(&conf, &b.addr));
    assert_eq!(serves(&conf, &c.addr), all_backups);
    // Either backup may go while the other is there; not both.
    let before = read(&conf);
    let r = ut(&conf, &["disable", "app/b", "app/c"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert_eq!(read(&conf), before);
    ut(&conf, &["disable", "app/b"]).ok();
    haproxy_c(&conf).expect("valid after the edit");
    assert!(serves(&conf, &c.addr), "the second backup serves now");
    let r = ut(&conf, &["disable", "app/c"]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
}

#[test]
fn haproxy_the_first_backup_serves_when_no_primary_can() {
    haproxy_backups(false);
}

#[test]
fn haproxy_allbackups_makes_every_backup_serve() {
    haproxy_backups(true);
}

#[test]
fn haproxy_allbackups_is_inherited_from_defaults_and_can_be_turned_off() {
    let d = tmp();
    let body = "defaults on\n    mode http\n    option allbackups\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nbackend inherits from on\n    server a 127.0.0.1:1 weight 0\n    server b 127.0.0.1:2 backup\n    server c 127.0.0.1:3 backup\nbackend off from on\n    no option allbackups\n    server a 127.0.0.1:4 disabled\n    server b 127.0.0.1:5 backup\n    server c 127.0.0.1:6 backup\n";
    let conf = write(d.path(), "haproxy.cfg", haproxy_conf(d.path(), body));
    haproxy_c(&conf).expect("valid");
    assert!(serves(&conf, "127.0.0.1:2") && serves(&conf, "127.0.0.1:3"));
    assert!(serves(&conf, "127.0.0.1:5") && !serves(&conf, "127.0.0.1:6"));
}

#[test]
fn a_switched_off_haproxy_backend_serves_nothing_and_never_blocks_an_edit() {
    let d = tmp();
    let (a, b) = (app("a"), app("b"));
    let port = free_port();
    let body = format!(
        "frontend fe\n    bind 127.0.0.1:{port}\n    default_backend app\nbackend app\n    server a {a}\n    server b {b}\nbackend old\n    disabled\n    server a {a}\ndefaults off\n    mode http\n    disabled\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nbackend older from off\n    server a {a}\nbackend revived from off\n    enabled\n    server a {a}\n",
        a = a.addr,
        b = b.addr
    );
    let conf = write(d.path(), "haproxy.cfg", haproxy_conf(d.path(), &body));
    haproxy_c(&conf).expect("valid");
    let _haproxy = Proxy::haproxy(&conf, &d.path().join("haproxy.pid"), port);
    assert_eq!(reached(port), ["a", "b"]);
    let all = list(&conf);
    let serves_in = |up: &str| {
        all.iter()
            .find(|r| r["upstream"] == up)
            .and_then(|r| r["serves"].as_bool())
            .expect("listed")
    };
    assert!(serves_in("app") && serves_in("revived"));
    assert!(!serves_in("old") && !serves_in("older"));
    // Taking a out everywhere empties no proxy that runs but `revived`: refused for it alone.
    let r = ut(&conf, &["disable", &a.addr]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("revived") && !r.stderr.contains("older"),
        "{}",
        r.stderr
    );
    // Without the running one, the switched-off ones do not count: the edit goes through.
    let r = ut(&conf, &["disable", "app/a", "old/a", "older/a"]).ok();
    assert!(r.stdout.contains("old"), "{}", r.stdout);
    haproxy_c(&conf).expect("valid after the edit");
}
