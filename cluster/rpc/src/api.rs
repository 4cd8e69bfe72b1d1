//! What the node answers: the [`NodeApi`] trait the JSON-RPC server calls, one async method
//! per RPC method, and [`ApiError`], the typed failures that become JSON-RPC error codes.
//! The node implements the trait over its actors (sequencers, state machine view, mempool,
//! prover pool, inscriber); the server only parses, checks and maps, so the same trait can
//! be served, tested against a double, or called in process.

use super::genesis::GenesisSpec;
use super::poc_types::{NeuronInfo, PocInfo, RequestInfo};
use super::types::{
    AccountInfo, BlockProof, ChainInfo, ChainKey, CircuitKey, InscriptionJob, L2Block,
    MempoolEntry, ProverJob, TxStatus,
};
use bitai_chain::tx::SignedTransfer;
use bitai_protocol::{ChainId, Hash32};
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};

/// The JSON-RPC method names.
pub mod method {
    /// Submit a signed AI-chain transfer to the chain's sequencer.
    pub const SEND_TRANSACTION: &str = "bitai_sendTransaction";
    /// A transaction's stage.
    pub const GET_TRANSACTION_STATUS: &str = "bitai_getTransactionStatus";
    /// An L2 block.
    pub const GET_BLOCK: &str = "bitai_getBlock";
    /// An account.
    pub const GET_ACCOUNT: &str = "bitai_getAccount";
    /// Every chain the BitAI side knows.
    pub const LIST_CHAINS: &str = "bitai_listChains";
    /// One chain.
    pub const GET_CHAIN: &str = "bitai_getChain";
    /// The verifying key of the node's provers for one block size.
    pub const GET_CIRCUIT_KEY: &str = "bitai_getCircuitKey";
    /// Register a new chain (CreateChain + genesis).
    pub const CREATE_CHAIN: &str = "bitai_createChain";
    /// Submit any encoded BitAI transaction to the mempool.
    pub const SUBMIT_BITAI_TX: &str = "bitai_submitBitaiTx";
    /// Blocks in the prover pool.
    pub const PROVER_JOBS: &str = "bitai_proverJobs";
    /// The inscriber's live batches.
    pub const INSCRIPTIONS: &str = "bitai_inscriptions";
    /// The BitAI mempool.
    pub const MEMPOOL: &str = "bitai_mempool";
    /// Submit a signed Proof-of-Compute op to the chain's sequencer.
    pub const SUBMIT_POC_OP: &str = "bitai_submitPocOp";
    /// Put a model's bytes on DA for a chain.
    pub const PUT_MODEL: &str = "bitai_putModel";
    /// An inference request.
    pub const GET_REQUEST: &str = "bitai_getRequest";
    /// An inference request's input bytes.
    pub const GET_REQUEST_INPUT: &str = "bitai_getRequestInput";
    /// A model's bytes, by hash, from DA.
    pub const GET_MODEL_BYTES: &str = "bitai_getModelBytes";
    /// A chain's registered neurons.
    pub const LIST_NEURONS: &str = "bitai_listNeurons";
    /// A chain's Proof-of-Compute summary.
    pub const GET_POC_SUMMARY: &str = "bitai_getPocSummary";
    /// Open requests where an account holds a seat.
    pub const GET_ASSIGNMENTS: &str = "bitai_getAssignments";
    /// An account's next nonce, counting its pending transactions.
    pub const GET_NONCE: &str = "bitai_getNonce";
    /// A verified block's proof, public inputs and Bitcoin transaction.
    pub const GET_BLOCK_PROOF: &str = "bitai_getBlockProof";
    /// The verifying key a chain registered, with its `CreateChain`.
    pub const GET_CHAIN_KEY: &str = "bitai_getChainKey";

    /// Every method, in the order `docs/rpc.md` lists them.
    pub const ALL: [&str; 23] = [
        SEND_TRANSACTION,
        GET_TRANSACTION_STATUS,
        GET_BLOCK,
        GET_ACCOUNT,
        LIST_CHAINS,
        GET_CHAIN,
        GET_CIRCUIT_KEY,
        GET_BLOCK_PROOF,
        GET_CHAIN_KEY,
        CREATE_CHAIN,
        SUBMIT_BITAI_TX,
        PROVER_JOBS,
        INSCRIPTIONS,
        MEMPOOL,
        SUBMIT_POC_OP,
        PUT_MODEL,
        GET_REQUEST,
        GET_REQUEST_INPUT,
        GET_MODEL_BYTES,
        LIST_NEURONS,
        GET_POC_SUMMARY,
        GET_ASSIGNMENTS,
        GET_NONCE,
    ];
}

