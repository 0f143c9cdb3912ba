//! The deploy-tool examples under scripts/examples, run for real against nginx on this machine.

mod common;
use common::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn the_shell_hot_swap_example_deploys_without_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let app_ports = ports(2);
    let listen = free_port();
    let conf = nginx_fixture(d, listen, &app_ports);
    let original = std::fs::read(&conf).expect("read");
    let apps = Apps::start(d, &app_ports, 200);
    let _nginx = Proxy::nginx(&conf, &d.join("nginx.pid"), listen);
    let load = Load::start(listen, 2);
    let bins = bin("swapctl").parent().expect("dir").display().to_string();
    let out = Command::new("bash")
        .arg(workspace_root().join("scripts/examples/hot-swap.sh"))
        .env("PATH", format!("{bins}:/usr/sbin:/usr/bin:/bin"))
        .env("CONF", &conf)
        .env("UPSTREAM", "app")
        .env("RESTART", apps.restart_template())
        .env("HEALTH", "http://{address}/health")
        .env("FRONT", format!("http://127.0.0.1:{listen}/"))
        .output()
        .expect("run example");
    std::thread::sleep(Duration::from_millis(200));
    let report = load.finish();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(report.failed(), 0, "{report:?}");
    assert!(
        text(&out).contains("hot-swap of app done"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(&conf).expect("read"), original);
}
