//! `status` tells the live truth: beside each server's file state it shows what the running
//! proxy does now (haproxy over its admin socket, nginx by whether its workers loaded the file),
//! flags each difference, and exits 1 when something needs a person.

mod common;
use common::*;
use hotswap_tests::files::{tmp, write};
use std::time::Duration;

fn status(c: &str) -> (Option<i32>, serde_json::Value, String) {
    let out = swapctl(&["-c", c, "--upstream", "app", "status"]);
    let json = swapctl(&["-c", c, "--upstream", "app", "--json", "status"]);
    let doc = serde_json::from_slice(&json.stdout).expect("status --json");
    (out.status.code(), doc, text(&out))
}

fn server<'a>(doc: &'a serde_json::Value, needle: &str) -> &'a serde_json::Value {
    doc["proxies"][0]["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["name"].as_str() == Some(needle) || s["address"].as_str() == Some(needle))
        .unwrap_or_else(|| panic!("{needle} in {doc:#}"))
}

#[test]
fn haproxy_status_asks_the_admin_socket() {
    let d = tmp();
    let listen = free_port();
    let sock = d.path().join("admin.sock");
    let (web1, web2) = (
        HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "1".into())),
        HttpServer::tcp("127.0.0.1:0", |_, _| Reply::Status(200, "2".into())),
    );
    let cfg = format!(
        "global\n    stats socket {} level admin\n    pidfile {}\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind 127.0.0.1:{listen}\n    default_backend app\nbackend app\n    server web1 {} check inter 100ms fall 1 rise 1\n    server web2 {} check inter 100ms fall 1 rise 1\n    server web3 127.0.0.1:1 disabled\n",
        sock.display(),
        d.path().join("haproxy.pid").display(),
        web1.addr,
        web2.addr
    );
    let conf = write(d.path(), "haproxy.cfg", &cfg);
    let _haproxy = Proxy::haproxy(&conf, &d.path().join("haproxy.pid"), listen);
    let c = conf.display().to_string();
    wait_until("both servers up", Duration::from_secs(10), || {
        let s = haproxy_admin(&sock, "show stat");
        s.lines()
            .filter(|l| l.starts_with("app,web") && l.contains(",UP,"))
            .count()
            == 2
    });
    let (code, doc, t) = status(&c);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(server(&doc, "web1")["live"], "serving", "{doc:#}");
    assert_eq!(server(&doc, "web3")["live"], "out", "{doc:#}");
    // A file-only edit: the file says out, haproxy still sends it traffic.
    ut_disable(&conf, "web2");
    let (code, doc, t) = status(&c);
    assert_eq!(code, Some(1), "{t}");
    let web2 = server(&doc, "web2");
    assert_eq!(
        (web2["file"].as_str(), web2["live"].as_str()),
        (Some("disabled"), Some("serving"))
    );
    assert_eq!(web2["differs"], true);
    assert!(t.contains("differs"), "{t}");
    // Made live through the admin socket: they agree again.
    haproxy_admin(&sock, "set server app/web2 state maint");
    let (code, doc, t) = status(&c);
    assert_eq!(server(&doc, "web2")["live"], "out", "{t}");
    assert_eq!(code, Some(0), "{t}");
    // An app dies: haproxy's own checks mark it down while the file enables it.
    drop(web1);
    wait_until("haproxy to mark web1 down", Duration::from_secs(10), || {
        haproxy_admin(&sock, "show stat")
            .lines()
            .any(|l| l.starts_with("app,web1,") && l.contains(",DOWN"))
    });
    let (code, doc, t) = status(&c);
    assert_eq!(code, Some(1), "{t}");
    assert_eq!(server(&doc, "web1")["live"], "down", "{doc:#}");
}

/// upstream-toggle's file-only edit of `server`.
fn ut_disable(conf: &std::path::Path, server: &str) {
    let out = std::process::Command::new(bin("upstream-toggle"))
        .arg("-c")
        .arg(conf)
        .args(["disable", server])
        .output()
        .expect("upstream-toggle");
    assert!(out.status.success(), "{}", text(&out));
}

/// How long ago process `pid` started, from /proc (clock ticks since boot).
fn age(pid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let ticks: f64 = stat
        .rsplit_once(") ")
        .and_then(|(_, r)| r.split_whitespace().nth(19)?.parse().ok())
        .unwrap_or(0.0);
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .and_then(|u| u.parse().ok())
        .unwrap_or(0.0);
    Duration::from_secs_f64((uptime - ticks / 100.0).max(0.0))
}

#[test]
fn nginx_status_says_when_the_file_is_not_loaded_yet() {
    let s = nginx_stack(2, 0);
    let c = s.conf.display().to_string();
    let (code, doc, t) = status(&c);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(doc["proxies"][0]["reload_pending"], false, "{doc:#}");
    // The file's time must be told from the workers' start, which /proc gives in clock ticks.
    let worker = s._nginx.workers()[0];
    wait_until(
        "nginx's worker to be older than /proc's clock resolution",
        Duration::from_secs(10),
        || age(worker) > Duration::from_millis(200),
    );
    let first = format!("127.0.0.1:{}", s.app_ports[0]);
    ut_disable(&s.conf, &first);
    let (code, doc, t) = status(&c);
    assert_eq!(code, Some(1), "{t}");
    assert_eq!(doc["proxies"][0]["reload_pending"], true, "{doc:#}");
    assert_eq!(server(&doc, &first)["live"], "pending", "{doc:#}");
    assert!(t.contains("reload it"), "{t}");
    s._nginx.reload_nginx(&s.conf);
    let (code, doc, t) = status(&c);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(server(&doc, &first)["live"], "out", "{doc:#}");
}

/// One of two load balancers is down (its pid file names no running nginx): status says so and
/// exits 1, while the other's servers still read fine.
#[test]
fn a_load_balancer_that_is_down_needs_a_person() {
    let d = tmp();
    let app_ports = [free_port(), free_port()];
    let (confs, _listens, proxies) = two_nginx_lbs(d.path(), &app_ports);
    let (c1, c2) = (
        confs[0].display().to_string(),
        confs[1].display().to_string(),
    );
    let ok = swapctl(&["-c", &c1, "-c", &c2, "--upstream", "app", "status"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let pid = proxies[1].pid();
    let _ = std::process::Command::new("kill")
        .args(["-QUIT", &pid.to_string()])
        .status();
    wait_until("lb2's nginx to stop", Duration::from_secs(10), || {
        !alive(pid)
    });
    let out = swapctl(&["-c", &c1, "-c", &c2, "--upstream", "app", "status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nginx is down"), "{}", text(&out));
    let json = swapctl(&[
        "-c",
        &c1,
        "-c",
        &c2,
        "--upstream",
        "app",
        "--json",
        "status",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("status --json");
    assert_eq!(
        (
            &doc["ok"],
            &doc["proxies"][0]["down"],
            &doc["proxies"][1]["down"]
        ),
        (&false.into(), &false.into(), &true.into()),
        "{doc:#}"
    );
}
