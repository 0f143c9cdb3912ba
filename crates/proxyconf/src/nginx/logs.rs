//! The access logs an nginx config writes in a given `log_format` (swapctl's canary reads them).

use crate::nginx::parser::{visit, Directive, Visitor};
use crate::Config;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Paths of every `access_log PATH FORMAT` whose format is `format`, relative paths resolved
/// against `prefix` (nginx's `-p`, Debian's `/usr/share/nginx` by default).
pub fn access_logs(cfg: &Config, format: &str, prefix: Option<&Path>) -> Vec<PathBuf> {
    struct Find<'a> {
        src: &'a [u8],
        format: &'a [u8],
        found: Vec<PathBuf>,
    }
    impl Visitor for Find<'_> {
        type Error = std::convert::Infallible;
        fn directive(&mut self, d: &mut Directive) -> Result<(), Self::Error> {
            if d.name_bytes(self.src) == b"access_log"
                && d.arg(self.src, 1).as_deref() == Some(self.format)
            {
                if let Some(p) = d.arg(self.src, 0) {
                    self.found
                        .push(PathBuf::from(String::from_utf8_lossy(&p).into_owned()));
                }
            }
            Ok(())
        }
        fn open(&mut self, _: &mut Directive) -> Result<(), Self::Error> {
            Ok(())
        }
        fn close(&mut self, _: usize, _: Option<Range<usize>>) -> Result<(), Self::Error> {
            Ok(())
        }
        fn comment(&mut self, _: Range<usize>) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let mut out = Vec::new();
    for f in &cfg.files {
        let mut v = Find {
            src: &f.bytes,
            format: format.as_bytes(),
            found: Vec::new(),
        };
        let _ = visit(&f.bytes, &mut v);
        for p in v.found {
            let p = if p.is_relative() {
                prefix.unwrap_or(Path::new("/usr/share/nginx")).join(p)
            } else {
                p
            };
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}
