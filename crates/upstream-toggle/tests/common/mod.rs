#![allow(dead_code, unused_imports)]
//! Helpers for running the real upstream-toggle binary against files in a temp dir.

use std::path::Path;
use std::process::{Command, Output};

pub use hotswap_tests::files::{read, text, tmp, write};
pub use hotswap_tests::*;

/// Result of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success:\nstdout:{}\nstderr:{}",
            self.stdout, self.stderr
        );
        self
    }
}

fn to_run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `upstream-toggle -c conf ARGS`.
pub fn ut(conf: &Path, args: &[&str]) -> Run {
    to_run(
        Command::new(env!("CARGO_BIN_EXE_upstream-toggle"))
            .arg("-c")
            .arg(conf)
            .args(args)
            .output()
            .expect("run upstream-toggle"),
    )
}

/// Runs it with extra environment variables.
pub fn ut_env(conf: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_upstream-toggle"));
    c.arg("-c").arg(conf).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    to_run(c.output().expect("run upstream-toggle"))
}

/// `list --json` parsed.
pub fn list(conf: &Path) -> Vec<serde_json::Value> {
    let r = ut(conf, &["list", "--json"]).ok();
    serde_json::from_str(&r.stdout).expect("json")
}

/// The JSON rows whose address is `addr`.
pub fn rows<'a>(all: &'a [serde_json::Value], addr: &str) -> Vec<&'a serde_json::Value> {
    all.iter().filter(|r| r["address"] == addr).collect()
}
