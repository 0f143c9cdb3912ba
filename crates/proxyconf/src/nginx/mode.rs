//! Where nginx takes a traffic mode: before every pass to the upstream.

use crate::error::{Error, Result};
use crate::mode::Anchor;
use crate::nginx::parser::{visit, Directive, Visitor};
use crate::Config;
use std::ops::Range;

/// The rewrite module's directives: they run in the order written, and a `rewrite ... break`
/// (or `break`, or a `return`) stops the ones after it, so the mode's `if` must come first.
const REWRITE_MODULE: &[&[u8]] = &[b"rewrite", b"return", b"set", b"break", b"if"];

/// nginx: every `*_pass` to the upstream, outside `if` and `limit_except` (where `if` cannot go).
/// The block goes before the pass, or before the first rewrite-module directive of the same
/// block when one comes earlier: a `rewrite ... break` ahead of it would skip the mode.
pub(crate) fn anchors(cfg: &Config, upstream: &str) -> Result<Vec<Anchor>> {
    struct Find<'a> {
        src: &'a [u8],
        upstream: &'a str,
        stack: Vec<Vec<u8>>,
        /// Per open block: where its first rewrite-module directive starts.
        first_rewrite: Vec<Option<usize>>,
        /// Mode blocks already in place: their own `if` is not a person's directive.
        ours: Vec<Range<usize>>,
        found: Vec<(usize, Option<Vec<u8>>)>,
        /// A pass whose host is a variable: where it goes is decided per request.
        variable: Option<usize>,
    }
    impl Visitor for Find<'_> {
        type Error = std::convert::Infallible;
        fn directive(&mut self, d: &mut Directive) -> std::result::Result<(), Self::Error> {
            // `stream {}` upstreams are another namespace, and HTTP rules cannot go there.
            if self.stack.iter().any(|b| b == b"stream") {
                return Ok(());
            }
            let name = d.name_bytes(self.src);
            self.note_rewrite(name, d.start);
            let target = d
                .arg(self.src, 0)
                .map(|a| a.into_owned())
                .unwrap_or_default();
            let host: &[u8] = match name {
                b"proxy_pass" | b"grpc_pass" => {
                    let t = &target[..];
                    let after = t
                        .windows(3)
                        .position(|w| w == b"://")
                        .map_or(t, |p| &t[p + 3..]);
                    // The host ends at a path, a variable, a query or a port.
                    let end = after
                        .iter()
                        .skip(1)
                        .position(|&b| matches!(b, b'/' | b'$' | b'?' | b':'))
                        .map_or(after.len(), |p| p + 1);
                    &after[..end]
                }
                b"fastcgi_pass" | b"uwsgi_pass" | b"scgi_pass" | b"memcached_pass" => &target,
                _ => return Ok(()),
            };
            if host.starts_with(b"$") {
                self.variable.get_or_insert(d.start);
            } else if host == self.upstream.as_bytes() {
                let first = self.first_rewrite.last().copied().flatten();
                let at = first.map_or(d.start, |f| f.min(d.start));
                self.found.push((at, self.stack.last().cloned()));
            }
            Ok(())
        }
        fn open(&mut self, d: &mut Directive) -> std::result::Result<(), Self::Error> {
            let name = d.name_bytes(self.src).to_vec();
            self.note_rewrite(&name, d.start);
            self.stack.push(name);
            self.first_rewrite.push(None);
            Ok(())
        }
        fn close(
            &mut self,
            _: usize,
            _: Option<Range<usize>>,
        ) -> std::result::Result<(), Self::Error> {
            self.stack.pop();
            self.first_rewrite.pop();
            Ok(())
        }
        fn comment(&mut self, _: Range<usize>) -> std::result::Result<(), Self::Error> {
            Ok(())
        }
    }
    impl Find<'_> {
        fn note_rewrite(&mut self, name: &[u8], at: usize) {
            if REWRITE_MODULE.contains(&name) && !self.ours.iter().any(|r| r.contains(&at)) {
                if let Some(first) = self.first_rewrite.last_mut() {
                    first.get_or_insert(at);
                }
            }
        }
    }
    let existing = crate::mode::blocks(cfg);
    let mut out: Vec<Anchor> = Vec::new();
    for (fi, f) in cfg.files.iter().enumerate() {
        let mut v = Find {
            src: &f.bytes,
            upstream,
            stack: Vec::new(),
            first_rewrite: vec![None],
            ours: existing
                .iter()
                .filter(|b| b.file == fi)
                .map(|b| b.range.clone())
                .collect(),
            found: Vec::new(),
            variable: None,
        };
        let _ = visit(&f.bytes, &mut v);
        if let Some(at) = v.variable {
            return Err(Error::Refused(format!(
                "{}: this pass names its upstream with a variable, so swapctl cannot tell whether it \
                 goes to {upstream}, and a mode would let its writes through: name the upstream there",
                f.at(at)
            )));
        }
        for (start, parent) in v.found {
            if let Some(p) = parent.filter(|p| p == b"if" || p == b"limit_except") {
                return Err(Error::Refused(format!(
                    "{}: this pass to {upstream} is inside `{}`, where nginx allows no `if`: move it \
                     into the location itself to use modes",
                    f.at(start),
                    String::from_utf8_lossy(&p)
                )));
            }
            let line_start = f.line_start(start);
            let first = f.first_non_blank(start);
            let indent = f.text(line_start..first);
            let split = first != start;
            let at = if split { start } else { line_start };
            // Two passes in one block (in `if`s refused above) share its first rewrite directive.
            if out.iter().any(|a| a.file == fi && a.at == at) {
                continue;
            }
            out.push(Anchor {
                file: fi,
                at,
                indent: if split { String::new() } else { indent },
                split,
            });
        }
    }
    Ok(out)
}
