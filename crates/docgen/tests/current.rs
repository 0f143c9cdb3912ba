//! The checked-in man pages and completions match the clap definitions, and man renders them cleanly.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn generated_files_are_current() {
    let mut stale = Vec::new();
    for (path, bytes) in docgen::files() {
        if std::fs::read(root().join(&path)).ok().as_deref() != Some(bytes.as_slice()) {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; run `cargo run -p docgen` and commit the result"
    );
}

#[test]
fn every_subcommand_has_a_page_and_see_also_names_only_pages_that_exist() {
    let pages: Vec<String> = docgen::files()
        .into_iter()
        .filter(|(p, _)| p.starts_with("man/"))
        .map(|(p, _)| {
            p.trim_start_matches("man/")
                .trim_end_matches(".1")
                .to_string()
        })
        .collect();
    for sub in [
        "upstream-toggle-list",
        "upstream-toggle-disable",
        "upstream-toggle-enable",
        "swapctl-rolling",
        "swapctl-recover",
    ] {
        assert!(pages.iter().any(|p| p == sub), "{sub}.1 in {pages:?}");
    }
    let ours = ["upstream-toggle", "healthwait", "swapctl"];
    for (path, bytes) in docgen::files()
        .into_iter()
        .filter(|(p, _)| p.starts_with("man/"))
    {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let see = text.split(".SH \"SEE ALSO\"").nth(1).unwrap_or_default();
        for name in see
            .split([' ', ',', '\n'])
            .filter_map(|w| w.split("(1)").next())
        {
            let name = name.replace("\\-", "-");
            let name = name.trim_start_matches("\\fI").trim();
            if ours.iter().any(|t| name.starts_with(t)) {
                assert!(
                    pages.iter().any(|p| p == name),
                    "{path} names {name}(1), which does not exist"
                );
            }
        }
        // The flags a subcommand takes are documented on its page.
        if path.contains("-disable") {
            for flag in [
                "--method",
                "--reason",
                "--dry-run",
                "--lock-timeout",
                "--config",
            ] {
                assert!(text.contains(&flag.replace('-', "\\-")), "{path}: {flag}");
            }
        }
    }
}

#[test]
fn man_pages_have_the_sections_and_render_without_warnings() {
    for tool in ["upstream-toggle", "healthwait", "swapctl"] {
        let page = root().join(format!("man/{tool}.1"));
        let text = std::fs::read_to_string(&page).expect("man page");
        for sec in [
            "EXIT STATUS",
            "EXAMPLES",
            "ENVIRONMENT",
            "FILES",
            "SEE ALSO",
            "OPTIONS",
        ] {
            assert!(
                text.contains(&format!(".SH \"{sec}\"")) || text.contains(&format!(".SH {sec}")),
                "{tool}: no {sec}"
            );
        }
        let Ok(out) = std::process::Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .output()
        else {
            eprintln!("NOTICE: man is not installed; skipping the render check");
            return;
        };
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{tool}: man warned: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("EXIT STATUS"));
    }
}