/// JSON-RPC error codes of [`ApiError`] (the -32xxx ones are the protocol's own; jsonrpsee
/// uses -32000..-32011 for transport limits, so ours sit outside the reserved range).
pub mod code {
    /// Bad params: bad hex, wrong length, undecodable bytes, inconsistent values.
    pub const INVALID_PARAMS: i32 = -32602;
    /// Something the request names does not exist here (a chain, a block).
    pub const NOT_FOUND: i32 = 4004;
    /// The chain's sequencer refused the transaction (signature, nonce, balance, fee...).
    pub const SEQUENCER_REJECTED: i32 = 4010;
    /// The transfer is known already (resubmitted): the message says its stage; follow its
    /// hash. Nothing changed.
    pub const ALREADY_KNOWN: i32 = 4009;
    /// The BitAI mempool refused the transaction (unknown chain, bad proof, duplicate...).
    pub const MEMPOOL_REJECTED: i32 = 4011;
    /// A queue is full; the same request may succeed later.
    pub const BUSY: i32 = 4029;
    /// The part of the node that would answer is not running here.
    pub const UNAVAILABLE: i32 = 4503;
    /// The node failed (storage, a stopped actor).
    pub const INTERNAL: i32 = -32603;
}

/// Why a call failed; each variant is one JSON-RPC error code (see [`code`]) whose message
/// is the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Bad params (-32602).
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// Not found (4004).
    #[error("not found: {0}")]
    NotFound(String),
    /// Refused by the sequencer (4010).
    #[error("rejected by the sequencer: {0}")]
    SequencerRejected(String),
    /// The transfer is known already (4009): resubmitted, nothing changed.
    #[error("already known: {0}")]
    AlreadyKnown(String),
    /// Refused by the mempool (4011).
    #[error("rejected by the mempool: {0}")]
    MempoolRejected(String),
    /// A queue is full (4029).
    #[error("busy: {0}")]
    Busy(String),
    /// The answering role is not running on this node (4503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The node failed (-32603).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            ApiError::InvalidParams(_) => code::INVALID_PARAMS,
            ApiError::NotFound(_) => code::NOT_FOUND,
            ApiError::SequencerRejected(_) => code::SEQUENCER_REJECTED,
            ApiError::AlreadyKnown(_) => code::ALREADY_KNOWN,
            ApiError::MempoolRejected(_) => code::MEMPOOL_REJECTED,
            ApiError::Busy(_) => code::BUSY,
            ApiError::Unavailable(_) => code::UNAVAILABLE,
            ApiError::Internal(_) => code::INTERNAL,
        }
    }

    /// The reason, without the class prefix (the JSON-RPC error message).
    pub fn reason(&self) -> &str {
        match self {
            ApiError::InvalidParams(r)
            | ApiError::NotFound(r)
            | ApiError::SequencerRejected(r)
            | ApiError::AlreadyKnown(r)
            | ApiError::MempoolRejected(r)
            | ApiError::Busy(r)
            | ApiError::Unavailable(r)
            | ApiError::Internal(r) => r,
        }
    }

    /// The error a JSON-RPC error object stands for, when its code is one of ours.
    pub fn from_code(code: i32, message: &str) -> Option<Self> {
        let m = message.to_owned();
        Some(match code {
            code::INVALID_PARAMS => ApiError::InvalidParams(m),
            code::NOT_FOUND => ApiError::NotFound(m),
            code::SEQUENCER_REJECTED => ApiError::SequencerRejected(m),
            code::ALREADY_KNOWN => ApiError::AlreadyKnown(m),
            code::MEMPOOL_REJECTED => ApiError::MempoolRejected(m),
            code::BUSY => ApiError::Busy(m),
            code::UNAVAILABLE => ApiError::Unavailable(m),
            code::INTERNAL => ApiError::Internal(m),
            _ => return None,
        })
    }
}

impl ApiError {
    /// The answer to a resubmitted transfer: its hash and stage, in the message and (as
    /// `{hash, stage}`) in the error's `data`.
    pub fn already_known(hash: Hash32, stage: super::types::Stage) -> Self {
        ApiError::AlreadyKnown(format!(
            "transfer {hash} is already known: {}",
            stage.name()
        ))
    }

    /// `{hash, stage}` of an [`ApiError::already_known`] message.
    fn known_data(reason: &str) -> Option<serde_json::Value> {
        let rest = reason.strip_prefix("transfer ")?;
        let (hash, stage) = rest.split_once(" is already known: ")?;
        Some(serde_json::json!({"hash": hash, "stage": stage}))
    }
}

impl From<ApiError> for ErrorObjectOwned {
    fn from(e: ApiError) -> Self {
        let data = match &e {
            ApiError::AlreadyKnown(r) => ApiError::known_data(r),
            _ => None,
        };
        ErrorObject::owned(e.code(), e.reason(), data)
    }
}

