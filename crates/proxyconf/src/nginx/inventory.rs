//! Walks the nginx tree (following includes) and lists every upstream server.

use super::lexer::{self, Kind, Lexer};
use super::parser::{self, Directive, Item};
use crate::address::looks_like_address;
use crate::config::{read, Config, Include};
use crate::error::{Error, Result};
use crate::marker;
use crate::server::{
    CommentedShape, Flag, FlagWord, LiveShape, Method, Server, Shape, State, Upstream,
};
use crate::source::Source;
use std::path::{Path, PathBuf};
use std::rc::Rc;

const SERVER_PARAMS: &[&str] = &[
    "weight=",
    "max_conns=",
    "max_fails=",
    "fail_timeout=",
    "backup",
    "down",
    "resolve",
    "route=",
    "service=",
    "slow_start=",
    "drain",
];
const MAX_INCLUDE_DEPTH: usize = 32;

/// Fills `cfg` from its main file.
pub(crate) fn build(cfg: &mut Config) -> Result<()> {
    let items = parse_file(&cfg.files[0])?;
    let base = cfg.main.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut w = Walker {
        cfg,
        base,
        trees: vec![Some(Rc::new(items))],
        stack: Vec::new(),
    };
    let tree = w.tree(0);
    w.walk(0, &tree, Ctx::Block("main"))
}

fn parse_file(src: &Source) -> Result<Vec<Item>> {
    parser::parse(&src.bytes).map_err(|e| Error::Syntax {
        at: src.at(e.offset),
        message: format!("{} (fix the config; nothing was changed)", e.message),
    })
}

#[derive(Clone, Copy)]
enum Ctx<'a> {
    Block(&'a str),
    Upstream(usize),
}

struct Walker<'c> {
    cfg: &'c mut Config,
    base: PathBuf,
    trees: Vec<Option<Rc<Vec<Item>>>>,
    stack: Vec<usize>,
}

