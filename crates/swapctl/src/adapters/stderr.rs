//! One line on stderr per message, prefixed with the tool's name.

use std::io::Write;

/// One `swapctl: TEXT` line on stderr in a single write, so a reader that splits on writes
/// (SSHKit, a log shipper) never sees the prefix apart from its message.
pub fn say(text: &str) {
    let _ = std::io::stderr().write_all(format!("swapctl: {text}\n").as_bytes());
}
