//! A sequencer's metrics, labelled by chain so several sequencers share one registry:
//! transactions accepted and refused (by reason), pending, blocks, the head, blocks handed
//! to the prover pool and failed hand-offs.

use bitai_protocol::ChainId;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Metrics of one sequencer.
#[derive(Clone, Debug)]
pub struct SequencerMetrics {
    /// Transactions accepted.
    pub txs_accepted: IntCounter,
    /// Transactions refused, by reason.
    pub txs_refused: IntCounterVec,
    /// Transactions accepted and not yet in a block.
    pub pending_txs: IntGauge,
    /// Blocks made.
    pub blocks: IntCounter,
    /// The newest block's number.
    pub head_block: IntGauge,
    /// The newest block the prover pool acknowledged.
    pub handed_through: IntGauge,
    /// Hand-offs that failed (queue full, timeout) and will be retried.
    pub handoff_failures: IntCounter,
    /// Transactions per block.
    pub block_txs: Histogram,
}

impl SequencerMetrics {
    /// New metrics for `chain`, registered in `registry`.
    pub fn new(registry: &Registry, chain: &ChainId) -> Result<Self, prometheus::Error> {
        let label = chain.to_string();
        let opts = |name: &str, help: &str| Opts::new(name, help).const_label("chain", &label);
        let m = SequencerMetrics {
            txs_accepted: IntCounter::with_opts(opts(
                "sequencer_txs_accepted_total",
                "transactions accepted",
            ))?,
            txs_refused: IntCounterVec::new(
                opts(
                    "sequencer_txs_refused_total",
                    "transactions refused, by reason",
                ),
                &["reason"],
            )?,
            pending_txs: IntGauge::with_opts(opts(
                "sequencer_pending_txs",
                "transactions accepted and not yet in a block",
            ))?,
            blocks: IntCounter::with_opts(opts("sequencer_blocks_total", "blocks made"))?,
            head_block: IntGauge::with_opts(opts("sequencer_head_block", "newest block"))?,
            handed_through: IntGauge::with_opts(opts(
                "sequencer_handed_through",
                "newest block the prover pool acknowledged",
            ))?,
            handoff_failures: IntCounter::with_opts(opts(
                "sequencer_handoff_failures_total",
                "hand-offs to the prover pool that failed and will be retried",
            ))?,
            block_txs: Histogram::with_opts(
                HistogramOpts::new("sequencer_block_txs", "transactions per block")
                    .const_label("chain", &label)
                    .buckets(vec![
                        1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0,
                    ]),
            )?,
        };
        registry.register(Box::new(m.txs_accepted.clone()))?;
        registry.register(Box::new(m.txs_refused.clone()))?;
        registry.register(Box::new(m.pending_txs.clone()))?;
        registry.register(Box::new(m.blocks.clone()))?;
        registry.register(Box::new(m.head_block.clone()))?;
        registry.register(Box::new(m.handed_through.clone()))?;
        registry.register(Box::new(m.handoff_failures.clone()))?;
        registry.register(Box::new(m.block_txs.clone()))?;
        Ok(m)
    }

    /// Takes the metrics out of `registry` again (a sequencer that failed to start, so the
    /// chain can be started again in the same process).
    pub fn unregister(&self, registry: &Registry) {
        let _ = registry.unregister(Box::new(self.txs_accepted.clone()));
        let _ = registry.unregister(Box::new(self.txs_refused.clone()));
        let _ = registry.unregister(Box::new(self.pending_txs.clone()));
        let _ = registry.unregister(Box::new(self.blocks.clone()));
        let _ = registry.unregister(Box::new(self.head_block.clone()));
        let _ = registry.unregister(Box::new(self.handed_through.clone()));
        let _ = registry.unregister(Box::new(self.handoff_failures.clone()));
        let _ = registry.unregister(Box::new(self.block_txs.clone()));
    }
}
