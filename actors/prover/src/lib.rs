//! The proving side of the pipeline: the `ProverPool` actor that owns the persisted queue of
//! blocks to prove and hands leases to `Prover` actors, which make Groth16 proofs with
//! `bitai-proofs` (or, on the simulation backend, simulation proofs that prove nothing) and
//! report back; the pool turns proofs into `SubmitProof` transactions in block
//! order per chain, from the statement each block came with (it never decodes a circuit).
//!
//! - [`queue`]: the persisted job queue on the storage port;
//! - [`pool`]: leases with deadlines, retries, in-order emission, back-pressure;
//! - [`worker`]: the prover actor and the proving both kinds of prover share;
//! - [`remote`]: provers on other nodes of a `ractor_cluster` (the coordinator's gateway,
//!   the remote prover actor; the wire protocol is `bitai_messages::prover::wire`);
//! - [`keydir`]: proving keys from a directory of key files (a prover node's keys);
//! - [`metrics`]: the pool's metrics. The messages are `bitai_messages::prover`;
//! - `fixtures` (feature `testing`): block circuits for tests and benchmarks.

#[cfg(any(test, feature = "testing"))]
pub mod fixtures;
pub mod keydir;
pub mod metrics;
pub mod pool;
pub mod queue;
pub mod remote;
pub mod worker;

pub use metrics::{PoolMetrics, RemoteProverMetrics};
pub use pool::{Confirmations, PoolArgs, PoolConfig, ProofCheck, ProverPool, RECENT_EMITTED};
pub use worker::{Prover, ProverArgs, ProverBackend, ProverFault, ProverFaults, ProvingEngine};

use bitai_chain::field::fr_to_hash;
use bitai_messages::prover::BlockStatement;
use bitai_proofs::circuit::PublicInputs;

/// The statement of a block circuit's public inputs (what a sequencer hands beside the
/// circuit's bytes; the pool checks the two agree from the circuit's head alone).
pub fn statement_of(public: &PublicInputs) -> BlockStatement {
    BlockStatement {
        chain_id: public.chain_id,
        block_number: public.block_number,
        prev_state_root: fr_to_hash(&public.prev_root),
        new_state_root: fr_to_hash(&public.new_root),
        da_commitment: public.da_commitment,
    }
}

#[cfg(test)]
mod tests;
