//! Walks haproxy sections and lists every server of every `backend` and `listen`.

use super::lexer::{self, Line};
use crate::address::looks_like_address;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::marker;
use crate::server::{
    CommentedShape, Flag, FlagWord, LiveShape, Method, Params, Server, Shape, State, Upstream,
};
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

/// What `default-server` lines hand down.
#[derive(Debug, Clone, Copy, Default)]
struct Defaults {
    disabled: bool,
    backup: bool,
}

impl Defaults {
    fn apply(&mut self, words: &[lexer::Word]) {
        for w in words {
            match w.value.as_slice() {
                b"disabled" => self.disabled = true,
                b"enabled" => self.disabled = false,
                b"backup" => self.backup = true,
                b"no-backup" => self.backup = false,
                _ => {}
            }
        }
    }
}

/// Fills `cfg` from its (single) file.
pub(crate) fn build(cfg: &mut Config) -> Result<()> {
    let src = &cfg.files[0];
    let lines = lexer::lines(&src.bytes).map_err(|e| Error::Syntax {
        at: src.at(e.offset),
        message: e.message,
    })?;
    let mut upstreams = Vec::new();
    let mut servers = Vec::new();
    let mut named_defaults: HashMap<Vec<u8>, Defaults> = HashMap::new();
    let mut last_defaults = Defaults::default();
    let mut in_defaults = false;
    let mut defaults_name: Option<Vec<u8>> = None;
    let mut current: Option<(usize, Defaults)> = None;
    let mut conds: Vec<usize> = Vec::new();

    for line in &lines {
        let Some(first) = line.words.first() else {
            if let (Some(c), Some((up, d))) = (&line.comment, current) {
                if let Some(s) = commented_server(src, line, c.clone(), up, d, !conds.is_empty()) {
                    servers.push(s);
                }
            }
            continue;
        };
        let kw = first.value.as_slice();
        if kw.starts_with(b".") {
            match kw {
                b".if" if conds.len() >= 64 => {
                    return Err(Error::Syntax {
                        at: src.at(first.span.start),
                        message: ".if blocks nest deeper than 64 levels".into(),
                    })
                }
                b".if" => conds.push(line.start),
                b".elif" | b".else" | b".endif" if conds.is_empty() => {
                    return Err(Error::Syntax {
                        at: src.at(first.span.start),
                        message: format!("{} without a matching .if", String::from_utf8_lossy(kw)),
                    })
                }
                b".endif" => {
                    conds.pop();
                }
                _ => {}
            }
            continue;
        }
        if let Some(&sec) = SECTIONS.iter().find(|s| **s == kw) {
            let name = line.words.get(1).map(|w| w.value.clone());
            in_defaults = sec == b"defaults";
            current = None;
            if in_defaults {
                last_defaults = Defaults::default();
                if let Some(n) = &name {
                    named_defaults.insert(n.clone(), last_defaults);
                }
                defaults_name = name;
                continue;
            }
            if sec == b"backend" || sec == b"listen" {
                let from = line
                    .words
                    .iter()
                    .position(|w| w.value == b"from")
                    .and_then(|i| line.words.get(i + 1))
                    .and_then(|w| named_defaults.get(&w.value).copied());
                upstreams.push(Upstream {
                    name: String::from_utf8_lossy(&name.unwrap_or_default()).into_owned(),
                    file: 0,
                    line: src.line(line.start),
                    context: String::from_utf8_lossy(sec).into_owned(),
                    hashing: false,
                    span: line.start..line.end,
                    serving: 0,
                    live: 0,
                });
                current = Some((upstreams.len() - 1, from.unwrap_or(last_defaults)));
            }
            continue;
        }
        if in_defaults && kw == b"default-server" {
            last_defaults.apply(&line.words[1..]);
            if let Some(n) = &defaults_name {
                named_defaults.insert(n.clone(), last_defaults);
            }
            continue;
        }
        let Some((up, defaults)) = current.as_mut() else {
            continue;
        };
        match kw {
            b"default-server" => defaults.apply(&line.words[1..]),
            b"server" | b"server-template" => {
                servers.push(live_server(src, line, *up, *defaults, !conds.is_empty())?);
            }
            _ => {}
        }
    }
    if let Some(&open) = conds.last() {
        return Err(Error::Syntax {
            at: src.at(open),
            message: ".if is never closed: add .endif".into(),
        });
    }
    for s in servers.iter().filter(|s| s.serves()) {
        upstreams[s.upstream].serving += 1;
    }
    cfg.upstreams = upstreams;
    cfg.servers = servers;
    Ok(())
}

