//! proxyconf: a lossless nginx and haproxy config engine.
//!
//! Lex → parse → inventory → edit plan (byte splices) → validated atomic commit.
//! Edits never re-serialize, so every byte they do not touch is kept by construction.

pub mod address;
pub mod commit;
pub mod config;
mod dialect;
pub mod diff;
pub mod error;
pub mod haproxy;
pub mod inventory;
pub mod lock;
pub mod marker;
pub mod mode;
pub mod nginx;
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
pub use plan::{plan, Change, Outcome, Plan, Request, Selector};
pub use server::{Marker, Method, Params, ProxyKind, Server, Split, State, Upstream};
