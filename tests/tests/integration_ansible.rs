//! The Ansible collection `hotswap.toolkit` (integrations/ansible/hotswap/toolkit), built with
//! `ansible-galaxy collection build`, installed into a temp dir and run for real: `ansible-doc`
//! shows the modules' documentation; `upstream_server` edits a real nginx config (check mode,
//! diff, idempotence, a refusal); the `rolling` role restarts three apps behind two nginx load
//! balancers under load, and stops with the server left out when a restart fails.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether the Ansible tools are installed (prints a notice when one is not).
fn have_ansible() -> bool {
    have("ansible-galaxy") && have("ansible-playbook") && have("ansible-doc")
}

/// Ansible's own state (temp files, galaxy cache) under `d`, and the collection installed there.
fn ansible(tool: &str, d: &Path) -> Command {
    let mut c = Command::new(tool);
    c.env("ANSIBLE_HOME", d.join("ansible-home"))
        .env("ANSIBLE_COLLECTIONS_PATH", d.join("collections"))
        .env("ANSIBLE_LOCAL_TEMP", d.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", d.join("ansible-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "False")
        .env_remove("ANSIBLE_CONFIG")
        .current_dir(d);
    c
}

/// Builds the collection from the source tree into `d/build` and installs it into
/// `d/collections`.
fn install_collection(d: &Path) {
    let src = workspace_root().join("integrations/ansible/hotswap/toolkit");
    let out = ansible("ansible-galaxy", d)
        .args(["collection", "build"])
        .arg(&src)
        .arg("--output-path")
        .arg(d.join("build"))
        .output()
        .expect("ansible-galaxy collection build");
    assert!(out.status.success(), "build: {}", text(&out));
    let tarball = d.join("build/hotswap-toolkit-0.1.0.tar.gz");
    assert!(tarball.is_file(), "built: {}", text(&out));
    let out = ansible("ansible-galaxy", d)
        .args(["collection", "install", "--offline"])
        .arg(&tarball)
        .arg("-p")
        .arg(d.join("collections"))
        .output()
        .expect("ansible-galaxy collection install");
    assert!(out.status.success(), "install: {}", text(&out));
    assert!(
        d.join(
            "collections/ansible_collections/hotswap/toolkit/plugins/modules/upstream_server.py"
        )
        .is_file(),
        "installed: {}",
        text(&out)
    );
    // The build leaves nothing in the source tree.
    assert!(
        !src.join("hotswap-toolkit-0.1.0.tar.gz").exists(),
        "no tarball in the source tree"
    );
}

/// Runs `ansible-playbook -v -i INVENTORY PLAY extra…` with the collection installed in `d`.
fn playbook(d: &Path, inventory: &Path, play: &Path, extra: &[&str]) -> Output {
    ansible("ansible-playbook", d)
        .arg("-v")
        .arg("-i")
        .arg(inventory)
        .args(extra)
        .arg(play)
        .output()
        .expect("ansible-playbook")
}

/// The `changed=N` and `failed=N` counts of `host` in the PLAY RECAP.
fn recap(t: &str, host: &str) -> (u32, u32) {
    let line = t
        .lines()
        .rev()
        .find(|l| l.starts_with(host) && l.contains("changed="))
        .unwrap_or_else(|| panic!("no recap for {host}: {t}"));
    let count = |k: &str| -> u32 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {k} in {line}"))
    };
    (count("changed="), count("failed="))
}

#[test]
fn ansible_doc_shows_the_modules_options_and_examples() {
    if !have_ansible() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    install_collection(d);
    for (module, words) in [
        (
            "hotswap.toolkit.upstream_server",
            &[
                "config",
                "server",
                "state",
                "method",
                "validate",
                "executable",
                "EXAMPLES",
                "RETURN VALUES",
                "hotswap.toolkit.upstream_server:",
            ][..],
        ),
        (
            "hotswap.toolkit.rotation",
            &[
                "configs",
                "health",
                "drain_timeout",
                "toggle_executable",
                "EXAMPLES",
                "events",
                "hotswap.toolkit.rotation:",
            ][..],
        ),
    ] {
        let out = ansible("ansible-doc", d)
            .arg(module)
            .output()
            .expect("ansible-doc");
        let t = text(&out);
        assert!(out.status.success(), "ansible-doc {module}: {t}");
        assert!(!t.contains("ERROR"), "ansible-doc {module}: {t}");
        for w in words {
            assert!(t.contains(w), "ansible-doc {module} shows {w}: {t}");
        }
    }
    // The role ships in the collection.
    assert!(d
        .join("collections/ansible_collections/hotswap/toolkit/roles/rolling/tasks/main.yml")
        .is_file());
}

