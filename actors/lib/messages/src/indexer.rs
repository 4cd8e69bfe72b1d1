//! The indexer's interface: what it says (events to its consumer, in chain order) and what it
//! hears (acknowledgements, polls, status requests), the consumer's side of the delivery
//! contract ([`ConsumerCursor`]) and the watch filter a wallet shares with its indexer.

mod consumer;
mod watch;

use bitai_protocol::BitaiTx;
use bitcoin::{BlockHash, Txid};
pub use consumer::{ConsumerCursor, Delivery};
use ractor::RpcReplyPort;
pub use watch::{WatchFilter, WatchedTx};

/// A BitAI transaction found in a block, where it was found, and who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedTx {
    /// The reveal transaction carrying the envelope.
    pub txid: Txid,
    /// Position of the reveal transaction in the block.
    pub tx_index: u32,
    /// Input of the reveal whose tapscript holds the envelope.
    pub input: u32,
    /// Index of the envelope within that input.
    pub offset: u32,
    /// The x-only key of the tapscript's leading `<key> OP_CHECKSIG`: the key whose signature
    /// Bitcoin checked when it accepted the reveal, which authenticates the sender.
    pub sender: Option<[u8; 32]>,
    /// The decoded transaction.
    pub tx: BitaiTx,
}

/// A block joined the indexed chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedBlock {
    /// Its height.
    pub height: u64,
    /// Its hash.
    pub hash: BlockHash,
    /// Its parent's hash.
    pub prev_hash: BlockHash,
    /// Header time (Unix seconds).
    pub time: u32,
    /// The BitAI transactions in block order (then input, then envelope order).
    pub bitai_txs: Vec<IndexedTx>,
    /// The transactions matching the indexer's watch filter, in block order (empty without
    /// a filter).
    pub watched_txs: Vec<WatchedTx>,
}

/// What the indexer tells its consumer, in chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexerEvent {
    /// A block was connected on top of the previously delivered tip.
    BlockConnected(ConnectedBlock),
    /// The delivered tip was reorged out; undo it.
    BlockDisconnected {
        /// Its height.
        height: u64,
        /// Its hash.
        hash: BlockHash,
    },
}

impl IndexerEvent {
    /// Height and hash the event is about (and that its acknowledgement names).
    pub fn id(&self) -> (u64, BlockHash) {
        match self {
            IndexerEvent::BlockConnected(b) => (b.height, b.hash),
            IndexerEvent::BlockDisconnected { height, hash } => (*height, *hash),
        }
    }

    /// The acknowledgement of this event.
    pub fn ack(&self) -> Ack {
        let (height, hash) = self.id();
        Ack { height, hash }
    }
}

/// A consumer's acknowledgement: it has durably applied (or recognised as already applied)
/// the event about `height` and `hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// Height of the event.
    pub height: u64,
    /// Block hash of the event.
    pub hash: BlockHash,
}

/// The indexer's state as reported to operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexerStatus {
    /// The last block the consumer acknowledged as connected.
    pub acked_tip: Option<(u64, BlockHash)>,
    /// Events emitted and not acknowledged.
    pub in_flight: usize,
    /// Blocks connected since start (including redeliveries of unacknowledged ones).
    pub connected_total: u64,
    /// Blocks disconnected since start.
    pub disconnected_total: u64,
}

/// Messages to the indexer.
pub enum IndexerMsg {
    /// Look for new blocks (self-scheduled).
    Poll,
    /// The consumer acknowledges an event.
    Acked(Ack),
    /// Report status.
    Status(RpcReplyPort<IndexerStatus>),
}

impl ractor::Message for IndexerMsg {}

impl From<Ack> for IndexerMsg {
    fn from(ack: Ack) -> Self {
        IndexerMsg::Acked(ack)
    }
}
