//! A bitai node as a library: its config ([`config`]), the pipeline's actor graph
//! ([`pipeline`]: every role under one supervisor, and the [`bitai_rpc::NodeApi`]
//! implementation over them in [`pipeline::api`]), what every node process opens first and
//! a whole node's run ([`base`]), the devnet ([`devnet`]), logs and metrics ([`telemetry`]).
//! The `bitai` binary (`bitai-cli`) and the end-to-end tests build nodes with it; so will the
//! whole-graph simulation.

pub mod admin;
pub mod base;
pub mod config;
pub mod devnet;
mod inscriber;
pub mod pipeline;
pub mod telemetry;
