//! What the operator asks for: each command reads the options, builds steps, hands them to the
//! runner (or asks the fleet), and renders the outcome.

pub mod checks;
pub mod deploy;
pub mod modes;
pub mod outin;
pub mod plan;
pub mod recover;
