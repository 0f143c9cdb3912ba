//! A loaded config: its files, upstreams and servers, ready for planning edits.

use crate::error::{Error, LooksLike, Result};
use crate::inventory::{Include, Inventory, Settings};
use crate::server::{Params, ProxyKind, Server, State, Upstream};
use crate::source::{read, Source};
use std::path::{Path, PathBuf};

pub use crate::inventory::Keep;

/// Everything the engine knows about one config tree.
#[derive(Debug, Clone)]
pub struct Config {
    /// nginx or haproxy.
    pub kind: ProxyKind,
    /// The main config's path as given.
    pub main: PathBuf,
    /// Index 0 is the main file; nginx includes follow.
    pub files: Vec<Source>,
    /// Every upstream or backend.
    pub upstreams: Vec<Upstream>,
    /// Every server, live or commented out, in file order.
    pub servers: Vec<Server>,
    /// Non-fatal findings, such as an include that matched nothing.
    pub warnings: Vec<String>,
    /// The proxy's own settings: pid file, admin sockets.
    pub settings: Settings,
    pub(crate) includes: Vec<Include>,
    /// Loaded with a `keep` filter: some live servers are not listed.
    pub partial: bool,
}

impl Config {
    /// Reads and parses `path`; without `kind`, detects it from the file.
    pub fn load(path: &Path, kind: Option<ProxyKind>) -> Result<Config> {
        Self::load_only(path, kind, None)
    }

    /// Like [`Config::load`], but on nginx lists a live server only when `keep(address, has a
    /// trailing comment)` is true, which makes one edit of a huge config cheap. Upstreams, their
    /// `serving` counts and every commented-out or haproxy server are still complete.
    pub fn load_only(
        path: &Path,
        kind: Option<ProxyKind>,
        keep: Option<&Keep<'_>>,
    ) -> Result<Config> {
        let bytes = read(path)?;
        // Absolute, but not resolved through symlinks: nginx resolves relative includes from the
        // directory the main config is named in (`nginx -t -c LINK`).
        let path = &std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let Some(kind) = kind else {
            let kind = detect_kind(path, &bytes);
            return Self::build(path, bytes, kind, keep);
        };
        match Self::build(path, bytes, kind, keep) {
            // The other kind is suggested only when the file does not parse as this one.
            Err(Error::Syntax { at, message, .. }) => Err(Error::Syntax {
                at,
                message,
                looks_like: read(path).ok().and_then(|b| looks_like(path, &b, kind)),
            }),
            other => other,
        }
    }

    /// Parses bytes alone, reading nothing from disk (`include`s are recorded as warnings):
    /// for fuzzing and property tests.
    pub fn standalone(bytes: Vec<u8>, kind: ProxyKind) -> Result<Config> {
        let main = Source::new(PathBuf::from("standalone"), bytes);
        let inv = kind.dialect().load(main, false, None)?;
        Ok(Self::holding(kind, Path::new("standalone"), inv, false))
    }

    fn build(
        path: &Path,
        bytes: crate::bytes::Bytes,
        kind: ProxyKind,
        keep: Option<&Keep<'_>>,
    ) -> Result<Config> {
        let main = Source::new(path.to_path_buf(), bytes);
        let inv = kind.dialect().load(main, true, keep)?;
        Ok(Self::holding(kind, path, inv, keep.is_some()))
    }

    /// The config that holds a dialect's inventory, its servers in (upstream, file, offset) order.
    fn holding(kind: ProxyKind, main: &Path, inv: Inventory, partial: bool) -> Config {
        let Inventory {
            files,
            upstreams,
            mut servers,
            warnings,
            settings,
            includes,
        } = inv;
        let key = |s: &Server| (s.upstream, s.file, s.offset());
        // A walk in file order usually yields them sorted already; checking is one pass.
        if !servers.is_sorted_by_key(key) {
            servers.sort_unstable_by_key(key);
        }
        Config {
            kind,
            main: main.to_path_buf(),
            files,
            upstreams,
            servers,
            warnings,
            settings,
            includes,
            partial,
        }
    }

    /// A server's parameters as the proxy sees them (quotes and escapes resolved).
    pub fn params<'a>(&'a self, s: &'a Server) -> Vec<std::borrow::Cow<'a, str>> {
        match &s.params {
            Params::Values(v) => v
                .iter()
                .map(|p| std::borrow::Cow::Borrowed(p.as_str()))
                .collect(),
            Params::Span(r) => self
                .kind
                .dialect()
                .params(&self.files[s.file].bytes, r.clone()),
        }
    }

    /// An error when the config holds no upstream or backend at all: it is the wrong file or the
    /// wrong kind, never an empty result.
    pub fn ensure_upstreams(&self) -> Result<()> {
        if !self.upstreams.is_empty() {
            return Ok(());
        }
        let main = &self.files[0];
        Err(Error::NoGroups {
            config: self.main.clone(),
            what: self.kind.dialect().no_groups(),
            looks_like: looks_like(&main.path, &main.bytes, self.kind),
        })
    }

