//! Walks the nginx tree (following includes) and lists every upstream server.

use super::lexer::{self, Kind, Lexer};
use super::parser::{self, Directive, Plain, VisitError, Visitor};
use crate::address::looks_like_address;
use crate::error::{Error, Result};
use crate::inventory::{Include, Inventory, Keep, Setting};
use crate::marker;
use crate::server::{
    CommentedShape, Flag, FlagWord, LiveShape, Method, Params, Server, Shape, Split, State,
    Upstream,
};
use crate::source::Source;
use std::ops::Range;
use std::path::{Path, PathBuf};

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

/// Reads the tree from its main file, streaming the parse: only servers are kept, never the tree.
/// With `keep`, a live server is listed only when `keep(address, marked)` says so; without
/// `follow_includes`, includes are noted as warnings.
pub(crate) fn load(
    main: Source,
    follow_includes: bool,
    keep: Option<&Keep<'_>>,
) -> Result<Inventory> {
    walk(main, follow_includes, keep, true)
}

/// The walk behind [`load`]; without `skim`, every directive goes through the lexer (the reference
/// the skimming is tested against).
fn walk(
    main: Source,
    follow_includes: bool,
    keep: Option<&Keep<'_>>,
    skim: bool,
) -> Result<Inventory> {
    let base = main
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut w = Walker {
        inv: Inventory::of(main),
        follow_includes,
        keep,
        base,
        file: 0,
        frames: vec![Frame::Block(Scope::Main)],
        visiting: vec![0],
        cursor: (0, 1),
        spare: Vec::new(),
        skim,
    };
    w.visit_file(0)?;
    Ok(w.inv)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Main,
    Http,
    Stream,
    Other,
}

enum Frame {
    Block(Scope),
    /// An upstream block and the line-start comments seen in it.
    Upstream(usize, Vec<LineComment>),
}

/// A comment alone on its line, with the line number the walk counted (the index of a big file is
/// never built for it).
struct LineComment {
    file: usize,
    span: Range<usize>,
    line: usize,
}

struct Walker<'c> {
    inv: Inventory,
    follow_includes: bool,
    keep: Option<&'c Keep<'c>>,
    base: PathBuf,
    file: usize,
    frames: Vec<Frame>,
    visiting: Vec<usize>,
    /// (offset, line) last seen in the current file, so line numbers are counted forward.
    cursor: (usize, usize),
    /// Reused for the words of plain server lines.
    spare: Vec<lexer::Token>,
    /// Whether upstream blocks are skimmed.
    skim: bool,
}

