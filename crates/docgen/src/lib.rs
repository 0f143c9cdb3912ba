//! Man pages and shell completions, generated from the same clap definitions as `--help`, and
//! the JSON Schema of upstream-toggle's JSON output, generated from its types, so none can drift.
//! `cargo run -p docgen` rewrites man/ and completions/; a test fails when the checked-in files
//! are stale.
//!
//! Every page, a tool's and a subcommand's, has SYNOPSIS (each flag with its argument, hidden
//! flags left out), EXIT STATUS (the toolkit's one table, [`hotswap_cli::Kind`], with the codes
//! that apply to the tool), EXAMPLES (a subcommand's read from its `after_help`) and a SEE ALSO
//! that names only pages that are generated.

use clap::ArgAction;
use clap_complete::Shell;
use hotswap_cli::Kind;
use roff::{bold, italic, roman, Inline, Roff};

/// One tool's documentation beyond its flags.
struct Extra {
    /// What exit status 0 means for this tool.
    ok: &'static str,
    /// The kinds of the toolkit's table this tool can end with, each with what it adds to the
    /// table's words for this tool ("" for nothing).
    kinds: &'static [(Kind, &'static str)],
    /// Exit statuses of this tool's own, outside the table (healthwait's 126 and 127).
    own_codes: &'static [(i32, &'static str)],
    /// The tool page's examples: (what it does, the commands, one a line; a line ending with `\`
    /// goes on on the next).
    examples: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
    files: &'static [(&'static str, &'static str)],
    /// The other tools' pages and outside ones.
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
                ok: "Done, or already so.",
                kinds: &[
                    (Kind::Runtime, ""),
                    (Kind::Usage, "A syntax error names file:line:col."),
                    (Kind::NotFound, "The message lists what exists."),
                    (Kind::Refused, "For example, the last serving server of an upstream (unless --force), a person's line, an ambiguous SERVER."),
                    (Kind::Rejected, "The validator's message (nginx -t, haproxy -c) is shown."),
                    (Kind::Busy, "Another edit's lock, held past --lock-timeout, or a swapctl deploy's (unless --force); the message says who holds it and since when."),
                ],
                own_codes: &[],
                examples: &[
                    ("List every server and its state:", "upstream-toggle list"),
                    ("Take a server out, with a reason in the marker:", "upstream-toggle disable 127.0.0.1:4040 --reason 'deploy 42'"),
                    ("Bring it back:", "upstream-toggle enable 127.0.0.1:4040"),
                    ("Preview a haproxy edit:", "upstream-toggle -c /etc/haproxy/haproxy.cfg disable app/web1 \\\n                --dry-run"),
                    ("Bring back everything this tool took out:", "upstream-toggle enable --all"),
                ],
                env: &[
                    ("HOTSWAP_NGINX", "the nginx binary that validates edits (nginx -t); naming one that does not exist is an error"),
                    ("HOTSWAP_HAPROXY", "the haproxy binary that validates edits (haproxy -c); likewise"),
                    COLOR_ENV,
                ],
                files: &[
                    ("/etc/nginx/nginx.conf", "default config (/etc/haproxy/haproxy.cfg with -k haproxy)"),
                    (".NAME.lock", "edit lock beside the resolved main config and beside every file an edit writes; holds the holder's pid, user and start time while held; another edit waits for it up to --lock-timeout, then exits 6 (busy)"),
                    (".NAME.swapctl.lock", "a running swapctl deploy's lock: while it is held, edits exit 6 (busy) unless --force"),
                    (".NAME.XXXXXX.tmp", "temp copy beside the target while an edit is validated; renamed over it"),
                ],
                see_also: "healthwait(1), swapctl(1), nginx(8), haproxy(1)",
            },
        ),
        (
            healthwait::cli::command(),
            Extra {
                ok: "Healthy; with CMD, CMD's own exit status.",
                kinds: &[
                    (Kind::Runtime, ""),
                    (Kind::Usage, ""),
                    (Kind::Timeout, "Not every target was healthy by --timeout; CMD is not run."),
                    (Kind::Interrupted, "CMD is not run."),
                ],
                own_codes: &[
                    (126, "CMD cannot be run (not executable)."),
                    (127, "CMD is not found."),
                ],
                examples: &[
                    ("Wait for an HTTP health check:", "healthwait http://127.0.0.1:4040/okcomputer"),
                    ("Expect a JSON body:", "healthwait --status 200 --body-regex '\"status\": *\"up\"' \\\n           http://127.0.0.1:8080/health"),
                    ("Through a puma socket, then reload nginx:", "healthwait --unix-socket /run/puma.sock http://localhost/health \\\n           -- nginx -s reload"),
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
                ok: "Done; status: nothing needs a person.",
                kinds: &[
                    (Kind::Runtime, "A failed restart, health check, edit or drain stopped the deploy; the message says what is out and the exact next command. swapctl status exits 1 when something needs a person (a deploy failed or was interrupted with servers out)."),
                    (Kind::Usage, "Also a bad template, duration, batch size or profile."),
                    (Kind::NotFound, "The message lists what exists."),
                    (Kind::Refused, "For example, the last serving server, or more servers than can be spared."),
                    (Kind::Rejected, "The validator's message is shown."),
                    (Kind::Busy, "Here, another deploy's lock; the message says who holds it and since when."),
                    (Kind::Interrupted, "Waits stop, a running restart finishes, the batch's healthy servers come back; a second Ctrl-C stops at once."),
                ],
                own_codes: &[],
                examples: &[
                    (
                        "Hot-swap two app servers behind nginx:",
                        "swapctl --upstream app --restart 'systemctl restart app@{port}' \\\n        --health 'http://{address}/okcomputer' hot-swap",
                    ),
                    ("Roll through haproxy servers one at a time:", "swapctl -c /etc/haproxy/haproxy.cfg --upstream app \\\n        --restart './restart {name}' rolling"),
                    ("See what a deploy would do:", "swapctl --upstream app plan"),
                    ("Two load balancers in front of the same apps:", "swapctl -c /etc/nginx/lb1.conf -c /etc/nginx/lb2.conf \\\n        --upstream app --restart './restart {port}' rolling"),
                    ("Drain one host from every proxy, restart it, bring it back:", "swapctl --upstream app out web3\n./restart web3\nswapctl --upstream app --health 'http://{address}/up' in web3"),
                    ("After a failure or a kill, see what is out, then finish the deploy (recover only brings back what is healthy):", "swapctl --upstream app status\nswapctl --upstream app resume"),
                    ("Through sudo, with the settings in /etc/hotswap/app.toml:", "sudo swapctl --profile app rolling"),
                    ("Keep the site readable while a migration runs:", "swapctl --upstream app mode read-only --message 'Back in 5 minutes' \\\n        --retry-after 5m\n./migrate\nswapctl --upstream app mode normal"),
                    ("A canary that rolls back a bad release:", "swapctl --upstream app --restart './restart {port}' \\\n        rolling --canary 1 --observe 2m --max-error-rate 2% \\\n        --rollback './rollback {port}'"),
                ],
                env: &[
                    ("HOTSWAP_HOST, HOTSWAP_PORT, HOTSWAP_ADDRESS, HOTSWAP_NAME, HOTSWAP_UPSTREAM", "set for each --restart command: the server it restarts"),
                    ("HOTSWAP_NGINX, HOTSWAP_HAPROXY", "the validator binaries, as for upstream-toggle"),
                    ("HOTSWAP_PROFILE_DIR", "where --profile NAME reads NAME.toml [default: /etc/hotswap]"),
                    COLOR_ENV,
                ],
                files: &[
                    (".NAME.swapctl.json", "the deploy journal beside each resolved config (mode 0644), rewritten atomically at every step"),
                    (".NAME.swapctl.lock", "the deploy lock (flock) beside each config; says which pid and user hold it and since when; a second deploy exits 6 (busy)"),
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

/// What a kind means, in the toolkit's words: its doc comment in `hotswap_cli::contract`, read
/// from the JSON Schema it produces (the same words the `schema/` files carry), without the
/// trailing ": exit N.".
pub fn kind_meaning(kind: Kind) -> String {
    let schema = serde_json::to_value(schemars::schema_for!(Kind)).unwrap_or_default();
    let described = schema["oneOf"].as_array().and_then(|variants| {
        variants
            .iter()
            .find(|v| v["const"].as_str() == Some(kind.name()))
            .and_then(|v| v["description"].as_str())
    });
    match described {
        Some(d) => {
            let d = d.trim_end_matches('.');
            d.strip_suffix(&format!(": exit {}", kind.code()))
                .unwrap_or(d)
                .to_string()
        }
        None => kind.name().replace('_', " "),
    }
}

/// One row of EXIT STATUS: the code, the kind's name (if it has one), what it means.
pub struct ExitRow {
    /// The exit status.
    pub code: i32,
    /// The kind's name in the toolkit's table, as in JSON errors.
    pub kind: Option<&'static str>,
    /// What it means for this tool.
    pub meaning: String,
}

/// A tool's exit statuses: 0, the kinds that apply (from [`Kind::ALL`], so a code or a name
/// cannot drift from the table), and its own codes, in numeric order.
fn exit_rows(extra: &Extra) -> Vec<ExitRow> {
    let mut rows = vec![ExitRow {
        code: 0,
        kind: None,
        meaning: extra.ok.to_string(),
    }];
    for kind in Kind::ALL {
        if let Some((_, note)) = extra.kinds.iter().find(|(k, _)| *k == kind) {
            let mut meaning = format!("{}.", kind_meaning(kind));
            if !note.is_empty() {
                meaning.push(' ');
                meaning.push_str(note);
            }
            rows.push(ExitRow {
                code: kind.code(),
                kind: Some(kind.name()),
                meaning,
            });
        }
    }
    rows.extend(extra.own_codes.iter().map(|(code, meaning)| ExitRow {
        code: *code,
        kind: None,
        meaning: (*meaning).to_string(),
    }));
    rows.sort_by_key(|r| r.code);
    rows
}

/// The exit statuses of one tool, by name, as its pages list them.
pub fn exit_statuses(tool: &str) -> Vec<ExitRow> {
    tools()
        .iter()
        .find(|(cmd, _)| cmd.get_name() == tool)
        .map(|(_, extra)| exit_rows(extra))
        .unwrap_or_default()
}

fn exit_section(roff: &mut Roff, extra: &Extra) {
    roff.control("SH", ["EXIT STATUS"]);
    for row in exit_rows(extra) {
        roff.control("TP", []);
        let mut head = vec![bold(row.code.to_string())];
        if let Some(kind) = row.kind {
            head.push(roman(format!(" ({kind})")));
        }
        roff.text(head);
        roff.text([roman(row.meaning)]);
    }
}

/// One example: what it does (if said) and its command, one or more lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Example {
    /// What it does: a trailing `# comment` of its command.
    pub what: Option<String>,
    /// The command's lines; all but the last end with `\`.
    pub lines: Vec<String>,
}

/// The examples of an `after_help` text: the lines after "Examples:" that start with two
/// spaces, up to the first line that does not (blank lines between them are skipped). A line
/// ending with `\` continues on the next; a trailing `# comment` says what the example does.
pub fn parse_examples(after_help: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut lines = after_help.lines();
    if !lines.any(|l| l.trim_end() == "Examples:") {
        return out;
    }
    let mut continued = false;
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        let Some(body) = line.strip_prefix("  ") else {
            break;
        };
        let (cmd, comment) = split_comment(body);
        match out.last_mut() {
            Some(ex) if continued => ex.lines.push(cmd.clone()),
            _ => out.push(Example {
                what: None,
                lines: vec![cmd.trim_start().to_string()],
            }),
        }
        if let (Some(c), Some(ex)) = (comment, out.last_mut()) {
            ex.what = Some(match ex.what.take() {
                Some(w) => format!("{w}; {c}"),
                None => c,
            });
        }
        continued = cmd.ends_with('\\');
    }
    out
}

/// A shell line without its trailing `# comment` (a `#` outside quotes that starts a word), and
/// the comment.
fn split_comment(line: &str) -> (String, Option<String>) {
    let mut quote = None;
    let mut prev = ' ';
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote != Some('\'') {
            escaped = true;
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '#' && prev.is_whitespace() {
            let comment = line[i + 1..].trim();
            let cmd = line[..i].trim_end().to_string();
            return (cmd, (!comment.is_empty()).then(|| comment.to_string()));
        }
        prev = c;
    }
    (line.trim_end().to_string(), None)
}

/// A sentence's first letter in capitals, unless its first word is not plain lowercase
/// (a name like `ip_hash` stays as written).
fn sentence(text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or_default();
    let plain = first
        .trim_end_matches([':', ','])
        .chars()
        .all(|c| c.is_ascii_lowercase());
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if plain => c.to_uppercase().chain(chars).collect(),
        _ => text.to_string(),
    }
}

fn examples_section(roff: &mut Roff, examples: &[Example]) {
    roff.control("SH", ["EXAMPLES"]);
    for ex in examples {
        roff.control("PP", []);
        if let Some(what) = &ex.what {
            roff.text([roman(sentence(what))]);
        }
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        for line in &ex.lines {
            roff.text([bold(line.as_str())]);
        }
        roff.control("fi", []);
        roff.control("RE", []);
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
         {\"error\": {\"kind\", \"message\", \"exit_code\", ...}} on stdout, kind and exit_code as \
         in EXIT STATUS, with file, line, column, server, upstream or holder where they apply. \
         The JSON Schema files are in /usr/share/doc/hotswap/schema. The fields of a server:",
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

/// The order clap lists flags in (its display order, then the short or long name).
fn sort_key(arg: &clap::Arg) -> (usize, String) {
    let key = if let Some(s) = arg.get_short() {
        format!(
            "{}{}",
            s.to_ascii_lowercase(),
            if s.is_ascii_lowercase() { '0' } else { '1' }
        )
    } else if let Some(l) = arg.get_long() {
        l.to_string()
    } else {
        format!("{{{}", arg.get_id())
    };
    (arg.get_display_order(), key)
}

/// What a flag takes, for SYNOPSIS: its few possible values (`nginx|haproxy`), else its value
/// name (`FILE`).
fn value_text(arg: &clap::Arg) -> String {
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if (2..=4).contains(&values.len()) {
        return values.join("|");
    }
    match arg.get_value_names() {
        Some(names) => names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        None => arg.get_id().as_str().to_uppercase(),
    }
}

/// SYNOPSIS: the command, each visible flag with its argument (`[-c|--config FILE]...` when it
/// repeats), the operands, and COMMAND when it has subcommands. `cmd` must be built.
fn synopsis(roff: &mut Roff, cmd: &clap::Command) {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut line: Vec<Inline> = vec![bold(name)];
    let mut opts: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .collect();
    opts.sort_by_key(|a| sort_key(a));
    for a in opts {
        let takes = a.get_num_args().is_some_and(|r| r.takes_values());
        let (l, r) = if a.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {l}")));
        match (a.get_short(), a.get_long()) {
            (Some(s), Some(long)) => {
                line.push(bold(format!("-{s}")));
                line.push(roman("|"));
                line.push(bold(format!("--{long}")));
            }
            (Some(s), None) => line.push(bold(format!("-{s}"))),
            (None, Some(long)) => line.push(bold(format!("--{long}"))),
            (None, None) => continue,
        }
        if takes {
            line.push(roman(" "));
            line.push(italic(value_text(a)));
        }
        line.push(roman(r));
        if matches!(a.get_action(), ArgAction::Append | ArgAction::Count) {
            line.push(roman("..."));
        }
    }
    for a in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let many = matches!(a.get_action(), ArgAction::Append)
            || a.get_num_args().is_some_and(|r| r.max_values() > 1);
        let mut text = vec![italic(value_text(a))];
        if many {
            text.push(roman("..."));
        }
        if a.is_last_set() {
            text.insert(0, roman("-- "));
        }
        if a.is_required_set() {
            line.push(roman(" "));
            line.extend(text);
        } else {
            line.push(roman(" ["));
            line.extend(text);
            line.push(roman("]"));
        }
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        let command = cmd.get_subcommand_value_name().unwrap_or("COMMAND");
        if cmd.is_subcommand_required_set() {
            line.push(roman(" "));
            line.push(italic(command));
        } else {
            line.push(roman(" ["));
            line.push(italic(command));
            line.push(roman("]"));
        }
    }
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(line);
}

/// Title, NAME, SYNOPSIS, DESCRIPTION and OPTIONS. clap_mangen renders all but SYNOPSIS, whose
/// flags it leaves without their arguments.
fn head(cmd: &clap::Command) -> (clap_mangen::Man, String) {
    let mut built = cmd.clone();
    built.build();
    let man = clap_mangen::Man::new(built.clone());
    let mut buf = Vec::new();
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let mut roff = Roff::new();
    synopsis(&mut roff, &built);
    buf.extend(roff.to_roff().into_bytes());
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    (man, String::from_utf8_lossy(&buf).into_owned())
}

fn see_also(roff: &mut Roff, pages: &str) {
    roff.control("SH", ["SEE ALSO"]);
    roff.text([italic(pages)]);
}

/// The man page of one tool: clap_mangen's sections plus EXIT STATUS, EXAMPLES, ENVIRONMENT,
/// FILES and a SEE ALSO that names its subcommands' pages.
fn man_page(cmd: clap::Command, extra: &Extra) -> String {
    let cmd = cmd.disable_help_subcommand(true);
    let name = cmd.get_name().to_string();
    let subs: Vec<String> = subcommands(&cmd)
        .iter()
        .map(|c| format!("{name}-{}(1)", c.get_name()))
        .collect();
    let pages = if subs.is_empty() {
        extra.see_also.to_string()
    } else {
        format!("{}, {}", subs.join(", "), extra.see_also)
    };
    let (man, mut out) = head(&cmd);
    if !subs.is_empty() {
        let mut buf = Vec::new();
        let _ = man.render_subcommands_section(&mut buf);
        out.push_str(&String::from_utf8_lossy(&buf));
    }
    let mut roff = Roff::new();
    exit_section(&mut roff, extra);
    let examples: Vec<Example> = extra
        .examples
        .iter()
        .map(|(what, cmd)| Example {
            what: Some((*what).to_string()),
            lines: cmd.lines().map(str::to_string).collect(),
        })
        .collect();
    examples_section(&mut roff, &examples);
    if name == "upstream-toggle" {
        json_section(&mut roff);
    }
    section(&mut roff, "ENVIRONMENT", extra.env, true);
    section(&mut roff, "FILES", extra.files, true);
    see_also(&mut roff, &pages);
    out.push_str(&roff.to_roff());
    let mut v = Vec::new();
    let _ = man.render_version_section(&mut v);
    out.push_str(&String::from_utf8_lossy(&v));
    out
}

/// The documented subcommands (not clap's implicit `help`).
fn subcommands(cmd: &clap::Command) -> Vec<clap::Command> {
    cmd.get_subcommands()
        .filter(|c| c.get_name() != "help" && !c.is_hide_set())
        .cloned()
        .collect()
}

/// One subcommand's page, `TOOL-SUB(1)`: every flag it takes, its own first, then the tool's
/// global ones it reads (those it has hidden copies of are left out, as in its --help).
fn sub_page(tool: &clap::Command, sub: &clap::Command, extra: &Extra) -> String {
    let name = format!("{}-{}", tool.get_name(), sub.get_name());
    let mut cmd =
        sub.clone()
            .name(name.clone())
            .bin_name(format!("{} {}", tool.get_name(), sub.get_name()));
    let globals = tool
        .get_arguments()
        .filter(|a| a.is_global_set())
        .filter(|a| !sub.get_arguments().any(|s| s.get_id() == a.get_id()));
    for (i, arg) in globals.enumerate() {
        // After the subcommand's own flags, before --help and --version.
        cmd = cmd.arg(arg.clone().display_order(500 + i));
    }
    if let Some(v) = tool.get_version() {
        // For the page's title; a subcommand takes no --version.
        cmd = cmd.version(v.to_string()).disable_version_flag(true);
    }
    let examples = sub
        .get_after_help()
        .map(|h| parse_examples(&h.to_string()))
        .unwrap_or_default();
    let (_, mut out) = head(&cmd);
    let mut roff = Roff::new();
    exit_section(&mut roff, extra);
    examples_section(&mut roff, &examples);
    section(&mut roff, "ENVIRONMENT", extra.env, true);
    let mut pages = vec![format!("{}(1)", tool.get_name())];
    pages.extend(
        subcommands(tool)
            .iter()
            .filter(|s| s.get_name() != sub.get_name())
            .map(|s| format!("{}-{}(1)", tool.get_name(), s.get_name())),
    );
    pages.push(extra.see_also.to_string());
    see_also(&mut roff, &pages.join(", "));
    out.push_str(&roff.to_roff());
    out
}

/// Every generated file as (path relative to the workspace root, contents).
pub fn files() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = upstream_toggle::json::schemas()
        .into_iter()
        .chain(swapctl::schemas())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_read_from_after_help() {
        let help = "\
Examples:
  tool a 'x # y'          # does a
  tool b --long \\
       --more c
  tool d \"#e\"

Exit status: 0 done";
        assert_eq!(
            parse_examples(help),
            [
                Example {
                    what: Some("does a".into()),
                    lines: vec!["tool a 'x # y'".into()],
                },
                Example {
                    what: None,
                    lines: vec!["tool b --long \\".into(), "     --more c".into()],
                },
                Example {
                    what: None,
                    lines: vec!["tool d \"#e\"".into()],
                },
            ]
        );
        assert!(parse_examples("no examples here\n  tool x").is_empty());
    }

    #[test]
    fn every_kind_has_its_meaning_from_the_contract() {
        for kind in Kind::ALL {
            let m = kind_meaning(kind);
            assert!(
                m.len() > kind.name().len() && !m.contains(": exit"),
                "{kind:?}: {m}"
            );
        }
    }

    #[test]
    fn each_tool_lists_the_codes_that_apply_with_their_kinds() {
        let codes =
            |tool: &str| -> Vec<i32> { exit_statuses(tool).iter().map(|r| r.code).collect() };
        assert_eq!(codes("upstream-toggle"), [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(codes("swapctl"), [0, 1, 2, 3, 4, 5, 6, 130]);
        assert_eq!(codes("healthwait"), [0, 1, 2, 124, 126, 127, 130]);
        for tool in ["upstream-toggle", "swapctl", "healthwait"] {
            for row in exit_statuses(tool) {
                let kind = Kind::ALL.iter().find(|k| k.code() == row.code);
                assert_eq!(row.kind, kind.map(|k| k.name()), "{tool} {}", row.code);
            }
        }
    }
}
