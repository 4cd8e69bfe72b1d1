//! The mempool's configuration: its bounds, the Bitcoin fee rate above which it takes no new
//! transactions, the registry rules it shares with the state machine, and its timers.

use bitai_contract::RegistryRules;
use serde::{Deserialize, Serialize};

/// Configuration of the [`crate::BitaiMempool`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most entries accepted and not yet landed; further submissions are refused (`Full`).
    pub max_pending: usize,
    /// While Bitcoin's fee estimate is above this, new entries are refused (the inscriber
    /// would pay it).
    pub max_fee_rate_sat_per_vb: u64,
    /// Whether chains registering `SimulationOnly` proofs are accepted; must equal the state
    /// machine's setting.
    pub allow_simulation_only: bool,
    /// Most chains; must equal the state machine's `max_chains`.
    pub max_chains: u64,
    /// The state machine's `finality_depth`: an entry is kept until its effect is final, so
    /// a reorg that takes it out again finds it still here (and its successors consistent).
    pub finality_depth: u64,
    /// Confirmation target of the fee estimate, in blocks.
    pub fee_target_blocks: u16,
    /// How long to wait for the inscriber's answer before retrying on a later tick.
    pub hand_timeout_ms: u64,
    /// Interval of the self-scheduled tick (retries of hand-offs and deferred proofs); 0: no
    /// self-scheduled tick.
    pub tick_interval_ms: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_pending: 1024,
            max_fee_rate_sat_per_vb: 500,
            allow_simulation_only: false,
            max_chains: 1024,
            finality_depth: 6,
            fee_target_blocks: 6,
            hand_timeout_ms: 5_000,
            tick_interval_ms: 1_000,
        }
    }
}

impl MempoolConfig {
    /// This configuration with the state machine's registry rules and finality depth, which
    /// must match for the two to agree.
    pub fn with_registry_of(mut self, rules: &RegistryRules, finality_depth: u64) -> Self {
        self.allow_simulation_only = rules.allow_simulation_only;
        self.max_chains = rules.max_chains;
        self.finality_depth = finality_depth;
        self
    }

    /// The registry rules (the same the state machine applies).
    pub fn registry_rules(&self) -> RegistryRules {
        RegistryRules {
            allow_simulation_only: self.allow_simulation_only,
            max_chains: self.max_chains,
        }
    }
}
