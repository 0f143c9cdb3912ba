//! Pure data: what a deploy does, decided before anything runs. Strategies turn a server list
//! into steps (take out, restart, swap, bring in, observe); the options every command reads live
//! here too, so nothing below a command imports a command.

mod error;
mod options;

pub use error::Error;
pub use options::{Gate, Options};
use serde::{Deserialize, Serialize};

/// One server as swapctl names it: `upstream/name-or-address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerRef {
    /// Upstream or backend.
    pub upstream: String,
    /// haproxy server name.
    pub name: Option<String>,
    /// Address as the config writes it.
    pub address: String,
}

impl ServerRef {
    /// The selector upstream-toggle and the engine understand.
    pub fn selector(&self) -> String {
        format!(
            "{}/{}",
            self.upstream,
            self.name.as_deref().unwrap_or(&self.address)
        )
    }
}

impl std::fmt::Display for ServerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} ({})", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// The identity of a server across proxies.
pub fn key(address: &str) -> String {
    proxyconf::address::normalize(address, None)
}

/// Servers as a list, or "none".
pub fn names(v: &[ServerRef]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a step does, as the contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Take servers out: edit, apply, confirm, drain.
    TakeOut,
    /// Restart servers and wait until they are healthy.
    Restart,
    /// In one edit: bring some in and take others out.
    Swap,
    /// Bring servers back.
    BringIn,
    /// Watch canaries' error rate.
    Observe,
    /// Put canaries back on the old release.
    Rollback,
    /// Change the traffic mode.
    Mode,
}

impl ActionKind {
    /// Reads a journal's action: the contract's name, or the words journals of earlier releases
    /// wrote ("take out", "restart + health check", "swap: ...").
    pub fn read(text: &str) -> Option<ActionKind> {
        use ActionKind::*;
        let kinds = [TakeOut, Restart, Swap, BringIn, Observe, Rollback, Mode];
        let named = |k: &ActionKind| serde_json::to_value(k).ok() == Some(text.into());
        if let Some(k) = kinds.iter().find(|k| named(k)) {
            return Some(*k);
        }
        let words = [
            ("take out", TakeOut),
            ("restart", Restart),
            ("swap", Swap),
            ("bring in", BringIn),
            ("observe", Observe),
            ("rollback", Rollback),
        ];
        words
            .iter()
            .find(|(w, _)| text.starts_with(w))
            .map(|(_, k)| *k)
            .or(Some(Mode))
    }
}

impl<'de> serde::Deserialize<'de> for ActionKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ActionKind::read(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown action {text:?}")))
    }
}

/// One step of a deploy as events and `plan` show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StepInfo {
    /// 1-based.
    pub step: usize,
    /// Steps in the plan.
    pub total: usize,
    /// What it does.
    pub action: ActionKind,
    /// The same in words, as printed without `--json`.
    pub description: String,
    /// Every server it acts on.
    pub servers: Vec<ServerRef>,
    /// swap: the servers it brings in.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub bring_in: Vec<ServerRef>,
    /// swap: the servers it takes out.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub take_out: Vec<ServerRef>,
}

/// Which deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Halves, swapped in one edit.
    HotSwap,
    /// N servers at a time.
    Rolling(usize),
}

impl Strategy {
    /// `hot-swap` or `rolling`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::HotSwap => "hot-swap",
            Strategy::Rolling(_) => "rolling",
        }
    }
}

/// One planned step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Take these out (edit, apply, drain).
    Out(Vec<ServerRef>),
    /// Restart these and wait until they are healthy.
    Restart(Vec<ServerRef>),
    /// In one edit and one apply: bring `0` in and take `1` out.
    Swap(Vec<ServerRef>, Vec<ServerRef>),
    /// Bring these back.
    In(Vec<ServerRef>),
    /// Watch these canaries' error rate; roll them back when it is over the limit.
    Observe(Vec<ServerRef>),
}

impl Action {
    /// The step this action is, as events, the journal and `plan` show it.
    pub fn info(&self, step: usize, total: usize) -> StepInfo {
        let (kind, servers, bring_in, take_out) = match self {
            Action::Out(s) => (ActionKind::TakeOut, s.clone(), vec![], vec![]),
            Action::Restart(s) => (ActionKind::Restart, s.clone(), vec![], vec![]),
            Action::Swap(i, o) => (
                ActionKind::Swap,
                i.iter().chain(o).cloned().collect(),
                i.clone(),
                o.clone(),
            ),
            Action::In(s) => (ActionKind::BringIn, s.clone(), vec![], vec![]),
            Action::Observe(s) => (ActionKind::Observe, s.clone(), vec![], vec![]),
        };
        StepInfo {
            step,
            total,
            action: kind,
            description: label(self),
            servers,
            bring_in,
            take_out,
        }
    }

