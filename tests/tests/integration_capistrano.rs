//! The Capistrano plugin gem `capistrano-hotswap` (integrations/capistrano), run for real: built
//! with `gem build`, installed into a temp dir, required from a minimal Capfile, and its
//! `hotswap:rolling` run over a real sshd against two nginx load balancers (each with its own
//! config) in front of three apps, under load through both; and a restart that fails, which must
//! stop the task with the failing server out of both load balancers and the rest as they were.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether cap, gem and sshd are installed (prints a notice when one is not).
fn tools() -> bool {
    have("cap") && have("gem") && have("sshd")
}

/// The gem built from integrations/capistrano and installed under `dir/gems`: the environment
/// that lets `cap` find it next to the system's capistrano.
fn install_gem(dir: &Path) -> Vec<(String, String)> {
    let src = workspace_root().join("integrations/capistrano");
    let gem = dir.join("capistrano-hotswap.gem");
    let out = Command::new("gem")
        .current_dir(&src)
        .args(["build", "capistrano-hotswap.gemspec", "--output"])
        .arg(&gem)
        .output()
        .expect("gem build");
    assert!(out.status.success(), "gem build: {}", text(&out));
    let gempath = Command::new("gem")
        .args(["env", "gempath"])
        .output()
        .expect("gem env");
    assert!(
        gempath.status.success(),
        "gem env gempath: {}",
        text(&gempath)
    );
    let home = dir.join("gems");
    let env = vec![
        ("GEM_HOME".to_string(), home.display().to_string()),
        (
            "GEM_PATH".to_string(),
            format!(
                "{}:{}",
                home.display(),
                String::from_utf8_lossy(&gempath.stdout).trim()
            ),
        ),
    ];
    // --install-dir alone would not see the system's capistrano to satisfy the dependency;
    // GEM_HOME installs there while GEM_PATH finds it.
    let out = Command::new("gem")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(["install", "--local", "--no-document"])
        .arg(&gem)
        .output()
        .expect("gem install");
    assert!(out.status.success(), "gem install: {}", text(&out));
    env
}

/// A Capistrano project in `dir/cap` that requires only the gem: two :lb servers and the :app
/// servers on `app_ports`, all reached through the test sshd (distinct names, since Capistrano
/// merges the servers that share a name and port). The restart command comes from $T_RESTART.
fn cap_project(dir: &Path, sshd: &Sshd, confs: &[PathBuf; 2], app_ports: &[u16]) -> PathBuf {
    let p = dir.join("cap");
    std::fs::create_dir_all(p.join("config/deploy")).expect("mkdir");
    std::fs::write(
        p.join("Capfile"),
        "require \"capistrano/setup\"\nrequire \"capistrano/deploy\"\nrequire \"capistrano/hotswap\"\n",
    )
    .expect("Capfile");
    let bins = bin("swapctl").parent().expect("dir").display().to_string();
    std::fs::write(
        p.join("config/deploy.rb"),
        format!(
            "set :application, \"app\"\nset :hotswap_bin, {bins:?}\nset :hotswap_upstream, \"app\"\n\
             set :hotswap_restart, ENV.fetch(\"T_RESTART\")\nset :hotswap_health, \"http://{{address}}/health\"\n\
             set :hotswap_drain_timeout, \"20s\"\n"
        ),
    )
    .expect("deploy.rb");
    let mut stage = format!(
        "ssh = {{ user: \"root\", port: {port}, ssh_options: {{ host_name: \"127.0.0.1\", keys: [{key:?}], \
         keys_only: true, auth_methods: %w[publickey], verify_host_key: :never }} }}\n",
        port = sshd.port,
        key = sshd.key.display().to_string()
    );
    for (i, c) in confs.iter().enumerate() {
        stage.push_str(&format!(
            "server \"lb{n}.example.com\", roles: %w[lb], hotswap_configs: [{c:?}], **ssh\n",
            n = i + 1,
            c = c.display().to_string()
        ));
    }
    for (i, port) in app_ports.iter().enumerate() {
        stage.push_str(&format!(
            "server \"app{n}.example.com\", roles: %w[app], hotswap_address: \"127.0.0.1:{port}\", **ssh\n",
            n = i + 1
        ));
    }
    std::fs::write(p.join("config/deploy/production.rb"), stage).expect("production.rb");
    p
}

