//! The one deadline-and-poll loop every wait in hotswap uses: health waits, restarts, drains and
//! canary windows. Sleeps come in short slices so that Ctrl-C (`cancel`) is seen within 20 ms.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long one sleep slice lasts at most, so a cancel is seen quickly.
const SLICE: Duration = Duration::from_millis(20);

/// A point in time a wait must not pass, or none at all.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Option<Instant>);

/// How a [`poll`] ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Polled<T, S> {
    /// The check gave a value.
    Ready(T),
    /// The deadline passed; the last thing the check said.
    Late(S),
    /// `cancel` was set.
    Cancelled,
}

impl Deadline {
    /// `timeout` from now.
    pub fn after(timeout: Duration) -> Deadline {
        Deadline(Instant::now().checked_add(timeout))
    }

    /// No deadline: waits end only by success or cancel.
    pub fn never() -> Deadline {
        Deadline(None)
    }

    /// Time left (zero once passed; [`Duration::MAX`] without a deadline).
    pub fn left(&self) -> Duration {
        self.0.map_or(Duration::MAX, |end| {
            end.saturating_duration_since(Instant::now())
        })
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        self.left().is_zero()
    }

    /// Sleeps for `pause`, never past the deadline; false when `cancel` was set meanwhile.
    pub fn nap(&self, pause: Duration, cancel: &AtomicBool) -> bool {
        let until = Instant::now() + pause.min(self.left());
        loop {
            if cancel.load(Ordering::SeqCst) {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(SLICE));
        }
    }
}

/// Calls `check` every `every` until it gives a value, the deadline passes (with what the last
/// check said) or `cancel` is set. The check always runs at least once.
pub fn poll<T, S>(
    deadline: Deadline,
    every: Duration,
    cancel: &AtomicBool,
    mut check: impl FnMut() -> Result<T, S>,
) -> Polled<T, S> {
    loop {
        let last = match check() {
            Ok(v) => return Polled::Ready(v),
            Err(s) => s,
        };
        if cancel.load(Ordering::SeqCst) {
            return Polled::Cancelled;
        }
        if deadline.passed() {
            return Polled::Late(last);
        }
        if !deadline.nap(every, cancel) {
            return Polled::Cancelled;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_late_and_cancelled() {
        let no = AtomicBool::new(false);
        let mut n = 0;
        let r: Polled<u32, &str> = poll(Deadline::never(), Duration::ZERO, &no, || {
            n += 1;
            if n == 3 {
                Ok(n)
            } else {
                Err("not yet")
            }
        });
        assert_eq!(r, Polled::Ready(3));
        let late: Polled<(), u32> = poll(Deadline::after(Duration::ZERO), SLICE, &no, || Err(7));
        assert_eq!(late, Polled::Late(7));
        let yes = AtomicBool::new(true);
        let cut: Polled<(), ()> = poll(Deadline::never(), SLICE, &yes, || Err(()));
        assert_eq!(cut, Polled::Cancelled);
        assert!(!Deadline::never().nap(Duration::from_secs(60), &yes));
        assert_eq!(Deadline::never().left(), Duration::MAX);
    }
}
