//! Traffic modes as marked edits: read-only (only GET, HEAD and OPTIONS reach the upstream;
//! everything else gets 503 with `Retry-After`) and maintenance (everything gets 503).
//!
//! nginx: a marked `if (...) { add_header Retry-After N always; return 503 "MESSAGE"; }` before
//! every `proxy_pass`/`grpc_pass`/`fastcgi_pass`/`uwsgi_pass`/`scgi_pass` to the upstream.
//! haproxy: a marked `http-request return status 503 ...` first in the backend. Each block sits
//! between a begin and an end comment, so `normal` deletes exactly what was inserted.

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::splice::{self, Splice};
use crate::{Config, ProxyKind};
use std::ops::Range;

/// A traffic mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything reaches the upstream.
    Normal,
    /// GET, HEAD and OPTIONS reach it; other methods get 503.
    ReadOnly,
    /// Everything gets 503.
    Maintenance,
}

impl Mode {
    /// `normal`, `read-only` or `maintenance`.
    pub fn word(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::ReadOnly => "read-only",
            Mode::Maintenance => "maintenance",
        }
    }

    fn parse(w: &str) -> Option<Mode> {
        [Mode::Normal, Mode::ReadOnly, Mode::Maintenance]
            .into_iter()
            .find(|m| m.word() == w)
    }
}

/// What to put in place.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The mode.
    pub mode: Mode,
    /// The 503 body.
    pub message: String,
    /// `Retry-After`, in seconds.
    pub retry_after: u64,
    /// RFC 3339, written into the begin marker.
    pub at: String,
}

/// A mode block found in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Index into the config's files.
    pub file: usize,
    /// 1-based line of the begin marker.
    pub line: usize,
    /// The bytes the block added (markers included).
    pub range: Range<usize>,
    /// Its mode.
    pub mode: Mode,
    /// The upstream it guards.
    pub upstream: String,
    /// When it was put in place.
    pub since: String,
    /// It was put on lines of its own inside a line (a newline was added before it).
    pub split: bool,
}

const BEGIN: &[u8] = b"# swapctl: mode ";
const END: &[u8] = b"# swapctl: mode end";

/// Every mode block in `cfg` (for every upstream).
pub fn blocks(cfg: &Config) -> Vec<Block> {
    let mut out = Vec::new();
    for (fi, f) in cfg.files.iter().enumerate() {
        let b = &f.bytes[..];
        let mut pos = 0;
        while let Some(p) = memchr::memmem::find(&b[pos..], BEGIN) {
            let at = pos + p;
            pos = at + BEGIN.len();
            let line_end = f.line_end(at);
            let words: Vec<String> = String::from_utf8_lossy(&b[at + BEGIN.len()..line_end])
                .split_whitespace()
                .map(str::to_string)
                .collect();
            // `# swapctl: mode MODE UPSTREAM SINCE [split] begin`
            let (Some(mode), Some(upstream), Some(since), Some("begin")) = (
                words.first().and_then(|w| Mode::parse(w)),
                words.get(1),
                words.get(2),
                words.last().map(String::as_str),
            ) else {
                continue;
            };
            let split = words.iter().any(|w| w == "split");
            let Some(e) = memchr::memmem::find(&b[line_end..], END) else {
                continue;
            };
            let end_line_end = f.line_end(line_end + e);
            let mut end = (end_line_end + 1).min(b.len());
            let mut start = f.line_start(at);
            if split {
                // The block was put on lines of its own inside a line: take back the newline
                // before it, and the indentation of nothing after it.
                start = start.saturating_sub(1);
                end = end_line_end + 1;
            }
            out.push(Block {
                file: fi,
                line: f.line(at),
                range: start..end.min(b.len()),
                mode,
                upstream: upstream.clone(),
                since: since.clone(),
                split,
            });
            pos = end_line_end;
        }
    }
    out
}

/// The mode in place for `upstream` (Normal when none).
pub fn current(cfg: &Config, upstream: &str) -> (Mode, Option<String>) {
    blocks(cfg)
        .into_iter()
        .find(|b| b.upstream == upstream)
        .map_or((Mode::Normal, None), |b| (b.mode, Some(b.since)))
}

