//! Walks haproxy sections and lists every server of every `backend` and `listen`.

use super::cond::{self, Branch};
use super::keywords;
use super::lexer::{self, Line};
use crate::address::looks_like_address;
use crate::error::{Error, Result};
use crate::inventory::{AdminSocket, Inventory, Setting, Settings};
use crate::marker;
use crate::server::{
    CommentedShape, Flag, FlagWord, LiveShape, Method, Params, Server, Shape, State, Upstream,
};
use crate::serving;
use crate::source::Source;
use std::collections::HashMap;

const SECTIONS: &[&[u8]] = &[
    b"global",
    b"defaults",
    b"frontend",
    b"backend",
    b"listen",
    b"peers",
    b"resolvers",
    b"userlist",
    b"mailers",
    b"program",
    b"http-errors",
    b"ring",
    b"cache",
    b"log-forward",
    b"fcgi-app",
    b"crt-store",
    b"traces",
    b"acme",
];

/// What `default-server` lines (and a defaults section's `option allbackups`) hand down.
#[derive(Debug, Clone, Copy, Default)]
struct Defaults {
    disabled: bool,
    backup: bool,
    weight_zero: bool,
    all_backups: bool,
    /// The proxy-level `disabled` keyword: the section does not run.
    switched_off: bool,
}

impl Defaults {
    fn apply(&mut self, words: &[lexer::Word]) {
        let scan = keywords::scan(&words.iter().map(|w| &w.value).collect::<Vec<_>>());
        self.disabled = scan.disabled().unwrap_or(self.disabled);
        self.backup = scan.backup.unwrap_or(self.backup);
        self.weight_zero = scan.weight_zero.unwrap_or(self.weight_zero);
    }
}

/// `Some(true)` for `option allbackups`, `Some(false)` for `no option allbackups`.
fn all_backups_option(line: &Line) -> Option<bool> {
    let w: Vec<&[u8]> = line.words.iter().map(|w| w.value.as_slice()).collect();
    match w.as_slice() {
        [b"option", b"allbackups", ..] => Some(true),
        [b"no", b"option", b"allbackups", ..] => Some(false),
        _ => None,
    }
}

/// `Some(true)` for a proxy-level `disabled` line, `Some(false)` for `enabled`.
fn switched_off(line: &Line) -> Option<bool> {
    match line.words.as_slice() {
        [w] if w.value == b"disabled" => Some(true),
        [w] if w.value == b"enabled" => Some(false),
        _ => None,
    }
}

/// The named section `from NAME` points at, if the header has one.
fn from_name(line: &Line) -> Option<&[u8]> {
    let at = line.words.iter().position(|w| w.value == b"from")?;
    line.words.get(at + 1).map(|w| w.value.as_slice())
}

