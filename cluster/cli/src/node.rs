//! `bitai node --config FILE`: one node of the kind its config names (`[node] kind`):
//!
//! - `all` (the default): every role in one process, the devnet's coordinator;
//! - `bitai`: the BitAI side (mempool, inscriber, indexer, state machine) against the
//!   Bitcoin backend of `[bitcoin]`, for every chain whose proofs reach it; no sequencer;
//! - `chain`: an AI chain's operator (sequencers, DA, the prover pool, gateways for prover and
//!   neuron nodes), sending its proofs to the BitAI nodes of `[bitai_nodes]`;
//! - `prover` and `neuron`: a node that joins another's cluster (`[join]`), the same as
//!   `bitai prover run` and `bitai neuron run --join`, with `[prover_node]` or
//!   `[neuron_node]` as their flags.
//!
//! The first three are [`bitai_node::base::run_node`].

use crate::runtime;
use bitai_node::base::{run_node, RunOutcome};
use bitai_node::config::{NodeConfig, NodeKind};
use std::path::PathBuf;

/// Run a node of the kind its config names, keeping its state in `node.data_dir` across
/// restarts.
///
/// Exit codes: 0 on Ctrl-C or SIGTERM (a joined node drains first) or when `--bitcoin-blocks` is
/// reached; 1 when a role stopped the node with an error (for example a reorg deeper than
/// `indexer.reorg_depth_max`) or a joined node lost its coordinator; 2 for a config that
/// cannot be used.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Node config (TOML): configs/bitai.toml, chain.toml, prover.toml, neuron.toml,
    /// node-regtest.toml.
    #[arg(long)]
    pub config: std::path::PathBuf,
    /// Stop once this many blocks past the start height are applied (not on a chain node,
    /// which reads no Bitcoin).
    #[arg(long)]
    pub bitcoin_blocks: Option<u64>,
    /// No live progress line.
    #[arg(long)]
    pub no_progress: bool,
}

/// Runs `bitai node`.
pub fn run_command(args: NodeArgs) -> std::process::ExitCode {
    use crate::status::{bad_input, failure};
    use std::process::ExitCode;
    let config = match NodeConfig::load(&args.config) {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    match config.node.kind {
        NodeKind::Prover => {
            return match prover_args(&config) {
                Ok(a) => crate::prover::run_prover(a),
                Err(code) => code,
            }
        }
        NodeKind::Neuron => {
            return match neuron_args(&config) {
                Ok(a) => crate::neuron_run::run(a),
                Err(code) => code,
            }
        }
        NodeKind::Chain if args.bitcoin_blocks.is_some() => {
            return bad_input("--bitcoin-blocks: a chain node reads no Bitcoin");
        }
        _ => {}
    }
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(run_node(config, args.bitcoin_blocks, args.no_progress)) {
        Ok(RunOutcome::Halted(reason)) => failure(format!("the node stopped: {reason}")),
        Ok(RunOutcome::Reached(s)) => {
            println!(
                "node: Bitcoin height {} applied; {} chains",
                s.bitcoin_height.map_or("none".into(), |h| h.to_string()),
                s.chains.len()
            );
            ExitCode::SUCCESS
        }
        Ok(RunOutcome::Interrupted) => ExitCode::SUCCESS,
        Err(e) => failure(format!("{e:#}")),
    }
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// `[join]` as the join flags (the cookie from `BITAI_CLUSTER_COOKIE` when the file has
/// none).
fn join_args(config: &NodeConfig) -> Result<crate::join::JoinArgs, std::process::ExitCode> {
    let j = &config.join;
    let listen = j
        .listen
        .parse()
        .map_err(|e| crate::status::bad_input(format!("join.listen {:?}: {e}", j.listen)))?;
    let cookie = match j.cookie.is_empty() {
        true => std::env::var("BITAI_CLUSTER_COOKIE").unwrap_or_default(),
        false => j.cookie.clone(),
    };
    Ok(crate::join::JoinArgs {
        join: opt(&j.coordinator),
        cookie,
        listen,
        tls_ca: opt(&j.tls_ca).map(PathBuf::from),
        tls_server_name: opt(&j.tls_server_name),
        name: opt(&j.name),
        metrics_listen: opt(&config.metrics.listen),
    })
}

fn prover_args(
    config: &NodeConfig,
) -> Result<crate::prover::ProverRunArgs, std::process::ExitCode> {
    let p = &config.prover_node;
    Ok(crate::prover::ProverRunArgs {
        cluster: join_args(config)?,
        keys: PathBuf::from(&p.keys),
        threads: (p.threads > 0).then_some(p.threads),
        log: p.log.clone(),
    })
}

fn neuron_args(
    config: &NodeConfig,
) -> Result<crate::neuron_run::NeuronRunArgs, std::process::ExitCode> {
    let n = &config.neuron_node;
    Ok(crate::neuron_run::NeuronRunArgs {
        signer: crate::poc::SignerArgs {
            rpc: crate::status::DEFAULT_RPC_URL.into(),
            chain: n.chain.clone(),
            key: PathBuf::from(&n.key),
            account: n.account,
            fee: n.fee,
        },
        cluster: join_args(config)?,
        heartbeat_interval_ms: n.heartbeat_interval_ms,
        data_dir: PathBuf::from(&n.data_dir),
        threads: n.threads,
        stake: (n.stake > 0).then_some(n.stake),
        poll_interval_ms: n.poll_interval_ms,
        log: n.log.clone(),
    })
}
