//! The scenario a seed draws: how many chains start and how many users create later, the
//! accounts, the transfer rate and the share of invalid transfers, how often inference
//! requests come, the L2 block interval, the mainnet background traffic in Bitcoin blocks,
//! and which of the enabled faults are on and how often they strike (swarm testing: each seed
//! explores another corner). The run's phases follow from the Bitcoin block count: a busy
//! phase with faults, then a quiet phase with no faults and no new load, in which everything
//! open must settle (the liveness oracle).
use crate::faults::{FaultKind, FaultPlan};
use bitai_runtime::seeded_rng;
use rand::Rng;

/// Mean simulated time between Bitcoin blocks, ms (mainnet's ten minutes).
pub const BITCOIN_BLOCK_MS: u64 = 600_000;

/// Bitcoin blocks of the quiet phase at the end of a run.
pub const QUIET_BLOCKS: u64 = 24;

/// Fewest Bitcoin blocks a run takes (the quiet phase and some busy time before it).
pub const MIN_BITCOIN_BLOCKS: u64 = QUIET_BLOCKS + 6;

/// What a run looks like, all drawn from its seed.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The seed.
    pub seed: u64,
    /// Bitcoin blocks the run lasts (past the premine).
    pub bitcoin_blocks: u64,
    /// Chains hosted from the start (the devnet chain and others).
    pub chains_at_start: u32,
    /// Chains users create during the busy phase.
    pub chains_created: u32,
    /// Funded accounts per chain (neurons come on top).
    pub accounts: u32,
    /// Transfers per simulated second, over all chains.
    pub tps: f64,
    /// Share of transfers made invalid on purpose (bad signature, nonce, balance, account).
    pub invalid_share: f64,
    /// Mean simulated seconds between inference requests, over all chains.
    pub request_gap_s: u64,
    /// The sequencers' block interval, ms.
    pub l2_block_ms: u64,
    /// Bitcoin confirmations for finality on the BitAI side.
    pub finality_depth: u64,
    /// The faults, with their rates.
    pub faults: FaultPlan,
    /// Prover nodes that join the coordinator through the simulated network at the start
    /// (beside its two local provers).
    pub prover_nodes: u32,
    /// Mainnet transactions each Bitcoin block carries beside the rollup's (background
    /// traffic for the indexers).
    pub background_txs: u32,
}

impl Scenario {
    /// Draws the scenario of `seed` over `bitcoin_blocks` blocks with the `enabled` faults.
    pub fn draw(seed: u64, bitcoin_blocks: u64, enabled: &[FaultKind]) -> Self {
        let mut rng = seeded_rng(seed, "sim/scenario");
        let mut faults = FaultPlan::default();
        // The cluster's shape and faults come from a stream of their own, so every other draw
        // is what it was before the cluster was simulated.
        let mut cluster = seeded_rng(seed, "sim/scenario/cluster");
        let mut late = seeded_rng(seed, "sim/scenario/late");
        let mut drain = seeded_rng(seed, "sim/scenario/drain");
        let mut retry = seeded_rng(seed, "sim/scenario/retry");
        for &kind in enabled {
            let rng = match kind.stream() {
                "sim/scenario/cluster" => &mut cluster,
                "sim/scenario/late" => &mut late,
                "sim/scenario/drain" => &mut drain,
                "sim/scenario/retry" => &mut retry,
                _ => &mut rng,
            };
            // Swarm testing: a seed leaves each fault off with probability 1/4.
            if rng.gen_range(0..4) == 0 {
                continue;
            }
            faults.mean_gap_s.insert(kind, mean_gap_s(kind, rng));
        }
        Scenario {
            seed,
            bitcoin_blocks: bitcoin_blocks.max(MIN_BITCOIN_BLOCKS),
            chains_at_start: rng.gen_range(2..=3),
            chains_created: rng.gen_range(1..=2),
            accounts: rng.gen_range(4..=10),
            tps: rng.gen_range(0.1..0.25),
            invalid_share: rng.gen_range(0.0..0.2),
            request_gap_s: rng.gen_range(300..900),
            l2_block_ms: rng.gen_range(20..=90) * 1_000,
            finality_depth: rng.gen_range(2..=6),
            faults,
            prover_nodes: cluster.gen_range(1..=3),
            background_txs: seeded_rng(seed, "sim/scenario/background").gen_range(4..=48),
        }
    }

    /// The Bitcoin height (past the premine) where the quiet phase starts.
    pub fn quiet_from(&self) -> u64 {
        self.bitcoin_blocks - QUIET_BLOCKS
    }

    /// One line for the trace.
    pub fn describe(&self) -> String {
        format!(
            "chains_at_start={} chains_created={} accounts={} tps={:.3} invalid_share={:.3} \
             request_gap_s={} l2_block_ms={} finality_depth={} prover_nodes={} background_txs={} \
             faults={}",
            self.chains_at_start,
            self.chains_created,
            self.accounts,
            self.tps,
            self.invalid_share,
            self.request_gap_s,
            self.l2_block_ms,
            self.finality_depth,
            self.prover_nodes,
            self.background_txs,
            self.faults.describe()
        )
    }
}

/// The mean simulated seconds between two strikes of `kind`, drawn.
fn mean_gap_s(kind: FaultKind, rng: &mut bitai_runtime::SimRng) -> u64 {
    match kind {
        FaultKind::Panic => rng.gen_range(600..3_600),
        FaultKind::Crash => rng.gen_range(3_600..14_400),
        FaultKind::NeuronVanish => rng.gen_range(3_600..14_400),
        FaultKind::Reorg => rng.gen_range(3_600..14_400),
        FaultKind::FeeSpike => rng.gen_range(3_600..10_800),
        FaultKind::Evict => rng.gen_range(1_800..7_200),
        FaultKind::NeuronCheat | FaultKind::NeuronCopy | FaultKind::DeepReorg => 1,
        FaultKind::BadProof => rng.gen_range(600..3_600),
        FaultKind::HungProver => rng.gen_range(3_600..10_800),
        FaultKind::HostileEnvelope => rng.gen_range(900..3_600),
        FaultKind::LyingProver => rng.gen_range(3_600..10_800),
        FaultKind::NetLoss => rng.gen_range(1_800..7_200),
        FaultKind::Partition => rng.gen_range(3_600..10_800),
        FaultKind::HungPeer => rng.gen_range(3_600..10_800),
        FaultKind::NodeChurn => rng.gen_range(3_600..10_800),
        FaultKind::NodeDrain => rng.gen_range(3_600..10_800),
        FaultKind::RoleSwap => rng.gen_range(1_800..7_200),
        FaultKind::StoreWrite => rng.gen_range(1_800..7_200),
        FaultKind::StoreCrash => rng.gen_range(3_600..14_400),
        FaultKind::UserRetry => rng.gen_range(600..3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_draws_the_same_scenario_and_seeds_differ() {
        let a = Scenario::draw(7, 144, &FaultKind::ALL);
        let b = Scenario::draw(7, 144, &FaultKind::ALL);
        assert_eq!(a.describe(), b.describe());
        let differ =
            (0..20).any(|s| Scenario::draw(s, 144, &FaultKind::ALL).describe() != a.describe());
        assert!(differ);
        assert!(Scenario::draw(1, 3, &[]).bitcoin_blocks >= MIN_BITCOIN_BLOCKS);
        assert!(Scenario::draw(1, 144, &[]).faults.mean_gap_s.is_empty());
    }
}
