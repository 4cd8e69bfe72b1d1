//! What the inscriber reports about itself (for the node's RPC).

use crate::records::Stage;
use bitcoin::Txid;

/// One live batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStatus {
    /// Its id.
    pub id: u64,
    /// Its stage.
    pub stage: Stage,
    /// Envelopes it carries.
    pub envelopes: usize,
    /// Signed versions (1 + replacements).
    pub versions: usize,
    /// CPFP children signed.
    pub children: usize,
    /// The active commit.
    pub commit_txid: Txid,
    /// The active reveal.
    pub reveal_txid: Txid,
    /// Fee rate of the active version, sat/kvB.
    pub fee_rate_sat_per_kvb: u64,
    /// Height of the block holding the reveal.
    pub reveal_height: Option<u64>,
}

/// The inscriber's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InscriberStatus {
    /// The wallet's address (fund it here).
    pub address: String,
    /// Height of the last block applied.
    pub tip_height: u64,
    /// Requests waiting for a batch.
    pub queued: usize,
    /// Batches final so far.
    pub final_batches: u64,
    /// Spendable confirmed balance, sat.
    pub spendable_sat: u64,
    /// Batches not yet final.
    pub batches: Vec<BatchStatus>,
}
