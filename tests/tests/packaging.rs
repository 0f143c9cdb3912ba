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

/// The documents both packages carry under share/doc/hotswap.
const DOCS: [&str; 6] = [
    "README.md",
    "docs/swapctl.md",
    "docs/json.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
    "CHANGELOG.md",
];

#[test]
fn the_deb_and_the_static_tarball_install_and_run() {
    let root = workspace_root();
    match std::env::var_os("HOTSWAP_PACKAGE_STATUS") {
        // scripts/test runs scripts/package in the background: wait for it to finish.
        Some(status) => {
            let status = std::path::PathBuf::from(status);
            wait_until(
                "scripts/package (started by scripts/test) to finish",
                std::time::Duration::from_secs(1800),
                || std::fs::read_to_string(&status).is_ok_and(|s| s.ends_with('\n')),
            );
            let log = std::env::var_os("HOTSWAP_PACKAGE_LOG")
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_default();
            let code = std::fs::read_to_string(&status).unwrap_or_default();
            assert_eq!(code.trim(), "0", "scripts/package failed:\n{log}");
        }
        None => {
            let out = Command::new("bash")
                .arg(root.join("scripts/package"))
                .output()
                .expect("scripts/package");
            assert!(out.status.success(), "{}", text(&out));
        }
    }
    let dist = root.join("dist");
    let sums = Command::new("sha256sum")
        .args(["--check", "SHA256SUMS"])
        .current_dir(&dist)
        .output()
        .expect("sha256sum");
    assert!(sums.status.success(), "{}", text(&sums));
    let find = |suffix: &str| {
        std::fs::read_dir(&dist)
            .expect("dist")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no *{suffix} in dist/"))
    };
    let version = env!("CARGO_PKG_VERSION");
    // The integrations, built by their ecosystems' own tools, listed in SHA256SUMS.
    let listed = std::fs::read_to_string(dist.join("SHA256SUMS")).expect("SHA256SUMS");
    for package in ["hotswap-toolkit-", "capistrano-hotswap-"] {
        let file = find_prefixed(&dist, package);
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(listed.contains(&name), "{name} in SHA256SUMS:\n{listed}");
    }
    let gem = Command::new("gem")
        .args(["specification"])
        .arg(find_prefixed(&dist, "capistrano-hotswap-"))
        .arg("name")
        .output()
        .expect("gem specification");
    assert!(text(&gem).contains("capistrano-hotswap"), "{}", text(&gem));
    let collection = Command::new("tar")
        .arg("-tzf")
        .arg(find_prefixed(&dist, "hotswap-toolkit-"))
        .output()
        .expect("tar");
    for member in [
        "MANIFEST.json",
        "plugins/modules/upstream_server.py",
        "plugins/modules/rotation.py",
        "roles/rolling/tasks/main.yml",
    ] {
        assert!(
            text(&collection).contains(member),
            "{member} in the collection"
        );
    }
    // The .deb, unpacked into a temporary root as dpkg would install it.
    let deb_root = tempfile::tempdir().expect("tempdir");
    let x = Command::new("dpkg")
        .arg("-x")
        .arg(find(".deb"))
        .arg(deb_root.path())
        .output()
        .expect("dpkg -x");
    assert!(x.status.success(), "{}", text(&x));
    let r = deb_root.path();
    for tool in ["upstream-toggle", "healthwait", "swapctl"] {
        let v = Command::new(r.join("usr/bin").join(tool))
            .arg("--version")
            .output()
            .expect("run");
        assert!(
            v.status.success() && text(&v).contains(version),
            "{tool}: {}",
            text(&v)
        );
        let man = r.join(format!("usr/share/man/man1/{tool}.1"));
        assert!(
            man.is_file() || man.with_extension("1.gz").is_file(),
            "{tool} man page"
        );
        for p in [
            format!("usr/share/bash-completion/completions/{tool}"),
            format!("usr/share/zsh/vendor-completions/_{tool}"),
            format!("usr/share/fish/vendor_completions.d/{tool}.fish"),
        ] {
            assert!(r.join(&p).is_file(), "{p} in the .deb");
        }
    }
    assert!(r
        .join("usr/share/doc/hotswap/examples/sudoers.hotswap")
        .is_file());
    for doc in DOCS {
        assert!(
            r.join("usr/share/doc/hotswap").join(doc).is_file(),
            "{doc} in the .deb"
        );
    }
    // The static tarball: same files, binaries with no dynamic loader.
    let tar_root = tempfile::tempdir().expect("tempdir");
    let t = Command::new("tar")
        .arg("-xzf")
        .arg(find("-x86_64-unknown-linux-musl.tar.gz"))
        .arg("-C")
        .arg(tar_root.path())
        .output()
        .expect("tar");
    assert!(t.status.success(), "{}", text(&t));
    let top = tar_root
        .path()
        .join(format!("hotswap-{version}-x86_64-unknown-linux-musl"));
    for tool in ["upstream-toggle", "healthwait", "swapctl"] {
        let exe = top.join("bin").join(tool);
        let v = Command::new(&exe).arg("--version").output().expect("run");
        assert!(
            v.status.success() && text(&v).contains(version),
            "{tool}: {}",
            text(&v)
        );
        let bytes = std::fs::read(&exe).expect("read");
        assert!(
            !bytes.windows(12).any(|w| w == b"ld-linux-x86"),
            "{tool} is static: no dynamic loader named in it"
        );
        assert!(top.join(format!("share/man/man1/{tool}.1")).is_file());
    }
    assert!(top
        .join("share/doc/hotswap/examples/sudoers.hotswap")
        .is_file());
    for doc in DOCS {
        assert!(
            top.join("share/doc/hotswap").join(doc).is_file(),
            "{doc} in the tarball"
        );
    }
}

