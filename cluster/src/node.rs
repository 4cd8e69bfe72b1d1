//! The node's actor graph, shared by `bitai node` (a long-running node against Bitcoin Core
//! or SimBitcoin) and `bitai devnet` (everything in one process): the roles under one
//! supervisor, their proxies, and the loop that shows progress and watches for the goal, a
//! halt or Ctrl-C.
//!
//! Today the graph is the Bitcoin side (indexer and chain log, plus SimMiner on SimBitcoin);
//! the roles of the later issues join it here.

use crate::devnet::chain_log::{ChainLog, ChainLogArgs, ChainLogMsg, ChainLogStatus};
use anyhow::Context;
use bitai_bitcoin::SharedBitcoin;
use bitai_indexer::{Indexer, IndexerArgs, IndexerConfig, IndexerMetrics, IndexerMsg};
use bitai_runtime::{ChildSpec, RestartPolicy, RoleRef, SharedClock, Supervisor, SupervisorArgs};
use bitai_storage::SharedStore;
use indicatif::{ProgressBar, ProgressStyle};
use ractor::Actor;
use std::sync::Arc;
use std::time::Duration;

/// What every node process opens before its roles: the data directory, the log file, the
/// Prometheus endpoint, the store and the clock. `bitai node` and `bitai devnet` share it.
pub struct NodeBase {
    /// The node's store (fjall in `data_dir/db`).
    pub store: SharedStore,
    /// The metrics registry, served on `[metrics] listen`.
    pub registry: prometheus::Registry,
    /// The real-time clock.
    pub clock: SharedClock,
}

impl NodeBase {
    /// Creates the data directory if needed and opens everything in it.
    pub fn open(config: &crate::config::NodeConfig) -> anyhow::Result<Self> {
        let data_dir = &config.node.data_dir;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let log_file = data_dir.join(&config.log.file);
        crate::telemetry::init_logs(&log_file, &config.log.filter)?;
        let registry = prometheus::Registry::new();
        if !config.metrics.listen.is_empty() {
            let addr = crate::telemetry::serve_metrics(&config.metrics.listen, registry.clone())?;
            eprintln!(
                "metrics: http://{addr}/metrics   logs: {}",
                log_file.display()
            );
        }
        let durability = if config.node.fsync {
            bitai_storage::Durability::Power
        } else {
            bitai_storage::Durability::Process
        };
        let store: SharedStore = Arc::new(
            bitai_storage::FjallStore::open(data_dir.join("db"), durability)
                .context("opening the store")?,
        );
        let clock: SharedClock = Arc::new(bitai_runtime::TokioClock::real());
        Ok(Self {
            store,
            registry,
            clock,
        })
    }
}

/// The multi-threaded runtime a node runs on, or the exit code that says it could not start.
pub fn runtime() -> Result<tokio::runtime::Runtime, std::process::ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: starting the runtime: {e}");
            std::process::ExitCode::from(crate::cli::EXIT_FAILURE)
        })
}

/// How a run ended.
pub enum Outcome {
    /// The goal height was applied.
    Reached(ChainLogStatus),
    /// A role stopped the node, with its reason.
    Halted(String),
    /// Ctrl-C.
    Interrupted,
}

/// What the graph is built from.
pub struct NodeParts {
    /// The Bitcoin backend.
    pub bitcoin: SharedBitcoin,
    /// The node's store.
    pub store: SharedStore,
    /// The clock.
    pub clock: SharedClock,
    /// Indexer configuration.
    pub indexer: IndexerConfig,
    /// The metrics registry.
    pub registry: prometheus::Registry,
    /// Children that run before the node's own roles (SimMiner in the devnet).
    pub extra_children: Vec<ChildSpec>,
}

