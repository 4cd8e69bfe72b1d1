//! The inscriber's errors.

use bitai_bitcoin::PortError;
use bitai_storage::StoreError;
use thiserror::Error;

/// What can go wrong in the inscriber.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InscriberError {
    /// The configuration is invalid.
    #[error("invalid inscriber config: {0}")]
    Config(String),
    /// The store failed or holds something unreadable.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A stored record does not decode.
    #[error("corrupt stored {what}: {reason}")]
    Corrupt {
        /// What record.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The Bitcoin node failed.
    #[error("bitcoin node: {0}")]
    Port(#[from] PortError),
    /// The wallet cannot pay for a batch or a bump.
    #[error("insufficient funds: need {needed_sat} sat, {available_sat} sat spendable")]
    InsufficientFunds {
        /// What was needed.
        needed_sat: u64,
        /// What was spendable.
        available_sat: u64,
    },
    /// A payload is over the protocol's transaction limit.
    #[error("payload of {len} bytes over the limit of {max}")]
    PayloadTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Building or signing a transaction failed.
    #[error("building a transaction: {0}")]
    Build(String),
    /// A fault was injected at this point (tests).
    #[error("fault injected at {0:?}")]
    Injected(crate::CrashPoint),
}
