//! The read-only deploy examples, run for real against nginx and two apps under a GET-only load:
//! the Ansible playbook integrations/ansible/examples/read-only-deploy.yml and the Capistrano task
//! `hotswap:read_only_deploy` (integrations/capistrano/examples, over a real sshd). Each puts the site
//! in read-only mode, runs the migration (here a script that checks, through nginx, that a POST
//! gets 503 with Retry-After and a GET 200), restarts every app, and puts the site back to normal,
//! also when the migration fails.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// nginx and two apps under a GET-only load, the migration script and the DEPLOY_* environment.
struct Site {
    original: Vec<u8>,
    env: Vec<(String, String)>,
    load: Load,
    stack: Stack,
}

impl Site {
    /// The migration records, through nginx, a POST's status and headers and a GET's status, takes
    /// half a second, then exits with `exit_code`.
    fn start(exit_code: u8) -> Site {
        let stack = nginx_stack(2, 200);
        let original = std::fs::read(&stack.conf).expect("read");
        let d = stack.apps.dir.clone();
        let script = format!(
            r#"#!/bin/sh
# migrate.sh: a stand-in migration that records what the site answers while it runs
d={d}
url=http://127.0.0.1:{listen}/work
curl -sS -o "$d/post.body" -D "$d/post.head" -w '%{{http_code}}' -X POST -d x=1 "$url" >"$d/post.status"
curl -sS -o /dev/null -w '%{{http_code}}' "$url" >"$d/get.status"
sleep 0.5
echo migrated >>"$d/migrations.log"
exit {exit_code}
"#,
            d = d.display(),
            listen = stack.listen
        );
        let migrate = d.join("migrate.sh");
        std::fs::write(&migrate, script).expect("write");
        let bins = bin("swapctl").parent().expect("dir").display().to_string();
        let env = vec![
            ("DEPLOY_BIN".to_string(), bins),
            ("DEPLOY_CONF".into(), stack.conf.display().to_string()),
            ("DEPLOY_UPSTREAM".into(), "app".into()),
            ("DEPLOY_RESTART".into(), stack.apps.restart_template()),
            ("DEPLOY_HEALTH".into(), "http://{address}/health".into()),
            ("DEPLOY_MIGRATE".into(), format!("sh {}", migrate.display())),
            (
                "DEPLOY_READ_ONLY_MESSAGE".into(),
                "Read-only: migrating".into(),
            ),
            ("DEPLOY_RETRY_AFTER".into(), "30s".into()),
        ];
        let load = Load::start_reads(stack.listen, 2);
        Site {
            original,
            env,
            load,
            stack,
        }
    }

    fn dir(&self) -> &Path {
        &self.stack.apps.dir
    }

    /// Each app's pid, from its pid file.
    fn pids(&self) -> Vec<String> {
        pids(&self.stack)
    }

    /// Stops the load and checks what holds whether the deploy went through or not: no read
    /// failed, the migration ran once and saw the site read-only (a POST got 503 with Retry-After
    /// and the message, a GET 200), the config is byte-identical, and swapctl shows it normal.
    /// Returns the load's report and the stack, still running.
    fn finish(self, tool: &str) -> (LoadReport, Stack) {
        self.load.settle();
        let Site {
            original,
            load,
            stack,
            ..
        } = self;
        let report = load.finish();
        let d = &stack.apps.dir;
        assert_eq!(report.failed(), 0, "{tool}: no read fails: {report:?}");
        assert!(report.ok > 0, "{tool}: {report:?}");
        assert_eq!(
            read(d, "migrations.log"),
            "migrated\n",
            "{tool}: the migration ran once"
        );
        let head = read(d, "post.head").to_ascii_lowercase();
        assert_eq!(
            read(d, "post.status"),
            "503",
            "{tool}: a POST during the migration: {head}"
        );
        assert!(
            head.contains("\nretry-after: 30"),
            "{tool}: the 503 has Retry-After: {head}"
        );
        assert_eq!(read(d, "post.body"), "Read-only: migrating", "{tool}");
        assert_eq!(
            read(d, "get.status"),
            "200",
            "{tool}: a GET during the migration"
        );
        let now = std::fs::read(&stack.conf).expect("read");
        assert!(
            now == original,
            "{tool}: the config is byte-identical afterwards; it is now:\n{}",
            String::from_utf8_lossy(&now)
        );
        let c = stack.conf.display().to_string();
        let show = swapctl(&["-c", &c, "--upstream", "app", "mode"]);
        assert!(show.status.success(), "{tool}: {}", text(&show));
        assert!(
            text(&show).trim_end().ends_with(": app normal"),
            "{tool}: swapctl mode: {}",
            text(&show)
        );
        (report, stack)
    }
}

/// A file the migration wrote in `dir`, or "" when it did not.
fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

