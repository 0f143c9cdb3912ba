//! Turns "disable/enable these servers" into splices, applying the matching and safety rules.

use crate::address::{normalize, Address};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::marker;
use crate::server::{FlagWord, Method, Server, Shape, State};
use crate::splice::{self, Splice};
use nom::branch::alt;
use nom::bytes::complete::take_till1;
use nom::character::complete::char;
use nom::combinator::{map, rest, verify};
use nom::sequence::separated_pair;
use nom::{IResult, Parser};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

/// How the user names a server: `ADDRESS`, `NAME`, or `UPSTREAM/SERVER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Only this upstream or backend, when given.
    pub upstream: Option<String>,
    /// An address (`host:port`, `[v6]:port`, `unix:/path`) or a haproxy server name.
    pub server: String,
    /// What [`Selector::may_match`] looks for, worked out once.
    hint: MatchHint,
}

/// The parts of a selector's address a written address must contain to be the same server.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MatchHint {
    /// The port (as a number) or socket path the address must end with; empty for a bare name.
    tail: String,
    /// The host, lower-cased, that must come right before it (any case); empty when it need not.
    host: String,
    /// The port is 80, which an nginx address written without a port also means.
    port_80: bool,
}

impl MatchHint {
    fn of(server: &str) -> MatchHint {
        let (tail, host) = match Address::parse(server) {
            _ if !server.contains([':', '/']) => (String::new(), String::new()),
            Address::Unix(path) => (path.to_string(), String::new()),
            Address::Inet { host, port } => {
                // nginx reads ports as numbers, and a missing one as 80.
                let port = port.map_or("80".to_string(), |p| {
                    p.parse::<u16>().map_or(p.to_string(), |n| n.to_string())
                });
                (port, host.to_ascii_lowercase())
            }
        };
        MatchHint {
            port_80: tail == "80",
            tail,
            host,
        }
    }
}

fn ends_with_host(text: &[u8], host: &[u8]) -> bool {
    text.len() >= host.len() && text[text.len() - host.len()..].eq_ignore_ascii_case(host)
}

/// haproxy's address prefixes (`PROTO@ADDRESS`).
const PROTO_PREFIXES: &[&str] = &[
    "ipv4", "ipv6", "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "quic4", "quic6", "unix", "abns",
    "abnsz", "fd", "sockpair", "uxst", "uxdg", "rhttp",
];

/// `UPSTREAM/SERVER`, or a server alone (a socket path or a bracketed address keeps its slashes).
fn scoped(arg: &str) -> IResult<&str, (Option<&str>, &str)> {
    let whole = |i| map(rest, |s| (None, s)).parse(i);
    // A haproxy address with a `proto@` prefix (`unix@/run/app.sock`, `ipv4@...`) is never a
    // scope: haproxy refuses an `@` in a proxy name (an nginx upstream may hold one, so only the
    // prefixes haproxy knows count).
    let unscoped = verify(rest, |s: &str| {
        s.starts_with("unix:")
            || s.starts_with('/')
            || s.starts_with('[')
            || s.split_once('@')
                .is_some_and(|(proto, _)| PROTO_PREFIXES.contains(&proto))
    });
    alt((
        map(unscoped, |s| (None, s)),
        map(
            separated_pair(
                take_till1(|c| c == '/'),
                char('/'),
                verify(rest, |s: &str| !s.is_empty()),
            ),
            |(u, s)| (Some(u), s),
        ),
        whole,
    ))
    .parse(arg)
}

impl Selector {
    /// A cheap superset test on a bare address, for [`crate::Config::load_only`].
    /// A miss is safe: the commit reloads the whole config when a filtered load finds nothing.
    pub fn may_match(&self, address: &[u8]) -> bool {
        let h = &self.hint;
        if h.tail.is_empty() || address == self.server.as_bytes() {
            return true;
        }
        let host = h.host.as_bytes();
        if let Some(before) = address.strip_suffix(h.tail.as_bytes()) {
            if host.is_empty() {
                return true;
            }
            // Every server may share the port (all on 8080): the host must come right before it
            // (`HOST:PORT`, `[HOST]:PORT`, `ipv4@HOST:PORT`, `HOST:08080`), in any case.
            let zeros = before.iter().rev().take_while(|&&b| b == b'0').count();
            let unpadded = &before[..before.len() - zeros];
            let before = if unpadded.ends_with(b":") {
                unpadded
            } else {
                before
            };
            let before = before.strip_suffix(b":").unwrap_or(before);
            let before = before.strip_suffix(b"]").unwrap_or(before);
            if ends_with_host(before, host) {
                return true;
            }
        }
        // Without a port nginx means 80, so `HOST` alone may be `HOST:80`.
        h.port_80 && !host.is_empty() && {
            let bare = address.strip_suffix(b"]").unwrap_or(address);
            ends_with_host(bare, host)
        }
    }

