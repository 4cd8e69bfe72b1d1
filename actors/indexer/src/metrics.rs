//! Prometheus metrics of the indexer.

use prometheus::{IntCounter, IntGauge, Registry};

/// The indexer's metrics, registered in the node's registry.
#[derive(Clone)]
pub struct IndexerMetrics {
    /// Blocks emitted as connected.
    pub blocks_connected: IntCounter,
    /// Blocks emitted as disconnected.
    pub blocks_disconnected: IntCounter,
    /// BitAI transactions extracted.
    pub bitai_txs: IntCounter,
    /// Envelopes marked BitAI whose body did not decode.
    pub envelopes_rejected: IntCounter,
    /// Blocks the node sent that did not decode or check.
    pub bad_blocks: IntCounter,
    /// Calls to the node that failed.
    pub port_errors: IntCounter,
    /// Height of the last acknowledged block.
    pub acked_height: IntGauge,
}

impl IndexerMetrics {
    /// Creates the metrics and registers them in `registry` (ignoring duplicates, so a
    /// restarted indexer can register again).
    pub fn new(registry: &Registry) -> Self {
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("metric names are valid");
            let _ = registry.register(Box::new(c.clone()));
            c
        };
        let acked_height = IntGauge::new(
            "bitai_indexer_acked_height",
            "height of the last acknowledged block",
        )
        .expect("metric names are valid");
        let _ = registry.register(Box::new(acked_height.clone()));
        Self {
            blocks_connected: counter("bitai_indexer_blocks_connected_total", "blocks connected"),
            blocks_disconnected: counter(
                "bitai_indexer_blocks_disconnected_total",
                "blocks disconnected by reorgs",
            ),
            bitai_txs: counter(
                "bitai_indexer_bitai_txs_total",
                "BitAI transactions extracted",
            ),
            envelopes_rejected: counter(
                "bitai_indexer_envelopes_rejected_total",
                "BitAI envelopes whose body did not decode",
            ),
            bad_blocks: counter(
                "bitai_indexer_bad_blocks_total",
                "blocks that did not decode",
            ),
            port_errors: counter(
                "bitai_indexer_port_errors_total",
                "failed calls to the node",
            ),
            acked_height,
        }
    }
}
