//! `bitai devnet`: the whole pipeline in one process on the embedded defaults, driven to the
//! goal its flags set, then checked (every chain's verified root against its sequencer's,
//! supply conserved). The devnet itself (SimBitcoin, the pipeline, the devnet chain and its
//! neurons) is [`bitai_node::devnet`].

use anyhow::{bail, Context};
use bitai_node::base::NodeBase;
use bitai_node::config::NodeConfig;
use bitai_node::devnet::{check_conservation, embedded_config, start, Devnet};
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::progress::{self, Snapshot};
use bitai_node::pipeline::{loadgen, Pipeline};
use bitai_protocol::ChainId;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Run the whole pipeline in one process on the embedded defaults.
///
/// On SimBitcoin by default; with `bitcoin.backend = "core"` in `--config`, against a Bitcoin
/// Core regtest node (which mines; the operator funds the inscriber's printed address).
///
/// Examples: `bitai devnet --l2-blocks 20` (stop once 20 L2 blocks are final on the BitAI
/// side and check every chain's verified root against its sequencer);
/// `bitai devnet --txs 1000 --tps 50` (stop once 1,000 transfers are final).
///
/// Exit codes: 0 when the goal was reached (or Ctrl-C) and every check held; 1 when a role
/// stopped the node or a check failed; 2 for a config that cannot be used.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// Node config (TOML); default: the embedded `configs/devnet.toml`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data directory (overrides `node.data_dir`). An existing one is resumed.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Delete the data directory's database and logs first (cached proving keys stay).
    #[arg(long)]
    pub fresh: bool,
    /// Seed of the simulated world (overrides `node.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Mean SimBitcoin block interval in ms (overrides `bitcoin.sim.block_interval_mean_ms`).
    #[arg(long)]
    pub block_interval_ms: Option<u64>,
    /// Stop once this many L2 blocks of the devnet chain are final on the BitAI side, then
    /// check that every chain's verified root equals its sequencer's root.
    #[arg(long)]
    pub l2_blocks: Option<u64>,
    /// Stop once the devnet chain holds this many transfers and all of them are final (the
    /// load generator sends up to this many); checks balances are conserved.
    #[arg(long)]
    pub txs: Option<u64>,
    /// Load generator rate, transfers per second (the default fills a 4-transfer block every
    /// 5 s, what one prover keeps up with on 2 cores).
    #[arg(long, default_value_t = 0.8)]
    pub tps: f64,
    /// No load generator (transfers come only through JSON-RPC).
    #[arg(long)]
    pub no_load: bool,
    /// Stop once this many Bitcoin blocks past the start height are indexed (Bitcoin side
    /// only: no goal on the L2 side).
    #[arg(long)]
    pub bitcoin_blocks: Option<u64>,
    /// Prove with the simulation-only proof system (fast, proves nothing; for sweeps and
    /// tests). Sets `chain.proof_system = "simulation"` and
    /// `statemachine.allow_simulation_only = true`.
    #[arg(long)]
    pub simulation_proofs: bool,
    /// Transactions per L2 block of the devnet chain (overrides `chain.block_txs`).
    #[arg(long)]
    pub block_txs: Option<u32>,
    /// Neurons the devnet runs (overrides `chain.neurons`; 0 for none). Each registers with
    /// `chain.neuron_stake` at the first start and answers the inference requests it is
    /// drawn for.
    #[arg(long)]
    pub neurons: Option<u32>,
    /// JSON-RPC listen address (overrides `rpc.listen`).
    #[arg(long)]
    pub rpc_listen: Option<String>,
    /// The explorer's listen address (overrides `explorer.listen`; "" turns it off).
    #[arg(long)]
    pub explorer_listen: Option<String>,
    /// No live progress display (for logs and CI).
    #[arg(long)]
    pub no_progress: bool,
}

/// Runs the devnet.
pub fn run(args: DevnetArgs) -> ExitCode {
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let runtime = match crate::runtime() {
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
            ExitCode::from(crate::EXIT_FAILURE)
        }
    }
}