    /// What it does, and the servers it acts on.
    pub fn describe(&self) -> (String, Vec<String>) {
        let names = |v: &[ServerRef]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        match self {
            Action::Out(s) => ("take out".into(), names(s)),
            Action::Restart(s) => ("restart + health check".into(), names(s)),
            Action::Swap(i, o) => (
                format!(
                    "swap: bring in {} / take out {}",
                    names(i).join(", "),
                    names(o).join(", ")
                ),
                names(i).into_iter().chain(names(o)).collect(),
            ),
            Action::In(s) => ("bring in".into(), names(s)),
            Action::Observe(s) => ("observe the canary error rate".into(), names(s)),
        }
    }
}

/// The steps of a strategy over `servers`.
/// `enabled` is how many servers of the upstream serve now (more than `servers` with `--only`).
pub fn steps(
    strategy: Strategy,
    servers: &[ServerRef],
    enabled: usize,
) -> Result<Vec<Action>, Error> {
    let n = enabled.max(servers.len());
    match strategy {
        Strategy::HotSwap => {
            if n < 2 {
                return Err(Error::HotSwapTooFew { enabled: n });
            }
            let (a, b) = servers.split_at(n.div_ceil(2));
            Ok(vec![
                Action::Out(a.to_vec()),
                Action::Restart(a.to_vec()),
                Action::Swap(a.to_vec(), b.to_vec()),
                Action::Restart(b.to_vec()),
                Action::In(b.to_vec()),
            ])
        }
        Strategy::Rolling(batch) => {
            if batch == 0 {
                return Err(Error::BatchZero);
            }
            if batch >= n {
                return Err(Error::BatchTooLarge { batch, enabled: n });
            }
            Ok(servers
                .chunks(batch)
                .flat_map(|c| {
                    [
                        Action::Out(c.to_vec()),
                        Action::Restart(c.to_vec()),
                        Action::In(c.to_vec()),
                    ]
                })
                .collect())
        }
    }
}

/// Bringing a batch back and taking the next one out is one routing change (one reload on nginx),
/// as hot-swap's swap is: an `In(a)` followed by an `Out(b)` becomes `Swap(a, b)`. Nothing else
/// moves: a restart still runs only once its servers are out, and the canary's watch still
/// follows its servers' return.
pub fn fuse(actions: Vec<Action>) -> Vec<Action> {
    let mut out = Vec::with_capacity(actions.len());
    let mut rest = actions.into_iter().peekable();
    while let Some(a) = rest.next() {
        if let Action::In(back) = &a {
            if let Some(Action::Out(next)) = rest.next_if(|n| matches!(n, Action::Out(_))) {
                out.push(Action::Swap(back.clone(), next));
                continue;
            }
        }
        out.push(a);
    }
    out
}

fn label(action: &Action) -> String {
    let (what, names) = action.describe();
    match action {
        Action::Swap(..) => what,
        _ => format!("{what} {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(port: u16) -> ServerRef {
        ServerRef {
            upstream: "app".into(),
            name: None,
            address: format!("127.0.0.1:{port}"),
        }
    }

    #[test]
    fn rolling_fuses_each_return_with_the_next_take_out() {
        let s: Vec<ServerRef> = (1..=3).map(srv).collect();
        let fused = fuse(steps(Strategy::Rolling(1), &s, 3).expect("steps"));
        let kinds: Vec<ActionKind> = fused.iter().map(|a| a.info(1, 1).action).collect();
        use ActionKind::*;
        assert_eq!(
            kinds,
            [TakeOut, Restart, Swap, Restart, Swap, Restart, BringIn]
        );
        assert_eq!(
            fused[2],
            Action::Swap(vec![s[0].clone()], vec![s[1].clone()])
        );
        // n servers: n+1 routing changes instead of 2n.
        let changes = |v: &[Action]| {
            v.iter()
                .filter(|a| !matches!(a, Action::Restart(_)))
                .count()
        };
        assert_eq!(changes(&fused), 4);
        // An observe between a return and the next take-out keeps them apart.
        let watched = vec![
            Action::In(vec![s[0].clone()]),
            Action::Observe(vec![s[0].clone()]),
            Action::Out(vec![s[1].clone()]),
        ];
        assert_eq!(fuse(watched.clone()), watched);
    }

    #[test]
    fn a_one_server_upstream_cannot_roll_and_says_why() {
        let e = steps(Strategy::Rolling(1), &[srv(1)], 1).expect_err("refused");
        assert!(e.to_string().contains("at least 2 enabled servers"), "{e}");
        let e = steps(Strategy::Rolling(3), &[srv(1), srv(2), srv(3)], 3).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "--batch 3 would take all 3 enabled servers out at once; use 1..2"
        );
    }
}
