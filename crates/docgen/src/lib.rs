//! Man pages and shell completions, generated from the same clap definitions as `--help`, so
//! they cannot drift apart. `cargo run -p docgen` rewrites man/ and completions/; a test fails
//! when the checked-in files are stale.

use clap_complete::Shell;
use roff::{bold, italic, roman, Roff};

/// One tool's documentation beyond its flags.
struct Extra {
    exit: &'static [(&'static str, &'static str)],
    examples: &'static [(&'static str, &'static str)],
    files: &'static [(&'static str, &'static str)],
    see_also: &'static str,
}

fn tools() -> Vec<(clap::Command, Extra)> {
    vec![
        (
            upstream_toggle::cli::command(),
            Extra {
                exit: &[
                    ("0", "done, or already so"),
                    ("1", "runtime error"),
                    ("2", "usage or config syntax error (the message gives file:line:col)"),
                    ("3", "no such server (the message lists what exists)"),
                    ("4", "refused by a safety rule"),
                    ("5", "rejected by the validator (nothing written; its message is shown)"),
                ],
                examples: &[
                    ("List every server and its state:", "upstream-toggle list"),
                    ("Take a server out, with a reason in the marker:", "upstream-toggle disable 127.0.0.1:4040 --reason 'deploy 42'"),
                    ("Bring it back:", "upstream-toggle enable 127.0.0.1:4040"),
                    ("Preview a haproxy edit:", "upstream-toggle -c /etc/haproxy/haproxy.cfg disable app/web1 --dry-run"),
                    ("Bring back everything this tool took out:", "upstream-toggle enable --all"),
                ],
                files: &[
                    ("/etc/nginx/nginx.conf", "default config (/etc/haproxy/haproxy.cfg with -k haproxy)"),
                    (".NAME.lock", "lock file beside the resolved config; serialises every edit"),
                    (".NAME.XXXXXX.tmp", "temp copy beside the target while an edit is validated; renamed over it"),
                ],
                see_also: "healthwait(1), swapctl(1), nginx(8), haproxy(1)",
            },
        ),
        (
            healthwait::cli::command(),
            Extra {
                exit: &[
                    ("0", "healthy, or CMD's own exit status"),
                    ("124", "timed out (CMD is not run)"),
                    ("2", "usage"),
                    ("1", "other"),
                ],
                examples: &[
                    ("Wait for an HTTP health check:", "healthwait http://127.0.0.1:4040/okcomputer"),
                    ("Expect a JSON body:", "healthwait --status 200 --body-regex '\"status\": *\"up\"' http://127.0.0.1:8080/health"),
                    ("Through a puma socket, then reload nginx:", "healthwait --unix-socket /run/puma.sock http://localhost/health -- nginx -s reload"),
                    ("Wait until a port is closed:", "healthwait --down tcp://127.0.0.1:4040"),
                ],
                files: &[("(none)", "healthwait reads and writes no file")],
                see_also: "upstream-toggle(1), swapctl(1), curl(1)",
            },
        ),
        (
            swapctl::cli::command(),
            Extra {
                exit: &[
                    ("0", "done"),
                    ("1", "stopped by a failed restart, health check, edit or wait (the message says what is out and what to run)"),
                    ("2", "usage"),
                    ("3", "another deploy holds the lock"),
                    ("130", "interrupted; stopped after the current step"),
                ],
                examples: &[
                    (
                        "Hot-swap two app servers behind nginx:",
                        "swapctl --upstream app --restart 'systemctl restart app@{port}' --health 'http://{address}/okcomputer' hot-swap",
                    ),
                    ("Roll through haproxy servers one at a time:", "swapctl -c /etc/haproxy/haproxy.cfg --upstream app --restart './restart {name}' rolling"),
                    ("See what a deploy would do:", "swapctl --upstream app plan"),
                    ("After a failure or a kill:", "swapctl --upstream app status; swapctl --upstream app recover"),
                ],
                files: &[
                    (".NAME.swapctl.json", "the deploy journal beside the resolved config, rewritten atomically at every step"),
                    (".NAME.swapctl.lock", "the deploy lock (flock); says which pid holds it and since when"),
                    (".NAME.lock", "the edit lock shared with upstream-toggle"),
                ],
                see_also: "upstream-toggle(1), healthwait(1), nginx(8), haproxy(1)",
            },
        ),
    ]
}

fn section(roff: &mut Roff, title: &str, rows: &[(&str, &str)], mono_first: bool) {
    roff.control("SH", [title]);
    for (a, b) in rows {
        roff.control("TP", []);
        roff.text([if mono_first { bold(*a) } else { roman(*a) }]);
        roff.text([roman(*b)]);
    }
}

/// The man page of one tool: clap_mangen's sections plus EXIT STATUS, EXAMPLES, FILES, SEE ALSO.
fn man_page(cmd: clap::Command, extra: &Extra) -> String {
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    let _ = man.render_subcommands_section(&mut buf);
    let mut roff = Roff::new();
    section(&mut roff, "EXIT STATUS", extra.exit, true);
    roff.control("SH", ["EXAMPLES"]);
    for (what, cmd) in extra.examples {
        roff.control("PP", []);
        roff.text([roman(*what)]);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        roff.text([bold(*cmd)]);
        roff.control("fi", []);
        roff.control("RE", []);
    }
    section(&mut roff, "FILES", extra.files, true);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([italic(extra.see_also)]);
    let mut out = String::from_utf8_lossy(&buf).into_owned();
    out.push_str(&roff.to_roff());
    let mut v = Vec::new();
    let _ = man.render_version_section(&mut v);
    out.push_str(&String::from_utf8_lossy(&v));
    out
}

/// Every generated file as (path relative to the workspace root, contents).
pub fn files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (cmd, extra) in tools() {
        let name = cmd.get_name().to_string();
        out.push((
            format!("man/{name}.1"),
            man_page(cmd.clone(), &extra).into_bytes(),
        ));
        for (shell, path) in [
            (Shell::Bash, format!("completions/{name}.bash")),
            (Shell::Zsh, format!("completions/_{name}")),
            (Shell::Fish, format!("completions/{name}.fish")),
        ] {
            let mut c = cmd.clone();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut c, name.clone(), &mut buf);
            out.push((path, buf));
        }
    }
    out
}
