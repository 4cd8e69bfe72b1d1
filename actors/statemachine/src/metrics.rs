//! The state machine's metrics: blocks applied and undone, transactions accepted and rejected
//! by kind and reason, chains registered.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Metrics of the state machine.
#[derive(Clone, Debug)]
pub struct StateMachineMetrics {
    /// Bitcoin blocks applied.
    pub blocks_connected: IntCounter,
    /// Bitcoin blocks undone.
    pub blocks_disconnected: IntCounter,
    /// BitAI transactions executed, by kind.
    pub accepted: IntCounterVec,
    /// BitAI transactions rejected, by kind and reason.
    pub rejected: IntCounterVec,
    /// Chains registered.
    pub chains: IntGauge,
}

impl StateMachineMetrics {
    /// New metrics, registered in `registry`.
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let m = StateMachineMetrics {
            blocks_connected: IntCounter::new(
                "statemachine_blocks_connected_total",
                "Bitcoin blocks applied",
            )?,
            blocks_disconnected: IntCounter::new(
                "statemachine_blocks_disconnected_total",
                "Bitcoin blocks undone by a reorg",
            )?,
            accepted: IntCounterVec::new(
                Opts::new("statemachine_accepted_total", "BitAI transactions executed"),
                &["kind"],
            )?,
            rejected: IntCounterVec::new(
                Opts::new("statemachine_rejected_total", "BitAI transactions rejected"),
                &["kind", "reason"],
            )?,
            chains: IntGauge::new("statemachine_chains", "chains registered")?,
        };
        registry.register(Box::new(m.blocks_connected.clone()))?;
        registry.register(Box::new(m.blocks_disconnected.clone()))?;
        registry.register(Box::new(m.accepted.clone()))?;
        registry.register(Box::new(m.rejected.clone()))?;
        registry.register(Box::new(m.chains.clone()))?;
        Ok(m)
    }
}