/// The mode in place for `upstream` as a [`Spec`] (message, Retry-After and time read back from
/// the block), so it can be put back exactly.
pub fn current_spec(cfg: &Config, upstream: &str) -> Option<Spec> {
    let b = blocks(cfg).into_iter().find(|b| b.upstream == upstream)?;
    let text = cfg.files[b.file].text(b.range.clone());
    let after = |key: &str| text.split_once(key).map(|(_, rest)| rest);
    let message = after("return 503 \"")
        .or_else(|| after("string \""))
        .and_then(|r| r.split_once('"'))
        .map(|(m, _)| m.to_string())?;
    let retry_after = after("Retry-After ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some(Spec {
        mode: b.mode,
        message,
        retry_after,
        at: b.since,
    })
}

/// Refuses a message that the proxy's quoting cannot carry verbatim.
pub fn check_message(m: &str) -> Result<()> {
    if m.is_empty()
        || m.len() > 1024
        || m.chars()
            .any(|c| c.is_control() || matches!(c, '"' | '\\' | '$'))
    {
        return Err(Error::BadMessage {
            message: m.to_string(),
        });
    }
    Ok(())
}

/// The edit that puts `spec` in place for `upstream` (replacing any mode there), or with
/// `Mode::Normal` removes it, giving the file back byte for byte.
pub fn plan(cfg: &Config, upstream: &str, spec: &Spec) -> Result<Plan> {
    if spec.mode != Mode::Normal {
        check_message(&spec.message)?;
    }
    crate::plan::check_upstream_exists(cfg, upstream)?;
    let existing: Vec<Block> = blocks(cfg)
        .into_iter()
        .filter(|b| b.upstream == upstream)
        .collect();
    let mut splices: Vec<(usize, Splice)> = existing
        .iter()
        .map(|b| (b.file, Splice::delete(b.range.clone())))
        .collect();
    if spec.mode != Mode::Normal {
        let anchors = cfg.kind.dialect().mode_anchors(cfg, upstream)?;
        if anchors.is_empty() {
            return Err(Error::Refused(format!(
                "nothing in {} proxies to upstream {upstream} (no proxy_pass http://{upstream}, grpc_pass, \
                 fastcgi_pass, uwsgi_pass or scgi_pass to it): there is nowhere to put a mode",
                cfg.main.display()
            )));
        }
        for a in anchors {
            // A block already before this directive is replaced in place, keeping its shape.
            let old = existing
                .iter()
                .find(|b| b.file == a.file && (b.range.end == a.at || b.range.start == a.at));
            let split = old.map_or(a.split, |b| b.split);
            let text = block_text(cfg.kind, upstream, spec, &a.indent, split);
            match old {
                Some(b) => {
                    splices.retain(|(f, s)| !(*f == b.file && s.range == b.range));
                    splices.push((
                        a.file,
                        Splice {
                            range: b.range.clone(),
                            text,
                        },
                    ));
                }
                None => splices.push((a.file, Splice::insert(a.at, text))),
            }
        }
    }
    let mut plan = Plan::default();
    for (f, s) in splices {
        plan.splices.entry(f).or_default().push(s);
    }
    for v in plan.splices.values_mut() {
        *v = splice::normalize(std::mem::take(v))?;
    }
    Ok(plan)
}

/// Where a block goes.
pub(crate) struct Anchor {
    pub file: usize,
    /// Insertion offset: the start of the directive's line, or the directive itself (split).
    pub at: usize,
    pub indent: String,
    /// The directive shares its line with text before it: the block gets lines of its own.
    pub split: bool,
}