#[test]
fn upstream_server_is_idempotent_checks_and_diffs_and_fails_on_a_refusal() {
    if !have_ansible() || !have("nginx") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    install_collection(d);
    let (p1, p2) = (free_port(), free_port());
    let conf = nginx_fixture(d, free_port(), &[p1, p2]);
    let original = std::fs::read(&conf).expect("read");
    let inventory = d.join("inventory.ini");
    std::fs::write(
        &inventory,
        "[local]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    )
    .expect("inventory");
    let play = |name: &str, port: u16| -> PathBuf {
        let path = d.join(format!("{name}.yml"));
        std::fs::write(
            &path,
            format!(
                "- name: {name}\n  hosts: local\n  gather_facts: false\n  tasks:\n    - name: Take the server out\n      hotswap.toolkit.upstream_server:\n        config: {conf}\n        kind: nginx\n        upstream: app\n        server: 127.0.0.1:{port}\n        state: disabled\n        reason: ansible test\n        executable: {exe}\n",
                conf = conf.display(),
                exe = bin("upstream-toggle").display()
            ),
        )
        .expect("play");
        path
    };
    let disable = play("disable", p1);

    // Check mode with diff: the tool's diff, reported as a change, and not a byte written.
    let out = playbook(d, &inventory, &disable, &["--check", "--diff"]);
    let t = text(&out);
    assert!(out.status.success(), "check: {t}");
    assert_eq!(recap(&t, "localhost"), (1, 0), "check: {t}");
    assert!(
        t.contains(&format!("-        server 127.0.0.1:{p1} max_fails=0;")),
        "check shows the diff: {t}"
    );
    assert!(
        t.contains(&format!("+        # server 127.0.0.1:{p1} max_fails=0;")),
        "check shows the diff: {t}"
    );
    assert!(t.contains("\"dry_run\": true"), "check is a dry run: {t}");
    assert_eq!(
        std::fs::read(&conf).expect("read"),
        original,
        "check mode wrote"
    );

    // A real run: changed, written, and nginx still accepts the config.
    let out = playbook(d, &inventory, &disable, &["--diff"]);
    let t = text(&out);
    assert!(out.status.success(), "run: {t}");
    assert_eq!(recap(&t, "localhost"), (1, 0), "run: {t}");
    assert!(
        t.contains(&format!("+        # server 127.0.0.1:{p1} max_fails=0;")),
        "the run shows the diff: {t}"
    );
    let after = std::fs::read(&conf).expect("read");
    assert_ne!(after, original, "the run wrote nothing: {t}");
    let now = String::from_utf8_lossy(&after).into_owned();
    assert!(
        now.contains(&format!("# server 127.0.0.1:{p1} max_fails=0;"))
            && now.contains("ansible test"),
        "{now}"
    );
    assert_eq!(enabled_count(&conf), 1);
    nginx_t(&conf).expect("nginx -t accepts the edit");

    // Again: ok, not changed, and the file as it was.
    let out = playbook(d, &inventory, &disable, &["--diff"]);
    let t = text(&out);
    assert!(out.status.success(), "second run: {t}");
    assert_eq!(recap(&t, "localhost"), (0, 0), "second run is ok: {t}");
    assert!(t.contains("already-disabled"), "{t}");
    assert_eq!(
        std::fs::read(&conf).expect("read"),
        after,
        "second run wrote"
    );

    // The last server that serves: the tool refuses, the task fails with its message and exit
    // code 4, and nothing is written (in check mode either).
    let last = play("last", p2);
    for extra in [&[][..], &["--check"][..]] {
        let out = playbook(d, &inventory, &last, extra);
        let t = text(&out);
        assert!(!out.status.success(), "refusal {extra:?}: {t}");
        assert_eq!(recap(&t, "localhost").1, 1, "refusal {extra:?}: {t}");
        assert!(
            t.contains("refusing to leave upstream app"),
            "the tool's message {extra:?}: {t}"
        );
        assert!(t.contains("\"rc\": 4"), "rc 4 {extra:?}: {t}");
        assert!(t.contains("\"kind\": \"refused\""), "kind {extra:?}: {t}");
        assert_eq!(
            std::fs::read(&conf).expect("read"),
            after,
            "the refusal wrote {extra:?}"
        );
    }
}

/// The body of GET / from 127.0.0.1:`port`.
fn release_of(port: u16) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn the_rolling_role_restarts_every_app_behind_two_load_balancers() {
    if !have_ansible() || !have("nginx") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    install_collection(d);
    let app_ports = ports(3);
    let apps = Apps::start(d, &app_ports, 200);
    let (confs, listens, proxies) = two_nginx_lbs(d, &app_ports);
    let originals: Vec<Vec<u8>> = confs
        .iter()
        .map(|c| std::fs::read(c).expect("read"))
        .collect();
    let loads: Vec<Load> = listens.iter().map(|&l| Load::start(l, 2)).collect();

    // The restart records any load balancer config that still routes to the port, and fails,
    // restarting nothing, when d/fail-PORT exists.
    let checked = checked_restart(d, &apps, &confs);
    let confs_s: Vec<String> = confs.iter().map(|c| c.display().to_string()).collect();

    let py = "ansible_python_interpreter: /usr/bin/python3";
    let app_hosts: String = app_ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!("        app{i}: {{ansible_connection: local, {py}, hotswap_address: \"127.0.0.1:{p}\"}}\n")
        })
        .collect();
    let lb_hosts: String = confs_s
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "        lb{n}: {{ansible_connection: local, {py}, hotswap_configs: [\"{c}\"]}}\n",
                n = i + 1
            )
        })
        .collect();
    let inventory = d.join("inventory.yml");
    std::fs::write(
        &inventory,
        format!("all:\n  children:\n    app:\n      hosts:\n{app_hosts}    lb:\n      hosts:\n{lb_hosts}"),
    )
    .expect("inventory");
    let play = d.join("rolling.yml");
    std::fs::write(
        &play,
        format!(
            "- name: Rolling restart behind both load balancers\n  hosts: app\n  serial: 1\n  gather_facts: false\n  roles:\n    - role: hotswap.toolkit.rolling\n      vars:\n        hotswap_upstream: app\n        hotswap_restart: \"sh {checked} {{port}}\"\n        hotswap_health: \"http://{{address}}/health\"\n        hotswap_health_timeout: 30s\n        hotswap_drain_timeout: 30s\n        hotswap_bin_dir: {bins}\n",
            checked = checked.display(),
            bins = bin("swapctl").parent().expect("dir").display()
        ),
    )
    .expect("play");

    let out = playbook(d, &inventory, &play, &[]);
    let t = text(&out);
    let restarts = std::fs::read_to_string(d.join("restarts.log")).unwrap_or_default();
    for load in &loads {
        load.settle();
    }
    assert!(out.status.success(), "ansible: {t}\nrestarts:\n{restarts}");
    assert_eq!(
        t.matches("PLAY [Rolling restart behind both load balancers]")
            .count(),
        3,
        "serial: 1 runs one batch per app: {t}"
    );
    for (i, load) in loads.into_iter().enumerate() {
        let report = load.finish();
        assert_eq!(
            report.failed(),
            0,
            "lb{}: {report:?}\nrestarts:\n{restarts}\nansible said:\n{t}",
            i + 1
        );
        assert!(report.ok > 0, "lb{}: {report:?}", i + 1);
        assert!(
            report.releases.iter().any(|r| r == "release=2"),
            "lb{} served the new release: {report:?}",
            i + 1
        );
        assert_eq!(
            std::fs::read(&confs[i]).expect("read"),
            originals[i],
            "lb{}'s config changed: {t}",
            i + 1
        );
    }
    let want: String = app_ports.iter().map(|p| format!("restart {p}\n")).collect();
    assert_eq!(
        restarts, want,
        "each app restarted once, after both load balancers took it out: {t}"
    );
    for &p in &app_ports {
        assert!(
            release_of(p).contains("release=2"),
            "app {p} runs release 2: {}",
            release_of(p)
        );
    }

    // Once more, with the second app's restart failing: the first app goes through again, the
    // second stays out on both load balancers, the third is not touched.
    std::fs::write(d.join("restarts.log"), "").expect("truncate");
    std::fs::write(d.join(format!("fail-{}", app_ports[1])), "").expect("write");
    let pids_before = apps.pids(&app_ports);
    let out = playbook(d, &inventory, &play, &[]);
    let t = text(&out);
    assert!(
        !out.status.success(),
        "a failed restart fails the play: {t}"
    );
    assert!(
        t.contains("the new release does not start"),
        "the restart's message: {t}"
    );
    assert_eq!(
        t.matches("PLAY [Rolling restart behind both load balancers]")
            .count(),
        2,
        "the play stops after the failed batch: {t}"
    );
    assert!(!t.contains("app2"), "app2 untouched: {t}");
    assert_eq!(recap(&t, "app1").1, 1, "{t}");
    let restarts = std::fs::read_to_string(d.join("restarts.log")).unwrap_or_default();
    assert_eq!(
        restarts,
        format!("restart {}\n", app_ports[0]),
        "only the first app restarted: {t}"
    );
    let pids_after = apps.pids(&app_ports);
    assert_ne!(pids_after[0], pids_before[0], "app0 restarted");
    assert_eq!(pids_after[1], pids_before[1], "app1 not restarted");
    assert_eq!(pids_after[2], pids_before[2], "app2 untouched");
    for (i, c) in confs.iter().enumerate() {
        let now = std::fs::read_to_string(c).expect("read");
        assert!(
            now.contains(&format!("# server 127.0.0.1:{} max_fails=0;", app_ports[1])),
            "lb{}: app1 left out: {now}",
            i + 1
        );
        assert_eq!(enabled_count(c), 2, "lb{}: only app1 is out: {now}", i + 1);
        for p in [app_ports[0], app_ports[2]] {
            assert!(
                now.contains(&format!("\n        server 127.0.0.1:{p} max_fails=0;")),
                "lb{}: app {p} in rotation: {now}",
                i + 1
            );
        }
    }

    // Fixed: the play runs again. app1, already out everywhere, is ok (nothing runs) and goes
    // on from there; every config ends as it began.
    std::fs::remove_file(d.join(format!("fail-{}", app_ports[1]))).expect("rm");
    let out = playbook(d, &inventory, &play, &[]);
    let t = text(&out);
    assert!(out.status.success(), "the rerun: {t}");
    let already = format!(
        "127.0.0.1:{} is already out of rotation in every config",
        app_ports[1]
    );
    assert_eq!(
        t.lines()
            .filter(|l| l.starts_with("ok: [app1 -> lb") && l.contains(&already))
            .count(),
        2,
        "app1's take-out is ok on both load balancers: {t}"
    );
    for (i, c) in confs.iter().enumerate() {
        assert_eq!(
            std::fs::read(c).expect("read"),
            originals[i],
            "lb{}'s config after the rerun: {t}",
            i + 1
        );
    }
    for &p in &app_ports {
        assert!(
            release_of(p).contains("release=2"),
            "app {p}: {}",
            release_of(p)
        );
    }
    drop(proxies);
    drop(apps);
}

