//! What every node process shares, `bitai node` (a long-running node against Bitcoin Core or
//! SimBitcoin) and `bitai devnet` (everything in one process): opening the data directory,
//! logs, metrics, store and clock ([`NodeBase`]), SimBitcoin's miner as a role
//! ([`miner_child`]), the loop that shows progress and watches for the goal, a halt or
//! Ctrl-C ([`watch`]), and a whole node's run ([`run_node`]). The actor graph itself is
//! [`crate::pipeline`].

use crate::pipeline::keys::CircuitKeys;
use crate::pipeline::progress::{self, Snapshot};
use crate::pipeline::{Pipeline, PipelineParts};
use anyhow::Context;
use bitai_bitcoin::SharedBitcoin;
use bitai_protocol::ChainId;
use bitai_runtime::{ChildSpec, RoleRef, SharedClock};
use bitai_simulation::bitcoin::{SimBitcoin, SimMiner, SimMinerArguments};
use bitai_storage::SharedStore;
use indicatif::ProgressBar;
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
    /// The cluster transport prover and neuron nodes reach the node through; `None`: ractor's
    /// process groups when `[cluster] listen` is set, no cluster otherwise (`bitai sim`
    /// injects its simulated network here).
    pub transport: Option<crate::pipeline::cluster::ClusterTransport>,
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
            transport: None,
        })
    }
}

/// How a run ended.
pub enum RunOutcome {
    /// The goal was reached; the last progress snapshot.
    Reached(Snapshot),
    /// A role stopped the node, with its reason.
    Halted(String),
    /// Ctrl-C.
    Interrupted,
}

/// Runs until `goal` holds for the progress snapshot (checked every 250 ms), a role halts
/// the node, or Ctrl-C or SIGTERM, showing progress on `bar` (towards the final L2 blocks of `focus`).
pub async fn watch(
    p: &Pipeline,
    focus: Option<ChainId>,
    bar: &ProgressBar,
    goal: impl Fn(&Snapshot) -> bool,
) -> RunOutcome {
    let mut halt = p.halt.clone();
    // SIGTERM (what service managers send before a restart or an upgrade) stops the node as
    // cleanly as Ctrl-C: every role stops, last started first, and the store is flushed.
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => return RunOutcome::Interrupted,
            Some(()) = async {
                match terminate.as_mut() {
                    Some(t) => t.recv().await,
                    None => std::future::pending().await,
                }
            } => return RunOutcome::Interrupted,
            changed = halt.changed() => {
                let reason = if changed.is_ok() { halt.borrow().clone() } else { None };
                return RunOutcome::Halted(reason.unwrap_or_else(|| "supervisor stopped".into()));
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let s = progress::snapshot(p).await;
        progress::show(bar, &s, focus.as_ref());
        if goal(&s) {
            return RunOutcome::Reached(s);
        }
    }
}