    /// Why no server could be written the way this selector is, if so: an unclosed `[`, nothing
    /// after `UPSTREAM/`, a port past 65535 (on nginx only: a haproxy server name may hold a `:`).
    pub fn malformed(&self, kind: crate::ProxyKind) -> Option<String> {
        let s = self.server.as_str();
        if s.starts_with('[') && !s.contains(']') {
            return Some(format!(
                "'{s}' opens a '[' it never closes; write an IPv6 address as [::1]:8080"
            ));
        }
        if s.ends_with('/') && !s.starts_with(['/', '[']) && !s.starts_with("unix:") {
            return Some(format!(
                "'{s}' names no server after the '/'; write UPSTREAM/SERVER, such as app/127.0.0.1:8080"
            ));
        }
        if kind != crate::ProxyKind::Nginx {
            return None;
        }
        let (_, port) = s.rsplit_once(':')?;
        let out_of_range = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().map_or(true, |p| p > 65535);
        out_of_range
            .then(|| format!("the port in '{s}' is out of range: ports run from 1 to 65535"))
    }

    /// Parses a SERVER argument; `upstream` is the `--upstream` flag.
    pub fn parse(arg: &str, upstream: Option<&str>) -> Result<Selector> {
        let arg = arg.trim();
        let (scope, server) = match scoped(arg) {
            Ok((_, parts)) => parts,
            Err(_) => (None, arg),
        };
        if server.is_empty() {
            return Err(Error::Usage(format!(
                "'{arg}' names no server; give an address like 127.0.0.1:8080, a haproxy server name, or UPSTREAM/SERVER"
            )));
        }
        if let (Some(a), Some(b)) = (scope, upstream) {
            if a != b {
                return Err(Error::ScopeClash {
                    arg: arg.to_string(),
                    named: a.to_string(),
                    given: b.to_string(),
                });
            }
        }
        Ok(Selector {
            upstream: scope.or(upstream).map(str::to_string),
            server: server.to_string(),
            hint: MatchHint::of(server),
        })
    }

    /// `wanted` is this selector's address normalised for `cfg` (computed once per selector).
    /// Whether this selector names `s` of `cfg`, by the rules `disable` and `enable` use.
    pub fn names(&self, cfg: &Config, s: &Server) -> bool {
        let wanted = normalize(&self.server, cfg.kind.dialect().default_port());
        self.matches(cfg, s, &wanted)
    }

    fn matches(&self, cfg: &Config, s: &Server, wanted: &str) -> bool {
        if let Some(u) = &self.upstream {
            if &cfg.upstream_of(s).name != u {
                return false;
            }
        }
        if s.template.is_none() && s.name.as_deref() == Some(self.server.as_str()) {
            return true;
        }
        if s.address == self.server {
            return true;
        }
        // Cheap rejection before normalising: the address must end with the port (or socket path).
        let tail = wanted.rsplit([':', ']']).next().unwrap_or_default();
        let default_port = cfg.kind.dialect().default_port();
        let implicit_port = default_port.is_some_and(|p| tail == p.to_string());
        if !tail.is_empty() && !implicit_port && !s.address.ends_with(tail) {
            return false;
        }
        normalize(&s.address, default_port) == wanted
    }

    /// Whether this selector names a member of a `server-template` line.
    fn hits_template(&self, cfg: &Config, s: &Server) -> bool {
        let (Some(range), Some(prefix)) = (&s.template, &s.name) else {
            return false;
        };
        if let Some(u) = &self.upstream {
            if &cfg.upstream_of(s).name != u {
                return false;
            }
        }
        let Some(num) = self.server.strip_prefix(prefix.as_str()) else {
            return normalize(&self.server, None) == normalize(&s.address, None);
        };
        let Ok(n) = num.parse::<u64>() else {
            return false;
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a.parse().unwrap_or(1), b.parse().unwrap_or(0)),
            None => (1, range.parse().unwrap_or(0)),
        };
        (lo..=hi).contains(&n)
    }
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Take servers out; `method` None picks the upstream's default.
    Disable {
        /// `comment` or `down` (haproxy: `disabled`).
        method: Option<Method>,
        /// Written into the marker.
        reason: Option<String>,
    },
    /// Bring the named servers back.
    Enable,
    /// Bring back every server upstream-toggle marked (optionally in one upstream).
    EnableMarked {
        /// Limit to this upstream.
        upstream: Option<String>,
    },
}

/// What happened to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Taken out.
    Disabled {
        /// How: commented out, `down` or `disabled`.
        method: Method,
        /// A marker comment was written, so `enable --all` finds it.
        marked: bool,
    },
    /// Brought back.
    Enabled,
    /// Already out; nothing to do.
    AlreadyDisabled,
    /// Already in; nothing to do.
    AlreadyEnabled,
}

/// One server's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Index into `Config::servers`.
    pub server: usize,
    /// What changed.
    pub change: Change,
    /// A remark for the operator (such as a method fallback).
    pub note: Option<String>,
    /// Not named: its line is one a named server's upstream shares through an include.
    pub shared: bool,
}

impl Outcome {
    fn new(server: usize, change: Change, note: Option<String>) -> Outcome {
        Outcome {
            server,
            change,
            note,
            shared: false,
        }
    }
}

/// One file's new bytes after a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// Index into `Config::files`.
    pub file: usize,
    /// The whole file as it would be.
    pub bytes: Vec<u8>,
}

/// The edits for one request.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Per server.
    pub outcomes: Vec<Outcome>,
    /// Per file index: sorted, non-overlapping splices.
    pub splices: BTreeMap<usize, Vec<Splice>>,
}

impl Plan {
    /// Joins two plans made on the same config into one edit (swapctl's "swap halves" step).
    pub fn merge(mut self, other: Plan) -> Result<Plan> {
        self.outcomes.extend(other.outcomes);
        for (f, s) in other.splices {
            let mut all = self.splices.remove(&f).unwrap_or_default();
            all.extend(s);
            self.splices.insert(f, splice::normalize(all)?);
        }
        Ok(self)
    }