impl Walker<'_> {
    fn tree(&self, file: usize) -> Rc<Vec<Item>> {
        self.trees[file].clone().unwrap_or_default()
    }

    fn walk(&mut self, file: usize, items: &[Item], ctx: Ctx) -> Result<()> {
        if let Ctx::Upstream(up) = ctx {
            self.commented_servers(file, items, up);
        }
        for item in items {
            let Item::Directive(d) = item else { continue };
            let src = &self.cfg.files[file];
            let name = d.name_bytes(&src.bytes);
            match (name, ctx) {
                (b"include", _) => self.include(file, d, ctx)?,
                (b"server", Ctx::Upstream(up)) if d.block.is_none() => {
                    self.live_server(file, d, up)
                }
                (b"ip_hash" | b"hash", Ctx::Upstream(up)) => self.cfg.upstreams[up].hashing = true,
                (b"upstream", Ctx::Block(parent)) if d.block.is_some() => {
                    let up = self.cfg.upstreams.len();
                    let uname = d.arg(&src.bytes, 0).unwrap_or_default();
                    self.cfg.upstreams.push(Upstream {
                        name: String::from_utf8_lossy(&uname).into_owned(),
                        file,
                        line: src.line(d.start),
                        context: if parent == "stream" { "stream" } else { "http" }.into(),
                        hashing: false,
                    });
                    if let Some(b) = &d.block {
                        self.walk(file, &b.items, Ctx::Upstream(up))?;
                    }
                }
                _ => {
                    if let Some(b) = &d.block {
                        let inner = match name {
                            b"stream" => "stream",
                            b"http" => "http",
                            _ => "other",
                        };
                        let inner = if let Ctx::Block("stream") = ctx {
                            "stream"
                        } else {
                            inner
                        };
                        self.walk(file, &b.items, Ctx::Block(inner))?;
                    }
                }
            }
        }
        Ok(())
    }

    fn include(&mut self, file: usize, d: &Directive, ctx: Ctx) -> Result<()> {
        let src = &self.cfg.files[file];
        let at = src.at(d.start);
        let Some(pattern) = d.arg(&src.bytes, 0) else {
            return Err(Error::Syntax {
                at,
                message: "include needs a file name".into(),
            });
        };
        let pattern = String::from_utf8_lossy(&pattern).into_owned();
        let full = self.base.join(&pattern);
        let is_glob = pattern.contains(['*', '?', '[']);
        let mut paths: Vec<PathBuf> = if is_glob {
            let opts = glob::MatchOptions {
                require_literal_leading_dot: true,
                ..Default::default()
            };
            glob::glob_with(&full.to_string_lossy(), opts)
                .map(|g| g.filter_map(std::result::Result::ok).collect())
                .unwrap_or_default()
        } else {
            vec![full.clone()]
        };
        paths.retain(|p| p.is_file() || !is_glob);
        let mut targets = Vec::new();
        for path in paths {
            if !path.exists() {
                self.cfg.warnings.push(format!(
                    "{at}: included file {} does not exist; its servers are not listed",
                    path.display()
                ));
                continue;
            }
            if self.stack.len() >= MAX_INCLUDE_DEPTH {
                return Err(Error::Syntax {
                    at,
                    message: format!(
                        "includes nest deeper than {MAX_INCLUDE_DEPTH} levels (is there a cycle?)"
                    ),
                });
            }
            let idx = self.file_index(&path)?;
            if self.stack.contains(&idx) || idx == file {
                return Err(Error::Syntax {
                    at,
                    message: format!("{} includes itself", path.display()),
                });
            }
            targets.push(idx);
            self.stack.push(file);
            let tree = self.tree(idx);
            let r = self.walk(idx, &tree, ctx);
            self.stack.pop();
            r?;
        }
        self.cfg.includes.push(Include {
            from: file,
            span: d.start..d.end,
            targets,
        });
        Ok(())
    }

    fn file_index(&mut self, path: &Path) -> Result<usize> {
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(i) = self.cfg.files.iter().position(|f| {
            std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()) == canon
        }) {
            return Ok(i);
        }
        let src = Source::new(path.to_path_buf(), read(path)?);
        let items = parse_file(&src)?;
        self.cfg.files.push(src);
        self.trees.push(Some(Rc::new(items)));
        Ok(self.cfg.files.len() - 1)
    }

    fn live_server(&mut self, file: usize, d: &Directive, up: usize) {
        let src = &self.cfg.files[file];
        let b = &src.bytes;
        let vals: Vec<String> = (0..d.args.len())
            .map(|i| String::from_utf8_lossy(&d.arg(b, i).unwrap_or_default()).into_owned())
            .collect();
        let mut flags = Vec::new();
        for (i, v) in vals.iter().enumerate().skip(1) {
            if v == "down" {
                let prev_end = d.args[i - 1].span.end;
                flags.push(Flag {
                    word: FlagWord::Down,
                    remove: prev_end..d.args[i].span.end,
                });
            }
        }
        let args_end = d.args.last().map_or(d.name.span.end, |t| t.span.end);
        let last = d.end - 1;
        let line_end = src.line_end(last);
        let cont_lines: Vec<usize> = b[d.start..last]
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == b'\n')
            .map(|(k, _)| src.first_non_blank(d.start + k + 1))
            .collect();
        let blank_cont = cont_lines
            .iter()
            .any(|&p| matches!(b.get(p), None | Some(b'\n' | b'\r')));
        let after = d.trailing_comment.as_ref().map_or(d.end, |c| c.end);
        let shares_line = blank_cont
            || !src.is_blank(src.line_start(d.start)..d.start)
            || !src.is_blank(after..line_end);
        let (marker_span, mark) = match &d.trailing_comment {
            Some(c) => marker::find(b, c.clone()).map_or((None, None), |(r, m)| (Some(r), Some(m))),
            None => (None, None),
        };
        let down = !flags.is_empty();
        self.cfg.servers.push(Server {
            file,
            line: src.line(d.start),
            upstream: up,
            name: None,
            address: vals.first().cloned().unwrap_or_default(),
            params: vals.iter().skip(1).cloned().collect(),
            backup: vals.iter().skip(1).any(|v| v == "backup"),
            state: if down {
                State::Disabled
            } else {
                State::Enabled
            },
            method: down.then_some(Method::Down),
            marker: mark,
            template: None,
            conditional: false,
            inherited_disabled: false,
            shape: Shape::Live(LiveShape {
                start: d.start,
                args_end,
                line_end,
                cont_lines,
                shares_line,
                flags,
            }),
            marker_span,
        });
    }

    /// Servers commented out inside an upstream block, found by re-lexing the comment text.
    fn commented_servers(&mut self, file: usize, items: &[Item], up: usize) {
        let src = &self.cfg.files[file];
        let lines: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Item::Comment(r) if src.is_blank(src.line_start(r.start)..r.start) => {
                    Some(r.clone())
                }
                _ => None,
            })
            .collect();
        let mut found = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            match commented_server(src, &lines, i) {
                Some((server, used)) => {
                    found.push(Server {
                        upstream: up,
                        file,
                        ..server
                    });
                    i += used;
                }
                None => i += 1,
            }
        }
        self.cfg.servers.extend(found);
    }
}

