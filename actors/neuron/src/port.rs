//! The port through which a neuron sees its chain: the head, its assignments, models and
//! request inputs (from the state and DA), its nonce, and a way to submit signed ops.
//!
//! The node implements [`ChainPort`] over its sequencer; tests use `testing::TestChain`
//! (feature `testing`), a port over a real state transition. Everything a port returns is
//! treated as outside input: model bytes and request inputs are checked against the hashes
//! the chain holds before they are used.

use async_trait::async_trait;
use bitai_chain::poc::{ModelRecord, PocOp, PocParams, RequestRecord};
use bitai_protocol::Hash32;

/// Why a port call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NeuronPortError {
    /// The chain could not be reached or did not answer (retry later).
    #[error("chain unavailable: {0}")]
    Unavailable(String),
    /// The sequencer refused a submitted op; the reason is the sequencer's.
    #[error("refused: {0}")]
    Refused(String),
    /// The chain answered something that cannot be right (a bug or a hostile peer).
    #[error("invalid answer: {0}")]
    Invalid(String),
}

impl NeuronPortError {
    /// Whether this is a refusal because the seat already did what the op asks: the op (or
    /// an earlier copy of it) is on the chain, so the neuron counts it as done. Matches the
    /// state transition's reasons `seat N has already committed` and `... already revealed`.
    pub fn already_done(&self) -> bool {
        match self {
            NeuronPortError::Refused(reason) => {
                reason.contains("already committed") || reason.contains("already revealed")
            }
            _ => false,
        }
    }
}

/// What a neuron asks of its chain.
#[async_trait]
pub trait ChainPort: Send + Sync {
    /// The chain's Proof-of-Compute parameters (windows, stakes, delays).
    async fn params(&self) -> Result<PocParams, NeuronPortError>;

    /// The newest L2 block number (0 before the first block).
    async fn head(&self) -> Result<u64, NeuronPortError>;

    /// Open (not fully settled) requests where `account` is an assignee, as of the newest
    /// block, by request id.
    async fn assignments(&self, account: u32)
        -> Result<Vec<(u32, RequestRecord)>, NeuronPortError>;

    /// Model `id`, if deployed.
    async fn model(&self, id: u32) -> Result<Option<ModelRecord>, NeuronPortError>;

    /// The model bytes whose SHA-256 is `hash`, from DA (the caller checks the hash).
    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, NeuronPortError>;

    /// The input bytes of request `id` (its op's payload; the caller checks the hash).
    async fn request_input(&self, id: u32) -> Result<Option<Vec<u8>>, NeuronPortError>;

    /// The next nonce of `account`, counting the ops and transfers the sequencer accepted
    /// and has not yet put in a block.
    async fn nonce(&self, account: u32) -> Result<u64, NeuronPortError>;

    /// Submits an op; returns its id ([`PocOp::hash`]) once the sequencer accepted it.
    async fn submit(&self, op: PocOp) -> Result<Hash32, NeuronPortError>;
}
