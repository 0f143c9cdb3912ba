//! Why one probe attempt failed: shared by the probe and the unix-socket HTTP client below it.

use crate::duration::round;
use crate::expect::{Mismatch, StatusSet};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why one probe attempt failed. The text is short and stable, because progress lines print
/// one line per change of reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Nothing listens: the connection was refused.
    #[error("connection refused")]
    Refused,
    /// The connection was reset.
    #[error("connection reset")]
    Reset,
    /// A socket operation timed out.
    #[error("timed out")]
    TimedOut,
    /// No HTTP answer within the attempt's bound.
    #[error("no answer within {}", round(*.within))]
    NoAnswer {
        /// The bound.
        within: Duration,
    },
    /// No complete HTTP answer over a unix socket within the attempt's bound.
    #[error("no complete answer within {}", round(*.within))]
    NoCompleteAnswer {
        /// The bound.
        within: Duration,
    },
    /// The unix socket file is not there.
    #[error("socket {} does not exist", .path.display())]
    NoSocket {
        /// The socket's path.
        path: PathBuf,
    },
    /// Connecting to the unix socket failed otherwise.
    #[error("connect {}: {reason}", .path.display())]
    SocketConnect {
        /// The socket's path.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// The HTTP client could not resolve the host.
    #[error("host not found")]
    HostNotFound,
    /// The HTTP client could not connect, and says no more.
    #[error("connection failed")]
    ConnectionFailed,
    /// A TCP target's host does not resolve.
    #[error("cannot resolve {host}: {reason}")]
    Unresolved {
        /// The host.
        host: String,
        /// The resolver's reason.
        reason: String,
    },
    /// A TCP target's host resolves to no address.
    #[error("no address")]
    NoAddress,
    /// Sending the request over a unix socket failed.
    #[error("send: {0}")]
    Send(String),
    /// Reading the answer from a unix socket failed.
    #[error("read: {0}")]
    Read(String),
    /// The connection closed before a full HTTP answer.
    #[error("the connection closed before a full HTTP answer")]
    Truncated,
    /// What came back is not HTTP.
    #[error("not an HTTP answer: {0}")]
    NotHttp(String),
    /// A TLS failure (handshake, certificate).
    #[error("{0}")]
    Tls(String),
    /// The status is not one of the accepted ones.
    #[error("status {status}, expected {expected}")]
    Status {
        /// The status received.
        status: u16,
        /// The accepted ones.
        expected: StatusSet,
    },
    /// An expected response header does not match.
    #[error("status {status} but header {name}: {value} does not match {pattern}")]
    HeaderMismatch {
        /// The status received.
        status: u16,
        /// The header's name, lower-case.
        name: String,
        /// Its value.
        value: String,
        /// The regular expression it should match.
        pattern: String,
    },
    /// An expected response header is missing.
    #[error("status {status} but no {name} header")]
    HeaderMissing {
        /// The status received.
        status: u16,
        /// The header's name, lower-case.
        name: String,
    },
    /// The body fails its expectation.
    #[error("status {status} but {mismatch}")]
    Body {
        /// The status received.
        status: u16,
        /// How the body fails.
        mismatch: Mismatch,
    },
    /// The body could not be read.
    #[error("status {status} but reading the body failed: {why}")]
    BodyUnread {
        /// The status received.
        status: u16,
        /// Why reading failed.
        why: Box<Failure>,
    },
    /// The probe itself failed (its thread panicked).
    #[error("probe thread failed")]
    Crashed,
    /// Any other failure, in the system's or the HTTP client's words.
    #[error("{0}")]
    Other(String),
}

impl Failure {
    /// Whether the target did not answer within the attempt's bound. When the bound was cut
    /// short by the deadline, this says nothing about the target.
    pub fn is_no_answer(&self) -> bool {
        match self {
            Failure::NoAnswer { .. } | Failure::NoCompleteAnswer { .. } => true,
            Failure::BodyUnread { why, .. } => why.is_no_answer(),
            _ => false,
        }
    }

    /// The short reason for a socket error.
    pub(crate) fn io(e: &io::Error) -> Failure {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => Failure::Refused,
            io::ErrorKind::ConnectionReset => Failure::Reset,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::TimedOut,
            _ => Failure::Other(e.to_string()),
        }
    }

    /// The short reason for an HTTP client error.
    pub(crate) fn http(e: &ureq::Error, timeout: Duration) -> Failure {
        match e {
            ureq::Error::Io(io) => Failure::io(io),
            ureq::Error::Timeout(_) => Failure::NoAnswer { within: timeout },
            ureq::Error::HostNotFound => Failure::HostNotFound,
            ureq::Error::ConnectionFailed => Failure::ConnectionFailed,
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => Failure::Tls(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}