    /// The new bytes of every changed file.
    /// The files this plan changes, by index.
    pub fn edited_files(&self) -> Vec<usize> {
        self.splices
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(&f, _)| f)
            .collect()
    }

    /// The new bytes of every file this plan changes.
    pub fn apply(&self, cfg: &Config) -> Vec<Edited> {
        self.splices
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(&file, s)| Edited {
                file,
                bytes: splice::apply(&cfg.files[file].bytes, s),
            })
            .collect()
    }
}

/// Plans `req` for `selectors` on `cfg`; `force` skips the last-server rule.
pub fn plan(
    cfg: &Config,
    selectors: &[Selector],
    req: &Request,
    force: bool,
    now: SystemTime,
) -> Result<Plan> {
    cfg.ensure_upstreams()?;
    let mut chosen: Vec<Outcome> = Vec::new();
    match req {
        Request::EnableMarked { upstream } => {
            if let Some(u) = upstream {
                check_upstream_exists(cfg, u)?;
            }
            for (i, s) in cfg.servers.iter().enumerate() {
                let in_scope = upstream
                    .as_ref()
                    .is_none_or(|u| &cfg.upstream_of(s).name == u);
                if !(in_scope && s.marked() && s.state == State::Disabled) {
                    continue;
                }
                // A damaged marker may have been pasted onto a person's line: only a person
                // who names the server brings it back.
                chosen.push(match &s.damaged {
                    Some(why) => Outcome::new(
                        i,
                        Change::AlreadyDisabled,
                        Some(format!(
                            "left out: {why}; check the lines, then enable it by name ({})",
                            s.name.as_deref().unwrap_or(&s.address)
                        )),
                    ),
                    None => enable_unless_twin(cfg, i),
                });
            }
        }
        _ => {
            for sel in selectors {
                chosen.extend(select(cfg, sel, req)?);
            }
        }
    }
    finish(cfg, chosen, req, force, now)
}

/// Plans `req` for servers already picked by index (no selector matching): what swapctl and the
/// round-trip tests use once they know exactly which lines they mean.
pub fn for_servers(
    cfg: &Config,
    servers: &[usize],
    req: &Request,
    force: bool,
    now: SystemTime,
) -> Result<Plan> {
    let mut chosen = Vec::new();
    for &i in servers {
        let s = cfg
            .servers
            .get(i)
            .ok_or_else(|| Error::Runtime(format!("internal error: no server #{i}")))?;
        let entry = match (req, s.state) {
            (Request::Disable { method, .. }, State::Enabled) if s.is_live() => {
                let (m, marked, note) = choose_method(cfg, s, *method);
                Outcome::new(i, Change::Disabled { method: m, marked }, note)
            }
            (Request::Disable { .. }, _) => Outcome::new(i, Change::AlreadyDisabled, None),
            (_, State::Disabled) => enable_unless_twin(cfg, i),
            (_, State::Enabled) => Outcome::new(i, Change::AlreadyEnabled, None),
        };
        chosen.push(entry);
    }
    finish(cfg, chosen, req, force, now)
}

/// A line that a hashing upstream shares (a pool it includes with a round-robin one) is taken out
/// with `down`, which keeps that upstream's keys where they are; commenting it out would remap most
/// of them. A comment asked for in so many words is refused instead.
fn keep_hashing_stable(cfg: &Config, chosen: &mut [Outcome], req: &Request) -> Result<()> {
    let mut sharing: HashMap<(usize, usize), BTreeSet<usize>> = HashMap::new();
    for o in chosen.iter() {
        let s = &cfg.servers[o.server];
        sharing.entry(s.line_key()).or_default().insert(s.upstream);
    }
    // Only a line that several upstreams share: one that only a hashing upstream holds keeps
    // the method it was given.
    let hashed: HashMap<(usize, usize), usize> = chosen
        .iter()
        .filter(|o| {
            let s = &cfg.servers[o.server];
            matches!(o.change, Change::Disabled { .. })
                && cfg.upstream_of(s).hashing
                && sharing.get(&s.line_key()).is_some_and(|u| u.len() > 1)
        })
        .map(|o| {
            (
                cfg.servers[o.server].line_key(),
                cfg.servers[o.server].upstream,
            )
        })
        .collect();
    let asked_comment = matches!(
        req,
        Request::Disable {
            method: Some(Method::Comment),
            ..
        }
    );
    for o in chosen.iter_mut() {
        let s = &cfg.servers[o.server];
        let Change::Disabled {
            method: Method::Comment,
            marked,
        } = o.change
        else {
            continue;
        };
        let Some(&up) = hashed.get(&s.line_key()) else {
            continue;
        };
        let hash = &cfg.upstreams[up].name;
        if asked_comment {
            return Err(Error::Refused(format!(
                "{} is shared with upstream {hash}, which hashes its keys over its servers: \
                 commenting the line out would move most of them; take it out with the method `down`",
                cfg.location(s)
            )));
        }
        o.change = Change::Disabled {
            method: Method::Down,
            marked,
        };
        o.note = Some(format!(
            "marked `down`, not commented out: the line is shared with upstream {hash}, whose hashing stays stable that way"
        ));
    }
    Ok(())
}

