//! Why a strategy cannot make steps of the servers it is given (refused before anything changes).

/// A deploy that cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Hot-swap of an upstream with fewer than two servers.
    #[error("hot-swap needs at least 2 enabled servers in the upstream; it has {enabled}")]
    HotSwapTooFew {
        /// Enabled servers.
        enabled: usize,
    },
    /// `--batch 0`.
    #[error("--batch must be at least 1")]
    BatchZero,
    /// A batch that would take every server out.
    #[error("{}", batch_text(*batch, *enabled))]
    BatchTooLarge {
        /// The batch.
        batch: usize,
        /// Enabled servers.
        enabled: usize,
    },
    /// `--canary` with hot-swap.
    #[error("--canary applies to rolling (hot-swap restarts half the servers at once)")]
    CanaryOnHotSwap,
    /// `--canary N` out of range.
    #[error("--canary {count} must be at least 1 and fewer than the {servers} servers deployed")]
    CanaryCount {
        /// N.
        count: usize,
        /// Servers deployed.
        servers: usize,
    },
}

fn batch_text(batch: usize, enabled: usize) -> String {
    if enabled < 2 {
        // No batch size helps: the one server cannot be restarted while another serves.
        format!(
            "a rolling deploy needs at least 2 enabled servers, and the upstream has {enabled}; \
             restart it by hand (swapctl out, restart, swapctl in) or add a server first"
        )
    } else {
        format!(
            "--batch {batch} would take all {enabled} enabled servers out at once; use 1..{}",
            enabled - 1
        )
    }
}
