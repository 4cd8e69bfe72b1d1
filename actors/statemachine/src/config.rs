//! The state machine's configuration: how deep a Bitcoin block must be buried before what it
//! verified is final (and how many undo journals are kept), whether simulation-only chains may
//! register, and how many chains the registry holds.

use serde::{Deserialize, Serialize};

/// Configuration of the [`crate::StateMachine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateMachineConfig {
    /// Confirmations after which the Bitcoin block that verified an L2 block makes it final.
    /// Also the number of undo journals kept: a reorg deeper than this cannot be undone (the
    /// indexer's `reorg_depth_max` must not exceed it). At least 1.
    pub finality_depth: u64,
    /// Whether chains registering `ProofSystem::SimulationOnly` are accepted (simulation and
    /// test runs only: such proofs prove nothing about execution).
    pub allow_simulation_only: bool,
    /// Most chains the registry holds; further `CreateChain`s are rejected.
    pub max_chains: u64,
    /// Undo journals kept, in blocks: the deepest reorg that can be undone. At least
    /// `finality_depth` (0 means exactly that); a node sets it to its indexer's
    /// `reorg_depth_max` so that every reorg the indexer follows can be rolled back (a
    /// reorg deeper than `finality_depth` then also undoes finality, as on Bitcoin).
    pub journal_depth: u64,
}

impl Default for StateMachineConfig {
    fn default() -> Self {
        Self {
            finality_depth: 6,
            allow_simulation_only: false,
            max_chains: 1024,
            journal_depth: 0,
        }
    }
}

impl StateMachineConfig {
    /// The finality depth, at least 1.
    pub fn depth(&self) -> u64 {
        self.finality_depth.max(1)
    }

    /// Blocks of undo journals kept: `journal_depth`, at least the finality depth.
    pub fn journal_depth(&self) -> u64 {
        self.journal_depth.max(self.depth())
    }

    /// The registry rules this configuration implies (shared with the mempool).
    pub fn registry_rules(&self) -> bitai_contract::RegistryRules {
        bitai_contract::RegistryRules {
            allow_simulation_only: self.allow_simulation_only,
            max_chains: self.max_chains,
        }
    }
}
