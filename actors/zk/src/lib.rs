//! The zero-knowledge side of an AI chain: the cryptography its users sign with, the state
//! it keeps, the circuit that proves a block's state transition, our Groth16 prover, and the
//! byte formats that let anyone check a proof.
//!
//! - [`field`], [`poseidon`], [`babyjubjub`], [`eddsa`]: circom-compatible primitives (the
//!   same numbers as circomlibjs and zk-kit), natively and as R1CS gadgets.
//! - [`smt`], [`tx`], [`stf`]: the account tree, the signed transactions and the state
//!   transition function shared by the sequencer and the circuit.
//! - [`circuit`]: the block circuit on arkworks' R1CS with its gadgets.
//! - [`groth16`]: our Groth16 prover on halo2curves, the devnet setup and the key cache.
//! - [`gnark`], [`verifier`], [`snarkjs`]: gnark's binary format, verification through
//!   gnark-bn254-verifier keyed by proof system, and export for snarkjs.

pub mod babyjubjub;
pub mod circuit;
pub mod eddsa;
pub mod field;
pub mod gnark;
pub mod groth16;
pub mod poc;
pub mod poseidon;
pub mod smt;
pub mod snarkjs;
pub mod stf;
pub mod tx;
pub mod verifier;

#[cfg(test)]
mod interop_tests;
