//! Where haproxy takes a traffic mode: first in the backend, which must be in `mode http`.

use crate::error::{Error, Result};
use crate::mode::Anchor;
use crate::Config;

/// haproxy: the first line of the backend or listen section.
pub(crate) fn anchors(cfg: &Config, upstream: &str) -> Result<Vec<Anchor>> {
    let Some(u) = cfg.upstreams.iter().find(|u| u.name == upstream) else {
        return Ok(Vec::new());
    };
    let f = &cfg.files[u.file];
    let Some(header) = f.offset_of_line(u.line) else {
        return Ok(Vec::new());
    };
    if effective_haproxy_mode(&f.bytes, u.line) != "http" {
        return Err(Error::Refused(format!(
            "{}:{}: {upstream} is not in `mode http`: haproxy ignores http-request rules there, so a \
             traffic mode would do nothing",
            f.path.display(),
            u.line
        )));
    }
    let next = (f.line_end(header) + 1).min(f.bytes.len());
    // Indent like the section's first line.
    let indent = if next < f.bytes.len() {
        let first = f.first_non_blank(next);
        let ind = f.text(next..first);
        if ind.is_empty() {
            "    ".to_string()
        } else {
            ind
        }
    } else {
        "    ".to_string()
    };
    if next == f.bytes.len() && !f.bytes.ends_with(b"\n") {
        return Err(Error::Refused(format!(
            "{}:{}: the section header is the last line and has no newline",
            f.path.display(),
            u.line
        )));
    }
    Ok(vec![Anchor {
        file: u.file,
        at: next,
        indent,
        split: false,
    }])
}

/// The `mode` a haproxy section at `line` runs in: its own, else the last `defaults` before it,
/// else haproxy's default, tcp.
fn effective_haproxy_mode(src: &[u8], line: usize) -> String {
    let Ok(lines) = crate::haproxy::lexer::lines(src) else {
        return "tcp".into();
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', src).map(|i| i + 1))
        .collect();
    let line_of = |off: usize| starts.partition_point(|&s| s <= off);
    let (mut defaults, mut own, mut in_target, mut in_defaults) = (None, None, false, false);
    for l in &lines {
        let Some(first) = l.words.first() else {
            continue;
        };
        let w = String::from_utf8_lossy(&first.value).into_owned();
        if matches!(
            w.as_str(),
            "global"
                | "defaults"
                | "frontend"
                | "backend"
                | "listen"
                | "peers"
                | "resolvers"
                | "userlist"
                | "program"
                | "http-errors"
                | "ring"
                | "cache"
                | "mailers"
        ) {
            let at = line_of(l.start);
            if in_target {
                break;
            }
            in_target = at == line;
            in_defaults = w == "defaults";
            continue;
        }
        if w == "mode" {
            let m = l
                .words
                .get(1)
                .map(|v| String::from_utf8_lossy(&v.value).into_owned());
            if in_target {
                own = m;
            } else if in_defaults {
                defaults = m;
            }
        }
    }
    own.or(defaults).unwrap_or_else(|| "tcp".into())
}
