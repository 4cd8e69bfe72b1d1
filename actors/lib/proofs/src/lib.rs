//! The proof system of an AI chain: the circuit that proves a block's state transition
//! (the rules of `bitai-chain`, as R1CS gadgets), our Groth16 prover, and the byte formats
//! that let anyone check a proof.
//!
//! - [`circuit`]: the block circuit on arkworks' R1CS with its gadgets (Poseidon, EdDSA,
//!   Merkle paths, transfers, Proof-of-Compute operations).
//! - [`groth16`]: our Groth16 prover on halo2curves, the devnet setup and the key cache.
//! - [`gnark`], [`verifier`], [`snarkjs`]: gnark's binary format, verification through
//!   gnark-bn254-verifier keyed by proof system, and export for snarkjs.

pub mod circuit;
pub mod gnark;
pub mod groth16;
pub mod snarkjs;
pub mod verifier;

#[cfg(test)]
mod interop_tests;