/// Enables server `i`, unless a person already put it back by hand beside the marked line: then
/// the marked line is a stale leftover, left as it is and named with the live one, since a second
/// live copy doubles the server's weight (nginx) or makes the config invalid (haproxy).
fn enable_unless_twin(cfg: &Config, i: usize) -> Outcome {
    let Some(j) = cfg.live_twin(i) else {
        return enabled(cfg, i);
    };
    let note = format!(
        "left as it is: a stale leftover, since {} already serves {} (put back by hand); delete the marked line {} when it is no longer wanted",
        cfg.location(&cfg.servers[j]),
        cfg.servers[i].name.as_deref().unwrap_or(&cfg.servers[i].address),
        cfg.location(&cfg.servers[i]),
    );
    Outcome::new(i, Change::AlreadyEnabled, Some(note))
}

/// An enable never makes a second live copy: when several marked lines hold the same server in
/// one upstream (a leftover beside the line just taken out), the newest marker's comes back (the
/// first in the file among equals) and the others stay as they are, named: a second copy doubles
/// a server's weight on nginx, and haproxy rejects a second server of one name.
fn one_copy_each(cfg: &Config, chosen: &mut [Outcome]) {
    let at = |i: usize| {
        cfg.servers[i]
            .marker
            .as_ref()
            .map(|m| m.at.clone())
            .unwrap_or_default()
    };
    let key = |o: &Outcome| {
        let s = &cfg.servers[o.server];
        let k = cfg.copy_key(s).filter(|_| o.change == Change::Enabled)?;
        Some((s.upstream, k))
    };
    let mut newest: HashMap<(usize, String), usize> = HashMap::new();
    for o in chosen.iter() {
        if let Some(k) = key(o) {
            newest
                .entry(k)
                .and_modify(|n| {
                    let line = |i: usize| cfg.servers[i].line_key();
                    if (at(o.server), std::cmp::Reverse(line(o.server)))
                        > (at(*n), std::cmp::Reverse(line(*n)))
                    {
                        *n = o.server;
                    }
                })
                .or_insert(o.server);
        }
    }
    let mut stale_lines = Vec::new();
    for o in chosen.iter_mut() {
        let Some(&kept) = key(o).and_then(|k| newest.get(&k)) else {
            continue;
        };
        let s = &cfg.servers[o.server];
        // A line an include shares may be live in one upstream already (put back by hand).
        let twin = cfg
            .live_twin(o.server)
            .filter(|_| o.change == Change::Enabled);
        let newer = twin.or((cfg.servers[kept].line_key() != s.line_key()).then_some(kept));
        if let Some(newer) = newer {
            *o = Outcome {
                shared: o.shared,
                ..enable_unless_twin(cfg, o.server)
            };
            if twin.is_none() {
                o.change = Change::AlreadyEnabled;
                o.note = Some(format!(
                    "left as it is: a second copy, since {} brings {} back (its marker is the newest); delete the marked line {} when it is no longer wanted, or enable it by hand if the double weight was meant",
                    cfg.location(&cfg.servers[newer]),
                    s.name.as_deref().unwrap_or(&s.address),
                    cfg.location(s),
                ));
            }
            stale_lines.push(s.line_key());
        }
    }
    // One physical line: stale in one upstream that includes it, it stays out in all of them.
    for o in chosen.iter_mut() {
        let s = &cfg.servers[o.server];
        if o.change == Change::Enabled && stale_lines.contains(&s.line_key()) {
            o.change = Change::AlreadyDisabled;
            o.note = Some(format!(
                "left out: {} is also a stale leftover in another upstream that includes it, where a live copy serves; enable it there by hand if it is wanted here",
                cfg.location(s)
            ));
        }
    }
}

/// Brought back; a damaged marker's server says what it restored.
fn enabled(cfg: &Config, i: usize) -> Outcome {
    let note = cfg.servers[i].damaged.as_ref().map(|why| {
        format!("{why}; restored the directive as it now reads, from its first line to the marker")
    });
    Outcome::new(i, Change::Enabled, note)
}

