//! Health waits: until a restarted server answers as `--health` expects, bounded.

use crate::adapters::template;
use crate::adapters::template::Vars;
use crate::steps::Options;
use crate::steps::ServerRef;
use std::fmt::Display;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Why a server did not become healthy.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// The `--health` template cannot be filled for the server.
    #[error(transparent)]
    Template(#[from] template::Error),
    /// healthwait refuses the URL; its error as text, whatever its type.
    #[error("{reason}")]
    Probe {
        /// Why, as healthwait says it.
        reason: String,
    },
    /// The check did not pass in time.
    #[error("not healthy within {}: {last}", healthwait::duration::round(*within))]
    NotHealthy {
        /// The bound.
        within: Duration,
        /// The last failure healthwait saw ("no answer" when none).
        last: String,
    },
    /// Ctrl-C cut the wait short.
    #[error("interrupted")]
    Interrupted,
    /// Healthy to swapctl (root), but the proxy's workers cannot open its unix socket.
    #[error("healthy, but {0}")]
    WorkersLockedOut(String),
}

impl HealthError {
    /// healthwait cannot build a probe; takes its error as text, whatever its type.
    pub fn probe(reason: impl Display) -> HealthError {
        HealthError::Probe {
            reason: reason.to_string(),
        }
    }
}

pub(crate) fn health_template<'a>(opts: &'a Options, _s: &ServerRef) -> &'a str {
    opts.health.as_deref().unwrap_or("tcp://{address}")
}

/// Waits until `s` passes its health check (`--health`, else `tcp://{address}`), polling every 5 ms.
pub(crate) fn wait_healthy(
    opts: &Options,
    s: &ServerRef,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<(), HealthError> {
    let vars = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
    let url = template::health_url(health_template(opts, s), &vars)?;
    // A unix-socket server checked with a fixed URL (`http://localhost/up`) is asked over its socket.
    let probe_opts = healthwait::ProbeOptions {
        unix_socket: template::unix_path(&s.address)
            .filter(|_| url.starts_with("http://"))
            .map(PathBuf::from),
        ..opts.health_expect.clone()
    };
    // healthwait's errors are taken as text, whatever their type.
    let target = healthwait::Target::parse(&url).map_err(HealthError::probe)?;
    let probe = healthwait::Probe::new(target, probe_opts).map_err(HealthError::probe)?;
    // A local probe every 5 ms is cheap, and every millisecond here is deploy time.
    let wait = healthwait::WaitOptions {
        timeout,
        interval: Some(Duration::from_millis(5)),
        ..Default::default()
    };
    let mut report = |c: &healthwait::Change| {
        if opts.verbose {
            eprintln!(
                "swapctl:   {}: {} [{}]",
                c.target,
                c.detail,
                healthwait::duration::round(c.elapsed)
            );
        }
    };
    match healthwait::wait(&[probe], &wait, cancel, &mut report) {
        healthwait::Outcome::Passed { .. } => Ok(()),
        healthwait::Outcome::TimedOut { last, .. } => Err(HealthError::NotHealthy {
            within: timeout,
            last: last
                .first()
                .map_or_else(|| "no answer".to_string(), |l| l.1.to_string()),
        }),
        healthwait::Outcome::Cancelled => Err(HealthError::Interrupted),
    }
}
