//! Tests of the mempool: the projection chains valid proofs in order, every refusal has its
//! reason, nothing invalid reaches the inscriber, views drop landed entries and evict those
//! that can no longer land, transient refusals of the pool's proofs are retried, and a
//! restart on fjall re-hands what was not acknowledged.

mod agreement;
mod harness;
mod lifecycle;
mod pipeline;
mod submit;
