//! The engine's central property, checkable on any input (fuzzing and property tests use it):
//! wherever a config parses, disabling any live server changes only that directive's lines,
//! the result still parses, and enabling it again gives back the original bytes.

use crate::plan::{self, Request};
use crate::server::{Method, ProxyKind, Shape, State};
use crate::Config;
use std::time::UNIX_EPOCH;

/// Round-trips up to `limit` live servers with both methods; Ok(number of round trips), also
/// Ok(0) when `data` does not parse. Err describes the first violation. `validate` sees every
/// disabled config (property tests run the real `nginx -t`/`haproxy -c` there).
pub fn check_round_trips(
    data: &[u8],
    kind: ProxyKind,
    limit: usize,
    validate: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<usize, String> {
    let Ok(cfg) = Config::standalone(data.to_vec(), kind) else {
        return Ok(0);
    };
    let mut trips = 0;
    for (i, s) in cfg.servers.iter().enumerate().take(limit) {
        let Shape::Live(shape) = &s.shape else {
            continue;
        };
        if s.state != State::Enabled || s.template.is_some() {
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
                Err(e) => return Err(format!("plan disable: {e}")),
            };
            let disabled = p
                .apply(&cfg)
                .into_iter()
                .next()
                .map_or_else(|| data.to_vec(), |(_, b)| b);
            let old_lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            let new_lines: Vec<&[u8]> = disabled.split(|&b| b == b'\n').collect();
            if old_lines.len() != new_lines.len() {
                return Err(format!(
                    "disabling {} at line {} changed the line count",
                    s.address, s.line
                ));
            }
            if let Some(n) = (0..old_lines.len())
                .find(|&n| old_lines[n] != new_lines[n] && !lines.contains(&(n + 1)))
            {
                return Err(format!(
                    "disabling {} at line {} changed line {}",
                    s.address,
                    s.line,
                    n + 1
                ));
            }
            validate(&disabled).map_err(|e| {
                format!(
                    "after a {method:?} disable of {} at line {} the validator said: {e}",
                    s.address, s.line
                )
            })?;
            let after = Config::standalone(disabled, kind).map_err(|e| {
                format!(
                    "after {method:?} disable of {} the config no longer parses: {e}",
                    s.address
                )
            })?;
            let j = after
                .servers
                .iter()
                .position(|t| {
                    t.line == s.line && t.address == s.address && t.state == State::Disabled
                })
                .ok_or_else(|| {
                    format!(
                        "{} at line {} is not listed as disabled after a {method:?} disable",
                        s.address, s.line
                    )
                })?;
            let p = plan::for_servers(&after, &[j], &Request::Enable, true, UNIX_EPOCH)
                .map_err(|e| format!("plan enable: {e}"))?;
            let back = p
                .apply(&after)
                .into_iter()
                .next()
                .map_or_else(|| after.files[0].bytes.to_vec(), |(_, b)| b);
            if back != data {
                return Err(format!(
                    "{method:?} round trip of {} at line {} is not byte-identical",
                    s.address, s.line
                ));
            }
            trips += 1;
        }
    }
    Ok(trips)
}
