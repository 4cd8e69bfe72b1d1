//! The indexer's configuration (the `[indexer]` table of a node config).

use serde::Deserialize;

/// How the indexer follows the chain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexerConfig {
    /// First Bitcoin height to index (blocks below it are never read). Default 0.
    pub start_height: u64,
    /// How often to ask the node for a new tip when caught up, in ms. Default 1000.
    pub poll_interval_ms: u64,
    /// Deepest reorg handled; a deeper one stops the indexer with an error, never silently.
    /// Also how many recent block hashes are kept. Default 100.
    pub reorg_depth_max: u32,
    /// Events emitted and not yet acknowledged, at most. Default 16.
    pub max_in_flight: u32,
    /// Re-emit unacknowledged events after this long without an acknowledgement, in ms (a
    /// consumer that crashed lost its mailbox). Default 10000.
    pub redeliver_after_ms: u64,
    /// Largest raw block accepted from the node, in bytes. Default 4,000,000 (a block's
    /// serialized size cannot exceed its weight limit).
    pub max_block_bytes: usize,
    /// Check each block's merkle root against its transactions. Default true: a node
    /// answering over RPC is outside input.
    pub check_merkle_root: bool,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        Self {
            start_height: 0,
            poll_interval_ms: 1000,
            reorg_depth_max: 100,
            max_in_flight: 16,
            redeliver_after_ms: 10_000,
            max_block_bytes: 4_000_000,
            check_merkle_root: true,
        }
    }
}