impl Walker<'_> {
    /// 1-based line of `offset` in the current file (offsets come in file order).
    fn line(&mut self, offset: usize) -> usize {
        self.cursor = self.inv.files[self.file].line_after(self.cursor, offset);
        self.cursor.1
    }

    fn visit_file(&mut self, idx: usize) -> Result<()> {
        let bytes = self.inv.files[idx].bytes.clone();
        if self.keep.is_none() {
            // Room for every server at once: growing a list of 20,000 servers copied it 15 times.
            let mentions = memchr::memmem::find_iter(&bytes, b"server").count();
            self.inv.servers.reserve(mentions);
        }
        let saved = std::mem::replace(&mut self.file, idx);
        let cursor = std::mem::replace(&mut self.cursor, (0, 1));
        let r = parser::visit(&bytes, self);
        self.file = saved;
        self.cursor = cursor;
        match r {
            Ok(()) => Ok(()),
            Err(VisitError::Visitor(e)) => Err(e),
            Err(VisitError::Parse(e)) => Err(Error::Syntax {
                at: self.inv.files[idx].at(e.offset),
                message: format!("{} (fix the config; nothing was changed)", e.message),
                looks_like: None,
            }),
        }
    }

    fn upstream(&self) -> Option<usize> {
        match self.frames.last() {
            Some(Frame::Upstream(up, _)) => Some(*up),
            _ => None,
        }
    }

    /// `path:line:col` of `offset` in the current file, from the forward line count.
    fn at(&mut self, offset: usize) -> crate::error::Location {
        let line = self.line(offset);
        let src = &self.inv.files[self.file];
        crate::error::Location {
            path: src.path.clone(),
            line,
            col: offset - src.line_start(offset) + 1,
        }
    }

    fn include(&mut self, d: &Directive) -> Result<()> {
        let at = self.at(d.start);
        let src = &self.inv.files[self.file];
        let Some(pattern) = d.arg(&src.bytes, 0) else {
            return Err(Error::Syntax {
                at,
                message: "include needs a file name".into(),
                looks_like: None,
            });
        };
        let pattern = String::from_utf8_lossy(&pattern).into_owned();
        if !self.follow_includes {
            self.inv
                .warnings
                .push(format!("{at}: include not followed (standalone parse)"));
            return Ok(());
        }
        let full = self.base.join(&pattern);
        let paths: Vec<PathBuf> = if pattern.contains(['*', '?', '[']) {
            let opts = glob::MatchOptions {
                require_literal_leading_dot: true,
                ..Default::default()
            };
            glob::glob_with(&full.to_string_lossy(), opts)
                .map(|g| {
                    g.filter_map(std::result::Result::ok)
                        .filter(|p| p.is_file())
                        .collect()
                })
                .unwrap_or_default()
        } else {
            vec![full]
        };
        let mut targets = Vec::new();
        for path in paths {
            if !path.exists() {
                self.inv.warnings.push(format!(
                    "{at}: included file {} does not exist; its servers are not listed",
                    path.display()
                ));
                continue;
            }
            if self.visiting.len() > MAX_INCLUDE_DEPTH {
                return Err(Error::Syntax {
                    at,
                    message: format!(
                        "includes nest deeper than {MAX_INCLUDE_DEPTH} levels (is there a cycle?)"
                    ),
                    looks_like: None,
                });
            }
            let idx = self.file_index(&path)?;
            if self.visiting.contains(&idx) {
                return Err(Error::Syntax {
                    at,
                    message: format!("{} includes itself", path.display()),
                    looks_like: None,
                });
            }
            targets.push(idx);
            self.visiting.push(idx);
            let r = self.visit_file(idx);
            self.visiting.pop();
            r?;
        }
        self.inv.includes.push(Include {
            from: self.file,
            span: d.start..d.end,
            targets,
        });
        Ok(())
    }

    fn file_index(&mut self, path: &Path) -> Result<usize> {
        let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(i) = self.inv.files.iter().position(|f| {
            std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()) == canon
        }) {
            return Ok(i);
        }
        self.inv
            .files
            .push(Source::new(path.to_path_buf(), crate::source::read(path)?));
        Ok(self.inv.files.len() - 1)
    }

    fn live_server(&mut self, d: &Directive, up: usize) {
        let file = self.file;
        let src = &self.inv.files[file];
        let b = &src.bytes;
        let val = |i: usize| lexer::value(&b[d.args[i].span.clone()], d.args[i].kind);
        // Counting comes first and allocates nothing: most servers of a big config are only counted.
        let is = |i: usize, word: &[u8]| {
            lexer::value_is(&b[d.args[i].span.clone()], d.args[i].kind, word)
        };
        let (mut backup, mut down) = (false, false);
        for i in 1..d.args.len() {
            backup |= is(i, b"backup");
            down |= is(i, b"down");
        }
        if !backup {
            self.inv.upstreams[up].live += 1;
        }
        if !down && !backup {
            self.inv.upstreams[up].serving += 1;
        }
        if !down && backup {
            self.inv.upstreams[up].backups += 1;
        }
        let address = d.args.first().map(|_| val(0)).unwrap_or_default();
        if let Some(keep) = self.keep {
            if !keep(&address, d.trailing_comment.is_some()) {
                return;
            }
        }
        let address = crate::source::text_of(&address);
        let line = self.line(d.start);
        let src = &self.inv.files[file];
        let b = &src.bytes;
        let val = |i: usize| lexer::value(&b[d.args[i].span.clone()], d.args[i].kind);
        let flags: Vec<Flag> = if down {
            (1..d.args.len())
                .filter(|&i| val(i).as_ref() == b"down")
                .map(|i| Flag {
                    word: FlagWord::Down,
                    remove: d.args[i - 1].span.end..d.args[i].span.end,
                })
                .collect()
        } else {
            Vec::new()
        };
        // `server a` `server b;` with the `;` forgotten: one directive whose parameters hold the
        // next server. nginx rejects it ("invalid parameter"); editing it would take out both.
        let runs_on = (1..d.args.len()).any(|i| val(i).as_ref() == b"server");
        let args_end = d.args.last().map_or(d.name.span.end, |t| t.span.end);
        let last = d.end - 1;
        let line_end = src.line_end(last);
        let cont_lines: Vec<usize> = memchr::memchr_iter(b'\n', &b[d.start..last])
            .map(|k| src.first_non_blank(d.start + k + 1))
            .collect();
        let after = d.trailing_comment.as_ref().map_or(d.end, |c| c.end);
        let content_before = !src.is_blank(src.line_start(d.start)..d.start);
        let content_after = !src.is_blank(after..line_end);
        let shares_line = content_before || content_after;
        let split = shares_line.then_some(Split {
            before: content_before,
            after: content_after,
        });
        let (marker_span, mark) = d
            .trailing_comment
            .as_ref()
            .and_then(|c| marker::find(b, c.clone()))
            .map_or((None, None), |(r, m)| (Some(r), Some(Box::new(m))));
        let params = Params::Span(d.args.get(1).map_or(args_end, |t| t.span.start)..args_end);
        let shape = Shape::Live(LiveShape {
            start: d.start,
            args_end,
            end: d.end,
            line_end,
            cont_lines,
            shares_line,
            split,
            refuse: if d.args.is_empty() {
                Some(
                    "this `server` has no address (nginx rejects it); fix the line first"
                        .to_string(),
                )
            } else {
                runs_on.then(|| {
                    "this `server` line runs into the next one (a `;` is missing before the \
                     next `server`, and nginx rejects it); add the `;` first"
                        .to_string()
                })
            },
            flags,
        });
        self.inv.servers.push(Server {
            backup,
            params,
            state: if down {
                State::Disabled
            } else {
                State::Enabled
            },
            method: down.then_some(Method::Down),
            marker: mark,
            marker_span,
            ..Server::new(file, line, up, address, shape)
        });
    }

    /// Servers commented out inside an upstream block, found by re-lexing the comment text.
    fn commented_servers(&mut self, up: usize, comments: Vec<LineComment>) {
        // Each file once, in the order its comments came: an include between two comments of the
        // block must not make the block's own file come round twice (its servers listed twice).
        let mut files: Vec<usize> = Vec::new();
        for c in &comments {
            if !files.contains(&c.file) {
                files.push(c.file);
            }
        }
        for file in files {
            let (lines, numbers): (Vec<Range<usize>>, Vec<usize>) = comments
                .iter()
                .filter(|c| c.file == file)
                .map(|c| (c.span.clone(), c.line))
                .unzip();
            let src = &self.inv.files[file];
            let mut found = Vec::new();
            let mut used = vec![false; lines.len()];
            let mut i = 0;
            while i < lines.len() {
                match commented_server(src, &lines, &numbers, i) {
                    Some((server, n)) => {
                        found.push(Server {
                            upstream: up,
                            file,
                            ..server
                        });
                        used[i..i + n].iter_mut().for_each(|u| *u = true);
                        i += n;
                    }
                    None => i += 1,
                }
            }
            // A marker no server above took (its `lines=` no longer fits) never hides a server.
            for m in (0..lines.len()).filter(|&m| !used[m]) {
                let Some((_, mark)) = marker::find(&src.bytes, lines[m].clone()) else {
                    continue;
                };
                match damaged_group(src, &lines, &numbers, m, mark.lines) {
                    Some(server) => found.push(Server {
                        upstream: up,
                        file,
                        ..server
                    }),
                    None => self.inv.warnings.push(format!(
                        "{}:{}: a marker of upstream-toggle with no server directive above it that \
                         can be read (it says lines={}): nothing will restore it; uncomment the \
                         server by hand, or delete the marker",
                        src.path.display(),
                        numbers[m],
                        mark.lines
                    )),
                }
            }
            self.inv.servers.extend(found);
        }
    }
}