fn value(w: &lexer::Word) -> String {
    String::from_utf8_lossy(&w.value).into_owned()
}

fn live_server(
    src: &Source,
    line: &Line,
    up: usize,
    defaults: Defaults,
    conditional: bool,
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
        });
    }
    let addr_at = need - 1;
    let param_words = &w[addr_at + 1..];
    let has = |kw: &[u8]| param_words.iter().any(|p| p.value == kw);
    let mut disabled = defaults.disabled;
    let mut flags = Vec::new();
    for i in addr_at + 1..w.len() {
        let word = match w[i].value.as_slice() {
            b"disabled" => FlagWord::Down,
            b"enabled" => FlagWord::Enabled,
            _ => continue,
        };
        disabled = word == FlagWord::Down;
        flags.push(Flag {
            word,
            remove: w[i - 1].span.end..w[i].span.end,
        });
    }
    let backup = (defaults.backup || has(b"backup")) && !has(b"no-backup");
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
    Ok(Server {
        file: 0,
        line: src.line(line.start),
        upstream: up,
        name: Some(value(&w[1])),
        address: value(&w[addr_at]),
        params,
        backup,
        state: if disabled {
            State::Disabled
        } else {
            State::Enabled
        },
        method: disabled.then_some(Method::Disabled),
        marker: mark,
        template: template.then(|| value(&w[2])),
        conditional,
        inherited_disabled: defaults.disabled,
        shape: Shape::Live(LiveShape {
            start: w[0].span.start,
            args_end: w[w.len() - 1].span.end,
            line_end: line.end,
            cont_lines: Vec::new(),
            shares_line: false,
            // A trailing `\` would escape whatever an edit appends after it.
            refuse: (src.bytes[..line.comment.as_ref().map_or(line.end, |c| c.start)]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count()
                % 2
                == 1)
                .then(|| "the line ends with a backslash that would escape anything appended to it; fix the line first".to_string()),
            flags,
        }),
        marker_span,
    })
}

/// `#server NAME ADDR ...` in a backend, re-lexed from the comment text.
fn commented_server(
    src: &Source,
    line: &Line,
    comment: std::ops::Range<usize>,
    up: usize,
    defaults: Defaults,
    conditional: bool,
) -> Option<Server> {
    let inner = lexer::line(&src.bytes, comment.start + 1, comment.end).ok()?;
    let w = &inner.words;
    let marked = marker::find(&src.bytes, comment.clone()).is_some();
    if w.len() < 3 || w[0].value != b"server" || !(marked || looks_like_address(&value(&w[2]))) {
        return None;
    }
    let blanks = src.bytes[comment.start + 1..comment.end]
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    let (marker_span, mark) = marker::find(&src.bytes, comment.clone())
        .map_or((None, None), |(r, m)| (Some(r), Some(Box::new(m))));
    let params = Params::Values(w[3..].iter().map(value).collect());
    Some(Server {
        file: 0,
        line: src.line(line.start),
        upstream: up,
        name: Some(value(&w[1])),
        address: value(&w[2]),
        backup: defaults.backup || w[3..].iter().any(|p| p.value == b"backup"),
        params,
        state: State::Disabled,
        method: Some(Method::Comment),
        marker: mark,
        template: None,
        conditional,
        inherited_disabled: defaults.disabled,
        shape: Shape::Commented(CommentedShape {
            strip: std::iter::once(comment.start..comment.start + 1 + blanks).collect(),
            // Uncommented, the line's own last `enabled`/`disabled` decides, else the inherited state.
            args_end: match w[3..]
                .iter()
                .rev()
                .find(|x| x.value == b"enabled" || x.value == b"disabled")
            {
                Some(x) if x.value == b"enabled" => None,
                Some(_) => w.last().map(|l| l.span.end),
                None if defaults.disabled => w.last().map(|l| l.span.end),
                None => None,
            },
        }),
        marker_span,
    })
}
