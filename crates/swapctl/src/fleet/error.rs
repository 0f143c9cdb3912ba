//! Why the proxies of a deploy cannot be read, matched or changed as asked.

use crate::drivers;
use std::path::PathBuf;

/// What goes wrong with the fleet as a whole, before or while a change is applied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--socket`, `--pid-file` or `--prefix` with several `-c`.
    #[error(
        "--socket, --pid-file and --prefix name one proxy's files: use them with a single -c \
         (with several, each config's own `pid` / `stats socket` is used)"
    )]
    OneProxyFlags,
    /// `--socket` with an nginx config.
    #[error(
        "--socket is haproxy's admin socket, and {} is an nginx config",
        config.display()
    )]
    SocketOnNginx {
        /// The config file.
        config: PathBuf,
    },
    /// `--upstream` names an upstream in a config that has none (an included file?).
    #[error(
        "{}: no upstream or backend named '{wanted}': it has none at all; is it an included file? \
         pass the main config (the one with `http {{ }}`, or haproxy's `global`)",
        config.display()
    )]
    NoUpstreams {
        /// The config file.
        config: PathBuf,
        /// The upstream asked for.
        wanted: String,
    },
    /// `--upstream` names no upstream of the config.
    #[error(
        "{}: no upstream or backend named '{wanted}'; there are: {}",
        config.display(),
        known.join(", ")
    )]
    NoSuchUpstream {
        /// The config file.
        config: PathBuf,
        /// The upstream asked for.
        wanted: String,
        /// The upstreams there are.
        known: Vec<String>,
    },
    /// No upstream of the config has servers.
    #[error(
        "{} has no upstream or backend with servers; check -c (and -k)",
        config.display()
    )]
    NoServers {
        /// The config file.
        config: PathBuf,
    },
    /// Several upstreams and no `--upstream`.
    #[error(
        "{}: the config has several upstreams; pick one with --upstream ({})",
        config.display(),
        names.join(", ")
    )]
    SeveralUpstreams {
        /// The config file.
        config: PathBuf,
        /// The upstreams there are.
        names: Vec<String>,
    },
    /// A server argument the engine cannot read.
    #[error("{flag} {wanted}: {}", hotswap_cli::engine::describe(source))]
    Selector {
        /// `--only`, `out` or `in`.
        flag: String,
        /// The argument.
        wanted: String,
        /// Why.
        source: Box<proxyconf::Error>,
    },
    /// A server argument that names no server of the upstream.
    #[error("{flag} {wanted}: no such server here; there are: {}", known.join(", "))]
    NoSuchServer {
        /// `--only`, `out` or `in`.
        flag: String,
        /// The argument.
        wanted: String,
        /// The servers there are.
        known: Vec<String>,
    },
    /// A step would leave a proxy with no server in rotation.
    #[error(
        "step {step} ({action}) would leave {} with no server of {upstream} in rotation; \
         use a smaller --batch or deploy that proxy's servers separately",
        config.display()
    )]
    NoCapacity {
        /// 1-based.
        step: usize,
        /// What the step does.
        action: String,
        /// The proxy's config.
        config: PathBuf,
        /// The upstream.
        upstream: String,
    },
    // Failed at run time.
    /// A config cannot be loaded (the engine's error says how it ends).
    #[error("{}", hotswap_cli::engine::describe(.0))]
    Config(#[source] Box<proxyconf::Error>),
    /// A proxy cannot take changes (found before anything changes).
    #[error("{}: {source}", config.display())]
    Preflight {
        /// The proxy's config.
        config: PathBuf,
        /// Why.
        source: drivers::Error,
    },
}

impl Error {
    /// What the error is about, for the contract's error object.
    pub fn context(&self) -> hotswap_cli::Context {
        use hotswap_cli::Context;
        let file = |p: &std::path::Path| Some(p.display().to_string());
        match self {
            Error::Config(e) => hotswap_cli::engine::context(e),
            Error::Selector { wanted, source, .. } => Context {
                server: Some(wanted.clone()),
                ..hotswap_cli::engine::context(source)
            },
            Error::SocketOnNginx { config }
            | Error::NoServers { config }
            | Error::SeveralUpstreams { config, .. }
            | Error::Preflight { config, .. } => Context {
                file: file(config),
                ..Context::default()
            },
            Error::NoUpstreams { config, wanted }
            | Error::NoSuchUpstream { config, wanted, .. } => Context {
                file: file(config),
                upstream: Some(wanted.clone()),
                ..Context::default()
            },
            Error::NoSuchServer { wanted, .. } => Context {
                server: Some(wanted.clone()),
                ..Context::default()
            },
            Error::NoCapacity {
                config, upstream, ..
            } => Context {
                file: file(config),
                upstream: Some(upstream.clone()),
                ..Context::default()
            },
            Error::OneProxyFlags => Context::default(),
        }
    }
}

impl From<proxyconf::Error> for Error {
    fn from(e: proxyconf::Error) -> Self {
        Error::Config(Box::new(e))
    }
}
