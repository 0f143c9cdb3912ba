//! What a dialect's loader produces from a config tree: files, upstreams, servers, warnings and
//! the proxy settings the deploy tools need. nginx and haproxy each fill one; [`crate::Config`]
//! holds it.

use crate::server::{Server, Upstream};
use crate::source::Source;
use std::ops::Range;
use std::path::PathBuf;

/// A filter for [`crate::Config::load_only`]: (address as written, has a trailing comment) →
/// list this server?
pub type Keep<'a> = dyn Fn(&[u8], bool) -> bool + 'a;

/// Everything a dialect read from one config tree.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Index 0 is the main file; nginx includes follow.
    pub files: Vec<Source>,
    /// Every upstream or backend.
    pub upstreams: Vec<Upstream>,
    /// Every server, live or commented out (unsorted; [`crate::Config`] sorts them).
    pub servers: Vec<Server>,
    /// Non-fatal findings, such as an include that matched nothing.
    pub warnings: Vec<String>,
    /// The proxy's own settings that the deploy tools act on.
    pub settings: Settings,
    pub(crate) includes: Vec<Include>,
}

/// Directives of the proxy itself (not of its upstreams), each with where it was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// nginx `pid` (main context), haproxy `pidfile` (global), as written: a relative nginx path
    /// is resolved against the prefix by the caller, who knows it.
    pub pid_file: Option<Setting<PathBuf>>,
    /// haproxy `stats socket` lines (global), in file order.
    pub admin_sockets: Vec<Setting<AdminSocket>>,
}

/// A setting's value and the line that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// `file:line` of the directive, for messages.
    pub at: String,
}

/// One haproxy `stats socket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSocket {
    /// The address as written: a path, `ipv4@HOST:PORT`, `HOST:PORT`...
    pub address: String,
    /// Its `level` as written; None when the line has none (haproxy 2.x then grants `operator`,
    /// which cannot change server states).
    pub level: Option<String>,
}

impl AdminSocket {
    /// Whether it can change server states: only `level admin` can.
    pub fn is_admin(&self) -> bool {
        self.level.as_deref() == Some("admin")
    }
}

/// An nginx `include` directive and the files it pulled in.
#[derive(Debug, Clone)]
pub(crate) struct Include {
    pub from: usize,
    pub span: Range<usize>,
    pub targets: Vec<usize>,
}

impl Inventory {
    /// An inventory of one file, to be filled by a dialect.
    pub(crate) fn of(main: Source) -> Inventory {
        Inventory {
            files: vec![main],
            ..Inventory::default()
        }
    }
}
