//! The `bitai` binary: one executable for every node kind and every operator tool. Parsing
//! lives in `bitai_cli`; each subcommand has its own module there and returns an
//! [`ExitCode`] whose meaning the `--help` text states.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = bitai_cli::Cli::parse();
    bitai_cli::run(args)
}
