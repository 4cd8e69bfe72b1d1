//! The sequencer of an AI chain: accepts signed transfers (signature, nonce, balance and fee
//! checked against the state after its own pending transfers), orders them, cuts blocks on
//! a size or time trigger (time from the injected clock), executes each with the shared
//! state transition function, posts its data to DA, persists it before anything depends on
//! it, and hands its circuit to the prover pool.
//!
//! - [`config`]: the chain spec, tunables and start-up arguments;
//! - [`messages`]: what the actor answers to, and its refusals;
//! - [`core`]: the state, the pending queue and block cutting, apart from the actor;
//! - [`store`]: the persisted layout;
//! - [`handoff`]: handing blocks to the prover pool without blocking;
//! - [`actor`]: the ractor actor;
//! - [`metrics`]: its Prometheus metrics.

pub mod actor;
pub mod config;
pub mod core;
pub mod handoff;
pub mod metrics;
pub mod store;
pub mod warm;

pub use actor::Sequencer;
pub use config::{BlockPolicy, ChainSpec, SequencerArgs, SequencerConfig, SpecError, STATE_FORMAT};
pub use core::{SequencerCore, SequencerError};
pub use metrics::SequencerMetrics;
pub use store::SEQ_KEYSPACE;
pub use warm::WarmSlot;

#[cfg(test)]
mod tests;
