//! The inventory model shared by nginx and haproxy: upstreams, servers and their edit shapes.

use serde::Serialize;
use std::ops::Range;

/// Which proxy a config belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyKind {
    /// nginx: blocks, `upstream` and `server ... ;`.
    Nginx,
    /// haproxy: line-based sections, `backend`/`listen` and `server NAME ADDR`.
    Haproxy,
}

impl ProxyKind {
    /// The word that marks a server out of rotation in place.
    pub fn down_word(self) -> &'static str {
        self.dialect().down_word()
    }

    /// What this proxy calls a group of servers: `upstream` or `backend`.
    pub fn group_word(self) -> &'static str {
        self.dialect().group_word()
    }

    /// The validator binary's name.
    pub fn binary(self) -> &'static str {
        self.dialect().binary()
    }
}

/// Whether a server takes traffic according to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// In rotation.
    Enabled,
    /// Out of rotation.
    Disabled,
}

/// How a server is out of rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Commented out with `#`.
    Comment,
    /// nginx `down`.
    Down,
    /// haproxy `disabled`, written on the line or inherited from `default-server`.
    Disabled,
}

/// The trailing `# upstream-toggle: disabled <time> [reason]` the tool writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Marker {
    /// UTC time of the disable, RFC 3339.
    pub at: String,
    /// The `--reason` text, if one was given.
    pub reason: Option<String>,
    /// How many lines the commented-out directive spans (1 unless `lines=N` says more).
    pub lines: usize,
    /// The tool moved the directive onto a line of its own (`split=`): a newline was inserted
    /// before it and/or after the marker, and enabling removes them again.
    pub split: Split,
}

/// Which newlines the tool inserted to give a directive that shared its line a line of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    /// A newline before the directive.
    pub before: bool,
    /// A newline after the marker.
    pub after: bool,
}

/// An nginx `upstream` block or a haproxy `backend`/`listen` section.
#[derive(Debug, Clone, Serialize)]
pub struct Upstream {
    /// Its name.
    pub name: String,
    /// Index into the config's files.
    #[serde(skip)]
    pub file: usize,
    /// 1-based line of the block or section header.
    pub line: usize,
    /// `http`, `stream`, `backend` or `listen`.
    pub context: String,
    /// nginx `ip_hash`/`hash`: `down` keeps the hashing stable there.
    pub hashing: bool,
    /// nginx: the bytes of the whole `upstream ... { }` directive in `file`.
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
    /// How many of its servers are enabled and not backups (counted even when not listed).
    pub serving: usize,
    /// How many of its backups could serve (enabled, read, not `weight 0`, tracking nothing
    /// that is out): they take the traffic when no primary serves.
    pub backups: usize,
    /// Every usable backup serves at once when no primary does (nginx always; haproxy with
    /// `option allbackups`), instead of only the first.
    pub all_backups: bool,
    /// haproxy: switched off with the proxy-level `disabled` keyword (here or in its defaults),
    /// so it serves nothing and no edit can leave it empty.
    pub switched_off: bool,
    /// How many live (not commented-out), non-backup server lines it has, enabled or not: nginx
    /// rejects an upstream without one.
    pub live: usize,
}

/// One server line, live or commented out.
#[derive(Debug, Clone)]
pub struct Server {
    /// Index into the config's files.
    pub file: usize,
    /// 1-based line of the directive.
    pub line: usize,
    /// Index into the config's upstreams.
    pub upstream: usize,
    /// haproxy server name (None on nginx).
    pub name: Option<String>,
    /// The address as written.
    pub address: String,
    /// The remaining parameters; see [`crate::Config::params`].
    pub params: Params,
    /// A backup server.
    pub backup: bool,
    /// In or out of rotation.
    pub state: State,
    /// How it is out of rotation.
    pub method: Option<Method>,
    /// Present when upstream-toggle took it out (boxed: most servers have none).
    pub marker: Option<Box<Marker>>,
    /// Why its marker no longer fits the lines it marks (a person edited them): it is listed,
    /// restored only when named, and left alone by a bulk enable.
    pub damaged: Option<String>,
    /// haproxy `server-template` range, such as `1-5`.
    pub template: Option<String>,
    /// Inside a haproxy `.if` block.
    pub conditional: bool,
    /// The proxy reads this line: false inside a haproxy `.if` branch that is off, or whose
    /// condition depends on the running haproxy (`defined()`, `version_atleast()`, ...).
    pub active: bool,
    /// haproxy `default-server disabled` applies to it.
    pub inherited_disabled: bool,
    /// haproxy `weight 0` (its own or inherited): it takes no new traffic.
    pub weight_zero: bool,
    /// haproxy `track [BACKEND/]SERVER`: it follows that server's state.
    pub track: Option<String>,
    /// The server index `track` resolves to.
    pub(crate) tracks: Option<usize>,
    pub(crate) shape: Shape,
    pub(crate) marker_span: Option<Range<usize>>,
}

