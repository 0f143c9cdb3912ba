//! The account of a command that stopped: what is out, what failed, what serves, what to run.

use crate::fleet::Fleet;
use crate::runner::journal::Journal;
use crate::runner::report::Account;
use crate::steps::key;
use crate::steps::names;
use crate::steps::Options;
use crate::steps::ServerRef;
/// A plain account: what is out, what failed, what serves, and the exact next commands.
pub fn account(j: &Journal, fleet: &Fleet, headline: &str, opts: &Options) -> Account {
    let serving: Vec<ServerRef> = fleet
        .all()
        .into_iter()
        .filter(|s| !j.out.iter().any(|o| key(&o.address) == key(&s.address)))
        .collect();
    let failed = if j.failed.is_empty() {
        String::new()
    } else {
        format!("\n  failed:            {}", names(&j.failed))
    };
    let mut next = String::new();
    let mut commands = Vec::new();
    if j.out.is_empty() && j.failed.is_empty() {
        next.push_str("\n  nothing is out of rotation");
    }
    if matches!(j.strategy.as_str(), "hot-swap" | "rolling" | "resume") {
        commands.push(opts.command_for("resume"));
        next.push_str(&format!(
            "\n  next: fix the cause, then go on with the deploy (the servers left out first):\n    {}",
            opts.command_for("resume")
        ));
    }
    if !j.out.is_empty() {
        commands.push(opts.command_for("recover"));
        next.push_str(&format!(
            "\n  or bring back only what is healthy now:\n    {}",
            opts.command_for("recover")
        ));
    }
    let text = format!(
        "{headline}\n  out of rotation:   {}{failed}\n  serving:           {}{next}\n  `{}` shows the journal",
        names(&j.out),
        names(&serving),
        opts.command_for("status")
    );
    Account {
        text,
        out: j.out.clone(),
        failed: j.failed.clone(),
        serving,
        next: commands,
    }
}
