//! The whole pipeline as one actor graph on one node: the indexer feeding the state machine,
//! the prover pool and its provers, the BitAI mempool in front of the inscriber (with the
//! inscriber's own indexer), and one sequencer per hosted chain, all under one supervisor.
//! `bitai devnet` and `bitai node` build it with [`start`]; the end-to-end tests build it the
//! same way around a SimBitcoin they control. A chain node (`[node] kind = "chain"`) builds
//! the same graph without the BitAI roles: its [`relay::BitaiRelay`] stands in the mempool's
//! place and sends to the BitAI nodes of `[bitai_nodes]`, whose view of its chains it
//! publishes as the node's state view.
//!
//! Data flow (the eight steps of docs/design.md): users → sequencer (persist, DA, L2 block) → prover
//! pool → provers → `SubmitProof` → mempool (pre-executed) → inscriber → Bitcoin → indexer →
//! state machine (chain registry, verifier contract) → the `StateView` everyone reads.

pub mod api;
pub mod cluster;
pub mod config;
pub mod host;
pub mod keys;
pub mod loadgen;
pub mod neurons;
pub mod progress;
pub mod relay;

use anyhow::Context;
use bitai_bitcoin::SharedBitcoin;
use bitai_da::EmbeddedDa;
use bitai_indexer::{Indexer, IndexerArgs, IndexerMetrics};
use bitai_mempool::{BitaiMempool, MempoolArgs, MempoolMetrics};
use bitai_messages::da::SharedDa;
use bitai_messages::indexer::IndexerMsg;
use bitai_messages::inscriber::InscriberMsg;
use bitai_messages::mempool::MempoolMsg;
use bitai_messages::prover::{PoolMsg, ProverMsg};
use bitai_messages::statemachine::{StateMachineMsg, StateView};
use bitai_prover::{PoolArgs, PoolConfig, PoolMetrics, Prover, ProverArgs, ProverPool};
use bitai_runtime::{
    ChildSpec, RestartPolicy, RoleRef, SharedClock, Supervisor, SupervisorArgs, SupervisorMsg,
};
use bitai_statemachine::{StateMachine, StateMachineArgs, StateMachineMetrics};
use bitai_storage::SharedStore;
use host::{ChainHost, SequencerPorts};
use keys::CircuitKeys;
use ractor::{Actor, ActorRef};
use std::sync::Arc;
use tokio::sync::watch;

/// Largest DA blob the embedded DA store takes (a block of 1,024 transfers is 136 KiB).
const MAX_DA_BLOB_BYTES: usize = 4 << 20;

/// What the graph is built from.
pub struct PipelineParts {
    /// The node config (all tables).
    pub config: crate::config::NodeConfig,
    /// The Bitcoin backend; `None` on a chain node, whose BitAI side runs on the nodes of
    /// `[bitai_nodes]`.
    pub bitcoin: Option<SharedBitcoin>,
    /// The node's store.
    pub store: SharedStore,
    /// The clock.
    pub clock: SharedClock,
    /// The metrics registry.
    pub registry: prometheus::Registry,
    /// The circuit keys the provers use.
    pub keys: CircuitKeys,
    /// Children started before the pipeline's own (SimMiner in the devnet).
    pub extra_children: Vec<ChildSpec>,
    /// The cluster transport prover and neuron nodes reach the node through; `None`: ractor's
    /// process groups when `[cluster] listen` is set, no cluster otherwise.
    pub transport: Option<cluster::ClusterTransport>,
}

/// The running graph and the handles the node's API, the devnet and the tests use.
pub struct Pipeline {
    /// The supervisor of every role.
    pub supervisor: ActorRef<SupervisorMsg>,
    /// Its join handle.
    pub handle: ractor::concurrency::JoinHandle<()>,
    /// Why the supervisor stopped on its own, when it does.
    pub halt: watch::Receiver<Option<String>>,
    /// The hosted chains and their sequencers.
    pub host: Arc<ChainHost>,
    /// The state machine's published state (on a chain node: the BitAI nodes' view of its
    /// chains, through the relay).
    pub view: watch::Receiver<Arc<StateView>>,
    /// The BitAI mempool (on a chain node: the relay to the BitAI nodes).
    pub mempool: RoleRef<MempoolMsg>,
    /// The prover pool.
    pub pool: RoleRef<PoolMsg>,
    /// The BitAI roles, when this node runs them (every kind but `chain`).
    pub bitai: Option<BitaiRoles>,
    /// The DA layer.
    pub da: SharedDa,
    /// The store.
    pub store: SharedStore,
    /// The clock.
    pub clock: SharedClock,
    /// Each local prover's fault switch, by its role name (the simulation injects hung and
    /// lying provers through them; a node never sets them).
    pub prover_faults: Vec<(String, bitai_prover::ProverFaults)>,
    /// The neuron gateway's leases (empty without a cluster transport).
    pub neuron_leases: bitai_neuron::remote::gateway::LeaseBoard,
}