/// The node as the JSON-RPC server sees it. Every byte argument has passed the server's
/// checks (sizes, and decoding where the server can decode it); implementations still own
/// the semantic checks (signature, nonce, chain state).
#[async_trait::async_trait]
pub trait NodeApi: Send + Sync + 'static {
    /// Hands a signed transfer (decoded once, by the server) to `chain`'s sequencer; Ok once
    /// it is persisted, with the transaction hash (SHA-256 of `SignedTransfer::to_bytes()`).
    /// A transfer the chain already has is [`ApiError::AlreadyKnown`], naming its stage.
    async fn send_transaction(
        &self,
        chain: ChainId,
        tx: SignedTransfer,
    ) -> Result<Hash32, ApiError>;
    /// Where a transaction stands (`Stage::Unknown` when never seen).
    async fn transaction_status(&self, hash: Hash32) -> Result<TxStatus, ApiError>;
    /// An L2 block of a chain this node sequences.
    async fn block(&self, chain: ChainId, number: u64) -> Result<Option<L2Block>, ApiError>;
    /// An account of a chain this node sequences, as of the sequencer's head.
    async fn account(&self, chain: ChainId, index: u32) -> Result<Option<AccountInfo>, ApiError>;
    /// Every chain registered on the BitAI side.
    async fn chains(&self) -> Result<Vec<ChainInfo>, ApiError>;
    /// One chain (None: not registered, nor pending registration here).
    async fn chain(&self, chain: ChainId) -> Result<Option<ChainInfo>, ApiError>;
    /// The proof system and verifying key the node's provers use for blocks of
    /// `max_block_txs` transactions.
    async fn circuit_key(&self, max_block_txs: u32) -> Result<CircuitKey, ApiError>;
    /// The proof of verified block `number` of `chain` (None: not verified on the current
    /// Bitcoin chain).
    async fn block_proof(
        &self,
        chain: ChainId,
        number: u64,
    ) -> Result<Option<BlockProof>, ApiError>;
    /// The verifying key `chain` registered (None: no such chain).
    async fn chain_key(&self, chain: ChainId) -> Result<Option<ChainKey>, ApiError>;
    /// Registers a chain: `create` is an encoded `BitaiTx::CreateChain` (the server checked
    /// that it decodes and that `genesis` has its root and block size); the node starts a
    /// sequencer from `genesis` and submits `create` to its mempool. Returns the chain id.
    async fn create_chain(
        &self,
        create: Vec<u8>,
        genesis: GenesisSpec,
    ) -> Result<ChainId, ApiError>;
    /// Submits an encoded BitAI transaction (checked to decode) to the mempool; its id.
    async fn submit_bitai_tx(&self, tx: Vec<u8>) -> Result<Hash32, ApiError>;
    /// Blocks in the prover pool.
    async fn prover_jobs(&self) -> Result<Vec<ProverJob>, ApiError>;
    /// The inscriber's live batches.
    async fn inscriptions(&self) -> Result<Vec<InscriptionJob>, ApiError>;
    /// The BitAI mempool's entries.
    async fn mempool(&self) -> Result<Vec<MempoolEntry>, ApiError>;

    /// Hands a signed op (`PocOp::to_bytes`, checked by the server to decode as a signed
    /// op, not a settlement part) to `chain`'s sequencer; Ok once persisted, with the op id
    /// (SHA-256 of the bytes).
    async fn submit_poc_op(&self, chain: ChainId, op: Vec<u8>) -> Result<Hash32, ApiError>;
    /// Puts model bytes (checked by the server to decode as a model) on DA for `chain`;
    /// the commitment, which is the model's hash.
    async fn put_model(&self, chain: ChainId, model: Vec<u8>) -> Result<Hash32, ApiError>;
    /// Request `id` of `chain` (None: no such request).
    async fn request(&self, chain: ChainId, id: u32) -> Result<Option<RequestInfo>, ApiError>;
    /// Request `id`'s input bytes (None: no such request).
    async fn request_input(&self, chain: ChainId, id: u32) -> Result<Option<Vec<u8>>, ApiError>;
    /// The bytes committed to by `hash` on this node's DA (None: not there).
    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, ApiError>;
    /// `chain`'s registered neurons, by account.
    async fn neurons(&self, chain: ChainId) -> Result<Vec<NeuronInfo>, ApiError>;
    /// `chain`'s Proof-of-Compute summary.
    async fn poc_summary(&self, chain: ChainId) -> Result<PocInfo, ApiError>;
    /// Open requests of `chain` where `account` holds a seat, by id.
    async fn assignments(&self, chain: ChainId, account: u32)
        -> Result<Vec<RequestInfo>, ApiError>;
    /// `account`'s next nonce on `chain`, counting its pending transactions (None: no such
    /// account).
    async fn nonce(&self, chain: ChainId, account: u32) -> Result<Option<u64>, ApiError>;
}
