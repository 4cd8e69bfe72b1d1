//! What a sequencer answers to, and the answers: users submit signed transfers and ask for
//! their status; operators and the RPC ask for accounts, blocks and the head; the actor
//! sends itself `Tick` to run its block timer and retry hand-offs to the prover pool.

use bitai_chain::poc::{ModelRecord, NeuronRecord, PocOp, PocParams, RequestRecord};
use bitai_chain::stf::{Account, Counters};
use bitai_chain::tx::SignedTransfer;
use bitai_protocol::{ChainId, Hash32};
use ractor::RpcReplyPort;

/// Commands and queries of a [`crate::Sequencer`].
#[derive(Debug)]
pub enum SequencerMsg {
    /// Accept a signed transfer. `Ok(hash)` only once it is persisted; the same transfer
    /// submitted again gets the same hash and is not queued twice.
    Submit {
        /// The transfer.
        tx: SignedTransfer,
        /// Its hash, or why it is refused.
        reply: RpcReplyPort<Result<Hash32, SubmitError>>,
    },
    /// Check the block timer and the hand-off to the prover pool (self-scheduled every
    /// `tick_interval_ms`; the hand-off task sends one when it finishes).
    Tick,
    /// Where a transaction is.
    TxStatus {
        /// Its hash.
        hash: Hash32,
        /// None: unknown to this sequencer.
        reply: RpcReplyPort<Option<L2TxStatus>>,
    },
    /// An account in the state of the newest block (pending transfers not applied).
    Account {
        /// Its index.
        index: u32,
        /// None: no such account.
        reply: RpcReplyPort<Option<Account>>,
    },
    /// A block.
    Block {
        /// Its number (1 is the first).
        number: u64,
        /// None: no such block yet.
        reply: RpcReplyPort<Option<BlockSummary>>,
    },
    /// The sequencer's head.
    Head {
        /// The answer.
        reply: RpcReplyPort<SequencerHead>,
    },
    /// Accept a signed Proof-of-Compute op (settlement parts are refused: the sequencer adds
    /// them). Same contract as `Submit`.
    SubmitOp {
        /// The op.
        op: PocOp,
        /// Its hash, or why it is refused.
        reply: RpcReplyPort<Result<Hash32, SubmitError>>,
    },
    /// Put a model's bytes on DA (before deploying it); answers the DA commitment, which is
    /// SHA-256 of the bytes.
    PutModel {
        /// The canonical model bytes.
        bytes: Vec<u8>,
        /// The commitment.
        reply: RpcReplyPort<Result<Hash32, SubmitError>>,
    },
    /// Open requests where `account` holds a seat.
    Assignments {
        /// The neuron's account.
        account: u32,
        /// `(request id, record)`, by id.
        reply: RpcReplyPort<Vec<(u32, RequestRecord)>>,
    },
    /// A request, with its agreed output once settled.
    Request {
        /// The request id.
        id: u32,
        /// None: no such request.
        reply: RpcReplyPort<Option<RequestView>>,
    },
    /// A request's input bytes.
    RequestInput {
        /// The request id.
        id: u32,
        /// None: no such request.
        reply: RpcReplyPort<Option<Vec<u8>>>,
    },
    /// A model.
    Model {
        /// The model id.
        id: u32,
        /// None: no such model.
        reply: RpcReplyPort<Option<ModelRecord>>,
    },
    /// The next nonce of an account, counting its pending transactions.
    Nonce {
        /// The account.
        account: u32,
        /// None: no such account.
        reply: RpcReplyPort<Option<u64>>,
    },
    /// Every registered neuron.
    Neurons {
        /// The neurons, by account.
        reply: RpcReplyPort<Vec<NeuronView>>,
    },
    /// Proof-of-Compute parameters, counters and models.
    Poc {
        /// The summary.
        reply: RpcReplyPort<PocSummary>,
    },
    /// Where the chain's supply is, as of the newest block.
    Supply {
        /// The accounting.
        reply: RpcReplyPort<Supply>,
    },
}

