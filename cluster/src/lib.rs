//! The `bitai` node as a library: node start-up from a config, the pipeline's actor graph,
//! the JSON-RPC server and clients, and the command-line interface the `bitai` binary runs.
//! End-to-end tests build the same graph through [`pipeline`].

pub mod cli;
pub mod cluster_node;
pub mod cluster_tls;
pub mod config;
pub mod devnet;
mod inscriber;
pub mod node;
pub mod pipeline;
pub mod rpc;
pub mod telemetry;
