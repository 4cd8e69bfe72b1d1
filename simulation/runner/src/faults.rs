//! The faults a run can inject, each switchable by name on the command line
//! (`--faults all|none|a,b,c`), and the rate each is drawn with from the seed (swarm
//! testing: a seed turns some faults off and draws how often the rest strike).
//!
//! Adding a fault: a variant here with its name in [`FaultKind::ALL`], a rate range in
//! [`crate::scenario`], and its injection in [`crate::inject`].

use std::collections::BTreeMap;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// A role's actor panics (killed as a crash would); its supervisor restarts it.
    Panic,
    /// The whole coordinator node crashes and restarts from its store after some downtime.
    Crash,
    /// SimBitcoin replaces its last blocks (depth below the finality depth).
    Reorg,
    /// At the end of the run, after every other check: a reorg one block deeper than the
    /// nodes can roll back; they must stop loudly with their state intact.
    DeepReorg,
    /// The fee market spikes for a while: the inscriber must bump.
    FeeSpike,
    /// SimBitcoin's mempool evicts one of the inscriber's transactions.
    Evict,
    /// A neuron of each chain cheats (commits to a corrupted output).
    NeuronCheat,
    /// A neuron of each chain runs nothing and copies another seat's reveal.
    NeuronCopy,
    /// A neuron vanishes for good (its seats become no-shows).
    NeuronVanish,
    /// An outsider submits a proof that must be refused: garbage bytes, a stale block
    /// number, or a well-formed proof over a stale previous root.
    BadProof,
    /// An outsider inscribes malformed and hostile BitAI envelopes on Bitcoin.
    HostileEnvelope,
    /// A prover (local or on a prover node) hangs for a while: takes jobs, answers nothing
    /// (its leases expire).
    HungProver,
    /// A prover (local or on a prover node) sends proofs that do not verify for a while.
    LyingProver,
    /// The cluster network loses, repeats and delays messages for a while.
    NetLoss,
    /// A prover node is cut off from the coordinator for a while: one way or both.
    Partition,
    /// A prover node hangs for a while: still in its group, nothing in or out.
    HungPeer,
    /// A prover node leaves the cluster; a new one joins a little later.
    NodeChurn,
    /// One write of the coordinator's store fails (a full or failing disk); the node runs on.
    StoreWrite,
    /// The coordinator's store crashes at a write drawn from the seed: that write and every
    /// later one are lost, the node goes down and restarts from the batches committed before.
    StoreCrash,
    /// A prover or neuron node drains for a rolling replacement (a new node joins at once):
    /// it finishes what it holds, takes nothing new and leaves.
    NodeDrain,
    /// A role of the coordinator with several versions compiled in (a sequencer, the
    /// inscriber) is hot-swapped to another, both ways over a run (docs/runtime-semantics.md).
    RoleSwap,
    /// A user sends a transfer the node acknowledged before again, byte for byte (a wallet
    /// retrying after a timeout): the node must answer "already known" (4009) with its stage,
    /// and apply nothing twice.
    UserRetry,
}

impl FaultKind {
    /// Every fault, in name order.
    pub const ALL: [FaultKind; 22] = [
        FaultKind::BadProof,
        FaultKind::Crash,
        FaultKind::DeepReorg,
        FaultKind::Evict,
        FaultKind::FeeSpike,
        FaultKind::HostileEnvelope,
        FaultKind::HungPeer,
        FaultKind::HungProver,
        FaultKind::LyingProver,
        FaultKind::NetLoss,
        FaultKind::NeuronCheat,
        FaultKind::NeuronCopy,
        FaultKind::NeuronVanish,
        FaultKind::NodeChurn,
        FaultKind::NodeDrain,
        FaultKind::Panic,
        FaultKind::Partition,
        FaultKind::Reorg,
        FaultKind::RoleSwap,
        FaultKind::StoreCrash,
        FaultKind::StoreWrite,
        FaultKind::UserRetry,
    ];

    /// Whether the fault strikes the cluster network (drawn from its own stream of the
    /// scenario, so adding cluster faults left every other fault's draws as they were).
    pub fn is_network(self) -> bool {
        matches!(
            self,
            FaultKind::NetLoss | FaultKind::Partition | FaultKind::HungPeer | FaultKind::NodeChurn
        )
    }

    /// Whether the fault strikes the coordinator's store.
    pub fn is_store(self) -> bool {
        matches!(self, FaultKind::StoreWrite | FaultKind::StoreCrash)
    }

    /// Whether the scenario draws the fault from the stream of the faults added after the
    /// cluster's (store faults, the copying neuron), so every earlier draw stays as it was.
    pub fn is_late(self) -> bool {
        self.is_store() || self == FaultKind::NeuronCopy
    }

