//! Why the mempool refuses a BitAI transaction: a typed reason the submitter (RPC, the prover
//! pool) can act on.

use bitai_statemachine::RuleError;

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
        )
    }
}
