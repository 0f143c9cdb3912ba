//! Where nginx takes a traffic mode: before every pass to the upstream.

use crate::error::{Error, Result};
use crate::mode::Anchor;
use crate::nginx::parser::{visit, Directive, Visitor};
use crate::Config;
use std::ops::Range;

/// nginx: every `*_pass` to the upstream, outside `if` and `limit_except` (where `if` cannot go).
pub(crate) fn anchors(cfg: &Config, upstream: &str) -> Result<Vec<Anchor>> {
    struct Find<'a> {
        src: &'a [u8],
        upstream: &'a str,
        stack: Vec<Vec<u8>>,
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
                self.found.push((d.start, self.stack.last().cloned()));
            }
            Ok(())
        }
        fn open(&mut self, d: &mut Directive) -> std::result::Result<(), Self::Error> {
            self.stack.push(d.name_bytes(self.src).to_vec());
            Ok(())
        }
        fn close(
            &mut self,
            _: usize,
            _: Option<Range<usize>>,
        ) -> std::result::Result<(), Self::Error> {
            self.stack.pop();
            Ok(())
        }
        fn comment(&mut self, _: Range<usize>) -> std::result::Result<(), Self::Error> {
            Ok(())
        }
    }
    let mut out = Vec::new();
    for (fi, f) in cfg.files.iter().enumerate() {
        let mut v = Find {
            src: &f.bytes,
            upstream,
            stack: Vec::new(),
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
            out.push(Anchor {
                file: fi,
                at: if split { start } else { line_start },
                indent: if split { String::new() } else { indent },
                split,
            });
        }
    }
    Ok(out)
}
