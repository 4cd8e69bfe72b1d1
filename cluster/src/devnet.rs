//! `bitai devnet`: the pipeline in one process on the embedded defaults. Today that is the
//! Bitcoin side: SimBitcoin mining on its seeded schedule (a `SimMiner` actor) and the
//! indexer following it into the chain log, under one supervisor, with fjall in the data
//! directory, logs in a file, Prometheus metrics on a port, a live progress line and a
//! summary. The roles of the later issues (sequencer, provers, mempool, inscriber, state
//! machine) join this graph.

pub(crate) mod chain_log;

use crate::config::{BitcoinBackend, NodeConfig};
use crate::node::{self, NodeBase, NodeParts, Outcome};
use anyhow::{bail, Context};
use bitai_bitcoin::{BitcoinPort, SharedBitcoin};
use bitai_runtime::{ChildSpec, RoleRef, SharedClock};
use bitai_simulation::bitcoin::{SimBitcoin, SimMiner, SimMinerArguments};
use chain_log::ChainLogStatus;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The devnet's embedded configuration (the file `configs/devnet.toml`).
const DEVNET_TOML: &str = include_str!("../../configs/devnet.toml");

/// Run the whole pipeline in one process on the embedded defaults.
///
/// Exit codes: 0 when the run reached its goal (or was interrupted with Ctrl-C) and every
/// check held; 1 when a node role stopped with an error or a check failed; 2 for a config
/// that cannot be used.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// Node config (TOML); default: the embedded `configs/devnet.toml`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data directory (overrides `node.data_dir`); recreated at start.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seed of the simulated world (overrides `node.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Mean SimBitcoin block interval in ms (overrides `bitcoin.sim.block_interval_mean_ms`).
    #[arg(long)]
    pub block_interval_ms: Option<u64>,
    /// Stop once this many Bitcoin blocks past the start height are indexed and
    /// acknowledged, and check the indexed chain against SimBitcoin's; default: run until
    /// Ctrl-C.
    #[arg(long)]
    pub bitcoin_blocks: Option<u64>,
    /// No live progress line (for logs and CI).
    #[arg(long)]
    pub no_progress: bool,
    /// Send this many demo BitAI transactions (SubmitProofs with 256-byte proofs) to the
    /// inscriber at start; its wallet is funded by the coinbases, which mature after
    /// `coinbase_maturity` blocks. Default 0.
    #[arg(long, default_value_t = 0)]
    pub inscriptions: u64,
}

/// Runs the devnet.
pub fn run(args: DevnetArgs) -> ExitCode {
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(crate::cli::EXIT_BAD_INPUT);
        }
    };
    let runtime = match node::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(run_devnet(config, &args)) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(crate::cli::EXIT_FAILURE)
        }
    }
}

fn load_config(args: &DevnetArgs) -> anyhow::Result<NodeConfig> {
    let mut config = match &args.config {
        Some(path) => NodeConfig::load(path)?,
        None => NodeConfig::parse(DEVNET_TOML, std::path::Path::new("configs/devnet.toml"))?,
    };
    if let Some(dir) = &args.data_dir {
        config.node.data_dir = dir.clone();
    }
    if let Some(seed) = args.seed {
        config.node.seed = seed;
    }
    config.bitcoin.sim.seed = config.node.seed;
    if let Some(ms) = args.block_interval_ms {
        config.bitcoin.sim.block_interval_mean_ms = ms;
    }
    if config.bitcoin.backend != BitcoinBackend::Sim {
        bail!("the devnet runs on SimBitcoin; set bitcoin.backend = \"sim\" (run a node for Core)");
    }
    Ok(config)
}

