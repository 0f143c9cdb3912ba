//! What the proxy really routes to: the rule behind the `serving` counts and the safety check.

use crate::server::{Server, State};

/// Whether `servers[i]`, a primary, takes traffic when server `j` is in `state(j)`: a live line,
/// enabled, read by the proxy, not a backup, not `weight 0`, and whatever it `track`s is up.
pub(crate) fn serves(servers: &[Server], i: usize, state: &dyn Fn(usize) -> State) -> bool {
    !servers[i].backup && usable(servers, i, state)
}

/// Whether `servers[i]` would take traffic when its group routes to it, backup or not: a live
/// line, enabled, read by the proxy, not `weight 0`, and whatever it `track`s is up.
pub(crate) fn usable(servers: &[Server], i: usize, state: &dyn Fn(usize) -> State) -> bool {
    let s = &servers[i];
    s.is_live()
        && state(i) == State::Enabled
        && s.active
        && !s.weight_zero
        && tracked_up(servers, s.tracks, state)
}

/// A tracked server is up when it is enabled and read, and so is whatever it tracks in turn
/// (haproxy puts a tracker in maintenance "via" its target).
fn tracked_up(servers: &[Server], mut next: Option<usize>, state: &dyn Fn(usize) -> State) -> bool {
    // haproxy rejects tracking loops; the bound only keeps a broken file from looping here.
    for _ in 0..=servers.len() {
        let Some(t) = next else {
            return true;
        };
        if state(t) != State::Enabled || !servers[t].active {
            return false;
        }
        next = servers[t].tracks;
    }
    true
}

/// Why a server does not serve, for refusal messages; None when it does.
pub(crate) fn why_not(
    servers: &[Server],
    i: usize,
    state: &dyn Fn(usize) -> State,
) -> Option<&'static str> {
    let s = &servers[i];
    Some(if !s.is_live() || state(i) != State::Enabled {
        "disabled"
    } else if !s.active {
        "inside an .if branch that is off or cannot be evaluated here"
    } else if s.weight_zero {
        "weight 0"
    } else if !tracked_up(servers, s.tracks, state) {
        "tracks a server that is out"
    } else {
        return None;
    })
}
