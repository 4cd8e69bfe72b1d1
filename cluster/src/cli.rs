//! Command-line interface: the top-level parser and the dispatch to one module per
//! subcommand. Exit codes: 0 success, 1 the work failed (a check did not hold, a node
//! stopped with an error), 2 bad usage or bad input (clap's own code for usage errors).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod proof;

/// Exit code: the work failed.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad usage or input that could not be read.
pub const EXIT_BAD_INPUT: u8 = 2;

/// bitai: AI chains, ZK rollups that settle on Bitcoin.
#[derive(Debug, Parser)]
#[command(name = "bitai", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify and export AI-chain proofs.
    Proof(proof::ProofArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Proof(args) => proof::run(args),
    }
}