fn finish(
    cfg: &Config,
    mut chosen: Vec<Outcome>,
    req: &Request,
    force: bool,
    now: SystemTime,
) -> Result<Plan> {
    let mut seen = std::collections::HashSet::new();
    chosen.retain(|o| seen.insert(o.server));
    for o in &chosen {
        if let (Shape::Live(l), Change::Disabled { .. } | Change::Enabled) =
            (&cfg.servers[o.server].shape, &o.change)
        {
            if let Some(why) = &l.refuse {
                return Err(Error::Refused(format!(
                    "{}: {why}",
                    cfg.location(&cfg.servers[o.server])
                )));
            }
        }
    }

    add_shared_lines(cfg, &mut chosen);
    one_copy_each(cfg, &mut chosen);
    keep_hashing_stable(cfg, &mut chosen, req)?;
    if !force {
        safety(cfg, &chosen)?;
    }
    keep_a_live_line(cfg, &mut chosen);
    let mut per_file: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut outcomes = Vec::new();
    // A line shared by several upstreams is edited once; each of them reports that one change.
    let mut edited: HashMap<(usize, usize), Change> = HashMap::new();
    for Outcome {
        server: i,
        mut change,
        note,
        shared,
    } in chosen
    {
        let s = &cfg.servers[i];
        if let Some(first) = edited.get(&s.line_key()) {
            change = first.clone();
            outcomes.push(Outcome {
                server: i,
                change,
                note,
                shared,
            });
            continue;
        }
        edited.insert(s.line_key(), change.clone());
        let splices = match (&change, req) {
            (Change::Disabled { method, marked }, Request::Disable { reason, .. }) => {
                let lines = match (&s.shape, method) {
                    (Shape::Live(l), Method::Comment) => l.cont_lines.len() + 1,
                    _ => 1,
                };
                let split = match &s.shape {
                    Shape::Live(l) if l.shares_line => l.split.unwrap_or_default(),
                    _ => Default::default(),
                };
                let mark = marked.then(|| marker::render(now, reason.as_deref(), lines, split));
                if let (Some(m), Shape::Live(l)) = (&mark, &s.shape) {
                    check_marked_line(cfg, s, l, m)?;
                }
                disable_splices(cfg, s, *method, mark)
            }
            (Change::Enabled, _) => enable_splices(cfg, s),
            _ => Vec::new(),
        };
        per_file.entry(s.file).or_default().extend(splices);
        outcomes.push(Outcome {
            server: i,
            change,
            note,
            shared,
        });
    }
    let mut splices = BTreeMap::new();
    for (f, s) in per_file {
        splices.insert(f, splice::normalize(s)?);
    }
    Ok(Plan { outcomes, splices })
}

/// nginx reads a comment of 4096 bytes or more as an error ("too long parameter"): a marked line,
/// the server commented out and its marker after it, stays below that on every proxy.
const MAX_MARKED_LINE: usize = 4095;

/// Refuses a marker (its reason) that would make the server's last line longer than
/// [`MAX_MARKED_LINE`].
fn check_marked_line(
    cfg: &Config,
    s: &Server,
    l: &crate::server::LiveShape,
    mark: &str,
) -> Result<()> {
    let b = &cfg.files[s.file].bytes;
    let first = b[..l.start]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let last = l.cont_lines.last().copied().unwrap_or(first);
    // `# ` before the line and the marker (which starts with its blank) after it.
    let len = l.line_end.saturating_sub(last) + 2 + mark.len();
    if len <= MAX_MARKED_LINE {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the reason is too long: marked with it, the line of {} at {} would be {len} bytes, and \
         nginx refuses a comment of {} bytes or more; shorten the reason by {} bytes",
        s.address,
        cfg.location(s),
        MAX_MARKED_LINE + 1,
        len - MAX_MARKED_LINE
    )))
}

/// An error listing the upstream names when `name` is none of them.
pub fn check_upstream_exists(cfg: &Config, name: &str) -> Result<()> {
    if cfg.upstreams.iter().any(|u| u.name == name) {
        return Ok(());
    }
    let mut names: Vec<_> = cfg.upstreams.iter().map(|u| u.name.clone()).collect();
    names.dedup();
    Err(Error::NoSuchUpstream {
        wanted: name.to_string(),
        known: names,
    })
}