/// Starts the graph and runs until `goal_height` is applied (if any), a role halts the node,
/// or Ctrl-C. Stops the graph before returning.
pub async fn run(
    parts: NodeParts,
    goal_height: Option<u64>,
    progress: bool,
) -> anyhow::Result<Outcome> {
    let indexer = RoleRef::<IndexerMsg>::spawn(Some("indexer".into()), "indexer", 10_000).await?;
    let chain_log =
        RoleRef::<ChainLogMsg>::spawn(Some("chain_log".into()), "chain_log", 10_000).await?;
    let keep = u64::from(parts.indexer.reorg_depth_max) + 1;
    let start = parts.indexer.start_height;
    let log_args = ChainLogArgs {
        store: parts.store.clone(),
        indexer: indexer.clone(),
        keep,
    };
    let indexer_args = IndexerArgs {
        config: parts.indexer,
        bitcoin: parts.bitcoin.clone(),
        store: parts.store,
        keyspace: bitai_indexer::DEFAULT_KEYSPACE.to_owned(),
        watch: None,
        sink: Arc::new(chain_log.clone()),
        clock: parts.clock.clone(),
        metrics: IndexerMetrics::new(&parts.registry),
    };
    let mut children = parts.extra_children;
    children.push(ChildSpec::role("chain_log", chain_log.clone(), move || {
        (ChainLog, log_args.clone())
    }));
    children.push(ChildSpec::role("indexer", indexer, move || {
        (Indexer, indexer_args.clone())
    }));
    let (halt_tx, mut halt) = tokio::sync::watch::channel(None);
    let args = SupervisorArgs {
        children,
        policy: RestartPolicy::default(),
        clock: parts.clock,
        halt: Some(halt_tx),
    };
    let (supervisor, handle) = Actor::spawn(Some("node".into()), Supervisor, args)
        .await
        .context("starting the node's roles")?;

    let bar = progress_bar(!progress, goal_height.map(|g| g + 1 - start.min(g + 1)));
    let outcome = loop {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => break Outcome::Interrupted,
            changed = halt.changed() => {
                let reason = if changed.is_ok() { halt.borrow().clone() } else { None };
                break Outcome::Halted(reason.unwrap_or_else(|| "supervisor stopped".into()));
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let Some(status) = chain_log.ask(ChainLogMsg::Status, 2_000).await else {
            continue;
        };
        let tip = parts.bitcoin.tip().ok();
        show_progress(&bar, tip.map(|t| t.height), &status, start);
        if let (Some(goal), Some((h, _))) = (goal_height, status.tip) {
            if h >= goal {
                break Outcome::Reached(status);
            }
        }
    };
    bar.finish_and_clear();
    supervisor.stop(None);
    let _ = handle.await;
    Ok(outcome)
}

fn progress_bar(hidden: bool, goal_blocks: Option<u64>) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let (bar, template) = match goal_blocks {
        Some(n) => (
            ProgressBar::new(n),
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} blocks indexed  {msg}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} [{elapsed_precise}] {pos} blocks indexed  {msg}",
        ),
    };
    bar.set_style(ProgressStyle::with_template(template).expect("the template is valid"));
    bar
}

fn show_progress(bar: &ProgressBar, bitcoin_tip: Option<u64>, s: &ChainLogStatus, start: u64) {
    let indexed = s.tip.map_or(0, |(h, _)| (h + 1).saturating_sub(start));
    bar.set_position(indexed);
    bar.set_message(format!(
        "bitcoin tip {}  BitAI txs {}",
        bitcoin_tip.map_or("?".into(), |h| h.to_string()),
        s.bitai_txs
    ));
}

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
    use crate::cli::{EXIT_BAD_INPUT, EXIT_FAILURE};
    use std::process::ExitCode;
    let config = match crate::config::NodeConfig::load(&args.config) {
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
    match runtime.block_on(run_node(config, &args)) {
        Ok(Outcome::Halted(reason)) => {
            eprintln!("error: the node stopped: {reason}");
            ExitCode::from(EXIT_FAILURE)
        }
        Ok(Outcome::Reached(status)) => {
            println!(
                "node: applied up to {:?}; {} BitAI transactions",
                status.tip, status.bitai_txs
            );
            ExitCode::SUCCESS
        }
        Ok(Outcome::Interrupted) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

async fn run_node(config: crate::config::NodeConfig, args: &NodeArgs) -> anyhow::Result<Outcome> {
    use crate::config::BitcoinBackend;
    let NodeBase {
        store,
        registry,
        clock,
    } = NodeBase::open(&config)?;
    let mut extra_children = Vec::new();
    let network = match (&config.bitcoin.backend, &config.bitcoin.core) {
        (BitcoinBackend::Core, Some(core)) => core.network.to_bitcoin(),
        _ => ::bitcoin::Network::Regtest,
    };
    let bitcoin: SharedBitcoin = match config.bitcoin.backend {
        BitcoinBackend::Core => {
            let core = config
                .bitcoin
                .core
                .clone()
                .context("[bitcoin.core] is required")?;
            Arc::new(bitai_bitcoin::CoreRpc::connect(&core).context("connecting to Bitcoin Core")?)
        }
        BitcoinBackend::Sim => {
            // SimBitcoin keeps its chain in memory: a node on it starts from genesis.
            let sim = bitai_simulation::bitcoin::SimBitcoin::new(
                config.bitcoin.sim.clone(),
                clock.clone(),
            )
            .context("starting SimBitcoin")?;
            extra_children.push(crate::devnet::miner_child(&sim, &clock).await?);
            Arc::new(sim)
        }
    };
    // The inscriber, with its own indexer instance; the operator funds its wallet.
    let inscriber = crate::inscriber::roles(
        &config,
        bitcoin.clone(),
        store.clone(),
        clock.clone(),
        &registry,
    )
    .await?;
    match ::bitcoin::Address::from_script(&inscriber.wallet_script_pubkey, network) {
        Ok(address) => eprintln!("inscriber wallet: send funds to {address}"),
        Err(_) => eprintln!(
            "inscriber wallet script: {:x}",
            inscriber.wallet_script_pubkey
        ),
    }
    extra_children.extend(inscriber.children);
    let start = config.indexer.start_height;
    let parts = NodeParts {
        bitcoin,
        store,
        clock,
        indexer: config.indexer.clone(),
        registry,
        extra_children,
    };
    run(
        parts,
        args.bitcoin_blocks.map(|n| start + n.saturating_sub(1)),
        !args.no_progress,
    )
    .await
}
