//! After an edit, upstream-toggle says what makes it live for this proxy: the nginx reload for
//! this config and its pid file, or haproxy's runtime commands in the edit's direction with the
//! real backend and server names and the config's own admin socket. The test runs what it says.

mod common;
use common::*;

/// The command the notice quotes after `marker`, up to the end of its line or a `,`/` (`.
fn quoted(stderr: &str, marker: &str, end: &[&str]) -> String {
    let at = stderr
        .find(marker)
        .unwrap_or_else(|| panic!("{marker}: {stderr}"))
        + marker.len();
    let rest = &stderr[at..];
    let stop = end
        .iter()
        .filter_map(|e| rest.find(e))
        .min()
        .unwrap_or(rest.len());
    rest[..stop].trim().to_string()
}

#[test]
fn nginx_the_reload_it_names_works_for_this_config() {
    let d = tmp();
    let listen = free_port();
    let body = format!(
        "    upstream app {{\n        server 127.0.0.1:4001;\n        server 127.0.0.1:4002;\n    }}\n    server {{\n        listen 127.0.0.1:{listen};\n        location / {{ proxy_pass http://app; }}\n    }}\n"
    );
    let conf = write(d.path(), "nginx.conf", nginx_conf(d.path(), &body));
    std::fs::create_dir_all(d.path().join("tmp")).expect("mkdir");
    let nginx = Proxy::nginx(&conf, &d.path().join("nginx.pid"), listen);
    let r = ut(&conf, &["disable", "127.0.0.1:4001"]).ok();
    let cmd = quoted(&r.stderr, "make it live: ", &[" (or", ", then"]);
    assert!(
        cmd.contains(&conf.display().to_string()) && r.stderr.contains("nginx.pid"),
        "{}",
        r.stderr
    );
    let old = nginx.workers();
    let st = std::process::Command::new("sh")
        .args(["-c", &cmd])
        .status()
        .expect("sh");
    assert!(st.success(), "{cmd}");
    nginx.wait_new_workers(&old, "the reload it named");
}

#[test]
fn haproxy_the_runtime_commands_it_names_go_the_edits_way() {
    let d = tmp();
    let listen = free_port();
    let sock = d.path().join("admin.sock");
    let cfg = format!(
        "global\n    stats socket {} level admin\n    pidfile {}\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind 127.0.0.1:{listen}\n    default_backend app\nbackend app\n    server web1 127.0.0.1:4001\n    server web2 127.0.0.1:4002\n    #server web3 127.0.0.1:4003\n",
        sock.display(),
        d.path().join("haproxy.pid").display()
    );
    let conf = write(d.path(), "haproxy.cfg", &cfg);
    let _haproxy = Proxy::haproxy(&conf, &d.path().join("haproxy.pid"), listen);
    let state = || {
        haproxy_admin(&sock, "show stat")
            .lines()
            .find(|l| l.starts_with("app,web1,"))
            .map(|l| l.split(',').nth(17).unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    // A commented-out server is none of the running haproxy's: enabling it needs a reload.
    let r = ut(&conf, &["enable", "web3"]).ok();
    assert!(r.stderr.contains("reload haproxy"), "{}", r.stderr);
    for (verb, runtime, want) in [
        ("disable", "state maint", "MAINT"),
        ("enable", "state ready", "no check"),
    ] {
        let r = ut(&conf, &[verb, "web1"]).ok();
        let echo = quoted(&r.stderr, "echo '", &["'"]);
        assert_eq!(
            echo,
            format!("set server app/web1 {runtime}"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr
                .contains(&format!("socat stdio {}", sock.display())),
            "{}",
            r.stderr
        );
        haproxy_admin(&sock, &echo);
        assert!(state().contains(want), "{verb}: {}", state());
    }
}

/// `-c nginx.conf` given relative to where the operator stands: the reload it names still finds
/// the file from anywhere (nginx would read a relative `-c` against its own prefix).
#[test]
fn nginx_a_relative_config_gets_a_reload_that_works_from_anywhere() {
    let d = tmp();
    let listen = free_port();
    let body = format!(
        "    upstream app {{\n        server 127.0.0.1:4001;\n        server 127.0.0.1:4002;\n    }}\n    server {{\n        listen 127.0.0.1:{listen};\n        location / {{ proxy_pass http://app; }}\n    }}\n"
    );
    let conf = write(d.path(), "nginx.conf", nginx_conf(d.path(), &body));
    std::fs::create_dir_all(d.path().join("tmp")).expect("mkdir");
    let nginx = Proxy::nginx(&conf, &d.path().join("nginx.pid"), listen);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
        .current_dir(d.path())
        .args(["-c", "nginx.conf", "disable", "127.0.0.1:4001"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let cmd = quoted(&stderr, "make it live: ", &[" (or", ", then"]);
    assert!(cmd.contains(&conf.display().to_string()), "{cmd}");
    let old = nginx.workers();
    let st = std::process::Command::new("sh")
        .current_dir("/")
        .args(["-c", &cmd])
        .status()
        .expect("sh");
    assert!(st.success(), "{cmd}");
    nginx.wait_new_workers(&old, "the reload it named");
}