/// The servers a selector acts on, grouped per upstream, with the matching rules applied.
fn select(cfg: &Config, sel: &Selector, req: &Request) -> Result<Vec<Outcome>> {
    if let Some(u) = &sel.upstream {
        check_upstream_exists(cfg, u)?;
    }
    if let Some(t) = cfg.servers.iter().find(|s| sel.hits_template(cfg, s)) {
        let up = &cfg.upstream_of(t).name;
        return Err(Error::Refused(format!(
            "{} is a member of `server-template {}` at {}: its members cannot be toggled one by one in the file; \
             use the runtime API instead: echo 'set server {up}/{} state maint' | socat stdio /path/to/admin.sock",
            sel.server,
            t.name.as_deref().unwrap_or_default(),
            cfg.location(t),
            sel.server
        )));
    }
    let wanted = normalize(&sel.server, cfg.kind.dialect().default_port());
    let matches: Vec<usize> = (0..cfg.servers.len())
        .filter(|&i| sel.matches(cfg, &cfg.servers[i], &wanted))
        .collect();
    if matches.is_empty() {
        // A selector no server could be written as is the operator's typo, not a missing server
        // (a filtered load first goes back for the whole config, which may still match it).
        if let Some(why) = sel.malformed(cfg.kind).filter(|_| !cfg.partial) {
            return Err(Error::Usage(why));
        }
        return Err(Error::NoSuchServer {
            wanted: match &sel.upstream {
                Some(u) => format!("{u}/{}", sel.server),
                None => sel.server.clone(),
            },
            known: known_servers(cfg),
        });
    }
    let mut by_upstream: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in matches {
        by_upstream
            .entry(cfg.servers[i].upstream)
            .or_default()
            .push(i);
    }
    // A name reaches a person's disabled line only when, among its matches, the tool took the
    // server out nowhere and it serves nowhere: enabling what the tool took out must not bring
    // back the same address a person retired in another upstream (scope it: UPSTREAM/SERVER).
    let ours_somewhere = by_upstream.values().flatten().any(|&i| {
        let s = &cfg.servers[i];
        (s.is_live() && s.state == State::Enabled) || (s.marked() && s.state == State::Disabled)
    });
    let mut out = Vec::new();
    for (up, ms) in by_upstream {
        let servers = |f: &dyn Fn(&Server) -> bool| -> Vec<usize> {
            ms.iter().copied().filter(|&i| f(&cfg.servers[i])).collect()
        };
        let live_on = servers(&|s| s.is_live() && s.state == State::Enabled);
        match req {
            Request::Disable { method, .. } => {
                if live_on.is_empty() {
                    out.push(Outcome::new(ms[0], Change::AlreadyDisabled, None));
                }
                for i in live_on {
                    let (m, marked, note) = choose_method(cfg, &cfg.servers[i], *method);
                    out.push(Outcome::new(
                        i,
                        Change::Disabled { method: m, marked },
                        note,
                    ));
                }
            }
            _ => {
                if let Some(&i) = live_on.first() {
                    // A marked line beside the live one is a stale leftover: named, never enabled.
                    let stale = ms.iter().find(|&&j| {
                        cfg.servers[j].marked() && cfg.servers[j].state == State::Disabled
                    });
                    out.push(match stale {
                        Some(&j) => enable_unless_twin(cfg, j),
                        None => Outcome::new(i, Change::AlreadyEnabled, None),
                    });
                    continue;
                }
                let marked = servers(&|s| s.marked() && s.state == State::Disabled);
                if marked.is_empty() && ours_somewhere {
                    let i = ms[0];
                    let note = format!(
                        "left as it is: disabled by a person at {}, not by upstream-toggle; name {}/{} to bring it back",
                        cfg.location(&cfg.servers[i]),
                        cfg.upstreams[up].name,
                        sel.server
                    );
                    out.push(Outcome::new(i, Change::AlreadyDisabled, Some(note)));
                    continue;
                }
                let live = servers(&|s| s.is_live());
                let pick = if !marked.is_empty() {
                    marked
                } else if live.len() == 1 {
                    live
                } else if live.is_empty() && ms.len() == 1 {
                    ms.clone()
                } else {
                    let list: Vec<String> = ms
                        .iter()
                        .map(|&i| {
                            format!(
                                "  {}  {}",
                                cfg.location(&cfg.servers[i]),
                                describe(&cfg.servers[i])
                            )
                        })
                        .collect();
                    return Err(Error::Refused(format!(
                        "'{}' matches {} disabled lines in {} that upstream-toggle did not disable; \
                         it will not guess which one to bring back:\n{}\nedit the file by hand, or name the server more exactly",
                        sel.server,
                        ms.len(),
                        cfg.upstreams[up].name,
                        list.join("\n")
                    )));
                };
                out.extend(pick.into_iter().map(|i| enabled(cfg, i)));
            }
        }
    }
    Ok(out)
}

/// The method for a disable: the flag, else `down` on hashing upstreams and haproxy, else `comment`.
fn choose_method(
    cfg: &Config,
    s: &Server,
    wanted: Option<Method>,
) -> (Method, bool, Option<String>) {
    let (down, prefer_down) = cfg.kind.dialect().in_place(cfg.upstream_of(s));
    let m = match wanted {
        Some(Method::Comment) => Method::Comment,
        Some(_) => down,
        None if prefer_down => down,
        None => Method::Comment,
    };
    let Shape::Live(shape) = &s.shape else {
        return (m, true, None);
    };
    if shape.shares_line && shape.split.is_none() {
        let note = (m == Method::Comment).then(|| {
            "shares its line with another directive, so it was marked `down` instead of commented out, with no marker: bring it back as UPSTREAM/SERVER".to_string()
        });
        return (down, false, note);
    }
    (m, true, None)
}

/// The line's only state keyword is an `enabled` written exactly as `enable` writes it, last.
fn ends_with_lone_enabled(cfg: &Config, s: &Server, l: &crate::server::LiveShape) -> bool {
    let [f] = l.flags.as_slice() else {
        return false;
    };
    s.inherited_disabled
        && f.word == FlagWord::Enabled
        && f.remove.end == l.args_end
        && cfg.files[s.file].bytes.get(f.remove.clone()) == Some(b" enabled".as_slice())
}

fn disable_splices(cfg: &Config, s: &Server, method: Method, mark: Option<String>) -> Vec<Splice> {
    let Shape::Live(l) = &s.shape else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // A directive sharing its line gets a line of its own, so its marker swallows nothing.
    let split = l
        .split
        .filter(|_| l.shares_line && mark.is_some())
        .unwrap_or_default();
    let newline = if split.before { "\n" } else { "" };
    if method == Method::Comment {
        out.push(Splice::insert(l.start, format!("{newline}# ")));
        out.extend(l.cont_lines.iter().map(|&p| Splice::insert(p, "# ")));
    } else if split.before {
        out.push(Splice::insert(l.start, newline));
    }
    if method == Method::Comment {
        // Commented out above.
    } else if ends_with_lone_enabled(cfg, s, l) {
        // ` enabled` at the end only overrides an inherited `default-server disabled` (as
        // `enable` writes it): dropping it gives the inherited state, and enabling the marked
        // line puts it back.
        out.extend(l.flags.iter().map(|f| Splice::delete(f.remove.clone())));
    } else {
        // Appended last, `disabled` wins over any `enabled` before it (haproxy applies server
        // keywords in order), and enabling removes exactly this word again.
        out.push(Splice::insert(
            l.args_end,
            format!(" {}", cfg.kind.down_word()),
        ));
    }
    match mark {
        Some(m) if split.after => out.push(Splice::insert(l.end, format!("{m}\n"))),
        Some(m) => out.push(Splice::insert(l.line_end, m)),
        None => {}
    }
    out
}