/// `rotation` against a running nginx: a line a person commented out never makes the server look
/// out (a second `in` is ok, not changed); a server in no config fails, in check mode too, with
/// rc 3; and the rolling role refuses to restart anything when it knows no load balancer.
#[test]
fn rotation_ignores_a_persons_line_and_the_role_needs_its_load_balancers() {
    if !have_ansible() || !have("nginx") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    install_collection(d);
    let (p1, p2, listen) = (free_port(), free_port(), free_port());
    let conf = nginx_fixture(d, listen, &[p1, p2]);
    // A person's commented copy of the first server, beside its live line.
    let written = std::fs::read_to_string(&conf).expect("read");
    let live = format!("        server 127.0.0.1:{p1} max_fails=0;\n");
    std::fs::write(
        &conf,
        written.replace(
            &live,
            &format!("{live}        # server 127.0.0.1:{p1} backup;\n"),
        ),
    )
    .expect("write");
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let inventory = d.join("inventory.ini");
    std::fs::write(
        &inventory,
        "[local]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    )
    .expect("inventory");
    let rotation = |name: &str, server: &str, state: &str| -> PathBuf {
        let path = d.join(format!("{name}.yml"));
        std::fs::write(
            &path,
            format!(
                "- name: {name}\n  hosts: local\n  gather_facts: false\n  tasks:\n    - hotswap.toolkit.rotation:\n        configs: [{conf}]\n        upstream: app\n        server: {server}\n        state: {state}\n        executable: {exe}\n",
                conf = conf.display(),
                exe = bin("swapctl").display()
            ),
        )
        .expect("play");
        path
    };
    let first = format!("127.0.0.1:{p1}");
    let back_in = rotation("in", &first, "in");
    let out = playbook(d, &inventory, &back_in, &[]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert_eq!(
        recap(&t, "localhost"),
        (0, 0),
        "already in, despite the person's line: {t}"
    );
    let ghost = rotation("ghost", "127.0.0.1:9", "out");
    for extra in [&["--check"][..], &[]] {
        let out = playbook(d, &inventory, &ghost, extra);
        let t = text(&out);
        assert!(!out.status.success(), "{extra:?}: {t}");
        assert!(
            t.contains("\"rc\": 3") && t.contains("not_found"),
            "{extra:?}: {t}"
        );
    }
    // The role with no load balancer in its inventory: it stops before the restart.
    let marker = d.join("restarted");
    let role = d.join("role.yml");
    std::fs::write(
        &role,
        format!(
            "- hosts: local\n  gather_facts: false\n  vars:\n    hotswap_address: 127.0.0.1:{p2}\n    hotswap_restart: touch {m}\n  roles:\n    - hotswap.toolkit.rolling\n",
            m = marker.display()
        ),
    )
    .expect("role play");
    let out = playbook(d, &inventory, &role, &[]);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(t.contains("needs the load balancers"), "{t}");
    assert!(!marker.exists(), "nothing restarted");
}
