//! Shared language of every BitAI role: the BitAI transaction types that travel inside
//! inscription envelopes, the ids that name chains and transactions, and the codecs that
//! turn them into bytes and back with explicit limits and typed errors.
//!
//! Everything decoded here may come from a stranger on Bitcoin, so every decoder checks sizes
//! before it allocates and answers malformed input with a [`DecodeError`], never a panic.

pub mod codec;
pub mod envelope;
pub mod ids;
pub mod limits;
pub mod tx;

pub use codec::{decode_tx, encode_tx, DecodeError, EncodeError, FORMAT_VERSION};
pub use ids::{ChainId, Hash32};
pub use tx::{BitaiTx, ChainLimits, CreateChain, ProofSystem, SubmitProof};
