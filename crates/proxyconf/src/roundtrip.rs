//! The engine's central property, checkable on any input (fuzzing and property tests use it):
//! wherever a config parses, disabling any live server changes only that directive's lines,
//! the result still parses, and enabling it again gives back the original bytes.

use crate::plan::{self, Edited, Request};
use crate::server::{Method, ProxyKind, Shape, State};
use crate::Config;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The selector round trip's "now": later than any marker a test or the fuzzer writes by hand,
/// as a real disable is later than the leftovers it finds.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(2_000_000_000)
}

/// How a config broke the round-trip property: what was done and what came out wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

impl From<&str> for Violation {
    fn from(s: &str) -> Self {
        Violation(s.to_string())
    }
}

/// Round-trips up to `limit` live servers with both methods; Ok(number of round trips), also
/// Ok(0) when `data` does not parse. Err describes the first violation. `validate` sees every
/// disabled config (property tests run the real `nginx -t`/`haproxy -c` there).
pub fn check_round_trips(
    data: &[u8],
    kind: ProxyKind,
    limit: usize,
    validate: &mut dyn FnMut(&[u8]) -> Result<(), Violation>,
) -> Result<usize, Violation> {
    let Ok(cfg) = Config::standalone(data.to_vec(), kind) else {
        return Ok(0);
    };
    let mut trips = 0;
    for (i, s) in cfg.servers.iter().enumerate().take(limit) {
        let Shape::Live(shape) = &s.shape else {
            continue;
        };
        // Beside a live copy, the disabled line would be a stale leftover that enable leaves.
        if s.state != State::Enabled || s.template.is_some() || cfg.live_twin(i).is_some() {
            continue;
        }
        let lines = s.line..=s.line + shape.cont_lines.len();
        for method in [Method::Comment, Method::Down] {
            let req = Request::Disable {
                method: Some(method),
                reason: Some("round trip".into()),
            };
            let p = match plan::for_servers(&cfg, &[i], &req, true, UNIX_EPOCH) {
                Ok(p) => p,
                // A line the engine refuses to touch (and says why) is not a broken round trip.
                Err(crate::Error::Refused(_)) => break,
                Err(e) => return Err(Violation(format!("plan disable: {e}"))),
            };
            let disabled = p
                .apply(&cfg)
                .into_iter()
                .next()
                .map_or_else(|| data.to_vec(), |e| e.bytes);
            let old_lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            let new_lines: Vec<&[u8]> = disabled.split(|&b| b == b'\n').collect();
            // A directive that shares its line may be given a line of its own (up to 2 newlines).
            let extra = new_lines.len().wrapping_sub(old_lines.len());
            let allowed = if shape.split.is_some() && shape.shares_line {
                2
            } else {
                0
            };
            if extra > allowed {
                return Err(Violation(format!(
                    "disabling {} at line {} changed the line count",
                    s.address, s.line
                )));
            }
            let (first, last) = (*lines.start() - 1, *lines.end());
            let before_same = old_lines[..first] == new_lines[..first];
            let after_same = old_lines[last..] == new_lines[last + extra..];
            if !(before_same && after_same) {
                return Err(Violation(format!(
                    "disabling {} at line {} changed a line outside its directive",
                    s.address, s.line
                )));
            }
            validate(&disabled).map_err(|e| {
                Violation(format!(
                    "after a {method:?} disable of {} at line {} the validator said: {e}",
                    s.address, s.line
                ))
            })?;
            let after = Config::standalone(disabled, kind).map_err(|e| {
                Violation(format!(
                    "after {method:?} disable of {} the config no longer parses: {e}",
                    s.address
                ))
            })?;
            let j = after
                .servers
                .iter()
                .position(|t| {
                    (t.line == s.line || t.line == s.line + 1)
                        && t.address == s.address
                        && t.state == State::Disabled
                })
                .ok_or_else(|| {
                    Violation(format!(
                        "{} at line {} is not listed as disabled after a {method:?} disable",
                        s.address, s.line
                    ))
                })?;
            let p = plan::for_servers(&after, &[j], &Request::Enable, true, UNIX_EPOCH)
                .map_err(|e| Violation(format!("plan enable: {e}")))?;
            let back = p
                .apply(&after)
                .into_iter()
                .next()
                .map_or_else(|| after.files[0].bytes.to_vec(), |e| e.bytes);
            if back != data {
                return Err(Violation(format!(
                    "{method:?} round trip of {} at line {} is not byte-identical",
                    s.address, s.line
                )));
            }
            trips += 1;
        }
    }
    Ok(trips)
}

/// Re-reads a config with some files' new bytes: (file index, bytes).
pub type Reload<'a> = dyn FnMut(&[Edited]) -> Option<Config> + 'a;

