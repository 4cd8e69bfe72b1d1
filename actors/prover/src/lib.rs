//! The proving side of the pipeline: the `ProverPool` actor that owns the persisted queue of
//! blocks to prove and hands leases to `Prover` actors, which make Groth16 proofs with
//! `bitai-zk` (or, on the simulation backend, simulation proofs that prove nothing) and
//! report back; the pool turns proofs into `SubmitProof` transactions in block
//! order per chain.
//!
//! - [`queue`]: the persisted job queue on the storage port;
//! - [`pool`]: leases with deadlines, retries, in-order emission, back-pressure;
//! - [`worker`]: the prover actor and the proving both kinds of prover share;
//! - [`remote`]: provers on other nodes of a `ractor_cluster` (the wire protocol, the
//!   coordinator's gateway, the remote prover actor);
//! - [`keydir`]: proving keys from a directory of key files (a prover node's keys);
//! - [`messages`], [`metrics`]: the protocol between them and the pool's metrics.

pub mod keydir;
pub mod metrics;
pub mod pool;
pub mod queue;
pub mod remote;
pub mod worker;

pub use metrics::PoolMetrics;
pub use pool::{Confirmations, PoolArgs, PoolConfig, ProverPool, RECENT_EMITTED};
pub use worker::{Prover, ProverArgs, ProverBackend, ProvingEngine};

#[cfg(test)]
mod tests;