fn block_text(kind: ProxyKind, upstream: &str, spec: &Spec, indent: &str, split: bool) -> Vec<u8> {
    let m = spec.mode.word();
    let rule = kind
        .dialect()
        .mode_rule(spec.mode, &spec.message, spec.retry_after, indent);
    let flag = if split { " split" } else { "" };
    let body = format!(
        "{indent}# swapctl: mode {m} {upstream} {}{flag} begin\n{indent}{rule}\n{indent}{}\n",
        spec.at,
        String::from_utf8_lossy(END)
    );
    if split {
        format!("\n{body}").into_bytes()
    } else {
        body.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: Mode) -> Spec {
        Spec {
            mode,
            message: "Back soon: read-only while we migrate".into(),
            retry_after: 120,
            at: "2026-11-26T12:00:00Z".into(),
        }
    }

    fn round_trip(kind: ProxyKind, src: &str, upstream: &str) {
        let cfg = Config::standalone(src.as_bytes().to_vec(), kind).expect("load");
        let on = plan(&cfg, upstream, &spec(Mode::ReadOnly)).expect("plan");
        let bytes = on.apply(&cfg).remove(0).bytes;
        let cfg2 = Config::standalone(bytes.clone(), kind).expect("reload");
        assert_eq!(
            current(&cfg2, upstream).0,
            Mode::ReadOnly,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        let maint = plan(&cfg2, upstream, &spec(Mode::Maintenance)).expect("plan");
        let bytes3 = maint.apply(&cfg2).remove(0).bytes;
        let cfg3 = Config::standalone(bytes3.clone(), kind).expect("reload");
        assert_eq!(
            current(&cfg3, upstream).0,
            Mode::Maintenance,
            "{}",
            String::from_utf8_lossy(&bytes3)
        );
        let back_spec = current_spec(&cfg3, upstream).expect("spec");
        assert_eq!(back_spec.retry_after, 120);
        assert_eq!(back_spec.message, spec(Mode::Normal).message);
        let again = plan(&cfg3, upstream, &back_spec)
            .expect("plan")
            .apply(&cfg3);
        assert!(
            again.is_empty() || again[0].bytes == bytes3,
            "the same spec gives the same bytes"
        );
        let off = plan(&cfg3, upstream, &spec(Mode::Normal)).expect("plan");
        let back = off.apply(&cfg3).remove(0).bytes;
        assert_eq!(
            String::from_utf8_lossy(&back),
            src,
            "normal gives the file back"
        );
    }

    #[test]
    fn modes_round_trip_byte_for_byte() {
        round_trip(
            ProxyKind::Nginx,
            "http {\n  upstream app { server 127.0.0.1:1; }\n  server {\n    location / {\n      proxy_pass http://app;\n    }\n    location /api { proxy_pass http://app/v1; }\n    location /x { proxy_pass http://other; }\n  }\n}\n",
            "app",
        );
        round_trip(
            ProxyKind::Haproxy,
            "defaults\n    mode http\nfrontend fe\n    bind :80\n    default_backend app\n\nbackend app\n\tbalance roundrobin\n\tserver a 127.0.0.1:1\n",
            "app",
        );
    }

    #[test]
    fn bad_messages_and_if_contexts_are_refused() {
        let cfg = Config::standalone(
            b"http { upstream app { server 127.0.0.1:1; } server { location / { if ($x) { proxy_pass http://app; } } } }\n".to_vec(),
            ProxyKind::Nginx,
        )
        .expect("load");
        assert!(plan(&cfg, "app", &spec(Mode::ReadOnly)).is_err());
        let mut s = spec(Mode::ReadOnly);
        s.message = "costs $5".into();
        assert!(plan(&cfg, "app", &s).is_err());
        // A variable host, and a tcp backend, cannot take a mode.
        let var = Config::standalone(
            b"http { upstream app { server 127.0.0.1:1; } server { location / { proxy_pass http://$up; } } }\n".to_vec(),
            ProxyKind::Nginx,
        )
        .expect("load");
        assert!(plan(&var, "app", &spec(Mode::ReadOnly)).is_err());
        let tcp = Config::standalone(
            b"defaults\n    mode http\nbackend app\n    mode tcp\n    server a 127.0.0.1:1\n"
                .to_vec(),
            ProxyKind::Haproxy,
        )
        .expect("load");
        assert!(plan(&tcp, "app", &spec(Mode::ReadOnly)).is_err());
    }
}
