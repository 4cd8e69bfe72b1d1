//! Command-line interface: the top-level parser and the dispatch to one module per
//! subcommand. Exit codes: 0 success, 1 the work failed (a check did not hold, a node
//! stopped with an error), 2 bad usage or bad input (clap's own code for usage errors);
//! `bitai infer` adds 3 (settled without a quorum), 4 (timed out) and 5 (refused).

pub mod admin;
pub mod chain;
pub mod devnet;
pub mod infer;
pub mod inscription;
pub mod join;
pub mod keygen;
pub mod poc;
pub mod send;
pub mod sim;
pub mod status;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod model;
pub mod model_deploy;
pub mod neuron;
pub mod neuron_run;
pub mod node;
pub mod proof;
pub mod proof_fetch;
pub mod prover;

/// Exit code: the work failed.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad usage or input that could not be read.
pub const EXIT_BAD_INPUT: u8 = 2;

/// bitai: AI chains, ZK-rollup L2s that settle on Bitcoin.
///
/// One binary for every node kind and operator tool. Exit codes: 0 success; 1 the work
/// failed (a check did not hold, a node stopped with an error); 2 bad usage or input.
#[derive(Debug, Parser)]
#[command(name = "bitai", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline in one process on the embedded defaults.
    ///
    /// Sequencer, embedded DA, local Groth16 provers, BitAI mempool, inscriber, indexer and
    /// state machine under one supervisor, on SimBitcoin (or a Bitcoin Core regtest node named
    /// in --config), with fjall in the data directory (resumed at the next start; --fresh
    /// starts over), logs in a file there, Prometheus metrics and JSON-RPC on the `[metrics]`
    /// and `[rpc]` addresses. It creates its own AI chain and a load generator sends transfers
    /// on it. Exit codes: 0 goal reached (or Ctrl-C) with every check holding; 1 a role
    /// stopped the node or a check failed; 2 unusable config.
    Devnet(devnet::DevnetArgs),
    /// Run a BitAI node against the Bitcoin backend its config names.
    ///
    /// Bitcoin Core over JSON-RPC (see configs/node-regtest.toml) or SimBitcoin; state is
    /// kept in `node.data_dir` across restarts and the indexer resumes where it stopped.
    /// Exit codes: 0 on Ctrl-C or when --bitcoin-blocks is reached; 1 a role stopped the
    /// node (for example a reorg deeper than indexer.reorg_depth_max); 2 unusable config.
    Node(node::NodeArgs),
    /// Inscription envelopes: decode the ones in a raw transaction.
    Inscription(inscription::InscriptionArgs),
    /// On-chain AI models: import from Keras, run, describe.
    Model(model::ModelArgs),
    /// Verify and export AI-chain proofs.
    Proof(proof::ProofArgs),
    /// Make a signing key for AI-chain accounts (a Baby Jubjub EdDSA key file).
    Keygen(keygen::KeygenArgs),
    /// AI chains: create one through a node's JSON-RPC.
    Chain(chain::ChainArgs),
    /// Sign a transfer and send it to a chain's sequencer through a node's JSON-RPC.
    Send(send::SendArgs),
    /// A transaction's stage, a chain's progress, or every chain, from a node's JSON-RPC.
    Status(status::StatusArgs),
    /// Run a deployed model on an AI chain's neurons and wait for the agreed output.
    Infer(infer::InferArgs),
    /// A neuron's stake (register, unbond, withdraw) and a chain's neurons.
    Neuron(neuron::NeuronCliArgs),
    /// Prover nodes: join a coordinator over the cluster and prove its L2 blocks.
    Prover(prover::ProverCliArgs),
    /// Deterministic simulation of the whole actor graph: one seed, or a swarm of seeds.
    Sim(sim::SimArgs),
    /// Operate a running node through its admin endpoint: status, drain a joined node, make
    /// a token.
    Admin(admin::AdminArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Devnet(args) => devnet::run(args),
        Command::Node(args) => node::run_command(args),
        Command::Inscription(args) => inscription::run(args),
        Command::Model(args) => model::run(args),
        Command::Proof(args) => proof::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Chain(args) => chain::run(args),
        Command::Send(args) => send::run(args),
        Command::Status(args) => status::run(args),
        Command::Infer(args) => infer::run(args),
        Command::Neuron(args) => neuron::run(args),
        Command::Prover(args) => prover::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Admin(args) => admin::run(args),
    }
}

/// The multi-threaded runtime a node runs on, or the exit code that says it could not start.
pub fn runtime() -> Result<tokio::runtime::Runtime, std::process::ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: starting the runtime: {e}");
            std::process::ExitCode::from(EXIT_FAILURE)
        })
}

#[cfg(test)]
mod tests;