    /// The scenario stream the fault is drawn from: each group of faults added later has
    /// its own, so every earlier draw of every seed stays as it was.
    pub fn stream(self) -> &'static str {
        if self.is_network() {
            "sim/scenario/cluster"
        } else if self.is_late() {
            "sim/scenario/late"
        } else if self == FaultKind::NodeDrain {
            "sim/scenario/drain"
        } else if self == FaultKind::RoleSwap {
            "sim/scenario/swap"
        } else if self == FaultKind::UserRetry {
            "sim/scenario/retry"
        } else {
            "sim/scenario"
        }
    }

    /// Its name on the command line and in the trace.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Panic => "panic",
            FaultKind::Crash => "crash",
            FaultKind::Reorg => "reorg",
            FaultKind::DeepReorg => "deep_reorg",
            FaultKind::FeeSpike => "fee_spike",
            FaultKind::Evict => "evict",
            FaultKind::NeuronCheat => "neuron_cheat",
            FaultKind::NeuronCopy => "neuron_copy",
            FaultKind::NeuronVanish => "neuron_vanish",
            FaultKind::BadProof => "bad_proof",
            FaultKind::HungProver => "hung_prover",
            FaultKind::HostileEnvelope => "hostile_envelope",
            FaultKind::LyingProver => "lying_prover",
            FaultKind::NetLoss => "net_loss",
            FaultKind::Partition => "partition",
            FaultKind::HungPeer => "hung_peer",
            FaultKind::NodeChurn => "node_churn",
            FaultKind::NodeDrain => "node_drain",
            FaultKind::RoleSwap => "role_swap",
            FaultKind::StoreWrite => "store_write",
            FaultKind::StoreCrash => "store_crash",
            FaultKind::UserRetry => "user_retry",
        }
    }
}

/// Parses `--fault-gaps`: comma-separated `KIND=SECONDS` pairs, each setting the mean
/// simulated seconds between strikes of that fault and turning it on whatever the seed draws
/// (a test that needs a fault often, such as forty swaps in a short run).
pub fn parse_gaps(s: &str) -> Result<Vec<(FaultKind, u64)>, String> {
    let mut out: Vec<(FaultKind, u64)> = Vec::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, gap) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not KIND=SECONDS"))?;
        let kind = parse_list(name).and_then(|k| match k.as_slice() {
            [one] => Ok(*one),
            _ => Err(format!("{name:?} names no single fault")),
        })?;
        let gap: u64 = gap
            .trim()
            .parse()
            .ok()
            .filter(|g| (1..=86_400).contains(g))
            .ok_or_else(|| format!("{pair:?}: SECONDS must be 1 to 86400"))?;
        out.retain(|(k, _)| *k != kind);
        out.push((kind, gap));
    }
    out.sort();
    Ok(out)
}

/// Parses `--faults`: `all`, `none`, or a comma-separated list of fault names.
pub fn parse_list(s: &str) -> Result<Vec<FaultKind>, String> {
    match s.trim() {
        "all" => return Ok(FaultKind::ALL.to_vec()),
        "none" | "" => return Ok(Vec::new()),
        _ => {}
    }
    let mut out = Vec::new();
    for name in s.split(',').map(str::trim) {
        let kind = FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = FaultKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown fault {name:?}; known: all, none, {}",
                    known.join(", ")
                )
            })?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out.sort();
    Ok(out)
}

/// The faults a run injects: per kind, the mean simulated seconds between two strikes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// Mean seconds between strikes, by kind (absent: off).
    pub mean_gap_s: BTreeMap<FaultKind, u64>,
}

impl FaultPlan {
    /// Whether `kind` is on.
    pub fn on(&self, kind: FaultKind) -> bool {
        self.mean_gap_s.contains_key(&kind)
    }

    /// `name:gap_s` pairs, for the trace and the summary.
    pub fn describe(&self) -> String {
        if self.mean_gap_s.is_empty() {
            return "none".into();
        }
        self.mean_gap_s
            .iter()
            .map(|(k, g)| format!("{}:{g}s", k.name()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_unknown_names_are_refused_with_the_known_ones() {
        assert_eq!(
            parse_list("all").expect("parses").len(),
            FaultKind::ALL.len()
        );
        assert!(parse_list("none").expect("parses").is_empty());
        assert_eq!(
            parse_list("reorg, panic,reorg").expect("parses"),
            vec![FaultKind::Panic, FaultKind::Reorg]
        );
        let e = parse_list("reorg,meteor").expect_err("refused");
        assert!(e.contains("meteor") && e.contains("fee_spike"), "{e}");
    }
}