impl Visitor for Walker<'_> {
    type Error = Error;

    /// Upstream blocks are skimmed: their plain server lines are read without the lexer.
    fn skims(&self) -> bool {
        self.skim && self.upstream().is_some()
    }

    /// A plain `server` line: counted alone when a filter rules it out and it has no `backup` or
    /// `down` (most lines of a big config, for a one-server edit), else listed from its words.
    fn plain(&mut self, p: &Plain) -> Result<bool> {
        let Some(up) = self.upstream() else {
            return Ok(false);
        };
        let b = &self.inv.files[self.file].bytes;
        if &b[p.start..p.name_end] != b"server" {
            return Ok(false);
        }
        if let Some(keep) = self.keep {
            let ruled_out = p.first_arg(b).is_some_and(|address| {
                let rest = &b[address.end..p.semi];
                !keep(&b[address], p.trailing_comment.is_some())
                    // No `b` or `d` at all (the usual line) is no `backup` or `down` either.
                    && (memchr::memchr2(b'b', b'd', rest).is_none()
                        || !rest
                            .split(|&c| lexer::is_space(c))
                            .any(|w| w == b"backup" || w == b"down"))
            });
            if ruled_out {
                let u = &mut self.inv.upstreams[up];
                u.live += 1;
                u.serving += 1;
                return Ok(true);
            }
        }
        let d = p.directive(b, std::mem::take(&mut self.spare));
        self.live_server(&d, up);
        self.spare = d.args;
        Ok(true)
    }

    fn directive(&mut self, d: &mut Directive) -> Result<()> {
        enum What {
            Include,
            Server,
            Hash,
            Pid,
            Other,
        }
        let what = match d.name_bytes(&self.inv.files[self.file].bytes) {
            b"include" => What::Include,
            b"server" => What::Server,
            b"ip_hash" | b"hash" => What::Hash,
            b"pid" if self.file == 0 && self.frames.len() == 1 => What::Pid,
            _ => What::Other,
        };
        match (what, self.upstream()) {
            (What::Include, _) => self.include(d)?,
            (What::Server, Some(up)) if d.block.is_none() => self.live_server(d, up),
            (What::Hash, Some(up)) => self.inv.upstreams[up].hashing = true,
            (What::Pid, _) => {
                let line = self.line(d.start);
                let src = &self.inv.files[0];
                self.inv.settings.pid_file = d.arg(&src.bytes, 0).map(|v| Setting {
                    value: PathBuf::from(String::from_utf8_lossy(&v).into_owned()),
                    at: format!("{}:{line}", src.path.display()),
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn open(&mut self, d: &mut Directive) -> Result<()> {
        let line = self.line(d.start);
        let src = &self.inv.files[self.file];
        let name = d.name_bytes(&src.bytes);
        let scope = match self.frames.last() {
            Some(Frame::Block(s)) => *s,
            _ => Scope::Other,
        };
        let frame = match (name, scope) {
            (b"upstream", Scope::Main | Scope::Http | Scope::Stream) => {
                let uname = d.arg(&src.bytes, 0).unwrap_or_default();
                self.inv.upstreams.push(Upstream {
                    name: String::from_utf8_lossy(&uname).into_owned(),
                    file: self.file,
                    line,
                    context: if scope == Scope::Stream {
                        "stream"
                    } else {
                        "http"
                    }
                    .into(),
                    hashing: false,
                    span: d.start..d.start,
                    serving: 0,
                    backups: 0,
                    // nginx balances over every backup once no primary can take a request.
                    all_backups: true,
                    switched_off: false,
                    live: 0,
                });
                Frame::Upstream(self.inv.upstreams.len() - 1, Vec::new())
            }
            (_, Scope::Stream) => Frame::Block(Scope::Stream),
            (b"stream", _) => Frame::Block(Scope::Stream),
            (b"http", _) => Frame::Block(Scope::Http),
            _ => Frame::Block(Scope::Other),
        };
        self.frames.push(frame);
        Ok(())
    }

    fn close(&mut self, close: usize, _: Option<Range<usize>>) -> Result<()> {
        if let Some(Frame::Upstream(up, comments)) = self.frames.pop() {
            self.inv.upstreams[up].span.end = close + 1;
            self.commented_servers(up, comments);
        }
        Ok(())
    }

    fn comment(&mut self, span: Range<usize>) -> Result<()> {
        let file = self.file;
        if !matches!(self.frames.last(), Some(Frame::Upstream(..))) {
            return Ok(());
        }
        let src = &self.inv.files[file];
        if !src.is_blank(src.line_start(span.start)..span.start) {
            return Ok(());
        }
        let line = self.line(span.start);
        if let Some(Frame::Upstream(_, comments)) = self.frames.last_mut() {
            comments.push(LineComment { file, span, line });
        }
        Ok(())
    }
}

/// Most lines a damaged marker's directive is looked for above it.
const MAX_DAMAGED_SPAN: usize = 16;

/// The server directive that ends on the marker's line `lines[m]` when its `lines=` does not fit
/// (a person deleted or added a line, or pasted the marker): the nearest comment line above that
/// starts a directive ending exactly there, listed with a note saying what does not match.
fn damaged_group(
    src: &Source,
    lines: &[Range<usize>],
    numbers: &[usize],
    m: usize,
    said: usize,
) -> Option<Server> {
    let mut i = m;
    loop {
        if let Some((server, _)) = read_group(src, lines, numbers, i, m - i, m - i + 1) {
            let spans = m - i + 1;
            let plural = |n: usize| if n == 1 { "line" } else { "lines" };
            return Some(Server {
                damaged: Some(format!(
                    "its marker (line {}) says lines={said} but the directive it ends spans {spans} {}: \
                     the lines were edited by hand",
                    numbers[m],
                    plural(spans)
                )),
                ..server
            });
        }
        if i == 0 || m - i + 1 >= MAX_DAMAGED_SPAN || numbers[i - 1] + 1 != numbers[i] {
            return None;
        }
        i -= 1;
    }
}

/// Tries to read `server ... ;` from comment lines starting at `lines[i]`; `numbers` are their
/// line numbers.
fn commented_server(
    src: &Source,
    lines: &[std::ops::Range<usize>],
    numbers: &[usize],
    i: usize,
) -> Option<(Server, usize)> {
    let b = &src.bytes;
    let body = |r: &Range<usize>| &b[r.start + 1..r.end];
    if !body(&lines[i]).trim_ascii_start().starts_with(b"server") {
        return None;
    }
    // Consecutive comment lines from here. The tool's marker says how many lines the group it
    // wrote spans (`lines=N`), so that group is read exactly; a person's comment is tried over up
    // to 8 lines, and never into the tool's group.
    let run = 1
        + (i + 1..lines.len())
            .take_while(|&j| numbers[j] == numbers[j - 1] + 1)
            .count();
    let ours = (i..i + run)
        .find_map(|j| marker::find(b, lines[j].clone()).map(|(_, m)| (j, m.lines.max(1))));
    let (first_k, limit) = match ours {
        Some((m, n)) if m + 1 >= n && m + 1 - n == i => (m - i, m - i + 1),
        Some((m, n)) if m + 1 >= n && m + 1 - n > i => (0, (m + 1 - n - i).min(8)),
        Some(_) => return None,
        None => (0, run.min(8)),
    };
    read_group(src, lines, numbers, i, first_k, limit)
}

/// Reads `server ... ;` from the comment lines `lines[i..i + limit]`, ending on line
/// `i + first_k` or later.
fn read_group(
    src: &Source,
    lines: &[Range<usize>],
    numbers: &[usize],
    i: usize,
    first_k: usize,
    limit: usize,
) -> Option<(Server, usize)> {
    let b = &src.bytes;
    let body = |r: &Range<usize>| &b[r.start + 1..r.end];
    if !body(&lines[i]).trim_ascii_start().starts_with(b"server") {
        return None;
    }
    let mut text = Vec::new();
    // Where each comment line's body sits in `text` and in the file: (text start, file start).
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    for k in 0..limit {
        let r = &lines[i + k];
        if k > 0 {
            text.push(b'\n');
        }
        pieces.push((text.len(), r.start + 1));
        text.extend_from_slice(body(r));
        if k < first_k {
            continue;
        }
        let Some(tokens) = lex_all(&text) else {
            continue;
        };
        let Some(semi) = tokens.iter().position(|t| t.kind == Kind::Semicolon) else {
            continue;
        };
        // nginx skips comments between the arguments of a multi-line directive; so does this.
        let words: Vec<&lexer::Token> = tokens[..semi]
            .iter()
            .filter(|t| t.kind != Kind::Comment)
            .collect();
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
            // Our marker proves it was a server line; a person's comment must look like one.
            && (marked
                || looks_like_address(&vals[1])
                    && vals[2..].iter().all(|v| {
                        SERVER_PARAMS
                            .iter()
                            .any(|p| v == p || (p.ends_with('=') && v.starts_with(p)))
                    }));
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
        let (marker_span, mark) = marker::find(b, last.clone())
            .map_or((None, None), |(r, m)| (Some(r), Some(Box::new(m))));
        // Uncommented, the line must serve, so a `down` in it goes too (with the blanks before it).
        let to_file = |p: usize| {
            let &(t, f) = pieces.iter().rev().find(|(t, _)| *t <= p)?;
            Some(f + p - t)
        };
        let delete = (2..vals.len())
            .filter(|&n| vals[n] == "down")
            .filter_map(|n| {
                let (prev, word) = (&words[n - 1].span, &words[n].span);
                let from = if text[prev.end..word.start].contains(&b'\n') {
                    word.start
                } else {
                    prev.end
                };
                Some(to_file(from)?..to_file(word.end)?)
            })
            .collect();
        let shape = Shape::Commented(CommentedShape {
            strip,
            delete,
            args_end: None,
        });
        let server = Server {
            params: Params::Values(vals[2..].to_vec()),
            backup: vals[2..].iter().any(|v| v == "backup"),
            state: State::Disabled,
            method: Some(Method::Comment),
            marker: mark,
            marker_span,
            ..Server::new(0, numbers[i], 0, vals[1].clone(), shape)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `path` skimming and lexing everything, with and without a filter, and checks that the
    /// inventories agree; returns how many servers were listed.
    fn skimming_agrees(path: &Path) -> usize {
        let Ok(bytes) = crate::source::read(path) else {
            return 0;
        };
        let main = Source::new(path.to_path_buf(), bytes.to_vec());
        let first = load(main.clone(), true, None)
            .ok()
            .and_then(|inv| inv.servers.first().map(|s| s.address.clone()));
        let by_address = |a: &[u8], _: bool| first.as_deref().map(str::as_bytes) == Some(a);
        let commented = |_: &[u8], c: bool| c;
        let filters: [Option<&Keep<'_>>; 3] = [None, Some(&by_address), Some(&commented)];
        let mut listed = 0;
        for keep in filters {
            let skimmed = walk(main.clone(), true, keep, true);
            let lexed = walk(main.clone(), true, keep, false);
            match (skimmed, lexed) {
                (Ok(s), Ok(l)) => {
                    let show = |i: &Inventory| {
                        format!(
                            "{:#?}\n{:#?}\n{:?}\n{:?}\n{:?}",
                            i.servers, i.upstreams, i.warnings, i.settings, i.includes
                        )
                    };
                    assert_eq!(show(&s), show(&l), "{}", path.display());
                    listed += s.servers.len();
                }
                (Err(s), Err(l)) => assert_eq!(s.to_string(), l.to_string()),
                (s, l) => panic!("{}: {:?} vs {:?}", path.display(), s.err(), l.err()),
            }
        }
        listed
    }

    #[test]
    fn skimmed_upstreams_list_what_the_lexer_lists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("nginx.conf");
        std::fs::write(
            dir.path().join("more.conf"),
            "server 10.0.9.1:80; # included\n# server 10.0.9.2:80;\n",
        )
        .expect("write");
        std::fs::write(
            &conf,
            concat!(
                "http {\n upstream a {\n  least_conn;\n",
                "  server 10.0.0.1:80 weight=2 max_fails=3;  # rack 1; {x}\n",
                "  server 10.0.0.2:80\r\n   backup;\r\n",
                "  server\t10.0.0.3:80\tdown;\t#t\n",
                "  server 10.0.0.4:80 route=db1 ;#c\n",
                "  # server 10.0.0.5:80;\n",
                "  include more.conf;\n",
                "  # server 10.0.0.6:80 down;\n",
                "  server 10.0.0.7:80; server 10.0.0.8:80 down ; # two\n",
                "  server \"q:80\";\n  server a\\b:80;\n  hash $x;\n",
                "  server 10.0.0.9:80 # mid\n  weight=1;\n",
                " }\n",
                " upstream server { server 10.0.1.1:80; }\n",
                " server { listen 80; location / { proxy_pass http://a; } }\n",
                "}\n",
            ),
        )
        .expect("write");
        assert!(skimming_agrees(&conf) >= 12);
        // The block's own commented servers, before and after the include, are listed once each.
        let inv = load(
            Source::new(conf.clone(), std::fs::read(&conf).expect("read")),
            true,
            None,
        )
        .expect("loads");
        let mut addresses: Vec<&str> = inv.servers.iter().map(|s| s.address.as_str()).collect();
        let all = addresses.len();
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), all, "{addresses:?}");
    }

    #[test]
    fn skimmed_upstreams_list_what_the_lexer_lists_on_the_corpus() {
        let Some(corpus) = hotswap_tests::corpus_dir() else {
            return;
        };
        let mut listed = 0;
        for e in std::fs::read_dir(corpus.join("nginx"))
            .expect("corpus")
            .flatten()
        {
            listed += skimming_agrees(&e.path());
        }
        assert!(listed > 300, "only {listed} servers listed in the corpus");
    }
}
