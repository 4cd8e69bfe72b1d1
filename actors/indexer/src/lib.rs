//! The indexer: follows the Bitcoin chain through the [`bitai_bitcoin::BitcoinPort`] from a
//! configured start height, detects reorgs by parent hash, extracts the BitAI transactions
//! from each block's ord envelopes, and emits [`IndexerEvent::BlockConnected`] and
//! [`IndexerEvent::BlockDisconnected`] in chain order to one consumer.
//!
//! Delivery is at-least-once with idempotent consumers, which makes it exactly-once net of
//! disconnections: the indexer persists a block as delivered only when the consumer
//! acknowledges it by height (after the consumer persisted its own effects), replays from the
//! last acknowledged block after any restart or silence, and the consumer's
//! [`ConsumerCursor`] recognises and acknowledges what it already applied.

mod actor;
mod config;
mod cursor;
mod extract;
mod metrics;
mod txid;

pub use actor::{Indexer, IndexerArgs, IndexerState};
pub use config::IndexerConfig;
pub use cursor::DEFAULT_KEYSPACE;
pub use extract::{
    decode_block, extract_bitai_txs, index_block, index_block_watching, BlockDecodeError,
    Extracted, RejectedEnvelope,
};
pub use metrics::IndexerMetrics;
pub use txid::{check_merkle_root, txid, txids};

#[cfg(test)]
mod tests;
