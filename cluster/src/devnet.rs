//! `bitai devnet`: the whole pipeline in one process on the embedded defaults: SimBitcoin
//! mining on its seeded schedule, the embedded DA store, local provers, fjall in the data
//! directory, the JSON-RPC server, logs in a file and Prometheus metrics on a port. At its
//! first start it creates its own AI chain (genesis accounts with keys from the seed) and,
//! unless told not to, a load generator sends transfers on it.
//!
//! Everything is persisted, SimBitcoin's chain included: a devnet killed at any point (even
//! with SIGKILL) and started again on the same data directory resumes where it was, and
//! `--fresh` starts over.

use crate::config::{BitcoinBackend, NodeConfig};
use crate::node::NodeBase;
use crate::pipeline::config::ProofSystemName;
use crate::pipeline::keys::{self, CircuitKeys};
use crate::pipeline::progress::{self, Snapshot};
use crate::pipeline::{self, loadgen, neurons, Pipeline, PipelineParts};
use anyhow::{bail, Context};
use bitai_bitcoin::{BitcoinPort, SharedBitcoin};
use bitai_neuron::NeuronMsg;
use bitai_protocol::ChainId;
use bitai_runtime::{ChildSpec, RoleRef, SharedClock};
use bitai_simulation::bitcoin::{SimBitcoin, SimMiner, SimMinerArguments};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The devnet's embedded configuration (the file `configs/devnet.toml`).
const DEVNET_TOML: &str = include_str!("../../configs/devnet.toml");

