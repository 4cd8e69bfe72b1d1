//! The node's JSON-RPC API for users and operators: submit AI-chain transactions, follow
//! them through every stage (pending, in an L2 block, proven, inscribed, verified on the
//! BitAI side, final), read blocks, accounts and chains, register new chains, watch the
//! prover pool, the inscriber and the BitAI mempool, and drive Proof-of-Compute (signed ops,
//! models on DA, inference requests, neurons).
//!
//! Three parts: [`NodeApi`] (what the node answers; the node implements it over its actors),
//! [`serve`] (jsonrpsee's HTTP server in front of a `NodeApi`, with the `[rpc]` limits and
//! typed error codes) and [`Client`] (the typed client the CLI uses). The wire format is in
//! [`types`] and documented method by method in `docs/rpc.md`.

pub mod admin;
pub mod api;
pub mod client;
pub mod genesis;
pub mod hexser;
pub mod neuron_port;
pub mod poc_types;
pub mod server;
pub mod types;

#[cfg(any(test, feature = "testing"))]
pub mod poc_fixture;
#[cfg(any(test, feature = "testing"))]
pub mod test_node;

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
mod poc_tests;
#[cfg(test)]
mod tests;

pub use api::{code, method, ApiError, NodeApi};
pub use client::{reached, wait_for_stage, Client, ClientError, WaitError};
pub use genesis::{
    build_chain, build_chain_from, GenesisAccountSpec, GenesisSpec, GenesisSpecError,
};
pub use poc_types::{ModelInfo, NeuronInfo, OutcomeInfo, PocInfo, RequestInfo, SeatInfo};
pub use server::{serve, RpcConfig, RpcServer, ServeError};
pub use types::{
    AccountInfo, BlockProof, ChainInfo, ChainKey, CircuitKey, InscriptionJob, L2Block,
    MempoolEntry, ProverJob, SequencerInfo, Stage, SupplyInfo, TxStatus,
};
