//! haproxy: line tokenizer and backend inventory, behind the engine's `Dialect` seam.

mod cond;
pub(crate) mod inventory;
mod keywords;
pub(crate) mod lexer;
mod mode;

use crate::config::Config;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::inventory::{Inventory, Keep};
use crate::mode::{Anchor, Mode};
use crate::plan::Plan;
use crate::server::{Method, Upstream};
use crate::source::Source;
use crate::splice::Splice;
use crate::validate::{self, Validation};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

/// haproxy's config language.
pub(crate) struct Haproxy;

impl Dialect for Haproxy {
    fn binary(&self) -> &'static str {
        "haproxy"
    }
    fn group_word(&self) -> &'static str {
        "backend"
    }
    fn down_word(&self) -> &'static str {
        "disabled"
    }
    fn no_groups(&self) -> &'static str {
        "no `backend` or `listen` section"
    }

    /// haproxy has no includes and is always read whole: `keep` is not needed.
    fn load(&self, main: Source, _: bool, _: Option<&Keep<'_>>) -> Result<Inventory> {
        inventory::load(main)
    }

    fn params<'b>(&self, bytes: &'b [u8], span: Range<usize>) -> Vec<Cow<'b, str>> {
        lexer::line(bytes, span.start, span.end)
            .map(|l| {
                l.words
                    .iter()
                    .map(|w| Cow::Owned(String::from_utf8_lossy(&w.value).into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn still_parses(&self, cfg: &Config, plan: &Plan, file: usize) -> bool {
        let splices = plan.splices.get(&file).map_or(&[][..], Vec::as_slice);
        lexer::lines(&crate::splice::apply(&cfg.files[file].bytes, splices)).is_ok()
    }

    fn validate(
        &self,
        cfg: &Config,
        bin: &Path,
        new: &HashMap<usize, PathBuf>,
        _: &HashMap<usize, Vec<Splice>>,
        _: Option<&Path>,
    ) -> Result<Validation> {
        let mut keep = Vec::new();
        let file = match new.get(&0) {
            Some(p) => validate::beside_main(cfg, p, &mut keep)?,
            None => cfg.main.clone(),
        };
        let out = Command::new(bin)
            .args(["-c", "-f"])
            .arg(&file)
            .current_dir(validate::parent(&cfg.main))
            .output();
        let mut names = vec![(file.clone(), cfg.main.clone())];
        names.extend(validate::copies(cfg, new));
        validate::verdict(bin, out, &names, cfg)
    }
    fn check_flag(&self) -> &'static str {
        "-c"
    }

    fn default_port(&self) -> Option<u16> {
        None
    }
    /// haproxy takes servers out with `disabled` unless a comment is asked for.
    fn in_place(&self, _: &Upstream) -> (Method, bool) {
        (Method::Disabled, true)
    }
    fn needs_a_live_line(&self) -> bool {
        false
    }
    fn shares_included_lines(&self) -> bool {
        false
    }
    fn recounts_serving(&self) -> bool {
        true
    }

    fn mode_anchors(&self, cfg: &Config, upstream: &str) -> Result<Vec<Anchor>> {
        mode::anchors(cfg, upstream)
    }

    fn mode_rule(&self, mode: Mode, msg: &str, ra: u64, _: &str) -> String {
        let rule = format!(
            "http-request return status 503 content-type text/plain string \"{msg}\" hdr Retry-After {ra}"
        );
        match mode {
            Mode::ReadOnly => format!("{rule} if !{{ method GET HEAD OPTIONS }}"),
            _ => rule,
        }
    }

    /// haproxy logs through syslog, never to a file of its own.
    fn access_logs(&self, _: &Config, _: &str, _: Option<&Path>) -> Vec<PathBuf> {
        Vec::new()
    }
}