/// `cap ARGS` in the project, with the gem's environment and `extra`.
fn cap(
    project: &Path,
    gem_env: &[(String, String)],
    extra: &[(&str, String)],
    args: &[&str],
) -> Output {
    Command::new("cap")
        .current_dir(project)
        .env_remove("HOTSWAP_SERVERS")
        .envs(gem_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .output()
        .expect("cap")
}

/// The state (`enabled`/`disabled`) of each of `ports` in `conf`, as `upstream-toggle list --json`
/// reads it.
fn states(conf: &Path, ports: &[u16]) -> Vec<String> {
    let out = Command::new(bin("upstream-toggle"))
        .arg("-c")
        .arg(conf)
        .args(["list", "--json"])
        .output()
        .expect("upstream-toggle");
    assert!(out.status.success(), "upstream-toggle list: {}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = rows.as_array().expect("array");
    ports
        .iter()
        .map(|p| {
            let address = format!("127.0.0.1:{p}");
            rows.iter()
                .find(|r| r["address"] == address.as_str())
                .map(|r| r["state"].as_str().unwrap_or_default().to_string())
                .unwrap_or_else(|| format!("{address} missing"))
        })
        .collect()
}

/// The body of GET / from 127.0.0.1:`port`.
fn get(port: u16) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn cap_lists_the_gems_tasks() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let env = install_gem(d);
    let p = d.join("cap");
    std::fs::create_dir_all(p.join("config/deploy")).expect("mkdir");
    std::fs::write(
        p.join("Capfile"),
        "require \"capistrano/setup\"\nrequire \"capistrano/deploy\"\nrequire \"capistrano/hotswap\"\n",
    )
    .expect("Capfile");
    std::fs::write(p.join("config/deploy.rb"), "").expect("deploy.rb");
    std::fs::write(p.join("config/deploy/production.rb"), "").expect("production.rb");
    let out = cap(&p, &env, &[], &["-T"]);
    let t = text(&out);
    assert!(out.status.success(), "cap -T: {t}");
    for task in ["hotswap:out", "hotswap:in", "hotswap:rolling"] {
        assert!(
            t.lines().any(|l| l.starts_with(&format!("cap {task} "))),
            "cap -T lists {task}: {t}"
        );
    }
}

#[test]
fn cap_hotswap_rolling_restarts_every_app_behind_both_load_balancers() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let env = install_gem(d);
    let app_ports = ports(3);
    let apps = Apps::start(d, &app_ports, 200);
    let (confs, listens, proxies) = two_nginx_lbs(d, &app_ports);
    let originals: Vec<Vec<u8>> = confs
        .iter()
        .map(|c| std::fs::read(c).expect("read"))
        .collect();
    let loads: Vec<Load> = listens.iter().map(|&l| Load::start(l, 2)).collect();
    let sshd = Sshd::start(d);
    let project = cap_project(d, &sshd, &confs, &app_ports);
    let restart = format!(
        "sh {} {{port}}",
        checked_restart(d, &apps, &confs).display()
    );

    let out = cap(
        &project,
        &env,
        &[("T_RESTART", restart)],
        &["production", "hotswap:rolling"],
    );
    let t = text(&out);
    assert!(out.status.success(), "cap production hotswap:rolling: {t}");
    for p in &app_ports {
        for lb in ["lb1.example.com", "lb2.example.com"] {
            for step in ["take out", "bring in"] {
                let done = format!("{lb}: {step} 127.0.0.1:{p}: ok");
                assert!(t.contains(&done), "swapctl's `{done}`: {t}");
            }
        }
    }

    for l in &loads {
        l.settle();
    }
    let log = std::fs::read_to_string(d.join("restarts.log")).unwrap_or_default();
    for (i, l) in loads.into_iter().enumerate() {
        let report = l.finish();
        assert_eq!(
            report.failed(),
            0,
            "lb{}: {report:?}\nrestarts:\n{log}\ncap said:\n{t}",
            i + 1
        );
        assert!(report.ok > 0, "lb{}: {report:?}", i + 1);
        assert!(
            report.releases.iter().any(|r| r == "release=2"),
            "lb{} served the new release: {report:?}",
            i + 1
        );
    }
    let want: String = app_ports.iter().map(|p| format!("restart {p}\n")).collect();
    assert_eq!(
        log, want,
        "each app restarted once, in order, after both load balancers took it out: {t}"
    );
    for &p in &app_ports {
        let body = get(p);
        assert!(
            body.contains("release=2"),
            "app {p} is on the new release: {body}"
        );
    }
    for (i, c) in confs.iter().enumerate() {
        assert_eq!(
            std::fs::read(c).expect("read"),
            originals[i],
            "lb{}'s config is byte-identical to before",
            i + 1
        );
    }
    drop(sshd);
    drop(proxies);
    drop(apps);
}

