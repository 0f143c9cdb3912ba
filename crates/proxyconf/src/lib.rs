//! proxyconf: a lossless nginx and haproxy config engine.
//!
//! Lex → parse → [`inventory::Inventory`] → edit [`Plan`] (byte splices) → validated atomic
//! commit. Edits never re-serialize, so every byte they do not touch is kept by construction.
//!
//! Each proxy's language sits behind one seam: `nginx` and `haproxy` each load a file tree into
//! an [`inventory::Inventory`] (upstreams, servers, includes, warnings and the proxy's own
//! settings such as its pid file and admin sockets), which a [`Config`] holds. Everything else
//! (selectors, the safety rules, planning, validation with the real binary, the commit) is
//! written once.
//!
//! ```
//! use proxyconf::{plan, Config, ProxyKind, Request, Selector};
//! use std::time::SystemTime;
//!
//! let text = b"http {\n    upstream app {\n        server 10.0.0.1:8080;\n        server 10.0.0.2:8080;\n    }\n}\n";
//! let cfg = Config::standalone(text.to_vec(), ProxyKind::Nginx)?;
//! assert_eq!(cfg.servers.len(), 2);
//!
//! // Take one server out: only its line changes, and a marker records who did it.
//! let one = [Selector::parse("10.0.0.2:8080", None)?];
//! let out = Request::Disable { method: None, reason: Some("deploy".into()) };
//! let disabled = plan(&cfg, &one, &out, false, SystemTime::now())?.apply(&cfg).remove(0).bytes;
//! assert!(String::from_utf8_lossy(&disabled).contains("# server 10.0.0.2:8080;"));
//!
//! // The reverse edit gives the input back, byte for byte.
//! let after = Config::standalone(disabled, ProxyKind::Nginx)?;
//! let back = plan(&after, &one, &Request::Enable, false, SystemTime::now())?.apply(&after);
//! assert_eq!(back[0].bytes, text);
//! # Ok::<(), proxyconf::Error>(())
//! ```
//!
//! [`commit::edit`] does the same on disk: it locks the files, re-reads them, plans, writes temp
//! files beside the originals, runs `nginx -t` or `haproxy -c` on them, and renames them into
//! place (symlinks, modes, owners, ACLs and extended attributes kept).
//!
//! # Limitations
//!
//! - nginx `include`s are followed as nginx reads them (globs, relative to the main config's
//!   directory); variables in an `include` path and `-g` directives are not. haproxy configs are
//!   one file (`-f DIR` and several `-f` are not read together).
//! - A server is matched by its address as written: a hostname is never resolved, so
//!   `localhost:80` and `127.0.0.1:80` are different servers.
//! - haproxy `server-template` members cannot be edited one by one in the file (they are not
//!   lines); the error says to use the runtime API.
//! - Lines inside a haproxy `.if` whose condition depends on the running haproxy (`defined()`,
//!   `version_atleast()`...) are listed as not read by the proxy; they can still be edited.
//! - The post-edit syntax guard is the engine's own parser; only the real validator (skipped
//!   with `no_validate`) knows every module's directives and arguments.
//! - Files above [`source::MAX_FILE_BYTES`] (64 MiB) are refused.
#![warn(missing_docs)]

pub mod address;
pub mod bytes;
pub mod commit;
pub mod config;
mod dialect;
pub mod diff;
pub mod error;
pub mod fsio;
mod haproxy;
pub mod inventory;
pub mod lock;
pub mod marker;
pub mod mode;
mod nginx;
pub mod plan;
pub mod roundtrip;
pub mod server;
mod serving;
pub mod source;
pub mod splice;
pub mod validate;

pub use commit::{edit, Applied, Options};
pub use config::Config;
pub use error::{Error, Result};
/// The nginx grammar (lexer and parser), public for the grammar tests and the fuzzer; everything
/// else of a dialect stays behind the engine's API.
pub use nginx::syntax as nginx_syntax;
pub use plan::{plan, Change, Edited, Outcome, Plan, Request, Selector};
pub use server::{Marker, Method, Params, ProxyKind, Server, Split, State, Upstream};

// The one place that knows every dialect: here, above the seam, so that the seam (`dialect`) and
// the dialects (`nginx`, `haproxy`) import each other in one direction only.
impl ProxyKind {
    /// This kind's config language.
    pub(crate) fn dialect(self) -> &'static dyn dialect::Dialect {
        match self {
            ProxyKind::Nginx => &nginx::Nginx,
            ProxyKind::Haproxy => &haproxy::Haproxy,
        }
    }
}