/// The user's path, checkable on any loaded config: `disable SELECTORS` (no `--force`) then
/// `enable SELECTORS` gives back every file byte for byte; the disabled config parses; no upstream
/// that served stops serving; and no line a person disabled is changed. `reload` re-reads the
/// config with the given files' new bytes (None when it no longer parses).
pub fn check_selector_round_trip(
    cfg: &Config,
    selectors: &[plan::Selector],
    method: Option<Method>,
    reason: Option<String>,
    reload: &mut Reload<'_>,
) -> Result<(), Violation> {
    let req = Request::Disable { method, reason };
    let p = match plan::plan(cfg, selectors, &req, false, now()) {
        Ok(p) => p,
        Err(
            crate::Error::Refused(_)
            | crate::Error::WouldEmpty { .. }
            | crate::Error::NoSuchServer { .. }
            | crate::Error::NoGroups { .. },
        ) => return Ok(()),
        Err(e) => return Err(Violation(format!("plan disable: {e}"))),
    };
    // A directive sharing its line is taken out without a marker, so no way back is promised.
    let unmarked = p
        .outcomes
        .iter()
        .any(|o| matches!(o.change, plan::Change::Disabled { marked: false, .. }));
    let new = p.apply(cfg);
    if new.is_empty() || unmarked {
        return Ok(());
    }
    let after =
        reload(&new).ok_or_else(|| Violation("the disabled config no longer parses".into()))?;
    for (u, (before, now)) in cfg.upstreams.iter().zip(&after.upstreams).enumerate() {
        // Backups serve once no primary can.
        if before.serving + before.backups > 0 && now.serving + now.backups == 0 {
            return Err(Violation(format!(
                "upstream #{u} {} served before and serves nothing after a disable with the safety rule on",
                before.name
            )));
        }
    }
    for s in cfg
        .servers
        .iter()
        .filter(|s| s.state == State::Disabled && !s.marked())
    {
        let kept = after.servers.iter().any(|t| {
            (t.file, t.line, t.upstream, t.state) == (s.file, s.line, s.upstream, State::Disabled)
        });
        if !kept {
            return Err(Violation(format!(
                "a person's disabled {} at line {} was changed by the disable",
                s.address, s.line
            )));
        }
    }
    // Only names whose disable took something out are promised a way back (enabling a name that
    // matches only a person's alternatives may rightly be refused as ambiguous).
    let took_out: Vec<plan::Selector> = selectors
        .iter()
        .filter(|sel| {
            plan::plan(cfg, std::slice::from_ref(*sel), &req, true, now()).is_ok_and(|p| {
                p.outcomes
                    .iter()
                    .any(|o| matches!(o.change, plan::Change::Disabled { .. }))
            })
        })
        .cloned()
        .collect();
    let p = plan::plan(&after, &took_out, &Request::Enable, false, now())
        .map_err(|e| Violation(format!("plan enable: {e}")))?;
    no_second_copy(cfg, &p.apply(&after), reload)?;
    // A marked line the enable left out beside a live copy is a stale leftover (documented):
    // with a person's duplicate already live, the way back is not promised.
    let left_stale = p.outcomes.iter().any(|o| {
        let t = &after.servers[o.server];
        o.change != plan::Change::Enabled && t.marked() && t.state == State::Disabled
    });
    if left_stale {
        return Ok(());
    }
    // Lines the tool had already taken out under these names come back too, as documented.
    let stale = p.outcomes.iter().any(|o| {
        let t = &after.servers[o.server];
        cfg.servers.iter().any(|s| {
            (s.file, s.line, s.marked(), s.state) == (t.file, t.line, true, State::Disabled)
        })
    });
    if stale {
        return Ok(());
    }
    let back = p.apply(&after);
    for Edited { file: f, bytes } in &new {
        let restored = back
            .iter()
            .find(|e| e.file == *f)
            .map_or(bytes.as_slice(), |e| e.bytes.as_slice());
        if restored != cfg.files[*f].bytes.as_slice() {
            return Err(Violation(format!(
                "disable then enable of {selectors:?} did not give back file #{f} byte for byte"
            )));
        }
    }
    if let Some(e) = back.iter().find(|e| !new.iter().any(|n| n.file == e.file)) {
        return Err(Violation(format!(
            "enable changed file #{}, which the disable did not touch",
            e.file
        )));
    }
    Ok(())
}

/// An enable never makes a second live copy of a server in an upstream that had one at most.
fn no_second_copy(cfg: &Config, back: &[Edited], reload: &mut Reload<'_>) -> Result<(), Violation> {
    if back.is_empty() {
        return Ok(());
    }
    let enabled =
        reload(back).ok_or_else(|| Violation("the enabled config no longer parses".into()))?;
    let copies = |c: &Config| {
        let mut n: std::collections::HashMap<(usize, String), usize> = Default::default();
        for s in c
            .servers
            .iter()
            .filter(|s| s.is_live() && s.state == State::Enabled)
        {
            if let Some(k) = c.copy_key(s) {
                *n.entry((s.upstream, k)).or_default() += 1;
            }
        }
        n
    };
    let before = copies(cfg);
    for (key, n) in copies(&enabled) {
        if n > 1 && before.get(&key).copied().unwrap_or(0) < n {
            return Err(Violation(format!(
                "enable made {n} live copies of {} in {}",
                key.1, enabled.upstreams[key.0].name
            )));
        }
    }
    Ok(())
}
