//! The Bitcoin port: everything the inscriber and the indexer need from a Bitcoin network,
//! as one trait, [`BitcoinPort`]. Two implementations stand behind it: Bitcoin Core over
//! JSON-RPC (`core_rpc`, for operators: regtest, signet, mainnet) and SimBitcoin (in the
//! `bitai-simulation` crate, the embedded default of the devnet and the simulation).
//!
//! The port is synchronous: SimBitcoin answers from memory, and the RPC backend blocks on one
//! HTTP request at a time. Blocks travel as raw consensus bytes, so the indexer decodes
//! (with limits) what a possibly hostile node sent, in one place.

pub mod core_rpc;
mod port;
pub mod refusal;

pub use core_rpc::{CoreNetwork, CoreRpc, CoreRpcConfig, CoreRpcError};
pub use port::{
    BitcoinPort, BroadcastReject, ChainTip, PortError, ReplacementViolation, SharedBitcoin, Utxo,
};