fn load_config(args: &DevnetArgs) -> anyhow::Result<NodeConfig> {
    let mut config = match &args.config {
        Some(path) => NodeConfig::load(path)?,
        None => embedded_config(),
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
    if let Some(n) = args.neurons {
        config.chain.neurons = n;
    }
    if let Some(n) = args.block_txs {
        config.chain.block_txs = n;
    }
    if let Some(listen) = &args.rpc_listen {
        config.rpc.listen = listen.clone();
    }
    if let Some(listen) = &args.explorer_listen {
        config.explorer.listen = listen.clone();
    }
    if args.simulation_proofs {
        config.chain.proof_system = ProofSystemName::Simulation;
        config.statemachine.allow_simulation_only = true;
    }
    if config.chain.proof_system == ProofSystemName::Simulation
        && !config.statemachine.allow_simulation_only
    {
        bail!(
            "chain.proof_system = \"simulation\" needs statemachine.allow_simulation_only = true"
        );
    }
    Ok(config)
}

async fn run_devnet(config: NodeConfig, args: &DevnetArgs) -> anyhow::Result<String> {
    #[allow(clippy::disallowed_methods)] // The summary's wall time, outside the actors.
    let started = std::time::Instant::now();
    let data_dir = config.node.data_dir.clone();
    if args.fresh {
        for old in [data_dir.join("db"), data_dir.join(&config.log.file)] {
            if old.is_dir() {
                std::fs::remove_dir_all(&old)
            } else if old.exists() {
                std::fs::remove_file(&old)
            } else {
                Ok(())
            }
            .with_context(|| format!("removing {}", old.display()))?;
        }
    }
    let base = NodeBase::open(&config)?;
    let devnet = start(&config, base).await?;
    let cluster = bitai_transport::start_coordinator(&config.cluster).await?;
    let result = drive(&devnet, &config, args, started, cluster.as_ref()).await;
    if let Some(cluster) = cluster {
        cluster.stop().await;
    }
    devnet.pipeline.stop().await;
    result
}

async fn drive(
    devnet: &Devnet,
    config: &NodeConfig,
    args: &DevnetArgs,
    started: std::time::Instant,
    cluster: Option<&bitai_transport::ClusterHandle>,
) -> anyhow::Result<String> {
    let (p, chain) = (&devnet.pipeline, devnet.chain);
    let server = p.serve_rpc(&config.rpc).await?;
    let _explorer = p.serve_explorer(&config.explorer).await?;
    let admin = bitai_node::base::serve_admin(config, p, "all", server.as_ref(), cluster).await?;
    eprintln!("devnet chain: {chain}");
    let seed = config.node.seed;
    let sequencer = p
        .host
        .sequencer(&chain)
        .await
        .context("the devnet chain's sequencer")?;
    let load = (!args.no_load).then(|| {
        let plan = loadgen::LoadPlan {
            total: args.txs.unwrap_or(u64::MAX),
            tps: args.tps,
            fee: config.sequencer.min_fee,
            seed,
        };
        let keys = loadgen::account_keys(seed, config.chain.accounts);
        tokio::spawn(loadgen::run(chain, sequencer.clone(), keys, plan))
    });

    let bar = progress::bar(args.no_progress, args.l2_blocks);
    let start_height = config.indexer.start_height;
    let mut halt = p.halt.clone();
    let outcome = loop {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => break Ok(None),
            changed = halt.changed() => {
                let reason = if changed.is_ok() { halt.borrow().clone() } else { None };
                break Err(anyhow::anyhow!("the node stopped: {}", reason.unwrap_or_else(|| "supervisor stopped".into())));
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let s = progress::snapshot(p).await;
        progress::show(&bar, &s, Some(&chain));
        if reached(&s, &chain, args, start_height) {
            break Ok(Some(s));
        }
    };
    bar.finish_and_clear();
    if let Some(load) = load {
        load.abort();
    }
    if let Some(admin) = admin {
        admin.stop().await;
    }
    if let Some(server) = server {
        server.stop().await;
    }
    let Some(snapshot) = outcome? else {
        return Ok("interrupted; the devnet stopped cleanly (run it again to resume)".into());
    };
    summarise(p, &chain, config, &snapshot, started).await
}

fn reached(s: &Snapshot, chain: &ChainId, args: &DevnetArgs, start_height: u64) -> bool {
    if let Some(n) = args.bitcoin_blocks {
        return s.bitcoin_height.is_some_and(|h| h + 1 >= start_height + n);
    }
    let Some(c) = s.chain(chain) else {
        return false;
    };
    let l2_goal = args.l2_blocks.is_none_or(|n| c.final_block >= n);
    let tx_goal = args
        .txs
        .is_none_or(|_| c.pending == 0 && c.head > 0 && c.final_block >= c.head);
    (args.l2_blocks.is_some() || args.txs.is_some()) && l2_goal && tx_goal
}

async fn summarise(
    p: &Pipeline,
    chain: &ChainId,
    config: &NodeConfig,
    s: &Snapshot,
    started: std::time::Instant,
) -> anyhow::Result<String> {
    let roots = progress::check_roots(p).await?;
    let conservation = check_conservation(p, chain, config).await?;
    let c = s.chain(chain).context("the devnet chain")?;
    let mut out = format!(
        "devnet: {} L2 blocks final on the BitAI side (head {}), Bitcoin height {}, in {:.1} s wall time\n",
        c.final_block,
        c.head,
        s.bitcoin_height.unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    for line in roots {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!("  {conservation}"));
    Ok(out)
}
