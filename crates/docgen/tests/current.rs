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

/// A section of a generated page, from its `.SH` line to the next.
fn section<'a>(page: &'a str, title: &str) -> Option<&'a str> {
    let head = if title.contains(' ') {
        format!(".SH \"{title}\"\n")
    } else {
        format!(".SH {title}\n")
    };
    let rest = page.split(head.as_str()).nth(1)?;
    Some(rest.split("\n.SH ").next().unwrap_or(rest))
}

#[test]
fn every_page_has_examples_exit_kinds_and_a_synopsis_that_names_arguments() {
    let pages: Vec<(String, String)> = docgen::files()
        .into_iter()
        .filter(|(p, _)| p.starts_with("man/"))
        .map(|(p, b)| (p, String::from_utf8_lossy(&b).into_owned()))
        .collect();
    for (path, text) in &pages {
        let examples = section(text, "EXAMPLES").unwrap_or_default();
        assert!(examples.contains("\\fB"), "{path}: EXAMPLES with commands");
        assert!(
            !text.contains("Examples:"),
            "{path}: after_help repeated raw"
        );
        assert!(!text.contains("help(1)"), "{path}: names clap's help");
        if let Some(subs) = section(text, "SUBCOMMANDS") {
            assert!(subs.contains(".TP"), "{path}: an empty SUBCOMMANDS");
        }
        let exit = section(text, "EXIT STATUS").unwrap_or_default();
        for want in ["\\fB0\\fR", "\\fB1\\fR (runtime)", "\\fB2\\fR (usage)"] {
            assert!(exit.contains(want), "{path}: EXIT STATUS lists {want}");
        }
        let tool = ["upstream-toggle", "healthwait", "swapctl"]
            .into_iter()
            .find(|t| path.starts_with(&format!("man/{t}")))
            .unwrap_or_default();
        let codes = |list: &[&str]| list.iter().all(|c| exit.contains(c));
        match tool {
            "healthwait" => {
                assert!(
                    codes(&[
                        "\\fB124\\fR (timeout)",
                        "\\fB126\\fR",
                        "\\fB127\\fR",
                        "\\fB130\\fR (interrupted)"
                    ]),
                    "{path}"
                );
                assert!(!exit.contains("(not_found)"), "{path}");
            }
            _ => {
                assert!(
                    codes(&[
                        "\\fB3\\fR (not_found)",
                        "\\fB4\\fR (refused)",
                        "\\fB5\\fR (rejected)",
                        "\\fB6\\fR (busy)"
                    ]),
                    "{path}"
                );
                assert_eq!(
                    exit.contains("\\fB130\\fR (interrupted)"),
                    tool == "swapctl",
                    "{path}"
                );
            }
        }
        assert!(!text.contains("refuse (exit 4)"), "{path}: busy is 6");
        let synopsis = section(text, "SYNOPSIS").unwrap_or_default();
        assert!(
            synopsis.contains("\\fB\\-\\-json\\fR]"),
            "{path}: {synopsis}"
        );
        if tool != "healthwait" {
            assert!(
                synopsis.contains("[\\fB\\-c\\fR|\\fB\\-\\-config\\fR \\fIFILE\\fR]"),
                "{path}: -c names FILE: {synopsis}"
            );
        }
    }
    let page = |name: &str| {
        pages
            .iter()
            .find(|(p, _)| p == &format!("man/{name}.1"))
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    };
    assert!(section(page("healthwait"), "SUBCOMMANDS").is_none());
    assert!(!pages.iter().any(|(p, _)| p.ends_with("-help.1")));
    // swapctl out reads the drain flags but no health or restart flag: those are hidden.
    let out = page("swapctl-out");
    assert!(
        out.contains("[\\fB\\-\\-drain\\-timeout\\fR \\fIDUR\\fR]"),
        "{out}"
    );
    for hidden in [
        "\\fB\\-\\-restart\\fR",
        "\\fB\\-\\-health\\fR",
        "\\fB\\-\\-health\\-timeout\\fR",
    ] {
        assert!(!out.contains(hidden), "swapctl-out.1 shows {hidden}");
    }
    // A subcommand's examples come from its --help; its SEE ALSO names its parent and siblings.
    assert!(out.contains("\\-\\-drain\\-timeout 2m"), "{out}");
    let see = section(out, "SEE ALSO").unwrap_or_default();
    for p in [
        "swapctl(1)",
        "swapctl\\-in(1)",
        "upstream\\-toggle(1)",
        "healthwait(1)",
    ] {
        assert!(see.contains(p), "swapctl-out SEE ALSO names {p}: {see}");
    }
    assert!(!see.contains("swapctl\\-out(1)"), "{see}");
}
