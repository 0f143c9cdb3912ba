//! How a run of steps ends when it does not finish: stopped by a failed step, rolled back by the
//! canary gate, or interrupted; each with the account of what is out.

use crate::fleet::ApplyError;
use crate::runner::canary::Figures;
use crate::runner::restart::RestartError;
use crate::steps::{names, ServerRef};
use std::time::Duration;

/// A run of steps that did not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A step failed; `account` says what is out, what serves and what to run next.
    #[error("{account}")]
    Stopped {
        /// 1-based.
        step: usize,
        /// Steps in the plan.
        total: usize,
        /// What failed (also part of the account).
        #[source]
        cause: Box<StepError>,
        /// The account.
        account: Box<crate::runner::report::Account>,
    },
    /// A step failed after the canary gate rolled the canaries back.
    #[error(
        "stopped at step {step}/{total}: {cause}\n  out of rotation:   {}\n  next: fix the release, then run the deploy again",
        names(out)
    )]
    RolledBack {
        /// 1-based.
        step: usize,
        /// Steps in the plan.
        total: usize,
        /// What failed.
        #[source]
        cause: Box<StepError>,
        /// What is out of rotation.
        out: Vec<ServerRef>,
    },
    // Interrupted by Ctrl-C.
    /// A deploy, `out` or `in` was interrupted; `account` says where things stand.
    #[error("{account}")]
    Interrupted {
        /// The account.
        account: Box<crate::runner::report::Account>,
    },
    /// The journal cannot be written.
    #[error(transparent)]
    Journal(#[from] crate::runner::journal::Error),
}

/// Why one step of a deploy failed (what the journal and the account say about it).
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The journal cannot be written.
    #[error(transparent)]
    Journal(#[from] crate::runner::journal::Error),
    /// The routing change failed (and was undone where it could be).
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The canary gate could not watch.
    #[error(transparent)]
    Canary(#[from] crate::runner::canary::Error),
    /// No request reached the canaries.
    #[error(
        "canary: no request reached {} in {}: the gate cannot see them (does the access log \
         record the location that proxies to them, and does the address match?); the deploy \
         stops with the canaries in rotation",
        names(canaries),
        healthwait::duration::round(*window)
    )]
    CanaryBlind {
        /// The canaries.
        canaries: Vec<ServerRef>,
        /// The window.
        window: Duration,
    },
    /// Fewer than `--min-requests` reached the canaries by `--observe-max`.
    #[error(
        "canary: {} reached {} (fewer than --min-requests {min_requests}): the gate cannot judge, \
         and the deploy stops with the canaries in rotation; watch them, then run the deploy again \
         (with --on-unjudged proceed to go on unjudged, or a longer --observe-max)",
        figures.seen_text(),
        names(canaries)
    )]
    CanaryUnjudged {
        /// The canaries.
        canaries: Vec<ServerRef>,
        /// What the window saw.
        figures: Figures,
        /// `--min-requests`.
        min_requests: u64,
    },
    /// The gate failed, and taking the canaries out failed too.
    #[error("canary failed: {figures}; taking the canaries out failed: {source}")]
    CanaryTakeOut {
        /// What the window saw.
        figures: Figures,
        /// Why.
        source: ApplyError,
    },
    /// The gate failed; with no `--rollback`, the canaries stay out.
    #[error(
        "canary failed: {figures}; {} stay out of rotation (no --rollback was given)",
        names(canaries)
    )]
    CanaryKeptOut {
        /// What the window saw.
        figures: Figures,
        /// The canaries.
        canaries: Vec<ServerRef>,
    },
    /// The gate failed and `--rollback` ran.
    #[error(
        "canary failed: {figures}; rolled back {} with --rollback{}; no other server was restarted",
        names(healthy),
        still_out(still)
    )]
    CanaryRolledBack {
        /// What the window saw.
        figures: Figures,
        /// Rolled back, healthy and back in rotation.
        healthy: Vec<ServerRef>,
        /// Still out.
        still: Vec<ServerRef>,
    },
    /// Restarts failed: each server with its reason.
    #[error("{}", restart_failures(.0))]
    Restart(Vec<(ServerRef, RestartError)>),
    /// Ctrl-C came.
    #[error("interrupted")]
    Interrupted,
}

fn still_out(still: &[ServerRef]) -> String {
    if still.is_empty() {
        String::new()
    } else {
        format!(
            "; still out (rollback failed or unhealthy): {}",
            names(still)
        )
    }
}

fn restart_failures(failed: &[(ServerRef, RestartError)]) -> String {
    failed
        .iter()
        .map(|(s, e)| format!("{s}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}