/// The roles of the BitAI side: the indexer feeding the state machine, the inscriber (with its
/// own indexer), and the Bitcoin backend they read.
pub struct BitaiRoles {
    /// The state machine.
    pub statemachine: RoleRef<StateMachineMsg>,
    /// The inscriber.
    pub inscriber: RoleRef<InscriberMsg>,
    /// The node's indexer (feeding the state machine).
    pub indexer: RoleRef<IndexerMsg>,
    /// The Bitcoin backend.
    pub bitcoin: SharedBitcoin,
}

/// The registration of every chain this node hosts: the prover pool checks each proof
/// against its proof system and verifying key before accepting it.
pub type HostedChains = Arc<
    std::sync::RwLock<
        std::collections::BTreeMap<bitai_protocol::ChainId, bitai_protocol::CreateChain>,
    >,
>;

/// The pool's check of a proof: the verifier contract's own verification against the key its
/// chain registered (a chain not hosted here, which cannot happen, is let through).
fn proof_check(hosted: HostedChains) -> bitai_prover::ProofCheck {
    Arc::new(move |tx: &bitai_protocol::SubmitProof| {
        let create = hosted
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&tx.chain_id)
            .cloned();
        match create {
            Some(c) => {
                bitai_proofs::verifier::verify_submit_proof(c.proof_system, &c.verifying_key, tx)
                    .map_err(|e| e.to_string())
            }
            None => Ok(()),
        }
    })
}

impl Pipeline {
    /// Serves the node's JSON-RPC API over these roles at `config.listen` (None when the
    /// config leaves `listen` empty); prints the address for the operator.
    pub async fn serve_rpc(
        &self,
        config: &bitai_rpc::RpcConfig,
    ) -> anyhow::Result<Option<bitai_rpc::RpcServer>> {
        if !config.enabled() {
            return Ok(None);
        }
        let api = Arc::new(api::PipelineApi::new(self));
        let server = bitai_rpc::serve(config, api)
            .await
            .context("starting the JSON-RPC server")?;
        eprintln!("json-rpc: {}", server.url());
        Ok(Some(server))
    }

    /// Serves the built-in explorer over these roles at `config.listen` (None when the
    /// config leaves `listen` empty); prints its URL for the operator.
    pub async fn serve_explorer(
        &self,
        config: &bitai_explorer::ExplorerConfig,
    ) -> anyhow::Result<Option<bitai_explorer::ExplorerServer>> {
        if !config.enabled() {
            return Ok(None);
        }
        let api = Arc::new(api::PipelineApi::new(self));
        let server = bitai_explorer::serve(config, api)
            .await
            .context("starting the explorer")?;
        eprintln!("explorer: {}", server.url());
        Ok(Some(server))
    }

    /// Stops every role (last started first) and waits for the supervisor.
    pub async fn stop(self) {
        self.supervisor.stop(None);
        let _ = self.handle.await;
    }
}

