//! The simulated world of bitai: [`bitcoin`], SimBitcoin, an in-process Bitcoin
//! network (regtest parameters) that makes real consensus-encoded blocks, keeps a
//! policy-enforcing mempool that verifies taproot signatures, mines on a seeded exponential
//! schedule ([`SimMiner`] drives it under tokio time) and reorgs on demand. It implements
//! `bitai_bitcoin::BitcoinPort`, so the inscriber and the indexer run against it unchanged.
//! It keeps its chain in memory (`SimBitcoin::new`) or, opened on a `bitai_storage` store
//! (`SimBitcoin::open`), durably: a killed process reopens it at its last block. And
//! [`outsider`], someone else inscribing on it (valid, malformed and hostile envelopes).
//! And [`network`], the simulated cluster network the nodes of `bitai sim` talk through
//! (seeded latency, drops, duplicates, partitions, hung peers).
//!
//! Everything here takes its time from an injected `bitai_runtime::Clock` and its randomness
//! from `bitai_runtime::seeded_rng`, and keeps ordered collections only: the same seed and the
//! same calls give the same chain.

pub mod bitcoin;
pub mod network;
pub mod outsider;

pub use crate::bitcoin::{
    BlockFiller, FeeEstimateConfig, ReorgMempool, ReorgReport, ScriptPathOutput, SimBitcoin,
    SimBitcoinConfig, SimBitcoinError, SimMiner, SimMinerArguments, SimMinerMsg, SimWallet,
    SpendOptions, WalletError,
};