/// Where a chain's supply is, as of its newest block: `balances + stakes + escrow +
/// fees_burned + slashed` is the genesis supply, and `nonces = transfers + signed_ops`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Supply {
    /// Sum of every balance.
    pub balances: u128,
    /// Stake locked by neurons.
    pub stakes: u128,
    /// Escrow held by open requests.
    pub escrow: u128,
    /// Fees burned.
    pub fees_burned: u128,
    /// Stake slashed (burned).
    pub slashed: u128,
    /// Transfers in blocks.
    pub transfers: u64,
    /// Signed ops in blocks.
    pub signed_ops: u64,
    /// Sum of every account's nonce.
    pub nonces: u64,
}

impl Supply {
    /// Everything the genesis supply became.
    pub fn total(&self) -> u128 {
        self.balances + self.stakes + self.escrow + self.fees_burned + self.slashed
    }
}

/// A request as the sequencer reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestView {
    /// Its id.
    pub id: u32,
    /// Its record as of the newest block.
    pub record: RequestRecord,
    /// Whether every settlement part has run.
    pub settled: bool,
    /// The output bytes of an agreeing seat, once a quorum agreed.
    pub output: Option<Vec<u8>>,
    /// The chain's parameters (for deadlines).
    pub params: PocParams,
}

/// A registered neuron.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeuronView {
    /// Its account.
    pub account: u32,
    /// Stake, rewards, slashing, unbonding.
    pub record: NeuronRecord,
    /// Whether requests are drawn from it.
    pub active: bool,
}

/// A chain's Proof-of-Compute summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PocSummary {
    /// Its parameters.
    pub params: PocParams,
    /// Active neurons, models, requests.
    pub counters: Counters,
    /// Every model, by id.
    pub models: Vec<(u32, ModelRecord)>,
    /// Requests not fully settled.
    pub open_requests: usize,
    /// Op slots per block (0: the chain takes no ops).
    pub max_ops: usize,
}
impl ractor::Message for SequencerMsg {}

/// Where a transaction is, as the sequencer knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L2TxStatus {
    /// Accepted and persisted, not yet in a block.
    Pending,
    /// In this block.
    InBlock(u64),
}

/// A block as the sequencer made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSummary {
    /// Its number.
    pub number: u64,
    /// State root before.
    pub prev_state_root: Hash32,
    /// State root after.
    pub new_state_root: Hash32,
    /// Its DA blob's commitment (what the proof binds).
    pub da_commitment: Hash32,
    /// Its transactions' hashes, in order.
    pub tx_hashes: Vec<Hash32>,
    /// When it was cut, by the sequencer's clock.
    pub created_ms: u64,
    /// Fees its transfers paid (burned).
    pub fees: u64,
    /// Whether the prover pool acknowledged it.
    pub handed_to_prover: bool,
}

/// A sequencer's position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencerHead {
    /// The chain.
    pub chain_id: ChainId,
    /// The newest block (0: none yet).
    pub number: u64,
    /// The state root after it.
    pub state_root: Hash32,
    /// Its DA commitment (the genesis blob's before block 1).
    pub da_commitment: Hash32,
    /// The genesis blob's DA commitment.
    pub genesis_commitment: Hash32,
    /// Transactions accepted and not yet in a block.
    pub pending: usize,
    /// Blocks `1..=handed_through` were acknowledged by the prover pool.
    pub handed_through: u64,
    /// Transfers in blocks `1..=number`.
    pub txs: u64,
    /// Proof-of-Compute ops in blocks `1..=number`.
    pub ops: u64,
    /// Fees burned by blocks `1..=number`.
    pub fees_burned: u64,
}