async fn run_devnet(config: NodeConfig, args: &DevnetArgs) -> anyhow::Result<String> {
    #[allow(clippy::disallowed_methods)] // The summary's wall time, outside the actors.
    let started = std::time::Instant::now();
    // SimBitcoin keeps its chain in memory, so the devnet starts from an empty data dir.
    let data_dir = &config.node.data_dir;
    if data_dir.exists() {
        std::fs::remove_dir_all(data_dir)
            .with_context(|| format!("recreating data dir {}", data_dir.display()))?;
    }
    let NodeBase {
        store,
        registry,
        clock,
    } = NodeBase::open(&config)?;
    let sim = SimBitcoin::new(config.bitcoin.sim.clone(), clock.clone())
        .context("starting SimBitcoin")?;
    let bitcoin: SharedBitcoin = Arc::new(sim.clone());
    tracing::info!(seed = config.node.seed, "devnet starting on SimBitcoin");

    let miner_child = miner_child(&sim, &clock).await?;
    let inscriber = crate::inscriber::roles(
        &config,
        bitcoin.clone(),
        store.clone(),
        clock.clone(),
        &registry,
    )
    .await?;
    // The devnet funds the inscriber from coinbase.
    sim.set_coinbase_script_pubkey(inscriber.wallet_script_pubkey.clone());
    for n in 0..args.inscriptions {
        let payload = demo_payload(n);
        let id = bitai_protocol::Hash32::sha256(&payload).0;
        let _ = inscriber
            .role
            .send(bitai_inscriber::InscriberMsg::Inscribe {
                id,
                payload,
                reply: None,
            });
    }
    let start = config.indexer.start_height;
    let mut extra_children = vec![miner_child];
    extra_children.extend(inscriber.children);
    let parts = NodeParts {
        bitcoin,
        store,
        clock,
        indexer: config.indexer.clone(),
        registry,
        extra_children,
    };
    let goal = args.bitcoin_blocks.map(|n| start + n.saturating_sub(1));
    let outcome = node::run(parts, goal, !args.no_progress).await?;
    match outcome {
        Outcome::Halted(reason) => bail!("the node stopped: {reason}"),
        Outcome::Interrupted => Ok("interrupted; the devnet stopped cleanly".into()),
        Outcome::Reached(status) => check_and_summarise(&sim, &status, start, started),
    }
}

fn check_and_summarise(
    sim: &SimBitcoin,
    status: &ChainLogStatus,
    start: u64,
    started: std::time::Instant,
) -> anyhow::Result<String> {
    let Some((height, hash)) = status.tip else {
        bail!("nothing was indexed")
    };
    let canonical = sim.block_hash(height).context("reading SimBitcoin")?;
    if canonical != Some(hash) {
        bail!("indexed tip {height} {hash} is not on SimBitcoin's best chain ({canonical:?})");
    }
    Ok(format!(
        "devnet: {} Bitcoin blocks indexed (heights {start}..={height}) in {:.1} s wall time; \
         tip {hash} is on SimBitcoin's best chain; {} BitAI transactions",
        height + 1 - start,
        started.elapsed().as_secs_f64(),
        status.bitai_txs
    ))
}

/// The `n`th demo BitAI transaction: a SubmitProof with a Groth16-size proof.
fn demo_payload(n: u64) -> Vec<u8> {
    use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, SubmitProof};
    encode_tx(&BitaiTx::SubmitProof(SubmitProof {
        chain_id: ChainId(Hash32::sha256(b"devnet")),
        block_number: n + 1,
        prev_state_root: Hash32::sha256(&n.to_le_bytes()),
        new_state_root: Hash32::sha256(&(n + 1).to_le_bytes()),
        da_commitment: Hash32::sha256(b"da"),
        proof: vec![(n % 251) as u8; 256],
    }))
    .expect("a demo SubmitProof encodes")
}

/// The SimMiner role: mines `sim` on its seeded schedule by `clock`.
pub(crate) async fn miner_child(
    sim: &SimBitcoin,
    clock: &SharedClock,
) -> anyhow::Result<ChildSpec> {
    let miner = RoleRef::spawn(Some("sim_miner".into()), "sim_miner", 1_000).await?;
    let (sim, clock) = (sim.clone(), clock.clone());
    Ok(ChildSpec::role("sim_miner", miner, move || {
        (
            SimMiner,
            SimMinerArguments {
                bitcoin: sim.clone(),
                clock: clock.clone(),
            },
        )
    }))
}
