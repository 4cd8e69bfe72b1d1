//! The BitAI mempool's interface: what it hears ([`MempoolMsg`]: submissions, proofs from the
//! prover pool, status requests), why it refuses a BitAI transaction ([`MempoolReject`], a
//! typed reason the submitter can act on) and what it reports ([`MempoolStatus`]).

mod status;

pub use status::{MempoolRejection, MempoolStatus, PendingEntry, REJECTIONS_KEPT};

use crate::prover::ProofEmitted;
use bitai_contract::RuleError;
use bitai_protocol::{BitaiTx, Hash32};
use ractor::RpcReplyPort;

/// Why a BitAI transaction was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MempoolReject {
    /// The transaction does not encode (a field over its protocol limit).
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// The encoded transaction is over `MAX_TX_BYTES`.
    #[error("encoded transaction is {len} bytes, over the limit of {max}")]
    TooLarge {
        /// Encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// It would not be valid once everything ahead of it lands (unknown chain, wrong block
    /// number, wrong previous root, proof invalid or too large, duplicate chain, bad key...).
    #[error("invalid against the projected state: {0}")]
    Invalid(RuleError),
    /// Bitcoin's fee estimate is above the configured limit.
    #[error("bitcoin fee rate {fee_rate_sat_per_vb} sat/vB is above the limit of {max} sat/vB")]
    FeeRateTooHigh {
        /// The estimate.
        fee_rate_sat_per_vb: u64,
        /// The limit.
        max: u64,
    },
    /// The Bitcoin node could not give a fee estimate.
    #[error("no fee estimate from the bitcoin node: {0}")]
    FeeRateUnavailable(String),
    /// The mempool holds its maximum of entries.
    #[error("mempool full ({max} entries)")]
    Full {
        /// The limit.
        max: usize,
    },
    /// Storage failed; nothing was accepted.
    #[error("storage: {0}")]
    Store(String),
    /// On a chain node: no BitAI node took it (each refused it, or none answered); the
    /// reasons, node by node.
    #[error("no BitAI node took it: {0}")]
    Remote(String),
}

impl MempoolReject {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            MempoolReject::Malformed(_) => "malformed",
            MempoolReject::TooLarge { .. } => "too_large",
            MempoolReject::Invalid(e) => e.label(),
            MempoolReject::FeeRateTooHigh { .. } => "fee_rate_too_high",
            MempoolReject::FeeRateUnavailable(_) => "fee_rate_unavailable",
            MempoolReject::Full { .. } => "full",
            MempoolReject::Store(_) => "store",
            MempoolReject::Remote(_) => "remote",
        }
    }

    /// Whether the same transaction may be accepted later without any change to the state
    /// (fees fall, room frees up, storage recovers).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            MempoolReject::FeeRateTooHigh { .. }
                | MempoolReject::FeeRateUnavailable(_)
                | MempoolReject::Full { .. }
                | MempoolReject::Store(_)
                | MempoolReject::Remote(_)
        )
    }
}

/// Messages to the mempool.
pub enum MempoolMsg {
    /// Submit a BitAI transaction; the answer is its id (SHA-256 of `encode_tx`) once it is
    /// persisted, or why it was refused.
    Submit {
        /// The transaction.
        tx: BitaiTx,
        /// Where to answer (None: fire and forget).
        reply: Option<RpcReplyPort<Result<Hash32, MempoolReject>>>,
    },
    /// A proof from the prover pool (a reply-less submission; transient refusals are
    /// retried).
    Proof(ProofEmitted),
    /// The state machine's view changed (self-scheduled by the watch task).
    ViewChanged,
    /// Retry hand-offs and deferred proofs (self-scheduled every `tick_interval_ms`).
    Tick,
    /// A hand-off to the inscriber finished: collect its report (self-sent by the task).
    HandedOff,
    /// Report the mempool's state.
    Status {
        /// Where to answer.
        reply: RpcReplyPort<MempoolStatus>,
    },
}

impl ractor::Message for MempoolMsg {}

impl From<ProofEmitted> for MempoolMsg {
    fn from(p: ProofEmitted) -> Self {
        MempoolMsg::Proof(p)
    }
}