/// Reads the (single) file's backends, servers and global settings.
pub(crate) fn load(main: Source) -> Result<Inventory> {
    let mut inv = Inventory::of(main);
    let src = &inv.files[0];
    let lines = lexer::lines(&src.bytes).map_err(|e| Error::Syntax {
        at: src.at(e.offset),
        message: e.message,
        looks_like: None,
    })?;
    let mut upstreams = Vec::new();
    let mut servers = Vec::new();
    let mut named_defaults: HashMap<Vec<u8>, Defaults> = HashMap::new();
    let mut last_defaults = Defaults::default();
    let mut in_defaults = false;
    let mut defaults_name: Option<Vec<u8>> = None;
    let mut current: Option<(usize, Defaults)> = None;
    let mut conds: Vec<Branch> = Vec::new();
    // For each live server inside `.if` blocks whose innermost block's surroundings are read:
    // (server, block start, arm); and each closed block's arms when it has an `.else`.
    let mut in_arms: Vec<(usize, usize, usize)> = Vec::new();
    let mut closed_with_else: HashMap<usize, usize> = HashMap::new();
    let mut settings = Settings::default();
    let mut in_global = false;
    let mut warnings = Vec::new();

    for line in &lines {
        let Some(first) = line.words.first() else {
            if let (Some(c), Some((up, d))) = (&line.comment, current) {
                match commented_server(src, line, c.clone(), up, d, &conds) {
                    Some(s) => servers.push(s),
                    // A marker never hides a server: one on a line that reads as none is named.
                    None if marker::find(&src.bytes, c.clone()).is_some() => {
                        warnings.push(format!(
                            "{}:{}: a marker of upstream-toggle on a line that is no server \
                             (`#server NAME ADDRESS ...`): nothing will restore it; fix the line by \
                             hand, or delete the marker",
                            src.path.display(),
                            src.line(line.start)
                        ));
                    }
                    None => {}
                }
            }
            continue;
        };
        let kw = first.value.as_slice();
        if kw.starts_with(b".") {
            if kw == b".endif" {
                if let Some(b) = conds.last().filter(|b| b.has_else) {
                    closed_with_else.insert(b.start, b.arm + 1);
                }
            }
            conditional(src, line, kw, &mut conds)?;
            continue;
        }
        // haproxy never reads a branch that is off: its section headers and defaults change nothing.
        // (Its servers are still listed, as not serving, so they can be seen and edited.)
        let skipped = cond::active(&conds) == Some(false);
        if skipped && (SECTIONS.contains(&kw) || kw == b"default-server") {
            continue;
        }
        if let Some(&sec) = SECTIONS.iter().find(|s| **s == kw) {
            let name = line
                .words
                .get(1)
                .map(|w| w.value.clone())
                .filter(|n| n != b"from");
            if cond::active(&conds) == Some(true) {
                check_proxy_name(src, line, sec)?;
            }
            let inherited = from_name(line).and_then(|n| named_defaults.get(n).copied());
            in_defaults = sec == b"defaults";
            in_global = sec == b"global";
            current = None;
            if in_defaults {
                last_defaults = inherited.unwrap_or_default();
                if let Some(n) = &name {
                    named_defaults.insert(n.clone(), last_defaults);
                }
                defaults_name = name;
                continue;
            }
            if sec == b"backend" || sec == b"listen" {
                let defaults = inherited.unwrap_or(last_defaults);
                upstreams.push(Upstream {
                    name: String::from_utf8_lossy(&name.unwrap_or_default()).into_owned(),
                    file: 0,
                    line: src.line(line.start),
                    context: String::from_utf8_lossy(sec).into_owned(),
                    hashing: false,
                    span: line.start..line.end,
                    serving: 0,
                    backups: 0,
                    all_backups: defaults.all_backups,
                    switched_off: defaults.switched_off,
                    live: 0,
                });
                current = Some((upstreams.len() - 1, inherited.unwrap_or(last_defaults)));
            }
            continue;
        }
        if in_global && !skipped {
            global_setting(src, line, &mut settings);
            continue;
        }
        let all_backups = all_backups_option(line).filter(|_| !skipped);
        // Switched off only when surely read: an unknown branch must not hide servers that serve.
        let off = switched_off(line).filter(|_| cond::active(&conds) == Some(true));
        if in_defaults && (kw == b"default-server" || all_backups.is_some() || off.is_some()) {
            match (all_backups, off) {
                (Some(on), _) => last_defaults.all_backups = on,
                (_, Some(off)) => last_defaults.switched_off = off,
                _ => last_defaults.apply(&line.words[1..]),
            }
            if let Some(n) = &defaults_name {
                named_defaults.insert(n.clone(), last_defaults);
            }
            continue;
        }
        let Some((up, defaults)) = current.as_mut() else {
            continue;
        };
        if let Some(on) = all_backups {
            upstreams[*up].all_backups = on;
            continue;
        }
        if let Some(off) = off {
            upstreams[*up].switched_off = off;
            continue;
        }
        match kw {
            b"default-server" => defaults.apply(&line.words[1..]),
            b"server" | b"server-template" => {
                servers.push(live_server(src, line, *up, *defaults, &conds)?);
                if let Some((last, outer)) = conds.split_last() {
                    if cond::active(outer) == Some(true) {
                        in_arms.push((servers.len() - 1, last.start, last.arm));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(open) = conds.last() {
        return Err(Error::Syntax {
            at: src.at(open.start),
            message: ".if is never closed: add .endif".into(),
            looks_like: None,
        });
    }
    read_in_every_arm(&mut servers, &in_arms, &closed_with_else);
    // A switched-off proxy does not run: none of its servers takes traffic.
    for s in servers.iter_mut() {
        if upstreams[s.upstream].switched_off {
            s.active = false;
        }
    }
    resolve_tracks(&upstreams, &mut servers);
    for i in 0..servers.len() {
        if servers[i].is_live() && !servers[i].backup {
            upstreams[servers[i].upstream].live += 1;
        }
        if serving::serves(&servers, i, &|j| servers[j].state) {
            upstreams[servers[i].upstream].serving += 1;
        }
        if servers[i].backup && serving::usable(&servers, i, &|j| servers[j].state) {
            upstreams[servers[i].upstream].backups += 1;
        }
    }
    inv.upstreams = upstreams;
    inv.servers = servers;
    inv.warnings = warnings;
    inv.settings = settings;
    Ok(inv)
}

/// haproxy refuses to start on a `frontend`, `backend` or `listen` without a name, or whose name
/// has a character other than letters, digits, `.`, `:`, `_` and `-` (`invalid_char()`; a
/// `defaults` name is checked only where a section names it). Checking it here also stops an nginx
/// config read as haproxy (its `listen 80;` is a haproxy `listen` section) from passing for one
/// with a `listen` named `80;`. A name with `$` is left alone: haproxy expands `"${VAR}"` first.
fn check_proxy_name(src: &Source, line: &Line, sec: &[u8]) -> Result<()> {
    if !matches!(sec, b"frontend" | b"backend" | b"listen") {
        return Ok(());
    }
    let sec_text = String::from_utf8_lossy(sec);
    let message = match line.words.get(1).map(|w| w.value.as_slice()) {
        None => format!("'{sec_text}' needs a name (haproxy rejects it without one)"),
        Some(n) if n.contains(&b'$') => return Ok(()),
        Some(n) => {
            let bad = n
                .iter()
                .find(|&&c| !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b':' | b'_' | b'-')));
            let Some(&c) = bad else {
                return Ok(());
            };
            format!(
                "character '{}' is not permitted in '{sec_text}' name '{}' (haproxy rejects it)",
                c.escape_ascii(),
                String::from_utf8_lossy(n)
            )
        }
    };
    Err(Error::Syntax {
        at: src.at(line.words.get(1).map_or(line.start, |w| w.span.start)),
        message,
        looks_like: None,
    })
}

/// `pidfile` and `stats socket` from the global section.
fn global_setting(src: &Source, line: &Line, settings: &mut Settings) {
    let w: Vec<String> = line
        .words
        .iter()
        .map(|w| String::from_utf8_lossy(&w.value).into_owned())
        .collect();
    let at = format!("{}:{}", src.path.display(), src.line(line.start));
    match w.as_slice() {
        // haproxy keeps the first `pidfile` ("already specified. Continuing.").
        [kw, path, ..] if kw == "pidfile" && settings.pid_file.is_none() => {
            settings.pid_file = Some(Setting {
                value: path.into(),
                at,
            });
        }
        [kw, sub, address, rest @ ..] if kw == "stats" && sub == "socket" => {
            let level = rest
                .windows(2)
                .find(|p| p[0] == "level")
                .map(|p| p[1].clone());
            settings.admin_sockets.push(Setting {
                value: AdminSocket {
                    address: address.clone(),
                    level,
                },
                at,
            });
        }
        _ => {}
    }
}

/// `.if`/`.elif`/`.else`/`.endif`: keeps the stack of open blocks and which branch is read.
fn conditional(src: &Source, line: &Line, kw: &[u8], conds: &mut Vec<Branch>) -> Result<()> {
    let at = line.words[0].span.start;
    let text = || {
        let end = line.comment.as_ref().map_or(line.end, |c| c.start);
        let start = line.words[0].span.end.min(end);
        cond::eval(&String::from_utf8_lossy(&src.bytes[start..end]))
    };
    let unmatched = || Error::Syntax {
        at: src.at(at),
        message: format!("{} without a matching .if", String::from_utf8_lossy(kw)),
        looks_like: None,
    };
    match kw {
        b".if" if conds.len() >= 64 => {
            return Err(Error::Syntax {
                at: src.at(at),
                message: ".if blocks nest deeper than 64 levels".into(),
                looks_like: None,
            })
        }
        b".if" => conds.push(Branch::open(line.start, text())),
        b".elif" => conds.last_mut().ok_or_else(unmatched)?.elif(text()),
        b".else" => conds.last_mut().ok_or_else(unmatched)?.otherwise(),
        b".endif" => {
            conds.pop().ok_or_else(unmatched)?;
        }
        _ => {}
    }
    Ok(())
}

/// A server that every arm of an `.if … .else … .endif` defines (same backend, same name) exists
/// whatever the conditions say: haproxy reads exactly one of those lines. Each copy counts as read
/// (an unknown condition alone would count none).
fn read_in_every_arm(
    servers: &mut [Server],
    in_arms: &[(usize, usize, usize)],
    closed_with_else: &HashMap<usize, usize>,
) {
    let mut arms_of: HashMap<(usize, usize, &str), Vec<usize>> = HashMap::new();
    for &(i, block, arm) in in_arms {
        let s = &servers[i];
        if s.active || s.template.is_some() || !closed_with_else.contains_key(&block) {
            continue;
        }
        if let Some(name) = s.name.as_deref() {
            arms_of
                .entry((block, s.upstream, name))
                .or_default()
                .push(arm);
        }
    }
    let whole: Vec<(usize, usize, String)> = arms_of
        .into_iter()
        .filter(|((block, _, _), arms)| {
            let n = closed_with_else[block];
            (0..n).all(|a| arms.contains(&a))
        })
        .map(|((block, up, name), _)| (block, up, name.to_string()))
        .collect();
    for (block, up, name) in whole {
        for &(i, b, _) in in_arms.iter().filter(|(_, b, _)| *b == block) {
            let s = &mut servers[i];
            if b == block && s.upstream == up && s.name.as_deref() == Some(name.as_str()) {
                s.active = true;
            }
        }
    }
}

/// Points each `track [BACKEND/]SERVER` at the live server it names (one haproxy reads, if any).
fn resolve_tracks(upstreams: &[Upstream], servers: &mut [Server]) {
    if servers.iter().all(|s| s.track.is_none()) {
        return;
    }
    let mut by_name: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, s) in servers.iter().enumerate() {
        if let (true, Some(n)) = (s.is_live() && s.template.is_none(), &s.name) {
            let key = (upstreams[s.upstream].name.as_str(), n.as_str());
            if s.active || !by_name.contains_key(&key) {
                by_name.insert(key, i);
            }
        }
    }
    let targets: Vec<Option<usize>> = servers
        .iter()
        .map(|s| {
            let t = s.track.as_deref()?;
            let (b, n) = t
                .split_once('/')
                .unwrap_or((upstreams[s.upstream].name.as_str(), t));
            by_name.get(&(b, n)).copied()
        })
        .collect();
    for (s, t) in servers.iter_mut().zip(targets) {
        s.tracks = t;
    }
}

fn value(w: &lexer::Word) -> String {
    String::from_utf8_lossy(&w.value).into_owned()
}

fn live_server(
    src: &Source,
    line: &Line,
    up: usize,
    defaults: Defaults,
    conds: &[Branch],
) -> Result<Server> {
    let w = &line.words;
    let template = w[0].value == b"server-template";
    let need = if template { 4 } else { 3 };
    if w.len() < need {
        return Err(Error::Syntax {
            at: src.at(w[0].span.start),
            message: if template {
                "server-template needs a prefix, a count and an address".into()
            } else {
                "server needs a name and an address".into()
            },
            looks_like: None,
        });
    }
    let addr_at = need - 1;
    let param_words = &w[addr_at + 1..];
    let scan = keywords::scan(&param_words.iter().map(|p| &p.value).collect::<Vec<_>>());
    let disabled = scan.disabled().unwrap_or(defaults.disabled);
    let flags = scan
        .states
        .iter()
        .map(|&(k, word)| {
            let at = addr_at + 1 + k;
            Flag {
                word,
                remove: w[at - 1].span.end..w[at].span.end,
            }
        })
        .collect();
    let params = Params::Span(
        param_words
            .first()
            .map_or(w[addr_at].span.end, |p| p.span.start)..w[w.len() - 1].span.end,
    );
    let (marker_span, mark) = line
        .comment
        .clone()
        .and_then(|c| marker::find(&src.bytes, c))
        .map_or((None, None), |(r, m)| (Some(r), Some(Box::new(m))));
    // A trailing `\` would escape whatever an edit appends after it.
    let dangling = src.bytes[..line.comment.as_ref().map_or(line.end, |c| c.start)]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count()
        % 2
        == 1;
    let shape = Shape::Live(LiveShape {
        start: w[0].span.start,
        args_end: w[w.len() - 1].span.end,
        end: line.end,
        line_end: line.end,
        cont_lines: Vec::new(),
        shares_line: false,
        split: None,
        refuse: if dangling {
            Some("the line ends with a backslash that would escape anything appended to it; fix the line first".to_string())
        } else {
            scan.dangling.as_ref().map(|k| format!(
                "the line ends with `{k}` and no value for it, so a word appended to it would be read as that value; fix the line first"
            ))
        },
        flags,
    });
    Ok(Server {
        name: Some(value(&w[1])),
        params,
        backup: scan.backup.unwrap_or(defaults.backup),
        state: if disabled {
            State::Disabled
        } else {
            State::Enabled
        },
        method: disabled.then_some(Method::Disabled),
        marker: mark,
        template: template.then(|| value(&w[2])),
        conditional: !conds.is_empty(),
        active: cond::active(conds) == Some(true),
        inherited_disabled: defaults.disabled,
        // A keyword from an environment variable may be `disabled`: never count on it serving.
        weight_zero: scan.weight_zero.unwrap_or(defaults.weight_zero) || scan.from_env,
        track: scan.track,
        marker_span,
        ..Server::new(0, src.line(line.start), up, value(&w[addr_at]), shape)
    })
}

/// `#server NAME ADDR ...` in a backend, re-lexed from the comment text.
fn commented_server(
    src: &Source,
    line: &Line,
    comment: std::ops::Range<usize>,
    up: usize,
    defaults: Defaults,
    conds: &[Branch],
) -> Option<Server> {
    let inner = lexer::line(&src.bytes, comment.start + 1, comment.end).ok()?;
    let w = &inner.words;
    let found = marker::find(&src.bytes, comment.clone());
    if w.len() < 3
        || w[0].value != b"server"
        || !(found.is_some() || looks_like_address(&value(&w[2])))
    {
        return None;
    }
    let blanks = src.bytes[comment.start + 1..comment.end]
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    let (marker_span, mark) = found.map_or((None, None), |(r, m)| (Some(r), Some(Box::new(m))));
    // The tool writes `lines=1` on haproxy, whose server lines never continue: more was pasted.
    let damaged = mark.as_ref().filter(|m| m.lines > 1).map(|m| {
        format!(
            "its marker says lines={} but a haproxy server is one line: it was pasted or edited by hand",
            m.lines
        )
    });
    let scan = keywords::scan(&w[3..].iter().map(|p| &p.value).collect::<Vec<_>>());
    // Uncommented, the line must serve: drop its own `disabled` words after the last `enabled`,
    // and when none is left to say so, add `enabled` over an inherited `default-server disabled`.
    let last_enabled = scan
        .states
        .iter()
        .rposition(|(_, f)| *f == FlagWord::Enabled);
    let delete = scan
        .states
        .iter()
        .enumerate()
        .filter(|(k, (_, f))| *f == FlagWord::Down && last_enabled.is_none_or(|e| *k > e))
        .map(|(_, &(at, _))| w[3 + at - 1].span.end..w[3 + at].span.end)
        .collect();
    let args_end = (defaults.disabled && last_enabled.is_none()).then(|| w[w.len() - 1].span.end);
    let shape = Shape::Commented(CommentedShape {
        strip: std::iter::once(comment.start..comment.start + 1 + blanks).collect(),
        delete,
        args_end,
    });
    Some(Server {
        name: Some(value(&w[1])),
        backup: scan.backup.unwrap_or(defaults.backup),
        params: Params::Values(w[3..].iter().map(value).collect()),
        state: State::Disabled,
        method: Some(Method::Comment),
        marker: mark,
        damaged,
        conditional: !conds.is_empty(),
        active: cond::active(conds) == Some(true),
        inherited_disabled: defaults.disabled,
        weight_zero: scan.weight_zero.unwrap_or(defaults.weight_zero),
        track: scan.track,
        marker_span,
        ..Server::new(0, src.line(line.start), up, value(&w[2]), shape)
    })
}
