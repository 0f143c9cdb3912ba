//! nginx: tokenizer, directive tree and upstream inventory, behind the engine's `Dialect` seam.

pub(crate) mod inventory;
pub(crate) mod lexer;
pub mod logs;
mod mode;
pub(crate) mod parser;
mod validate;

/// nginx syntax on its own, for tools, fuzzing and benchmarks: the engine itself streams the parse
/// and never builds the tree.
pub mod syntax {
    pub use super::parser::{Block, Directive, Item, ParseError};

    /// The whole lossless directive tree of `src`; every node keeps its byte spans.
    pub fn parse(src: &[u8]) -> Result<Vec<Item>, ParseError> {
        super::parser::parse(src)
    }

    /// Whether `src` parses, keeping nothing.
    pub fn check(src: &[u8]) -> Result<(), ParseError> {
        super::parser::check(src)
    }
}

use crate::config::Config;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::inventory::{Inventory, Keep};
use crate::mode::{Anchor, Mode};
use crate::plan::Plan;
use crate::server::{Method, Upstream};
use crate::source::Source;
use crate::splice::{self, Splice};
use crate::validate::Validation;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// nginx's config language.
pub(crate) struct Nginx;

impl Dialect for Nginx {
    fn binary(&self) -> &'static str {
        "nginx"
    }
    fn group_word(&self) -> &'static str {
        "upstream"
    }
    fn down_word(&self) -> &'static str {
        "down"
    }
    fn no_groups(&self) -> &'static str {
        "no `upstream` block (in it or in the files it includes)"
    }

    fn load(
        &self,
        main: Source,
        follow_includes: bool,
        keep: Option<&Keep<'_>>,
    ) -> Result<Inventory> {
        inventory::load(main, follow_includes, keep)
    }

    fn params<'b>(&self, bytes: &'b [u8], span: Range<usize>) -> Vec<Cow<'b, str>> {
        // Without quotes, escapes or comments, each word is its own value (`list` of a big config
        // decodes 20,000 of these).
        let raw = &bytes[span.clone()];
        if !raw.iter().any(|c| matches!(c, b'"' | b'\'' | b'\\' | b'#')) {
            if let Ok(text) = std::str::from_utf8(raw) {
                return text
                    .split(|c: char| c.is_ascii() && lexer::is_space(c as u8))
                    .filter(|w| !w.is_empty())
                    .map(Cow::Borrowed)
                    .collect();
            }
        }
        let mut lexer = lexer::Lexer::new(&bytes[..span.end], span.start);
        let mut out = Vec::new();
        while let Ok(Some(t)) = lexer.next_token() {
            if matches!(t.kind, lexer::Kind::Word | lexer::Kind::Quoted) {
                let v = lexer::value(&bytes[t.span.clone()], t.kind);
                out.push(Cow::Owned(crate::source::text_of(&v)));
            }
        }
        out
    }

    /// An `upstream` block starts at a token boundary and balances its braces, so re-checking
    /// just the edited blocks (the rest of the file is byte-identical) proves the file parses.
    fn still_parses(&self, cfg: &Config, plan: &Plan, file: usize) -> bool {
        let bytes = &cfg.files[file].bytes;
        let splices = plan.splices.get(&file).map_or(&[][..], Vec::as_slice);
        let mut blocks: Vec<Range<usize>> = plan
            .outcomes
            .iter()
            .map(|o| &cfg.servers[o.server])
            .filter(|s| s.file == file)
            .map(|s| {
                let up = &cfg.upstreams[s.upstream];
                if up.file == file && !up.span.is_empty() {
                    up.span.clone()
                } else {
                    0..bytes.len()
                }
            })
            .collect();
        blocks.sort_by_key(|r| r.start);
        blocks.dedup();
        blocks.into_iter().all(|r| {
            let text = splice::apply_within(bytes, splices, r)
                .unwrap_or_else(|| splice::apply(bytes, splices));
            parser::check(&text).is_ok()
        })
    }

    fn validate(
        &self,
        cfg: &Config,
        bin: &Path,
        new: &HashMap<usize, PathBuf>,
        splices: &HashMap<usize, Vec<Splice>>,
        prefix: Option<&Path>,
    ) -> Result<Validation> {
        validate::run(cfg, bin, new, splices, prefix)
    }
    fn check_flag(&self) -> &'static str {
        "-t"
    }

    fn default_port(&self) -> Option<u16> {
        Some(80)
    }
    /// `down` keeps hashing stable on `ip_hash`/`hash` upstreams; elsewhere a line is commented out.
    fn in_place(&self, up: &Upstream) -> (Method, bool) {
        (Method::Down, up.hashing)
    }
    fn needs_a_live_line(&self) -> bool {
        true
    }
    fn shares_included_lines(&self) -> bool {
        true
    }
    fn recounts_serving(&self) -> bool {
        false
    }

    fn mode_anchors(&self, cfg: &Config, upstream: &str) -> Result<Vec<Anchor>> {
        mode::anchors(cfg, upstream)
    }

    /// String comparisons only: any regex in an `if`, even a non-capturing one, resets a regex
    /// location's $1 before proxy_pass uses it.
    fn mode_rule(&self, mode: Mode, msg: &str, ra: u64, indent: &str) -> String {
        match mode {
            Mode::ReadOnly => format!(
                "set $swapctl_write 1;\n\
                 {indent}if ($request_method = GET) {{ set $swapctl_write 0; }}\n\
                 {indent}if ($request_method = HEAD) {{ set $swapctl_write 0; }}\n\
                 {indent}if ($request_method = OPTIONS) {{ set $swapctl_write 0; }}\n\
                 {indent}if ($swapctl_write) {{ add_header Retry-After {ra} always; return 503 \"{msg}\"; }}"
            ),
            _ => format!(
                "if ($request_method) {{ add_header Retry-After {ra} always; return 503 \"{msg}\"; }}"
            ),
        }
    }

    fn access_logs(&self, cfg: &Config, format: &str, prefix: Option<&Path>) -> Vec<PathBuf> {
        logs::access_logs(cfg, format, prefix)
    }
}