/// The SimMiner role: mines `sim` on its seeded schedule by `clock`.
pub async fn miner_child(sim: &SimBitcoin, clock: &SharedClock) -> anyhow::Result<ChildSpec> {
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

/// Connects to the Bitcoin Core node of `[bitcoin.core]`.
pub fn connect_core(config: &crate::config::NodeConfig) -> anyhow::Result<SharedBitcoin> {
    let core = config
        .bitcoin
        .core
        .clone()
        .context("[bitcoin.core] is required")?;
    Ok(Arc::new(
        bitai_bitcoin::CoreRpc::connect(&core).context("connecting to Bitcoin Core")?,
    ))
}

/// Prints the inscriber wallet's address, which the operator funds (on Bitcoin Core; the
/// devnet's SimBitcoin pays it its coinbases).
pub fn announce_wallet(
    config: &crate::config::NodeConfig,
    store: &SharedStore,
) -> anyhow::Result<()> {
    let network = match &config.bitcoin.core {
        Some(core) if config.bitcoin.backend == crate::config::BitcoinBackend::Core => {
            core.network.to_bitcoin()
        }
        _ => ::bitcoin::Network::Regtest,
    };
    let wallet = bitai_inscriber::wallet_keys(&config.inscriber, store, config.node.seed)?;
    match ::bitcoin::Address::from_script(wallet.script_pubkey(), network) {
        Ok(address) => eprintln!("inscriber wallet: send funds to {address}"),
        Err(_) => eprintln!("inscriber wallet script: {:x}", wallet.script_pubkey()),
    }
    Ok(())
}

/// Starts the admin endpoint of `[admin]` (None when it is off) over `p`, a node of `kind`
/// with its public API `rpc` and its cluster `cluster`; prints the address.
pub async fn serve_admin(
    config: &crate::config::NodeConfig,
    p: &Pipeline,
    kind: &str,
    rpc: Option<&bitai_rpc::RpcServer>,
    cluster: Option<&bitai_transport::ClusterHandle>,
) -> anyhow::Result<Option<bitai_rpc::RpcServer>> {
    if !config.admin.enabled() {
        return Ok(None);
    }
    let token = bitai_rpc::admin::AdminToken::load(std::path::Path::new(&config.admin.token_file))
        .map_err(anyhow::Error::msg)?;
    let roster = match cluster {
        Some(c) => crate::admin::roster::Roster::follow(c.server().clone(), p.clock.clone()),
        None => crate::admin::roster::Roster::none(p.clock.clone()),
    };
    let api = crate::admin::NodeAdmin::new(
        p,
        kind,
        rpc.map(|s| s.url()),
        cluster.map(|_| config.cluster.listen.clone()),
        roster,
    );
    let server = bitai_rpc::admin::serve_admin(&config.admin, token, Arc::new(api))
        .await
        .context("starting the admin endpoint")?;
    eprintln!("admin: {} (bearer token)", server.url());
    Ok(Some(server))
}

/// Runs a node on `config` until Ctrl-C, a halt, or (with `bitcoin_blocks`) until that many
/// Bitcoin blocks past the start height are applied; `no_progress` hides the progress line.
/// The node runs what its kind says: every role (`all`), the BitAI side alone (`bitai`:
/// no local provers, no chain hosted), or a chain's side without Bitcoin (`chain`: its proofs
/// go to the BitAI nodes of `[bitai_nodes]`).
pub async fn run_node(
    mut config: crate::config::NodeConfig,
    bitcoin_blocks: Option<u64>,
    no_progress: bool,
) -> anyhow::Result<RunOutcome> {
    use crate::config::{BitcoinBackend, NodeKind};
    let kind = config.node.kind;
    anyhow::ensure!(
        matches!(kind, NodeKind::All | NodeKind::Bitai | NodeKind::Chain),
        "a {} node joins another node's cluster (bitai node runs it through the CLI)",
        kind.as_str()
    );
    if kind == NodeKind::Bitai {
        // The BitAI side proves nothing and sequences nothing.
        config.prover.workers = 0;
    }
    let NodeBase {
        store,
        registry,
        clock,
        transport,
    } = NodeBase::open(&config)?;
    let mut extra_children = Vec::new();
    let bitcoin: Option<SharedBitcoin> = match (kind, config.bitcoin.backend) {
        (NodeKind::Chain, _) => None,
        (_, BitcoinBackend::Core) => Some(connect_core(&config)?),
        (_, BitcoinBackend::Sim) => {
            // SimBitcoin keeps its chain in the node's store: a restart resumes it. Premined
            // at a fresh start, with every later coinbase paying the inscriber's wallet.
            let sim = crate::devnet::open_sim(&config, &store, &clock)?;
            extra_children.push(miner_child(&sim, &clock).await?);
            Some(Arc::new(sim))
        }
    };
    if bitcoin.is_some() {
        announce_wallet(&config, &store)?;
    }
    let cache = crate::pipeline::keys::resolve(&config.node.data_dir, &config.prover.key_cache_dir);
    let shapes = match kind {
        NodeKind::Bitai => Vec::new(),
        _ => vec![config.chain.circuit()],
    };
    let keys = CircuitKeys::devnet(
        config.chain.proof_system.to_protocol(),
        &shapes,
        config.node.seed,
        &cache,
    )?;
    let p = crate::pipeline::start(PipelineParts {
        config: config.clone(),
        bitcoin,
        store,
        clock,
        registry,
        keys,
        extra_children,
        transport,
    })
    .await?;
    let server = p.serve_rpc(&config.rpc).await?;
    let _explorer = p.serve_explorer(&config.explorer).await?;
    let cluster = bitai_transport::start_coordinator(&config.cluster).await?;
    let admin = serve_admin(
        &config,
        &p,
        kind.as_str(),
        server.as_ref(),
        cluster.as_ref(),
    )
    .await?;
    eprintln!("node: kind {}", kind.as_str());
    let start = config.indexer.start_height;
    let goal = bitcoin_blocks.map(|n| start + n.saturating_sub(1));
    let bar = progress::bar(no_progress, None);
    let outcome = watch(&p, None, &bar, |s| {
        goal.is_some_and(|g| s.bitcoin_height.is_some_and(|h| h >= g))
    })
    .await;
    bar.finish_and_clear();
    if let Some(admin) = admin {
        admin.stop().await;
    }
    if let Some(server) = server {
        server.stop().await;
    }
    if let Some(cluster) = cluster {
        cluster.stop().await;
    }
    p.stop().await;
    Ok(outcome)
}