fn enable_splices(cfg: &Config, s: &Server) -> Vec<Splice> {
    let mut out = Vec::new();
    // Rejoin a line the tool split: the newlines it inserted go again.
    if let (Some(m), Some(r)) = (&s.marker, &s.marker_span) {
        let b = &cfg.files[s.file].bytes;
        let start = s.offset();
        if m.split.before && start > 0 && b[start - 1] == b'\n' {
            out.push(Splice::delete(start - 1..start));
        }
        if m.split.after && b.get(r.end) == Some(&b'\n') {
            out.push(Splice::delete(r.end..r.end + 1));
        }
    }
    match &s.shape {
        Shape::Live(l) => {
            // The last keyword wins, so only the `down`/`disabled` after the last `enabled` go.
            let last_enabled = l.flags.iter().rposition(|f| f.word == FlagWord::Enabled);
            out.extend(
                l.flags
                    .iter()
                    .enumerate()
                    .filter(|(k, f)| {
                        f.word == FlagWord::Down && last_enabled.is_none_or(|e| *k > e)
                    })
                    .map(|(_, f)| Splice::delete(f.remove.clone())),
            );
            if s.inherited_disabled && last_enabled.is_none() {
                out.push(Splice::insert(l.args_end, " enabled"));
            }
        }
        Shape::Commented(c) => {
            out.extend(c.strip.iter().map(|r| Splice::delete(r.clone())));
            out.extend(c.delete.iter().map(|r| Splice::delete(r.clone())));
            if let Some(at) = c.args_end {
                out.push(Splice::insert(at, " enabled"));
            }
        }
    }
    if let Some(r) = &s.marker_span {
        out.push(Splice::delete(r.clone()));
    }
    out
}

/// nginx rejects an `upstream` with no server line, so when commenting out would remove the last
/// live line of one (possible only with `--force`), the last of them is marked `down` instead.
fn keep_a_live_line(cfg: &Config, chosen: &mut [Outcome]) {
    if !cfg.kind.dialect().needs_a_live_line() {
        return;
    }
    for up in 0..cfg.upstreams.len() {
        let commented = |c: &Change| {
            matches!(
                c,
                Change::Disabled {
                    method: Method::Comment,
                    ..
                }
            )
        };
        // nginx rejects an upstream left with no server line, or with backups only.
        let primary = |i: usize| cfg.servers[i].upstream == up && !cfg.servers[i].backup;
        let gone = chosen
            .iter()
            .filter(|o| primary(o.server) && commented(&o.change))
            .count();
        let back = chosen
            .iter()
            .filter(|o| {
                primary(o.server) && o.change == Change::Enabled && !cfg.servers[o.server].is_live()
            })
            .count();
        if gone == 0 || cfg.upstreams[up].live + back > gone {
            continue;
        }
        let Some(k) = chosen
            .iter()
            .rposition(|o| primary(o.server) && commented(&o.change))
        else {
            continue;
        };
        // The line may be shared by several upstreams (an include): all of them get `down`.
        let key = cfg.servers[chosen[k].server].line_key();
        for entry in chosen.iter_mut() {
            if cfg.servers[entry.server].line_key() == key && commented(&entry.change) {
                entry.change = Change::Disabled {
                    method: Method::Down,
                    marked: true,
                };
                entry.note = Some("commenting out the last server line would leave an empty upstream (or one with backups only), which nginx rejects, so it was marked `down`".into());
            }
        }
    }
}

/// A server line in a file that several nginx upstreams include belongs to each of them: the
/// edit of one is the edit of all, so each is checked and reported.
fn add_shared_lines(cfg: &Config, chosen: &mut Vec<Outcome>) {
    if !cfg.kind.dialect().shares_included_lines() || cfg.files.len() < 2 {
        return;
    }
    let wanted: HashMap<(usize, usize), usize> = chosen
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            cfg.servers[o.server].file != 0
                && matches!(o.change, Change::Disabled { .. } | Change::Enabled)
        })
        .map(|(k, o)| (cfg.servers[o.server].line_key(), k))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let have: BTreeSet<usize> = chosen.iter().map(|o| o.server).collect();
    for (j, s) in cfg.servers.iter().enumerate() {
        let Some(&k) = wanted.get(&s.line_key()) else {
            continue;
        };
        if have.contains(&j) {
            continue;
        }
        let first = &cfg.servers[chosen[k].server];
        let note = format!(
            "{} is in {}, which upstream {} includes too: the same line serves both",
            cfg.location(s),
            cfg.files[s.file].path.display(),
            cfg.upstream_of(first).name
        );
        chosen.push(Outcome {
            shared: true,
            ..Outcome::new(j, chosen[k].change.clone(), Some(note))
        });
    }
}