/// Why a transfer is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// No account at the sender's index.
    #[error("sender account {0} does not exist")]
    UnknownSender(u32),
    /// The nonce is not the sender's next one (counting its pending transfers).
    #[error("nonce {got} is not the next nonce {expected}")]
    BadNonce {
        /// The next nonce.
        expected: u64,
        /// The transfer's.
        got: u64,
    },
    /// The signature does not verify (or is malleated).
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The sender cannot pay (counting its pending transfers).
    #[error("overdraft: {0}")]
    Overdraft(String),
    /// The fee is below the sequencer's minimum.
    #[error("fee {fee} is below the minimum {min_fee}")]
    FeeBelowMinimum {
        /// The transfer's fee.
        fee: u64,
        /// The minimum.
        min_fee: u64,
    },
    /// The fee is over the largest a transfer may sign (`bitai_chain::tx::MAX_FEE`).
    #[error("fee {0} is over the largest fee")]
    FeeTooLarge(u64),
    /// Too many transfers are pending; try again later.
    #[error("too many pending transactions ({0})")]
    TooManyPending(usize),
    /// Too many inference requests are open; try again once some settle.
    #[error("{open} inference requests are open, the most is {max}; try again later")]
    TooManyOpenRequests {
        /// Open now.
        open: usize,
        /// The limit.
        max: usize,
    },
    /// The recipient key is not a valid point.
    #[error("bad recipient key: {0}")]
    BadRecipientKey(String),
    /// The recipient exists with another key.
    #[error("recipient account {0} has a different key")]
    RecipientKeyMismatch(u32),
    /// An account index is beyond the chain's tree.
    #[error("account index out of range: {0}")]
    AccountOutOfRange(String),
    /// A balance or nonce would overflow.
    #[error("overflow: {0}")]
    Overflow(String),
    /// Any other rule of the state transition function.
    #[error("invalid transfer: {0}")]
    Invalid(String),
    /// The sequencer could not persist the transfer; nothing was accepted.
    #[error("storage: {0}")]
    Store(String),
}

impl SubmitError {
    /// A short name of the reason, for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            SubmitError::UnknownSender(_) => "unknown_sender",
            SubmitError::BadNonce { .. } => "bad_nonce",
            SubmitError::BadSignature(_) => "bad_signature",
            SubmitError::Overdraft(_) => "overdraft",
            SubmitError::FeeBelowMinimum { .. } => "fee_below_minimum",
            SubmitError::FeeTooLarge(_) => "fee_too_large",
            SubmitError::TooManyPending(_) => "too_many_pending",
            SubmitError::TooManyOpenRequests { .. } => "too_many_open_requests",
            SubmitError::BadRecipientKey(_) => "bad_recipient_key",
            SubmitError::RecipientKeyMismatch(_) => "recipient_key_mismatch",
            SubmitError::AccountOutOfRange(_) => "account_out_of_range",
            SubmitError::Overflow(_) => "overflow",
            SubmitError::Invalid(_) => "invalid",
            SubmitError::Store(_) => "store",
        }
    }

    /// The refusal for an error of the state transition function.
    pub fn from_stf(e: &bitai_chain::stf::StfError) -> Self {
        use bitai_chain::stf::StfError as E;
        match e {
            E::UnknownSender(i) => SubmitError::UnknownSender(*i),
            E::BadNonce { expected, got } => SubmitError::BadNonce {
                expected: *expected,
                got: *got,
            },
            E::BadSignature(s) => SubmitError::BadSignature(s.to_string()),
            E::Overdraft { .. } => SubmitError::Overdraft(e.to_string()),
            E::FeeTooLarge { fee } => SubmitError::FeeTooLarge(*fee),
            E::BadRecipientKey(p) => SubmitError::BadRecipientKey(p.to_string()),
            E::RecipientKeyMismatch(i) => SubmitError::RecipientKeyMismatch(*i),
            E::BalanceOverflow | E::NonceExhausted => SubmitError::Overflow(e.to_string()),
            E::Tree(t) => SubmitError::AccountOutOfRange(t.to_string()),
            E::InBlock { source, .. } => SubmitError::from_stf(source),
            _ => SubmitError::Invalid(e.to_string()),
        }
    }
}
