//! A child's output read on a thread as it comes, so that a test can wait for what the child
//! says it is doing (a wait that started, a step that began) instead of for a fixed time.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Text a child wrote so far on one of its pipes.
pub struct Lines {
    seen: Arc<Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
}

impl Lines {
    /// Starts reading `pipe` (a child's stdout or stderr) to its end.
    pub fn of(mut pipe: impl Read + Send + 'static) -> Lines {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.extend_from_slice(&buf[..n]);
                }
            }
        });
        Lines { seen, reader }
    }

    /// What has arrived so far.
    pub fn now(&self) -> String {
        let s = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        String::from_utf8_lossy(&s).into_owned()
    }

    /// Waits until the text holds `needle`; panics with what arrived after `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) {
        // A closed pipe ends the wait early: nothing more will come.
        crate::holds_within(timeout, || {
            self.now().contains(needle) || self.reader.is_finished()
        });
        assert!(
            self.now().contains(needle),
            "waited up to {timeout:?} for {needle:?}; the child wrote:\n{}",
            self.now()
        );
    }

    /// Everything, once the pipe has closed.
    pub fn rest(self) -> String {
        let Lines { seen, reader } = self;
        let _ = reader.join();
        let s = seen.lock().map(|s| s.clone()).unwrap_or_default();
        String::from_utf8_lossy(&s).into_owned()
    }
}