/// A server's parameters: a span re-read on demand (live lines, so big configs stay cheap) or values.
#[derive(Debug, Clone)]
pub enum Params {
    /// The bytes after the address, up to the last argument, in the server's file.
    Span(Range<usize>),
    /// Already decoded (commented-out lines).
    Values(Vec<String>),
}

/// Where to splice to change a server's state.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Live(LiveShape),
    Commented(CommentedShape),
}

#[derive(Debug, Clone)]
pub(crate) struct LiveShape {
    /// First byte of the directive.
    pub start: usize,
    /// Just past the last argument.
    pub args_end: usize,
    /// Just past the directive (its `;` on nginx, the line's end on haproxy).
    pub end: usize,
    /// End of the directive's last line, before the newline.
    pub line_end: usize,
    /// First non-blank byte of each further line of a multi-line directive.
    pub cont_lines: Vec<usize>,
    /// Another directive shares a line with it, so a trailing marker would swallow it.
    pub shares_line: bool,
    /// How to give it a line of its own instead (a one-line directive sharing its line); None
    /// when it cannot be split and is taken out with `down` and no marker.
    pub split: Option<Split>,
    /// Why this line cannot be edited safely, if it cannot.
    pub refuse: Option<String>,
    /// `down`/`disabled`/`enabled` arguments, each with the blanks before it.
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone)]
pub(crate) struct Flag {
    pub word: FlagWord,
    pub remove: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagWord {
    Down,
    Enabled,
}

#[derive(Debug, Clone)]
pub(crate) struct CommentedShape {
    /// The `#` (and blanks) to strip on each line to bring it back.
    pub strip: Vec<Range<usize>>,
    /// Words to delete so that, uncommented, the line serves (nginx `down`, haproxy `disabled`).
    pub delete: Vec<Range<usize>>,
    /// haproxy: where ` enabled` goes when, uncommented, an inherited `disabled` would still apply.
    pub args_end: Option<usize>,
}

impl Server {
    /// An enabled, unconditional, non-backup server with no parameters; the dialects fill in the rest.
    pub(crate) fn new(
        file: usize,
        line: usize,
        upstream: usize,
        address: String,
        shape: Shape,
    ) -> Server {
        Server {
            file,
            line,
            upstream,
            name: None,
            address,
            params: Params::Values(Vec::new()),
            backup: false,
            state: State::Enabled,
            method: None,
            marker: None,
            damaged: None,
            template: None,
            conditional: false,
            active: true,
            inherited_disabled: false,
            weight_zero: false,
            track: None,
            tracks: None,
            shape,
            marker_span: None,
        }
    }

    /// The physical line: two upstreams that include one file share its servers' lines.
    pub fn line_key(&self) -> (usize, usize) {
        (self.file, self.offset())
    }

    /// Whether upstream-toggle disabled it (a marker is present).
    pub fn marked(&self) -> bool {
        self.marker.is_some()
    }

    /// Byte offset of the line in its file, for a stable order.
    pub fn offset(&self) -> usize {
        match &self.shape {
            Shape::Live(l) => l.start,
            Shape::Commented(c) => c.strip.first().map_or(0, |r| r.start),
        }
    }

    /// Whether it is a live line (not commented out).
    pub fn is_live(&self) -> bool {
        matches!(self.shape, Shape::Live(_))
    }

    /// Enabled, read by the proxy, not a backup and not weight 0 (a tracked server's state is
    /// checked by [`crate::Config::serves`]).
    pub fn serves(&self) -> bool {
        self.state == State::Enabled && !self.backup && self.active && !self.weight_zero
    }
}
