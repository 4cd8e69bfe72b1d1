//! The state machine's interface: what it hears ([`StateMachineMsg`]: the indexer's events,
//! lookups) and what it publishes after every applied event: a [`StateView`] of the Bitcoin
//! tip it has applied, every registered chain with its verified and final heads, and the last
//! rejected BitAI transactions. The mempool projects from it; RPC and the devnet read it.

use crate::indexer::IndexerEvent;
use bitai_protocol::{ChainId, CreateChain, Hash32};
use bitcoin::{BlockHash, Txid};
use ractor::RpcReplyPort;
use std::collections::{BTreeMap, VecDeque};

/// How many rejections the view keeps (the newest).
pub const REJECTED_KEPT: usize = 256;

/// The state machine's state as of its last applied event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateView {
    /// The last applied Bitcoin block (height, hash); `None` before the first.
    pub tip: Option<(u64, BlockHash)>,
    /// Every registered chain.
    pub chains: BTreeMap<ChainId, ChainView>,
    /// The last [`REJECTED_KEPT`] rejected BitAI transactions, oldest first (including those
    /// in blocks a reorg later removed: this is a log, not state).
    pub rejected: VecDeque<Rejection>,
}

impl StateView {
    /// The chain `id`, if registered.
    pub fn chain(&self, id: &ChainId) -> Option<&ChainView> {
        self.chains.get(id)
    }
}

/// A registered chain as the state machine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainView {
    /// Its registration (verifying key included: the mempool verifies against it).
    pub create: CreateChain,
    /// Height of the Bitcoin block that registered it.
    pub created_height: u64,
    /// The reveal transaction that registered it.
    pub created_txid: Txid,
    /// The last verified L2 block (0: genesis).
    pub verified_block: u64,
    /// The verified state root (the genesis root until block 1 is verified).
    pub verified_root: Hash32,
    /// The last final L2 block: verified in a Bitcoin block with `finality_depth`
    /// confirmations (0: genesis).
    pub final_block: u64,
    /// The final state root.
    pub final_root: Hash32,
}

/// An L2 block the verifier contract accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBlock {
    /// L2 block number.
    pub number: u64,
    /// State root before it.
    pub prev_root: Hash32,
    /// State root after it.
    pub new_root: Hash32,
    /// Its DA commitment.
    pub da_commitment: Hash32,
    /// Height of the Bitcoin block carrying the proof.
    pub bitcoin_height: u64,
    /// The reveal transaction carrying the proof.
    pub bitcoin_txid: Txid,
    /// The proof bytes the `SubmitProof` carried (empty for a block verified before the
    /// state machine kept them).
    pub proof: Vec<u8>,
}

/// A BitAI transaction the state machine refused (with no effect on the state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Height of the Bitcoin block carrying it.
    pub bitcoin_height: u64,
    /// Its reveal transaction.
    pub txid: Txid,
    /// Its kind (`create_chain`, `submit_proof`, ...).
    pub kind: &'static str,
    /// The chain it named (the new chain's id for a `CreateChain`).
    pub chain: Option<ChainId>,
    /// Why, in words.
    pub reason: String,
    /// Why, as a metric label (`wrong_prev_root`, `proof_invalid`, ...).
    pub label: &'static str,
}

/// Messages to the state machine.
pub enum StateMachineMsg {
    /// An event of the indexer.
    Chain(IndexerEvent),
    /// The verified L2 block `number` of `chain` on the current Bitcoin chain.
    VerifiedBlock {
        /// The chain.
        chain: ChainId,
        /// The L2 block number.
        number: u64,
        /// The answer (None: not verified, or the lookup failed).
        reply: RpcReplyPort<Option<VerifiedBlock>>,
    },
    /// The digest of the state (`bitai_statemachine::StateMachineEngine::state_digest`), for the reorg oracle (None: the
    /// store could not be read).
    StateDigest {
        /// The answer.
        reply: RpcReplyPort<Option<Hash32>>,
    },
}

impl ractor::Message for StateMachineMsg {}

impl From<IndexerEvent> for StateMachineMsg {
    fn from(event: IndexerEvent) -> Self {
        StateMachineMsg::Chain(event)
    }
}