/// Refuses an edit that takes an upstream or backend from serving to serving nothing: counted as
/// the proxy routes (see [`crate::Config::serves`]), trackers of a server taken out included.
fn safety(cfg: &Config, chosen: &[Outcome]) -> Result<()> {
    let mut changes: HashMap<usize, State> = HashMap::new();
    for o in chosen {
        match o.change {
            Change::Disabled { .. } => changes.insert(o.server, State::Disabled),
            Change::Enabled => changes.insert(o.server, State::Enabled),
            _ => None,
        };
    }
    let after = |j: usize| changes.get(&j).copied().unwrap_or(cfg.servers[j].state);
    let changed_ups: BTreeSet<usize> = changes.keys().map(|&i| cfg.servers[i].upstream).collect();
    // A config read whole is recounted, so trackers in any group are counted exactly. What
    // could serve after the edit counts backups too: they take over when no primary is left.
    let mut haproxy_after = vec![0; cfg.upstreams.len()];
    let recount = cfg.kind.dialect().recounts_serving();
    if recount && !changes.is_empty() {
        for j in 0..cfg.servers.len() {
            if crate::serving::usable(&cfg.servers, j, &after) {
                haproxy_after[cfg.servers[j].upstream] += 1;
            }
        }
    }
    for (up, u) in cfg.upstreams.iter().enumerate() {
        if u.serving + u.backups == 0 || changes.is_empty() {
            continue;
        }
        let serving_after = if recount {
            haproxy_after[up]
        } else if changed_ups.contains(&up) {
            // nginx may be read partially (see `Config::load_only`): count the change against the total.
            let delta = |to: State| {
                changes
                    .iter()
                    .filter(|(&i, &st)| {
                        let s = &cfg.servers[i];
                        st == to && s.upstream == up && s.active && !s.weight_zero
                    })
                    .count()
            };
            (u.serving + u.backups + delta(State::Enabled)).saturating_sub(delta(State::Disabled))
        } else {
            continue;
        };
        if serving_after > 0 {
            continue;
        }
        let others: Vec<String> = (0..cfg.servers.len())
            .filter(|&j| cfg.servers[j].upstream == up && !changes.contains_key(&j))
            .filter_map(|j| {
                let s = &cfg.servers[j];
                let why = crate::serving::why_not(&cfg.servers, j, &after)?;
                Some(format!(
                    "  {}  {}: {why}",
                    cfg.location(s),
                    s.name.as_deref().unwrap_or(&s.address)
                ))
            })
            .take(10)
            .collect();
        // Reached only through a line it shares (by an include) with a named upstream: say so.
        let named_here = chosen
            .iter()
            .any(|o| cfg.servers[o.server].upstream == up && !o.shared);
        let through = chosen
            .iter()
            .filter(|o| cfg.servers[o.server].upstream == up && o.shared && !named_here)
            .find_map(|o| o.note.clone());
        return Err(Error::WouldEmpty {
            group: cfg.kind.group_word(),
            name: u.name.clone(),
            at: format!("{}:{}", cfg.files[u.file].path.display(), u.line),
            others,
            through,
        });
    }
    Ok(())
}

/// One line per server for "no such server" messages.
pub fn known_servers(cfg: &Config) -> Vec<String> {
    cfg.servers
        .iter()
        .take(60)
        .map(|s| {
            format!(
                "{}/{}  {}",
                cfg.upstream_of(s).name,
                s.name.as_deref().unwrap_or(&s.address),
                describe(s)
            )
        })
        .chain(
            (cfg.servers.len() > 60)
                .then(|| format!("... and {} more (see `list`)", cfg.servers.len() - 60)),
        )
        .collect()
}

/// `address (state[, by method][, backup])` for messages.
pub fn describe(s: &Server) -> String {
    let state = match (s.state, s.method) {
        (State::Enabled, _) => "enabled",
        (State::Disabled, Some(Method::Comment)) => "disabled by comment",
        (State::Disabled, Some(Method::Down)) => "disabled by down",
        (State::Disabled, _) => "disabled by `disabled`",
    };
    let template = s
        .template
        .as_ref()
        .map(|t| format!(", server-template {t}"))
        .unwrap_or_default();
    let backup = if s.backup { ", backup" } else { "" };
    format!("{} ({state}{template}{backup})", s.address)
}

#[cfg(test)]
mod tests {
    use super::Selector;

    #[test]
    fn may_match_needs_the_host_when_every_server_shares_the_port() {
        let s = Selector::parse("10.3.247.11:8080", None).expect("selector");
        assert!(s.may_match(b"10.3.247.11:8080"));
        assert!(s.may_match(b"ipv4@10.3.247.11:8080"));
        assert!(!s.may_match(b"10.3.247.12:8080"));
        assert!(!s.may_match(b"10.3.247.11:8081"));
        let named = Selector::parse("App.Example:80", None).expect("selector");
        assert!(named.may_match(b"app.example:80"));
        let v6 = Selector::parse("[::1]:8080", None).expect("selector");
        assert!(v6.may_match(b"[::1]:8080") && v6.may_match(b"::1:8080"));
        assert!(Selector::parse("web1", None)
            .expect("selector")
            .may_match(b"10.0.0.1:80"));
        // nginx reads `08080` as 8080 and a missing port as 80.
        assert!(s.may_match(b"10.3.247.11:08080"));
        assert!(!s.may_match(b"10.3.247.11:18080"));
        let eighty = Selector::parse("10.0.0.1:0080", None).expect("selector");
        assert!(eighty.may_match(b"10.0.0.1") && eighty.may_match(b"10.0.0.1:80"));
        let v6 = Selector::parse("[::1]:80", None).expect("selector");
        assert!(v6.may_match(b"[::1]") && v6.may_match(b"[::1]:080"));
        let unix = Selector::parse("unix:/run/a.sock", None).expect("selector");
        assert!(unix.may_match(b"unix:/run/a.sock") && !unix.may_match(b"unix:/run/b.sock"));
    }
}
