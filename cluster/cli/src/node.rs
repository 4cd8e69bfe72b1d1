//! `bitai node`: a BitAI node against the Bitcoin backend its config names, until Ctrl-C, a
//! halt or the `--bitcoin-blocks` goal; the run itself is [`bitai_node::base::run_node`].

use crate::runtime;
use bitai_node::base::{run_node, RunOutcome};

/// Run a BitAI node against the Bitcoin backend its config names (Bitcoin Core over RPC for
/// operators), keeping its state in `node.data_dir` across restarts.
///
/// Exit codes: 0 on Ctrl-C or when `--bitcoin-blocks` is reached; 1 when a role stopped the
/// node with an error (for example a reorg deeper than `indexer.reorg_depth_max`); 2 for a
/// config that cannot be used.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Node config (TOML), e.g. configs/node-regtest.toml.
    #[arg(long)]
    pub config: std::path::PathBuf,
    /// Stop once this many blocks past the start height are applied.
    #[arg(long)]
    pub bitcoin_blocks: Option<u64>,
    /// No live progress line.
    #[arg(long)]
    pub no_progress: bool,
}

/// Runs `bitai node`.
pub fn run_command(args: NodeArgs) -> std::process::ExitCode {
    use crate::{EXIT_BAD_INPUT, EXIT_FAILURE};
    use std::process::ExitCode;
    let config = match bitai_node::config::NodeConfig::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(run_node(config, args.bitcoin_blocks, args.no_progress)) {
        Ok(RunOutcome::Halted(reason)) => {
            eprintln!("error: the node stopped: {reason}");
            ExitCode::from(EXIT_FAILURE)
        }
        Ok(RunOutcome::Reached(s)) => {
            println!(
                "node: Bitcoin height {} applied; {} chains",
                s.bitcoin_height.map_or("none".into(), |h| h.to_string()),
                s.chains.len()
            );
            ExitCode::SUCCESS
        }
        Ok(RunOutcome::Interrupted) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