/// Each app's pid, from its pid file.
fn pids(stack: &Stack) -> Vec<String> {
    stack
        .app_ports
        .iter()
        .map(|p| read(&stack.apps.dir, &format!("app-{p}.pid")))
        .collect()
}

/// Running as root, which the test sshd needs; prints a notice when not.
fn root() -> bool {
    let ok = is_root();
    if !ok {
        eprintln!("NOTICE: the test sshd needs root; skipping");
    }
    ok
}

/// The body of GET / from the app on 127.0.0.1:`port`.
fn app_body(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
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

/// Every app serves `release`.
fn assert_apps_serve(stack: &Stack, release: &str, tool: &str) {
    for &p in &stack.app_ports {
        let body = app_body(p);
        assert!(body.contains(release), "{tool}: app {p}: {body}");
    }
}

fn ansible(site: &Site) -> Output {
    let d = site.dir();
    let inventory = d.join("inventory.ini");
    std::fs::write(
        &inventory,
        "[lb]\nlb1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    )
    .expect("inventory");
    Command::new("ansible-playbook")
        .envs(site.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_PIPELINING", "True")
        .env("ANSIBLE_LOCAL_TEMP", d.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", d.join("ansible-tmp"))
        .arg("-i")
        .arg(&inventory)
        .arg(workspace_root().join("integrations/ansible/examples/read-only-deploy.yml"))
        .output()
        .expect("ansible-playbook")
}

fn capistrano(site: &Site, sshd: &Sshd) -> Output {
    Command::new("cap")
        .current_dir(workspace_root().join("integrations/capistrano/examples"))
        .envs(site.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("DEPLOY_SSH_HOST", "127.0.0.1")
        .env("DEPLOY_SSH_USER", "root")
        .env("DEPLOY_SSH_PORT", sshd.port.to_string())
        .env("DEPLOY_SSH_KEY", &sshd.key)
        .args(["production", "hotswap:read_only_deploy"])
        .output()
        .expect("cap")
}

/// The deploy went through: release 2 everywhere, served through nginx too.
fn deployed(site: Site, out: &Output, tool: &str) {
    assert!(out.status.success(), "{tool}: {}", text(out));
    let (report, stack) = site.finish(tool);
    assert!(
        report.releases.iter().any(|r| r == "release=2"),
        "{tool}: nginx served the new release: {report:?}"
    );
    assert_apps_serve(&stack, "release=2", tool);
}

/// The migration failed: the tool failed, the site is back to normal and no app was restarted.
fn not_deployed(site: Site, out: &Output, pids: &[String], tool: &str) {
    assert!(!out.status.success(), "{tool}: {}", text(out));
    let (report, stack) = site.finish(tool);
    assert_eq!(self::pids(&stack), pids, "{tool}: no app was restarted");
    assert_eq!(report.releases, ["release=1"], "{tool}: {report:?}");
    assert_apps_serve(&stack, "release=1", tool);
}

#[test]
fn the_ansible_read_only_deploy_migrates_while_reads_keep_working() {
    if !have("ansible-playbook") || !have("curl") {
        return;
    }
    let site = Site::start(0);
    let out = ansible(&site);
    let t = text(&out);
    assert!(
        t.contains("TASK [Back to normal mode"),
        "ansible: the always section ran: {t}"
    );
    deployed(site, &out, "ansible");
}

#[test]
fn the_ansible_read_only_deploy_goes_back_to_normal_when_the_migration_fails() {
    if !have("ansible-playbook") || !have("curl") {
        return;
    }
    let site = Site::start(1);
    let pids = site.pids();
    let out = ansible(&site);
    let t = text(&out);
    assert!(!t.contains("TASK [Restart every server"), "ansible: {t}");
    assert!(t.contains("TASK [Back to normal mode"), "ansible: {t}");
    not_deployed(site, &out, &pids, "ansible");
}

#[test]
fn the_capistrano_read_only_deploy_migrates_while_reads_keep_working() {
    if !have("cap") || !have("sshd") || !have("curl") || !root() {
        return;
    }
    let site = Site::start(0);
    let sshd = Sshd::start(site.dir());
    let out = capistrano(&site, &sshd);
    deployed(site, &out, "capistrano");
}

#[test]
fn the_capistrano_read_only_deploy_goes_back_to_normal_when_the_migration_fails() {
    if !have("cap") || !have("sshd") || !have("curl") || !root() {
        return;
    }
    let site = Site::start(1);
    let pids = site.pids();
    let sshd = Sshd::start(site.dir());
    let out = capistrano(&site, &sshd);
    let t = text(&out);
    assert!(
        t.lines()
            .any(|l| l.contains("ERROR hotswap:read_only_deploy failed")
                && l.contains("migrate.sh exit status: 1")
                && l.contains("putting the site back to normal mode")),
        "capistrano: the failure is named before the mode goes back: {t}"
    );
    assert!(!t.contains("NoMethodError"), "capistrano: {t}");
    not_deployed(site, &out, &pids, "capistrano");
}