    /// Whether server `i` takes traffic as the file stands: enabled, read by the proxy, not
    /// `weight 0`, whatever it `track`s is up, and, for a backup, no primary of its group serves
    /// (then nginx uses every backup, haproxy the first one, or all with `option allbackups`).
    pub fn serves(&self, i: usize) -> bool {
        let state = |j: usize| self.servers[j].state;
        let s = &self.servers[i];
        if !s.backup {
            return crate::serving::serves(&self.servers, i, &state);
        }
        let u = &self.upstreams[s.upstream];
        if u.serving > 0 || !crate::serving::usable(&self.servers, i, &state) {
            return false;
        }
        u.all_backups
            || !(0..i).any(|j| {
                let o = &self.servers[j];
                o.upstream == s.upstream
                    && o.backup
                    && crate::serving::usable(&self.servers, j, &state)
            })
    }

    /// A live, enabled copy of server `i` in its upstream: the same address on nginx, the same
    /// name on haproxy (which rejects a second server of that name). Beside one, a marked line
    /// of `i` is a stale leftover that no enable brings back.
    pub fn live_twin(&self, i: usize) -> Option<usize> {
        let s = &self.servers[i];
        let wanted = self.copy_key(s)?;
        (0..self.servers.len()).find(|&j| {
            let t = &self.servers[j];
            j != i
                && t.upstream == s.upstream
                && t.is_live()
                && t.state == State::Enabled
                && self.copy_key(t).as_ref() == Some(&wanted)
        })
    }

    /// What makes two lines of one upstream copies of one server: the address on nginx
    /// (normalised), the name on haproxy.
    pub fn copy_key(&self, s: &Server) -> Option<String> {
        match self.kind {
            ProxyKind::Haproxy => s.name.clone(),
            ProxyKind::Nginx => Some(crate::address::normalize(
                &s.address,
                self.kind.dialect().default_port(),
            )),
        }
    }

    /// Paths of every nginx `access_log PATH FORMAT` written in `format`, relative ones resolved
    /// against `prefix` (nginx's `-p`); none on haproxy, which logs through syslog.
    pub fn access_logs(&self, format: &str, prefix: Option<&Path>) -> Vec<PathBuf> {
        self.kind.dialect().access_logs(self, format, prefix)
    }

    /// `file:line` of a server, for messages.
    pub fn location(&self, s: &Server) -> String {
        format!("{}:{}", self.files[s.file].path.display(), s.line)
    }

    /// The upstream a server belongs to.
    pub fn upstream_of(&self, s: &Server) -> &Upstream {
        &self.upstreams[s.upstream]
    }
}

/// haproxy when lines that open a haproxy section (`global`, `defaults`, `frontend`, `backend`,
/// `listen`, with neither `{` nor `;` on them) outnumber the lines that end with `;`, which nginx
/// writes everywhere and haproxy almost never (a multi-line nginx `listen` is one such line, and
/// haproxy's own braces, `if { path_beg /x }`, do not count). With neither, the name decides:
/// `.cfg` is haproxy.
pub fn detect_kind(path: &Path, bytes: &[u8]) -> ProxyKind {
    let (mut sections, mut semicolons) = (0usize, 0usize);
    // The head of a file decides: a big nginx config is known after a few dozen `;` lines.
    for line in bytes.split(|&b| b == b'\n').take(4000) {
        if sections == 0 && semicolons >= 32 {
            return ProxyKind::Nginx;
        }
        let t = line.trim_ascii();
        if t.is_empty() || t.starts_with(b"#") {
            continue;
        }
        let code = t
            .split(|&b| b == b'#')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        let word = code
            .split(|b| b.is_ascii_whitespace())
            .next()
            .unwrap_or_default();
        if code.ends_with(b";") {
            semicolons += 1;
        } else if !code.contains(&b'{')
            && !code.contains(&b';')
            && matches!(
                word,
                b"global" | b"defaults" | b"frontend" | b"backend" | b"listen"
            )
        {
            sections += 1;
        }
    }
    let cfg_name = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".cfg");
    if sections > semicolons || (cfg_name && sections == 0 && semicolons == 0) {
        ProxyKind::Haproxy
    } else {
        ProxyKind::Nginx
    }
}

/// Set when `bytes` look like the other proxy's config than `kind`.
pub fn looks_like(path: &Path, bytes: &[u8], kind: ProxyKind) -> Option<LooksLike> {
    let seen = detect_kind(path, bytes);
    (seen != kind).then(|| LooksLike {
        path: path.to_path_buf(),
        kind: seen,
    })
}
