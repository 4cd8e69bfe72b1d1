//! The sequencer's tests: a chain of ten funded accounts on an in-memory (or fjall) store
//! with the embedded DA, a manual clock, and a prover pool role behind a real role proxy.
//!
//! - [`harness`]: the chain, the actors and small helpers;
//! - `triggers`: blocks on size and on time, never empty;
//! - `refusals`: every refusal, pending-aware nonces and balances, idempotent submits;
//! - `replay`: 200 transfers from 10 accounts re-derive from DA and replay to the same roots;
//! - `restart`: a restart mid-way loses and duplicates nothing, on memory and on fjall;
//! - `prover`: hand-off retries, and a real `ProverPool` gets every block once, in order;
//! - `failures`: a failing DA layer, a spec whose parts disagree, an edited store;
//! - `model`: a property test of random transfer streams against the core;
//! - `poc`: Proof-of-Compute ops: queueing beside transfers, settlement by itself, restart.

mod failures;
mod harness;
mod model;
mod poc;
mod prover;
mod refusals;
mod replay;
mod restart;
mod triggers;
mod warm;
