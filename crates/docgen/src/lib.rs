//! Man pages and shell completions, generated from the same clap definitions as `--help`, and
//! the JSON Schema of upstream-toggle's JSON output, generated from its types, so none can drift. `cargo run -p docgen` rewrites man/ and completions/; a test fails
//! when the checked-in files are stale.

use clap_complete::Shell;
use roff::{bold, italic, roman, Roff};

/// One tool's documentation beyond its flags.
struct Extra {
    exit: &'static [(&'static str, &'static str)],
    examples: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
    files: &'static [(&'static str, &'static str)],
    see_also: &'static str,
}

const COLOR_ENV: (&str, &str) = (
    "NO_COLOR",
    "when set, --help is never coloured (the tools colour nothing else, and --help only on a terminal)",
);

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
                env: &[
                    ("HOTSWAP_NGINX", "the nginx binary that validates edits (nginx -t); naming one that does not exist is an error"),
                    ("HOTSWAP_HAPROXY", "the haproxy binary that validates edits (haproxy -c); likewise"),
                    COLOR_ENV,
                ],
                files: &[
                    ("/etc/nginx/nginx.conf", "default config (/etc/haproxy/haproxy.cfg with -k haproxy)"),
                    (".NAME.lock", "edit lock beside the resolved main config and beside every file an edit writes; holds the holder's pid, user and start time while held"),
                    (".NAME.swapctl.lock", "a running swapctl deploy's lock: while it is held, edits refuse (exit 4) unless --force"),
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
                    ("126", "CMD cannot be run (not executable)"),
                    ("127", "CMD is not found"),
                    ("1", "other"),
                ],
                examples: &[
                    ("Wait for an HTTP health check:", "healthwait http://127.0.0.1:4040/okcomputer"),
                    ("Expect a JSON body:", "healthwait --status 200 --body-regex '\"status\": *\"up\"' http://127.0.0.1:8080/health"),
                    ("Through a puma socket, then reload nginx:", "healthwait --unix-socket /run/puma.sock http://localhost/health -- nginx -s reload"),
                    ("Wait until a port is closed:", "healthwait --down tcp://127.0.0.1:4040"),
                ],
                env: &[COLOR_ENV],
                files: &[("--cacert FILE", "the only file healthwait reads; it writes none")],
                see_also: "upstream-toggle(1), swapctl(1), curl(1)",
            },
        ),
        (
            swapctl::cli::command(),
            Extra {
                exit: &[
                    ("0", "done"),
                    ("1", "stopped by a failed restart, health check, edit or wait (the message says what is out and the exact next command); status: the last deploy failed or was interrupted with servers out"),
                    ("2", "usage (flag, template, duration, upstream, batch size, profile)"),
                    ("3", "another deploy holds the lock"),
                    ("130", "interrupted by Ctrl-C or SIGTERM: waits stopped, a running restart finished, the batch's healthy servers brought back; a second Ctrl-C stops at once"),
                ],
                examples: &[
                    (
                        "Hot-swap two app servers behind nginx:",
                        "swapctl --upstream app --restart 'systemctl restart app@{port}' --health 'http://{address}/okcomputer' hot-swap",
                    ),
                    ("Roll through haproxy servers one at a time:", "swapctl -c /etc/haproxy/haproxy.cfg --upstream app --restart './restart {name}' rolling"),
                    ("See what a deploy would do:", "swapctl --upstream app plan"),
                    ("Two load balancers in front of the same apps:", "swapctl -c /etc/nginx/lb1.conf -c /etc/nginx/lb2.conf --upstream app --restart './restart {port}' rolling"),
                    ("Drain one host from every proxy, restart it, bring it back:", "swapctl --upstream app out web3; ...; swapctl --upstream app --health 'http://{address}/up' in web3"),
                    ("After a failure or a kill:", "swapctl --upstream app status; swapctl --upstream app ... resume (or recover)"),
                    ("Through sudo, with the settings in /etc/hotswap/app.toml:", "sudo swapctl --profile app rolling"),
                    ("Keep the site readable while a migration runs:", "swapctl --upstream app mode read-only --message 'Back in 5 minutes' --retry-after 5m; ./migrate; swapctl --upstream app mode normal"),
                    ("A canary that rolls back a bad release:", "swapctl --upstream app --restart './restart {port}' rolling --canary 1 --observe 2m --max-error-rate 1 --rollback './rollback {port}'"),
                ],
                env: &[
                    ("HOTSWAP_HOST, HOTSWAP_PORT, HOTSWAP_ADDRESS, HOTSWAP_NAME, HOTSWAP_UPSTREAM", "set for each --restart command: the server it restarts"),
                    ("HOTSWAP_NGINX, HOTSWAP_HAPROXY", "the validator binaries, as for upstream-toggle"),
                    ("HOTSWAP_PROFILE_DIR", "where --profile NAME reads NAME.toml [default: /etc/hotswap]"),
                    COLOR_ENV,
                ],
                files: &[
                    (".NAME.swapctl.json", "the deploy journal beside each resolved config (mode 0644), rewritten atomically at every step"),
                    (".NAME.swapctl.lock", "the deploy lock (flock) beside each config; says which pid and user hold it and since when"),
                    ("/etc/hotswap/NAME.toml", "a --profile: settings for every flag; must be owned by root and not group- or world-writable"),
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

/// JSON OUTPUT: every field of `list --json` with its type and meaning, read from the same
/// schema the `schema/` files hold, so the page cannot drift from the output.
fn json_section(roff: &mut Roff) {
    roff.control("SH", ["JSON OUTPUT"]);
    roff.text([roman(
        "list --json prints one array of objects, one per server line; fields are only ever added. \
         Edit commands with --json print one object: outcomes (these fields plus change, new_method, \
         new_marked, dry_run, note), dry_run, diff, written, warnings. Errors under --json print \
         {\"error\": {\"message\", \"exit_code\"}} on stdout. The JSON Schema files are in \
         /usr/share/doc/hotswap/schema. The fields of a server:",
    )]);
    let schema = serde_json::to_value(schemars::schema_for!(
        upstream_toggle::json::ServerRow<'static>
    ))
    .unwrap_or_default();
    if let Some(props) = schema["properties"].as_object() {
        for (field, p) in props {
            let ty = match &p["type"] {
                serde_json::Value::String(t) => t.clone(),
                serde_json::Value::Array(ts) => ts
                    .iter()
                    .filter_map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                _ => "string (see the schema)".into(),
            };
            roff.control("TP", []);
            roff.text([bold(field.as_str()), roman(format!(" ({ty})"))]);
            roff.text([roman(p["description"].as_str().unwrap_or_default())]);
        }
    }
}

/// Title, NAME, SYNOPSIS, DESCRIPTION and OPTIONS, as clap_mangen renders them.
fn head(man: &clap_mangen::Man) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    buf
}

/// The man page of one tool: clap_mangen's sections plus EXIT STATUS, EXAMPLES, ENVIRONMENT,
/// FILES and a SEE ALSO that names its subcommands' pages.
fn man_page(cmd: clap::Command, extra: &Extra) -> String {
    let name = cmd.get_name().to_string();
    let subs: Vec<String> = subcommands(&cmd)
        .iter()
        .map(|c| format!("{name}-{}(1)", c.get_name()))
        .collect();
    let see_also = if subs.is_empty() {
        extra.see_also.to_string()
    } else {
        format!("{}, {}", subs.join(", "), extra.see_also)
    };
    let man = clap_mangen::Man::new(cmd);
    let mut buf = head(&man);
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
    if name == "upstream-toggle" {
        json_section(&mut roff);
    }
    section(&mut roff, "ENVIRONMENT", extra.env, true);
    section(&mut roff, "FILES", extra.files, true);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([italic(see_also)]);
    let mut out = String::from_utf8_lossy(&buf).into_owned();
    out.push_str(&roff.to_roff());
    let mut v = Vec::new();
    let _ = man.render_version_section(&mut v);
    out.push_str(&String::from_utf8_lossy(&v));
    out
}

/// The documented subcommands (not clap's `help`).
fn subcommands(cmd: &clap::Command) -> Vec<clap::Command> {
    cmd.get_subcommands()
        .filter(|c| c.get_name() != "help")
        .cloned()
        .collect()
}

/// One subcommand's page, `TOOL-SUB(1)`: every flag it takes, the tool's global ones included.
fn sub_page(tool: &clap::Command, sub: &clap::Command, extra: &Extra) -> String {
    let name = format!("{}-{}", tool.get_name(), sub.get_name());
    let mut cmd =
        sub.clone()
            .name(name.clone())
            .bin_name(format!("{} {}", tool.get_name(), sub.get_name()));
    for arg in tool.get_arguments().filter(|a| a.is_global_set()) {
        cmd = cmd.arg(arg.clone());
    }
    if let Some(v) = tool.get_version() {
        cmd = cmd.version(v.to_string());
    }
    let man = clap_mangen::Man::new(cmd);
    let buf = head(&man);
    let mut roff = Roff::new();
    section(&mut roff, "EXIT STATUS", extra.exit, true);
    section(&mut roff, "ENVIRONMENT", extra.env, true);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([italic(format!("{}(1)", tool.get_name()))]);
    let mut out = String::from_utf8_lossy(&buf).into_owned();
    out.push_str(&roff.to_roff());
    out
}

/// Every generated file as (path relative to the workspace root, contents).
pub fn files() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = upstream_toggle::json::schemas()
        .into_iter()
        .chain(swapctl::report::schemas())
        .chain([
            hotswap_cli::contract::schema(),
            healthwait::report::schema(),
        ])
        .map(|(name, text)| (format!("schema/{name}"), text.into_bytes()))
        .collect();
    for (cmd, extra) in tools() {
        let name = cmd.get_name().to_string();
        out.push((
            format!("man/{name}.1"),
            man_page(cmd.clone(), &extra).into_bytes(),
        ));
        for sub in subcommands(&cmd) {
            out.push((
                format!("man/{name}-{}.1", sub.get_name()),
                sub_page(&cmd, &sub, &extra).into_bytes(),
            ));
        }
        for (shell, path) in [
            (Shell::Bash, format!("completions/{name}.bash")),
            (Shell::Zsh, format!("completions/_{name}")),
            (Shell::Fish, format!("completions/{name}.fish")),
        ] {
            let mut c = cmd.clone();
            let mut buf = Vec::new();
            if name == "upstream-toggle" {
                // Dynamic: the shell asks the binary, which reads upstream and server names
                // from the config on the command line being completed.
                use clap_complete::env::EnvCompleter;
                let env: &dyn EnvCompleter = match shell {
                    Shell::Bash => &clap_complete::env::Bash,
                    Shell::Zsh => &clap_complete::env::Zsh,
                    _ => &clap_complete::env::Fish,
                };
                let _ = env.write_registration("COMPLETE", &name, &name, &name, &mut buf);
            } else {
                clap_complete::generate(shell, &mut c, name.clone(), &mut buf);
            }
            out.push((path, buf));
        }
    }
    out
}