/// Starts the graph and resumes every chain hosted before.
pub async fn start(parts: PipelineParts) -> anyhow::Result<Pipeline> {
    let PipelineParts {
        config,
        bitcoin,
        store,
        clock,
        registry,
        keys,
        extra_children,
        transport,
    } = parts;
    let da: SharedDa = Arc::new(EmbeddedDa::new(store.clone(), MAX_DA_BLOB_BYTES));
    let (view_tx, view) = watch::channel(Arc::new(StateView::default()));
    let hosted: HostedChains = Arc::default();
    // On a chain node the relay to the BitAI nodes takes the mempool's place.
    let mempool_name = if bitcoin.is_some() {
        "mempool"
    } else {
        "bitai_relay"
    };
    let mempool =
        RoleRef::<MempoolMsg>::spawn(Some(mempool_name.into()), mempool_name, 100_000).await?;
    let transport = transport.or_else(|| {
        config
            .cluster
            .enabled()
            .then(cluster::ClusterTransport::process_groups)
    });

    let mut children = extra_children;
    let provers = start_provers(
        &config,
        &keys,
        &store,
        &clock,
        &registry,
        &mempool,
        &view,
        &hosted,
        transport.as_ref(),
        &mut children,
    )
    .await?;
    let bitai = match bitcoin {
        Some(bitcoin) => Some(
            start_bitai_side(
                &config,
                bitcoin,
                (&store, &clock, &registry),
                view_tx,
                view.clone(),
                &mempool,
                &mut children,
            )
            .await?,
        ),
        None => {
            let args = relay::RelayArgs {
                nodes: config.bitai_nodes.clients()?,
                hosted: hosted.clone(),
                view: Arc::new(view_tx),
                poll_interval_ms: config.bitai_nodes.poll_interval_ms,
            };
            children.push(ChildSpec::role(mempool_name, mempool.clone(), move || {
                (relay::BitaiRelay, args.clone())
            }));
            None
        }
    };

    let (halt_tx, halt) = watch::channel(None);
    let args = SupervisorArgs {
        children,
        policy: RestartPolicy::default(),
        clock: clock.clone(),
        halt: Some(halt_tx),
    };
    let (supervisor, handle) = Actor::spawn(Some("node".into()), Supervisor, args)
        .await
        .context("starting the node's roles")?;
    let ports = SequencerPorts {
        config: config.sequencer.clone(),
        store: store.clone(),
        da: da.clone(),
        clock: clock.clone(),
        pool: provers.pool.clone(),
        registry: registry.clone(),
    };
    let host = Arc::new(ChainHost::new(
        ports,
        keys,
        mempool.clone(),
        supervisor.clone(),
        hosted,
    ));
    let resumed = host.resume().await.context("resuming hosted chains")?;
    tracing::info!(chains = resumed, "pipeline started");
    let pipeline = Pipeline {
        supervisor,
        handle,
        halt,
        host,
        view,
        mempool,
        pool: provers.pool,
        bitai,
        da,
        store,
        clock,
        prover_faults: provers.faults,
        neuron_leases: Default::default(),
    };
    if let Some(transport) = transport {
        // Neuron nodes reach the chains through this gateway; it needs the chain host, so it
        // starts last, under the same supervisor.
        cluster::start_neuron_gateway(
            &pipeline,
            transport.neurons,
            config.cluster.heartbeat_timeout_ms,
            &registry,
        )
        .await?;
    }
    Ok(pipeline)
}

/// The prover pool and what feeds it.
struct Provers {
    pool: RoleRef<PoolMsg>,
    faults: Vec<(String, bitai_prover::ProverFaults)>,
}

/// Adds the local provers, the prover pool (emitting to `mempool`, confirming by `view`) and,
/// with a cluster transport, the pool's gateway for prover nodes to `children`.
#[allow(clippy::too_many_arguments)]
async fn start_provers(
    config: &crate::config::NodeConfig,
    keys: &CircuitKeys,
    store: &SharedStore,
    clock: &SharedClock,
    registry: &prometheus::Registry,
    mempool: &RoleRef<MempoolMsg>,
    view: &watch::Receiver<Arc<StateView>>,
    hosted: &HostedChains,
    transport: Option<&cluster::ClusterTransport>,
    children: &mut Vec<ChildSpec>,
) -> anyhow::Result<Provers> {
    let pool =
        RoleRef::<PoolMsg>::spawn(Some("prover_pool".into()), "prover_pool", 100_000).await?;
    // Provers first: the pool leases to them as soon as it starts.
    let backend = keys.prover_backend();
    let mut workers = Vec::new();
    let mut faults = Vec::new();
    for i in 0..config.prover.workers {
        let name = format!("prover-{i}");
        let role = RoleRef::<ProverMsg>::spawn(Some(name.clone()), &name, 1_000).await?;
        let args = ProverArgs {
            backend: backend.clone(),
            rng_seed: seed_bytes(config.node.seed, &format!("prover/{i}")),
            clock: clock.clone(),
            faults: bitai_prover::ProverFaults::default(),
        };
        faults.push((name.clone(), args.faults.clone()));
        children.push(ChildSpec::role(&name, role.clone(), move || {
            (Prover, args.clone())
        }));
        workers.push(role);
    }
    let pool_args = PoolArgs {
        store: store.clone(),
        clock: clock.clone(),
        sink: Arc::new(mempool.clone()),
        config: PoolConfig {
            lease_timeout_ms: config.prover.lease_timeout_ms,
            max_attempts: config.prover.max_attempts,
            max_queue: config.prover.max_queue,
            tick_interval_ms: 1_000,
        },
        metrics: PoolMetrics::new(registry).context("prover metrics")?,
        workers,
        check: Some(proof_check(hosted.clone())),
        confirmations: Some(bitai_prover::Confirmations {
            verified: {
                let view = view.clone();
                Arc::new(move |chain| view.borrow().chain(chain).map_or(0, |c| c.verified_block))
            },
            reemit_after_ms: config.prover.reemit_after_ms,
        }),
    };
    children.push(ChildSpec::role("prover_pool", pool.clone(), move || {
        (ProverPool, pool_args.clone())
    }));
    if let Some(transport) = transport {
        // Remote provers reach the pool through this gateway (the cluster transport); it is
        // a supervised role like the pool, and a restarted one joins its group again.
        let gateway = RoleRef::<bitai_messages::prover::wire::GatewayMsg>::spawn(
            Some("prover_pool_gateway".into()),
            "prover_pool_gateway",
            10_000,
        )
        .await?;
        let gateway_args = bitai_prover::remote::GatewayArgs {
            pool: Arc::new(pool.clone()),
            transport: transport.provers.clone(),
            heartbeat_interval_ms: config.cluster.heartbeat_interval_ms,
            heartbeat_timeout_ms: config.cluster.heartbeat_timeout_ms,
            resync_interval_ms: config.cluster.heartbeat_interval_ms,
        };
        children.push(ChildSpec::role("prover_pool_gateway", gateway, move || {
            (bitai_prover::remote::PoolGateway, gateway_args.clone())
        }));
    }
    Ok(Provers { pool, faults })
}

