//! A live elapsed-time line for long waits, on a terminal only (indicatif hides it elsewhere,
//! so logs and pipes get the plain start and end lines alone).

use std::io::IsTerminal;
use std::time::Duration;

/// A spinner with the elapsed time; `finish` clears it.
pub struct Ticker(Option<indicatif::ProgressBar>);

impl Ticker {
    /// Starts one for `label`, unless `quiet` or stderr is not a terminal.
    pub fn start(label: &str, quiet: bool) -> Ticker {
        if quiet || !std::io::stderr().is_terminal() {
            return Ticker(None);
        }
        let pb = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            pb.set_style(style);
        }
        pb.set_message(label.to_string());
        pb.enable_steady_tick(Duration::from_millis(100));
        Ticker(Some(pb))
    }

    /// Prints a line above the spinner (or plainly, when there is none).
    pub fn println(&self, line: &str) {
        match &self.0 {
            Some(pb) => pb.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the spinner.
    pub fn finish(self) {
        if let Some(pb) = self.0 {
            pb.finish_and_clear();
        }
    }
}
