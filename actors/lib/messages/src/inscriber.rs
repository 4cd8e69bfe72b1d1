//! The inscriber's interface: what it hears ([`InscriberMsg`]: inscription requests from the
//! mempool, its indexer's events, ticks, status requests), what it answers
//! ([`InscribeOutcome`]) and what it reports about itself (for the node's RPC).

use crate::indexer::IndexerEvent;
use bitcoin::Txid;
use ractor::RpcReplyPort;
use serde::{Deserialize, Serialize};

/// A request's id: chosen by the sender (the BitAI mempool uses the transaction's hash).
pub type RequestId = [u8; 32];

/// One live batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStatus {
    /// Its id.
    pub id: u64,
    /// Its stage.
    pub stage: BatchStage,
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

/// Messages to the inscriber.
pub enum InscriberMsg {
    /// Inscribe `payload` (an encoded BitAI transaction); stored before the reply.
    Inscribe {
        /// The request's id (idempotency key).
        id: RequestId,
        /// The encoded BitAI transaction.
        payload: Vec<u8>,
        /// Where to answer (accepted, duplicate, or why not).
        reply: Option<RpcReplyPort<Result<InscribeOutcome, String>>>,
    },
    /// An event of the inscriber's indexer.
    Chain(IndexerEvent),
    /// Look at the batches (self-scheduled).
    Tick,
    /// Report the batches.
    Status(RpcReplyPort<InscriberStatus>),
    /// The live batch carrying request `id` (None: queued, unknown, or its batch is final).
    Carrier {
        /// The request.
        id: RequestId,
        /// The answer.
        reply: RpcReplyPort<Option<Carrier>>,
    },
}

/// The batch carrying a request: where a user's proof is on Bitcoin before it is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carrier {
    /// The batch.
    pub batch_id: u64,
    /// The batch's stage.
    pub stage: BatchStage,
    /// The active reveal, which holds the request's envelope.
    pub reveal_txid: bitcoin::Txid,
    /// Height of the block holding the reveal, once mined.
    pub reveal_height: Option<u64>,
}

impl ractor::Message for InscriberMsg {}

impl From<IndexerEvent> for InscriberMsg {
    fn from(event: IndexerEvent) -> Self {
        InscriberMsg::Chain(event)
    }
}

/// The answer to an inscription request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InscribeOutcome {
    /// Stored; it will be inscribed.
    Accepted,
    /// A request with this id was accepted before; nothing changed.
    Duplicate,
}

/// Where a batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BatchStage {
    /// Its pair is signed and stored; nothing broadcast yet.
    Signed,
    /// Broadcast; not (yet) seen in the mempool as a whole.
    Broadcast,
    /// Commit and reveal are in the mempool or confirmed.
    InMempool,
    /// The reveal is in a block of the best chain.
    Confirmed,
    /// The reveal has `finality_depth` confirmations.
    Final,
}
