//! What a newcomer and a packager meet: concise --help with examples, and the install command.

mod common;
use common::*;
use std::process::Command;

#[test]
fn help_is_concise_and_shows_examples() {
    for tool in ["upstream-toggle", "healthwait", "swapctl"] {
        let out = Command::new(bin(tool)).arg("--help").output().expect("run");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{tool}");
        assert!(
            help.contains("Examples:"),
            "{tool} --help shows examples:\n{help}"
        );
        assert!(
            help.lines().count() <= 70,
            "{tool} --help is concise ({} lines)",
            help.lines().count()
        );
    }
}

#[test]
fn the_install_command_places_binaries_man_pages_and_completions() {
    let dest = tempfile::tempdir().expect("tempdir");
    let bins = bin("swapctl").parent().expect("dir").to_path_buf();
    let out = Command::new("bash")
        .arg(workspace_root().join("scripts/install"))
        .env("DESTDIR", dest.path())
        .env("PREFIX", "/usr")
        .env("BIN_DIR", &bins)
        .output()
        .expect("install");
    assert!(out.status.success(), "{}", text(&out));
    for tool in ["upstream-toggle", "healthwait", "swapctl"] {
        for p in [
            format!("usr/bin/{tool}"),
            format!("usr/share/man/man1/{tool}.1"),
            format!("usr/share/bash-completion/completions/{tool}"),
            format!("usr/share/zsh/site-functions/_{tool}"),
            format!("usr/share/fish/vendor_completions.d/{tool}.fish"),
        ] {
            assert!(dest.path().join(&p).is_file(), "{p} installed");
        }
    }
    // The installed bash completion loads and completes a subcommand.
    let script = dest
        .path()
        .join("usr/share/bash-completion/completions/swapctl");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(swapctl hot); COMP_CWORD=1; COMP_LINE='swapctl hot'; COMP_POINT=11; _swapctl swapctl hot swapctl; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .expect("bash");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("hot-swap"),
        "{}",
        text(&out)
    );
}