#[test]
fn bash_completion_offers_upstream_and_server_names_from_the_config() {
    let d = tempfile::tempdir().expect("tempdir");
    let conf = d.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "events {}\nhttp {\n    upstream app { server 127.0.0.1:4040; server 127.0.0.1:4041; }\n    upstream api { server 10.0.0.1:80; }\n}\n",
    )
    .expect("write");
    let script = workspace_root().join("completions/upstream-toggle.bash");
    let bins = bin("upstream-toggle").parent().expect("dir").to_path_buf();
    let complete = |words: &str, cword: usize| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9; _clap_complete_upstream_toggle upstream-toggle \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .env("PATH", format!("{}:{}", bins.display(), std::env::var("PATH").unwrap_or_default()))
            .output()
            .expect("bash");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let c = conf.display();
    let servers = complete(&format!("upstream-toggle -c {c} disable 127"), 4);
    assert!(
        servers.contains("127.0.0.1:4040") && servers.contains("127.0.0.1:4041"),
        "{servers}"
    );
    assert!(!servers.contains("10.0.0.1"), "{servers}");
    let ups = complete(&format!("upstream-toggle -c {c} enable --upstream ap"), 5);
    assert!(ups.contains("app") && ups.contains("api"), "{ups}");
    let scoped = complete(&format!("upstream-toggle -c {c} disable api/"), 4);
    assert!(scoped.contains("api/10.0.0.1:80"), "{scoped}");
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    for tool in ["upstream-toggle", "healthwait", "swapctl"] {
        let piped = Command::new(bin(tool)).arg("--help").output().expect("run");
        assert!(
            !piped.stdout.contains(&0x1b),
            "{tool}: no colour into a pipe"
        );
        let on_tty = |no_color: bool| {
            let mut c = Command::new("script");
            c.args([
                "-qec",
                &format!("{} --help", bin(tool).display()),
                "/dev/null",
            ]);
            if no_color {
                c.env("NO_COLOR", "1");
            } else {
                c.env_remove("NO_COLOR");
            }
            c.output()
        };
        let (Ok(plain), Ok(coloured)) = (on_tty(true), on_tty(false)) else {
            eprintln!("NOTICE: script(1) is missing; the terminal half of this test did not run");
            return;
        };
        assert!(
            !plain.stdout.contains(&0x1b),
            "{tool}: NO_COLOR is honoured on a terminal"
        );
        assert!(
            coloured.stdout.contains(&0x1b),
            "{tool}: --help is coloured on a terminal"
        );
    }
}

/// The file in `dir` whose name starts with `prefix`.
fn find_prefixed(dir: &std::path::Path, prefix: &str) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .expect("dist")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no {prefix}* in {}", dir.display()))
}
