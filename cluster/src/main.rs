//! The `bitai` binary: one executable for every node kind and every operator tool. Parsing
//! lives in [`cli`]; each subcommand has its own module there and returns an [`ExitCode`]
//! whose meaning the `--help` text states.

mod cli;
mod config;
mod devnet;
mod inscriber;
mod node;
mod telemetry;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::run(args)
}
