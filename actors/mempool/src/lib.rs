//! The BitAI mempool: the gate between the provers (and users) and Bitcoin.
//!
//! Every BitAI transaction is pre-executed against the **projected state**: the state
//! machine's latest view with every accepted entry ahead of it applied, through the very rule
//! functions the state machine executes ([`bitai_contract`]). What would not land
//! is refused with a typed [`MempoolReject`] before any Bitcoin fee is spent. Accepted entries
//! are persisted (keyspace `mempool`, acceptance order) before the answer, handed to the
//! inscriber in that order, dropped once the view shows their effect, and evicted with a
//! logged reason if a new view makes them invalid.
//!
//! Wiring: give it the receiver of the state machine's view channel, the inscriber's role,
//! the Bitcoin port, and a [`MempoolConfig`] whose registry settings equal the state
//! machine's ([`MempoolConfig::with_registry_of`]). The prover pool's sink can be the
//! mempool's role: [`MempoolMsg`] implements `From<ProofEmitted>`. An entry evicted after it
//! was handed to the inscriber is still inscribed (the inscriber takes no retraction); the
//! state machine then rejects it, harmlessly.

mod actor;
mod config;
mod deferred;
mod metrics;
mod pool;
mod projection;
pub mod records;

pub use actor::{BitaiMempool, MempoolArgs, MempoolState};
pub use config::MempoolConfig;
pub use metrics::MempoolMetrics;
pub use records::KEYSPACE;

#[cfg(test)]
mod tests;
