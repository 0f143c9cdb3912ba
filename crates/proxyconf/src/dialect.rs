//! The seam between the engine and a proxy's config language. Everything that differs between
//! nginx and haproxy sits behind [`Dialect`]; the rest of the engine asks `cfg.kind.dialect()`
//! instead of matching on the kind.

use crate::config::Config;
use crate::error::Result;
use crate::inventory::{Inventory, Keep};
use crate::mode::{Anchor, Mode};
use crate::plan::Plan;
use crate::server::{Method, Upstream};
use crate::source::Source;
use crate::splice::Splice;
use crate::validate::Validation;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One proxy's config language.
pub(crate) trait Dialect: Sync {
    /// The proxy's binary, which also validates: `nginx`, `haproxy`.
    fn binary(&self) -> &'static str;
    /// What it calls a group of servers: `upstream`, `backend`.
    fn group_word(&self) -> &'static str;
    /// The word that takes a server out in place: `down`, `disabled`.
    fn down_word(&self) -> &'static str;
    /// The message when a config has no group at all.
    fn no_groups(&self) -> &'static str;

    /// Reads a config tree from its main file; see [`crate::Config::load_only`] for `keep`.
    fn load(
        &self,
        main: Source,
        follow_includes: bool,
        keep: Option<&Keep<'_>>,
    ) -> Result<Inventory>;
    /// A server's parameters as the proxy reads them (quotes and escapes resolved).
    fn params<'b>(&self, bytes: &'b [u8], span: Range<usize>) -> Vec<Cow<'b, str>>;
    /// Whether `file`, edited by `plan`, still parses: the last guard when no validator runs.
    fn still_parses(&self, cfg: &Config, plan: &Plan, file: usize) -> bool;
    /// Runs the validator `bin` on the config as it would be with `new` (file index → temp path).
    fn validate(
        &self,
        cfg: &Config,
        bin: &Path,
        new: &HashMap<usize, PathBuf>,
        splices: &HashMap<usize, Vec<Splice>>,
        prefix: Option<&Path>,
    ) -> Result<Validation>;
    /// The validator's flag, for messages: `-t`, `-c`.
    fn check_flag(&self) -> &'static str;

    /// The port of an address written without one.
    fn default_port(&self) -> Option<u16>;
    /// The in-place method (`down`, `disabled`), and whether a disable of a server of `up` uses
    /// it when no method is asked for (else the line is commented out).
    fn in_place(&self, up: &Upstream) -> (Method, bool);
    /// The proxy rejects a group left without a live, non-backup server line.
    fn needs_a_live_line(&self) -> bool;
    /// A server line in an included file belongs to every group that includes it.
    fn shares_included_lines(&self) -> bool;
    /// The whole config is always read, so serving counts after an edit are recounted exactly
    /// (trackers included) rather than adjusted.
    fn recounts_serving(&self) -> bool;

    /// Where a traffic mode's block goes for `upstream` (an error when it cannot go there safely).
    fn mode_anchors(&self, cfg: &Config, upstream: &str) -> Result<Vec<Anchor>>;
    /// The rule that answers 503 (`message`, `Retry-After: retry_after`) for `mode`; later lines
    /// of a several-line rule start with `indent`.
    fn mode_rule(&self, mode: Mode, message: &str, retry_after: u64, indent: &str) -> String;
    /// Paths of the access logs written in `format` (relative ones against `prefix`).
    fn access_logs(&self, cfg: &Config, format: &str, prefix: Option<&Path>) -> Vec<PathBuf>;
}
