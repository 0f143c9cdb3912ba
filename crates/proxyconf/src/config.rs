//! A loaded config: its files, upstreams and servers, ready for planning edits.

use crate::error::{Error, Result};
use crate::server::{Params, ProxyKind, Server, Upstream};
use crate::source::Source;
use crate::{haproxy, nginx};
use std::ops::Range;
use std::path::{Path, PathBuf};

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
    pub(crate) includes: Vec<Include>,
    /// Loaded with a `keep` filter: some live servers are not listed.
    pub partial: bool,
    /// nginx `include`s are read (false for [`Config::standalone`]).
    pub(crate) follow_includes: bool,
}

/// A filter for [`Config::load_only`]: (address, has a trailing comment) → list this server?
pub type Keep<'a> = dyn Fn(&str, bool) -> bool + 'a;

/// An nginx `include` directive and the files it pulled in.
#[derive(Debug, Clone)]
pub(crate) struct Include {
    pub from: usize,
    pub span: Range<usize>,
    pub targets: Vec<usize>,
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
        let kind = kind.unwrap_or_else(|| detect_kind(path, &bytes));
        Self::build(path, bytes, kind, keep)
    }

    /// Parses bytes alone, reading nothing from disk (`include`s are recorded as warnings):
    /// for fuzzing and property tests.
    pub fn standalone(bytes: Vec<u8>, kind: ProxyKind) -> Result<Config> {
        let mut cfg = Self::empty(Path::new("standalone"), bytes, kind, false);
        cfg.follow_includes = false;
        cfg.fill(None)?;
        Ok(cfg)
    }

    fn build(
        path: &Path,
        bytes: Vec<u8>,
        kind: ProxyKind,
        keep: Option<&Keep<'_>>,
    ) -> Result<Config> {
        let mut cfg = Self::empty(path, bytes, kind, keep.is_some());
        cfg.fill(keep)?;
        Ok(cfg)
    }

    fn empty(path: &Path, bytes: Vec<u8>, kind: ProxyKind, partial: bool) -> Config {
        Config {
            kind,
            main: path.to_path_buf(),
            files: vec![Source::new(path.to_path_buf(), bytes)],
            upstreams: Vec::new(),
            servers: Vec::new(),
            warnings: Vec::new(),
            includes: Vec::new(),
            partial,
            follow_includes: true,
        }
    }

    fn fill(&mut self, keep: Option<&Keep<'_>>) -> Result<()> {
        match self.kind {
            ProxyKind::Nginx => nginx::inventory::build(self, keep)?,
            ProxyKind::Haproxy => haproxy::inventory::build(self)?,
        }
        self.servers
            .sort_unstable_by_key(|s| (s.upstream, s.file, s.offset()));
        Ok(())
    }

    /// A server's parameters as the proxy sees them (quotes and escapes resolved).
    pub fn params(&self, s: &Server) -> Vec<String> {
        let range = match &s.params {
            Params::Values(v) => return v.clone(),
            Params::Span(r) => r.clone(),
        };
        let bytes = &self.files[s.file].bytes;
        let lossy = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        match self.kind {
            ProxyKind::Nginx => {
                let mut lexer = nginx::lexer::Lexer::new(&bytes[..range.end], range.start);
                let mut out = Vec::new();
                while let Ok(Some(t)) = lexer.next_token() {
                    if matches!(
                        t.kind,
                        nginx::lexer::Kind::Word | nginx::lexer::Kind::Quoted
                    ) {
                        out.push(lossy(&nginx::lexer::value(&bytes[t.span.clone()], t.kind)));
                    }
                }
                out
            }
            ProxyKind::Haproxy => haproxy::lexer::line(bytes, range.start, range.end)
                .map(|l| l.words.iter().map(|w| lossy(&w.value)).collect())
                .unwrap_or_default(),
        }
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

/// Reads a file with an error that names it.
/// Largest config file the engine reads: far above any real config, far below a memory problem.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a config file: a regular file of at most [`MAX_FILE_BYTES`], with an error that names it.
/// (A device such as /dev/zero, or a huge file, would otherwise hang or exhaust memory.)
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "read", e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, "stat", e))?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{} is not a regular file; give the path of a config file",
            path.display()
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::Usage(format!(
            "{} is {} MiB; configs larger than {} MiB are refused",
            path.display(),
            meta.len() >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // take() bounds a file that grows while it is read (or lies about its size, like /proc files).
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, "read", e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Usage(format!(
            "{} grew past {} MiB while being read",
            path.display(),
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// haproxy when the name says so or a line starts with a haproxy section keyword and no `{` opens a block.
pub fn detect_kind(path: &Path, bytes: &[u8]) -> ProxyKind {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".cfg") || name.contains("haproxy") {
        return ProxyKind::Haproxy;
    }
    let mut sections = 0;
    for line in bytes.split(|&b| b == b'\n') {
        let t = line.trim_ascii_start();
        if t.starts_with(b"#") {
            continue;
        }
        if t.contains(&b'{') {
            return ProxyKind::Nginx;
        }
        let word = t
            .split(|b| b.is_ascii_whitespace())
            .next()
            .unwrap_or_default();
        if matches!(
            word,
            b"global" | b"defaults" | b"frontend" | b"backend" | b"listen"
        ) {
            sections += 1;
        }
    }
    if sections > 0 {
        ProxyKind::Haproxy
    } else {
        ProxyKind::Nginx
    }
}