/// Blocks SimBitcoin mines at a fresh start so the inscriber's first coinbase (block 2) is
/// spendable at once (regtest's `generatetoaddress`).
const PREMINE_BLOCKS: u64 = 102;

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
            return ExitCode::from(crate::cli::EXIT_BAD_INPUT);
        }
    };
    let runtime = match crate::node::runtime() {
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

/// The devnet's embedded configuration, `configs/devnet.toml`.
pub fn embedded_config() -> NodeConfig {
    NodeConfig::parse(DEVNET_TOML, std::path::Path::new("configs/devnet.toml"))
        .expect("the embedded devnet config parses (a config test checks it)")
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
    let cluster = crate::cluster_node::start_coordinator(&config.cluster).await?;
    let result = drive(&devnet, &config, args, started).await;
    if let Some(cluster) = cluster {
        cluster.stop().await;
    }
    devnet.pipeline.stop().await;
    result
}

/// A running devnet: the pipeline, the SimBitcoin under it and the devnet chain.
pub struct Devnet {
    /// The pipeline's roles.
    pub pipeline: Pipeline,
    /// The simulated Bitcoin network (tests reorg and inscribe on it); `None` on Bitcoin Core.
    pub sim: Option<SimBitcoin>,
    /// The devnet chain's id.
    pub chain: ChainId,
    /// The circuit keys the provers use.
    pub keys: CircuitKeys,
    /// The devnet's neurons.
    pub neurons: Vec<RoleRef<NeuronMsg>>,
}

/// Starts the devnet on `base` (its store, metrics and clock): circuit keys, SimBitcoin
/// (resumed from the store, or premined when fresh), the pipeline, and the devnet chain
/// (created at the first start, resumed after).
pub async fn start(config: &NodeConfig, base: NodeBase) -> anyhow::Result<Devnet> {
    start_with_neurons(config, base, devnet_neurons(config)).await
}

/// [`start`] with the given neurons instead of the config's (tests inject faults this way;
/// their accounts must be funded by the genesis, as `chain.neurons` funds them).
pub async fn start_with_neurons(
    config: &NodeConfig,
    base: NodeBase,
    plans: Vec<neurons::NeuronPlan>,
) -> anyhow::Result<Devnet> {
    let NodeBase {
        store,
        registry,
        clock,
    } = base;
    let system = config.chain.proof_system.to_protocol();
    let cache = keys::resolve(&config.node.data_dir, &config.prover.key_cache_dir);
    let circuit_keys =
        CircuitKeys::devnet(system, &[config.chain.circuit()], config.node.seed, &cache)?;
    let (bitcoin, sim, extra_children) = match config.bitcoin.backend {
        BitcoinBackend::Sim => {
            let sim = open_sim(config, &store, &clock)?;
            let miner = miner_child(&sim, &clock).await?;
            tracing::info!(seed = config.node.seed, "devnet starting on SimBitcoin");
            let bitcoin: SharedBitcoin = Arc::new(sim.clone());
            (bitcoin, Some(sim), vec![miner])
        }
        BitcoinBackend::Core => {
            // A real regtest (or signet) node: it mines; the operator funds the inscriber.
            crate::node::announce_wallet(config, &store)?;
            tracing::info!("devnet starting on Bitcoin Core");
            (crate::node::connect_core(config)?, None, Vec::new())
        }
    };
    let pipeline = pipeline::start(PipelineParts {
        config: config.clone(),
        bitcoin,
        store,
        clock,
        registry,
        keys: circuit_keys.clone(),
        extra_children,
    })
    .await?;
    let (create, genesis) = loadgen::devnet_chain(&config.chain, config.node.seed, &circuit_keys)?;
    let chain = pipeline
        .host
        .create(create, genesis)
        .await
        .context("creating the devnet chain")?;
    let neurons = neurons::start_neurons(
        &pipeline,
        chain,
        &plans,
        &config.neuron,
        config.sequencer.min_fee,
    )
    .await
    .context("starting the devnet's neurons")?;
    if !plans.is_empty() {
        tracing::info!(neurons = plans.len(), "devnet neurons started");
    }
    Ok(Devnet {
        pipeline,
        sim,
        chain,
        keys: circuit_keys,
        neurons,
    })
}

/// The devnet's neurons: accounts after the load generator's, keys from the node seed.
pub fn devnet_neurons(config: &NodeConfig) -> Vec<neurons::NeuronPlan> {
    let c = &config.chain;
    loadgen::neuron_keys(config.node.seed, loadgen::devnet_neuron_count(c))
        .into_iter()
        .enumerate()
        .map(|(i, key)| neurons::NeuronPlan {
            account: c.accounts + i as u32,
            key,
            stake: c.neuron_stake,
            faults: Default::default(),
        })
        .collect()
}

async fn drive(
    devnet: &Devnet,
    config: &NodeConfig,
    args: &DevnetArgs,
    started: std::time::Instant,
) -> anyhow::Result<String> {
    let (p, chain) = (&devnet.pipeline, devnet.chain);
    let server = p.serve_rpc(&config.rpc).await?;
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

/// Balances, stakes, escrow and everything burned (fees, slashes) equal the genesis supply,
/// and the accounts' nonces count exactly the signed transactions in blocks (transfers and
/// ops): nothing lost, nothing made twice.
pub async fn check_conservation(
    p: &Pipeline,
    chain: &ChainId,
    config: &NodeConfig,
) -> anyhow::Result<String> {
    use bitai_messages::sequencer::SequencerMsg;
    let sequencer = p
        .host
        .sequencer(chain)
        .await
        .context("the devnet chain's sequencer")?;
    let head = sequencer
        .ask(|reply| SequencerMsg::Head { reply }, 10_000)
        .await
        .context("the sequencer did not answer")?;
    let s = sequencer
        .ask(|reply| SequencerMsg::Supply { reply }, 10_000)
        .await
        .context("the sequencer did not answer")?;
    let accounts =
        config.chain.accounts + config.chain.neurons * u32::from(config.chain.block_ops > 0);
    let supply = u128::from(config.chain.balance) * u128::from(accounts);
    anyhow::ensure!(
        s.total() == supply,
        "balances {} + stakes {} + escrow {} + burned fees {} + slashed {} != genesis supply {supply}",
        s.balances,
        s.stakes,
        s.escrow,
        s.fees_burned,
        s.slashed
    );
    anyhow::ensure!(
        s.nonces == s.transfers + s.signed_ops,
        "nonces sum to {} but the blocks hold {} transfers and {} signed ops",
        s.nonces,
        s.transfers,
        s.signed_ops
    );
    Ok(format!(
        "{} transfers and {} ops in {} blocks; balances {} + stakes {} + escrow {} + burned fees {} + slashed {} = supply {supply}; nonces match",
        s.transfers,
        head.ops,
        head.number,
        s.balances,
        s.stakes,
        s.escrow,
        s.fees_burned,
        s.slashed
    ))
}

/// SimBitcoin on the node's store, premined at a fresh start like regtest's
/// `generatetoaddress`: block 1 pays SimBitcoin's own miner wallet (an outside party's coins,
/// for tests that inscribe on their own), every later coinbase the inscriber's wallet, so its
/// first coinbase matures during the premine. One block per batch: a kill mid-premine resumes.
fn open_sim(
    config: &NodeConfig,
    store: &bitai_storage::SharedStore,
    clock: &SharedClock,
) -> anyhow::Result<SimBitcoin> {
    let sim = SimBitcoin::open(config.bitcoin.sim.clone(), clock.clone(), store.clone())
        .context("opening SimBitcoin")?;
    let wallet = bitai_inscriber::wallet_keys(&config.inscriber, store, config.node.seed)?;
    let tip = || sim.tip().context("reading SimBitcoin").map(|t| t.height);
    if tip()? == 0 {
        sim.try_mine_block().context("premining")?;
    }
    sim.set_coinbase_script_pubkey(wallet.script_pubkey().clone());
    while tip()? < PREMINE_BLOCKS {
        sim.try_mine_block().context("premining")?;
    }
    Ok(sim)
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
