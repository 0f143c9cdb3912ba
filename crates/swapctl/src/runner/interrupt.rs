//! Ctrl-C and SIGTERM. The first is acknowledged at once and cancels every wait (health, drain,
//! workers); a running restart command finishes (it runs in its own process group, so the
//! terminal's SIGINT does not reach it), and the deploy brings the batch's healthy servers back.
//! The second stops at once, after marking the journal.

use crate::runner::journal::Journal;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Installs the handler; the flag turns true at the first signal.
/// `status` is the exact command that shows the journal, for the message.
/// With `json`, the second signal still ends the JSON Lines with a `finished` event.
pub fn install(
    configs: Vec<PathBuf>,
    status: String,
    json: bool,
) -> std::io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    let seen = flag.clone();
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if !seen.swap(true, Ordering::SeqCst) {
                crate::adapters::stderr::say(
                    "interrupted: stopping waits; a running restart may finish, then this batch's \
                     healthy servers come back (Ctrl-C again to stop at once)",
                );
                continue;
            }
            let message = format!(
                "stopped at once by a second Ctrl-C; servers may be out of rotation: run `{status}`, \
                 then `recover` or `resume` with the same flags"
            );
            if let Some(config) = configs.first() {
                if let Ok(Some(mut j)) = Journal::load(config) {
                    j.status = "interrupted".into();
                    j.message = Some(message.clone());
                    let _ = j.save();
                }
            }
            crate::adapters::stderr::say(&message);
            if json {
                let error = hotswap_cli::ErrorObject::new(hotswap_cli::Kind::Interrupted, &message);
                crate::runner::report::Reporter {
                    json: true,
                    quiet: false,
                }
                .emit(&crate::runner::report::Event::Finished {
                    status: "interrupted".into(),
                    exit_code: error.exit_code,
                    message,
                    error: Some(error),
                    account: None,
                });
            }
            std::process::exit(hotswap_cli::EXIT_INTERRUPTED);
        }
    });
    Ok(flag)
}
