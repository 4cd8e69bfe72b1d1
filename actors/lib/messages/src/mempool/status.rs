//! What the mempool reports: its pending entries in acceptance order, how far each chain's
//! accepted proofs reach, and its last refusals and evictions.

use bitai_protocol::{ChainId, Hash32};
use std::collections::{BTreeMap, VecDeque};

/// How many rejections the status keeps (the newest).
pub const REJECTIONS_KEPT: usize = 256;

/// The mempool's state as reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MempoolStatus {
    /// Entries accepted and not yet landed, in acceptance order.
    pub pending: Vec<PendingEntry>,
    /// Per chain, the last L2 block number the projection reaches (the verified block if
    /// nothing is pending for it).
    pub accepted_through: BTreeMap<ChainId, u64>,
    /// The last [`REJECTIONS_KEPT`] refusals and evictions, oldest first.
    pub rejected: VecDeque<MempoolRejection>,
    /// Proofs from the prover pool waiting for a transient refusal (fee rate, room) to
    /// clear.
    pub deferred: usize,
}

/// A pending entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// Acceptance order.
    pub seq: u64,
    /// SHA-256 of the encoded transaction.
    pub id: Hash32,
    /// `create_chain` or `submit_proof`.
    pub kind: &'static str,
    /// The chain it names (a new chain's id for `create_chain`).
    pub chain: ChainId,
    /// The L2 block of a `submit_proof`.
    pub block: Option<u64>,
    /// Whether the inscriber acknowledged it.
    pub handed: bool,
}

/// A refused submission or an evicted entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolRejection {
    /// SHA-256 of the encoded transaction (None if it does not encode).
    pub id: Option<Hash32>,
    /// Its kind.
    pub kind: &'static str,
    /// The chain it names.
    pub chain: Option<ChainId>,
    /// The L2 block of a `submit_proof`.
    pub block: Option<u64>,
    /// Why, in words.
    pub reason: String,
    /// Why, as a metric label.
    pub label: &'static str,
    /// True for an accepted entry evicted because a new view made it invalid.
    pub evicted: bool,
}