/// Adds the BitAI side's roles to `children`: the mempool behind `mempool`, the inscriber
/// and its indexer, the state machine (publishing on `view_tx`) and the indexer feeding it.
async fn start_bitai_side(
    config: &crate::config::NodeConfig,
    bitcoin: SharedBitcoin,
    (store, clock, registry): (&SharedStore, &SharedClock, &prometheus::Registry),
    view_tx: watch::Sender<Arc<StateView>>,
    view: watch::Receiver<Arc<StateView>>,
    mempool: &RoleRef<MempoolMsg>,
    children: &mut Vec<ChildSpec>,
) -> anyhow::Result<BitaiRoles> {
    let indexer = RoleRef::<IndexerMsg>::spawn(Some("indexer".into()), "indexer", 10_000).await?;
    let statemachine =
        RoleRef::<StateMachineMsg>::spawn(Some("statemachine".into()), "statemachine", 10_000)
            .await?;
    let inscriber = crate::inscriber::roles(
        config,
        bitcoin.clone(),
        store.clone(),
        clock.clone(),
        registry,
    )
    .await?;
    let mempool_args = MempoolArgs {
        config: config.mempool.clone().with_registry_of(
            &config.statemachine.registry_rules(),
            config.statemachine.depth(),
        ),
        store: store.clone(),
        view,
        inscriber: inscriber.role.clone(),
        bitcoin: bitcoin.clone(),
        metrics: MempoolMetrics::new(registry).context("mempool metrics")?,
    };
    children.push(ChildSpec::role("mempool", mempool.clone(), move || {
        (BitaiMempool, mempool_args.clone())
    }));
    children.extend(inscriber.children);
    let sm_args = StateMachineArgs {
        config: bitai_statemachine::StateMachineConfig {
            // Every reorg the indexer follows can be rolled back.
            journal_depth: config
                .statemachine
                .journal_depth
                .max(u64::from(config.indexer.reorg_depth_max)),
            ..config.statemachine.clone()
        },
        store: store.clone(),
        indexer: indexer.clone(),
        view: view_tx,
        metrics: StateMachineMetrics::new(registry).context("state machine metrics")?,
    };
    children.push(ChildSpec::role(
        "statemachine",
        statemachine.clone(),
        move || (StateMachine, sm_args.clone()),
    ));
    let indexer_args = IndexerArgs {
        config: config.indexer.clone(),
        bitcoin: bitcoin.clone(),
        store: store.clone(),
        keyspace: bitai_indexer::DEFAULT_KEYSPACE.to_owned(),
        watch: None,
        sink: Arc::new(statemachine.clone()),
        clock: clock.clone(),
        metrics: IndexerMetrics::new(registry),
    };
    children.push(ChildSpec::role("indexer", indexer.clone(), move || {
        (Indexer, indexer_args.clone())
    }));
    Ok(BitaiRoles {
        statemachine,
        inscriber: inscriber.role,
        indexer,
        bitcoin,
    })
}

/// 32 seed bytes for `label` under the node seed (a prover's blinding randomness: in
/// production this must be a secret; in the devnet and tests it is derived so runs repeat).
fn seed_bytes(seed: u64, label: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"bitai/seed/v1/");
    h.update(seed.to_le_bytes());
    h.update(label.as_bytes());
    h.finalize().into()
}
