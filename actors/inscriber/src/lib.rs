//! The inscriber: puts accepted BitAI transactions on Bitcoin in ord envelopes, through a
//! commit transaction paying to the envelopes' taproot output and a reveal spending it by
//! the envelope leaf, with real signatures from its own wallet.
//!
//! Requests are stored before they are acknowledged and packed, in arrival order, into
//! reveals within the standard weight limit. Each batch is a persisted state machine
//! (signed, broadcast, in mempool, confirmed, final); every signed transaction is stored
//! before it is broadcast, and a restart resumes each batch from its record and the chain.
//! Unconfirmed legs are bumped: the commit by replacement (with a new reveal bound to the
//! same envelopes), the reveal by replacement or a CPFP child. The inscriber sees the chain
//! through its own indexer instance, whose watch filter delivers the wallet's transactions
//! with the same reorg handling as everything else; see `docs/inscriber.md` for the
//! invariants.

mod actor;
mod config;
mod engine;
mod error;
mod fault;
mod metrics;
pub mod records;
pub mod wallet;

pub use actor::{
    wallet_keys, Inscriber, InscriberArgs, InscriberState, CURSOR_KEYSPACE, INDEXER_KEYSPACE,
    KEYSPACE,
};
pub use config::{FeePolicy, InscriberConfig, STATE_FORMAT};
pub use engine::{EngineParts, InscriberEngine};
pub use error::InscriberError;
pub use fault::{CrashPoint, FaultInjector, SharedFaults};
pub use metrics::InscriberMetrics;