#[test]
fn cap_hotswap_rolling_stops_at_a_failed_restart_and_leaves_that_server_out() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let env = install_gem(d);
    let app_ports = ports(3);
    let apps = Apps::start(d, &app_ports, 200);
    let (confs, _listens, proxies) = two_nginx_lbs(d, &app_ports);
    let originals: Vec<Vec<u8>> = confs
        .iter()
        .map(|c| std::fs::read(c).expect("read"))
        .collect();
    let sshd = Sshd::start(d);
    let project = cap_project(d, &sshd, &confs, &app_ports);
    let (p1, p2, p3) = (app_ports[0], app_ports[1], app_ports[2]);
    let before = apps.pids(&app_ports);

    // The restart fails for the second server (exit 1), before touching its app.
    let failing = format!("[ {{port}} != {p2} ] && {}", apps.restart_template());
    let out = cap(
        &project,
        &env,
        &[("T_RESTART", failing)],
        &["production", "hotswap:rolling"],
    );
    let t = text(&out);
    assert!(!out.status.success(), "the task fails: {t}");
    assert!(
        t.contains(&format!(
            "the restart of 127.0.0.1:{p2} on app2.example.com failed"
        )),
        "the error names the failed restart: {t}"
    );
    assert!(
        t.contains(&format!("127.0.0.1:{p2} stays out of every load balancer")),
        "the error says the server stays out: {t}"
    );
    assert!(
        t.contains(&format!(
            "cap production hotswap:rolling HOTSWAP_SERVERS=127.0.0.1:{p2},127.0.0.1:{p3}"
        )),
        "the error says what to run next: {t}"
    );
    assert!(
        !t.contains(&format!("take out 127.0.0.1:{p3}")),
        "the third server is not taken out: {t}"
    );
    for (i, c) in confs.iter().enumerate() {
        assert_eq!(
            states(c, &app_ports),
            ["enabled", "disabled", "enabled"],
            "lb{}: the first back in, the failing one out, the third untouched: {t}",
            i + 1
        );
    }
    let now = apps.pids(&app_ports);
    assert_ne!(now[0], before[0], "the first app was restarted");
    assert!(
        get(p1).contains("release=2"),
        "the first app is on the new release"
    );
    assert_eq!(
        now[1..],
        before[1..],
        "the second and third apps were not restarted"
    );
    assert!(get(p3).contains("release=1"), "the third app is untouched");

    // swapctl's own error (its JSON Lines' last event) is what a failed `in` reports, per load
    // balancer; nothing changes.
    let restart = ("T_RESTART", apps.restart_template());
    let unknown = ("HOTSWAP_SERVERS", "127.0.0.1:9".to_string());
    let out = cap(
        &project,
        &env,
        &[restart.clone(), unknown],
        &["production", "hotswap:in"],
    );
    let t1 = text(&out);
    assert!(
        !out.status.success(),
        "hotswap:in of an unknown server fails: {t1}"
    );
    for lb in ["lb1.example.com", "lb2.example.com"] {
        assert!(
            t1.lines()
                .any(|l| l.contains(&format!("{lb}: ")) && l.contains("127.0.0.1:9")),
            "swapctl's message from {lb}: {t1}"
        );
    }
    assert!(t1.contains("hotswap:in failed"), "{t1}");
    for c in &confs {
        assert_eq!(
            states(c, &app_ports),
            ["enabled", "disabled", "enabled"],
            "{t1}"
        );
    }

    // What the error says to run, once the cause is fixed, finishes the deploy.
    let servers = ("HOTSWAP_SERVERS", format!("127.0.0.1:{p2},127.0.0.1:{p3}"));
    let out = cap(
        &project,
        &env,
        &[restart.clone(), servers],
        &["production", "hotswap:rolling"],
    );
    let t2 = text(&out);
    assert!(out.status.success(), "the resumed rolling: {t2}");
    assert!(
        !t2.contains(&format!("take out 127.0.0.1:{p1}")),
        "HOTSWAP_SERVERS leaves the first alone: {t2}"
    );
    for &p in &app_ports {
        assert!(
            get(p).contains("release=2"),
            "app {p} is on the new release: {t2}"
        );
    }
    for (i, c) in confs.iter().enumerate() {
        assert_eq!(
            std::fs::read(c).expect("read"),
            originals[i],
            "lb{}'s config is byte-identical to before: {t2}",
            i + 1
        );
    }

    // hotswap:out and hotswap:in by hand: out of both load balancers, then (no HOTSWAP_SERVERS:
    // every app host's hotswap_address) health-checked and back, the configs as they were.
    let first = ("HOTSWAP_SERVERS", format!("127.0.0.1:{p1}"));
    let out = cap(
        &project,
        &env,
        &[restart.clone(), first],
        &["production", "hotswap:out"],
    );
    let t3 = text(&out);
    assert!(out.status.success(), "hotswap:out: {t3}");
    for c in &confs {
        assert_eq!(
            states(c, &app_ports),
            ["disabled", "enabled", "enabled"],
            "{t3}"
        );
    }
    let out = cap(&project, &env, &[restart], &["production", "hotswap:in"]);
    let t4 = text(&out);
    assert!(out.status.success(), "hotswap:in: {t4}");
    // One swapctl run per load balancer brings every app host's address in (the others were in).
    let all: Vec<String> = app_ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    for lb in ["lb1.example.com", "lb2.example.com"] {
        let done = format!("{lb}: bring in {}: ok", all.join(", "));
        assert!(t4.contains(&done), "swapctl's `{done}`: {t4}");
    }
    for (i, c) in confs.iter().enumerate() {
        assert_eq!(
            std::fs::read(c).expect("read"),
            originals[i],
            "lb{}'s config is byte-identical to before: {t4}",
            i + 1
        );
    }
    drop(sshd);
    drop(proxies);
    drop(apps);
}