/// Tries to read `server ... ;` from comment lines starting at `lines[i]`.
fn commented_server(
    src: &Source,
    lines: &[std::ops::Range<usize>],
    i: usize,
) -> Option<(Server, usize)> {
    let b = &src.bytes;
    let body = |r: &std::ops::Range<usize>| &b[r.start + 1..r.end];
    if !body(&lines[i]).trim_ascii_start().starts_with(b"server") {
        return None;
    }
    let mut text = Vec::new();
    for k in 0..8.min(lines.len() - i) {
        let r = &lines[i + k];
        if k > 0 && src.line(r.start) != src.line(lines[i + k - 1].start) + 1 {
            return None;
        }
        if k > 0 {
            text.push(b'\n');
        }
        text.extend_from_slice(body(r));
        let Some(tokens) = lex_all(&text) else {
            continue;
        };
        let Some(semi) = tokens.iter().position(|t| t.kind == Kind::Semicolon) else {
            continue;
        };
        let words = &tokens[..semi];
        let rest_ok = tokens[semi + 1..].iter().all(|t| t.kind == Kind::Comment);
        let vals: Vec<String> = words
            .iter()
            .map(|t| {
                String::from_utf8_lossy(&lexer::value(&text[t.span.clone()], t.kind)).into_owned()
            })
            .collect();
        let marked = marker::find(b, lines[i + k].clone()).is_some();
        let ok = rest_ok
            && vals.len() >= 2
            && vals[0] == "server"
            && words
                .iter()
                .all(|t| matches!(t.kind, Kind::Word | Kind::Quoted))
            && (marked || looks_like_address(&vals[1]))
            && vals[2..].iter().all(|v| {
                SERVER_PARAMS
                    .iter()
                    .any(|p| v == p || (p.ends_with('=') && v.starts_with(p)))
            });
        if !ok {
            return None;
        }
        let used = &lines[i..=i + k];
        let strip = used
            .iter()
            .enumerate()
            .map(|(n, r)| {
                let after = &b[r.start + 1..r.end];
                let blanks = if n == 0 {
                    after
                        .iter()
                        .take_while(|c| matches!(c, b' ' | b'\t'))
                        .count()
                } else {
                    usize::from(after.first() == Some(&b' '))
                };
                r.start..r.start + 1 + blanks
            })
            .collect();
        let last = used.last()?;
        let (marker_span, mark) =
            marker::find(b, last.clone()).map_or((None, None), |(r, m)| (Some(r), Some(m)));
        let server = Server {
            file: 0,
            line: src.line(lines[i].start),
            upstream: 0,
            name: None,
            address: vals[1].clone(),
            params: vals[2..].to_vec(),
            backup: vals[2..].iter().any(|v| v == "backup"),
            state: State::Disabled,
            method: Some(Method::Comment),
            marker: mark,
            template: None,
            conditional: false,
            inherited_disabled: false,
            shape: Shape::Commented(CommentedShape {
                strip,
                args_end: None,
            }),
            marker_span,
        };
        return Some((server, k + 1));
    }
    None
}

fn lex_all(text: &[u8]) -> Option<Vec<lexer::Token>> {
    let mut l = Lexer::new(text, 0);
    let mut v = Vec::new();
    while let Some(t) = l.next_token().ok()? {
        v.push(t);
    }
    Some(v)
}
