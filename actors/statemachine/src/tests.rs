//! Tests of the state machine: the contracts with real Groth16 proofs, finality, exact reorg
//! undo (against a fresh replay, also as a property), and the actor on fjall across a restart.

mod actor;
mod contracts;
pub(crate) mod harness;
mod reorg;
mod rules;
mod simulation;
