//! The rules of an AI chain, as plain functions over plain data: the cryptography its users
//! sign with, the state it keeps and how a block changes it. The sequencer applies these
//! rules natively; the block circuit in `bitai-proofs` enforces the same rules, gadget for
//! rule, so a proof of a block is a proof that these functions accepted it.
//!
//! - [`field`], [`poseidon`], [`babyjubjub`], [`eddsa`]: circom-compatible primitives (the
//!   same numbers as circomlibjs and zk-kit).
//! - [`smt`], [`tx`], [`stf`]: the account tree, the signed transfers and the state
//!   transition function.
//! - [`poc`]: Proof-of-Compute: neurons, models, inference requests, their records and
//!   the signed operations that change them.

pub mod babyjubjub;
pub mod eddsa;
pub mod field;
pub mod poc;
pub mod poseidon;
pub mod smt;
pub mod stf;
pub mod tx;
