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
fn man_pages_have_the_sections_and_render_without_warnings() {
    for tool in ["upstream-toggle", "healthwait", "swapctl"] {
        let page = root().join(format!("man/{tool}.1"));
        let text = std::fs::read_to_string(&page).expect("man page");
        for sec in ["EXIT STATUS", "EXAMPLES", "FILES", "SEE ALSO", "OPTIONS"] {
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
