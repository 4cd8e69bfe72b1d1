//! The simulated world: the coordinator node built by the same function `bitai devnet` uses
//! (`bitai_node::devnet::start_with_neurons`, itself `bitai_node::pipeline::start` around
//! SimBitcoin and its miner) on the in-memory store and the paused clock, its JSON-RPC API
//! called in process, the AI chains it hosts with their neurons, prover nodes joined through
//! the simulated network ([`crate::cluster`]), and a second, independent BitAI node
//! ([`crate::follower`]) reading the same SimBitcoin.

use crate::cluster::Cluster;
use crate::follower::Follower;
use crate::scenario::{Scenario, BITCOIN_BLOCK_MS};
use crate::trace::Trace;
use anyhow::Context;
use bitai_chain::eddsa::PrivateKey;
use bitai_messages::sequencer::SequencerMsg;
use bitai_neuron::NeuronFaults;
use bitai_node::base::NodeBase;
use bitai_node::config::NodeConfig;
use bitai_node::devnet::{self, Devnet};
use bitai_node::pipeline::api::PipelineApi;
use bitai_node::pipeline::config::{ChainSection, ProofSystemName};
use bitai_node::pipeline::loadgen;
use bitai_node::pipeline::neurons::{self, NeuronPlan};
use bitai_protocol::ChainId;
use bitai_runtime::{derive_seed, SharedClock};
use bitai_storage::SharedStore;
use std::sync::Arc;

/// Unix time at which every run starts (any fixed instant: runs must not read the wall
/// clock).
pub const START_UNIX_MS: u64 = 1_767_225_600_000;

/// Neurons per chain (a request draws three seats).
pub const NEURONS_PER_CHAIN: u32 = 3;

/// Which proofs a run makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proofs {
    /// The simulation-only proof system, through the same verifier paths: for sweeps.
    Sim,
    /// Real Groth16 on a small block shape (one transfer slot, no op slots) with seeded
    /// prover randomness, so proofs and the trace are deterministic too.
    Real,
}

/// One AI chain of the run and what its users know.
pub struct SimChain {
    /// Its id.
    pub id: ChainId,
    /// Its name.
    pub name: String,
    /// The funded accounts' keys (account `i` is `keys[i]`).
    pub keys: Vec<PrivateKey>,
    /// Its neurons (accounts after the funded ones).
    pub neurons: Vec<NeuronPlan>,
    /// Its genesis supply.
    pub supply: u128,
    /// The model deployed on it, once its id is known.
    pub model: Option<u32>,
}

impl SimChain {
    /// The accounts of its misbehaving neurons (a cheat, a copier), never to be paid.
    pub fn cheats(&self) -> Vec<u32> {
        self.neurons
            .iter()
            .filter(|n| n.faults.corrupt_output || n.faults.copy_reveal)
            .map(|n| n.account)
            .collect()
    }
}

/// Which misbehaving neurons every chain gets (set up with the chain, not struck).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cheats {
    /// The last neuron commits to corrupted outputs (`neuron_cheat`).
    pub corrupt: bool,
    /// The one before it runs nothing and copies another seat's reveal (`neuron_copy`).
    pub copy: bool,
}

impl Cheats {
    /// The cheats `plan` turns on.
    pub fn of(plan: &crate::faults::FaultPlan) -> Self {
        use crate::faults::FaultKind;
        Cheats {
            corrupt: plan.on(FaultKind::NeuronCheat),
            copy: plan.on(FaultKind::NeuronCopy),
        }
    }
}

/// The running world.
pub struct World {
    /// The coordinator node (its pipeline, SimBitcoin, the first chain).
    pub devnet: Devnet,
    /// Its API, as JSON-RPC serves it.
    pub api: PipelineApi,
    /// Its config.
    pub config: NodeConfig,
    /// The second BitAI node.
    pub follower: Follower,
    /// The chains, in creation order.
    pub chains: Vec<SimChain>,
    /// The coordinator's store.
    pub store: SharedStore,
    /// The same store, as the in-memory store the store faults strike (SimBitcoin's keyspace,
    /// another system's data, spared).
    pub mem: bitai_storage::MemoryStore,
    /// The clock every role reads.
    pub clock: SharedClock,
    /// Bitcoin height once the premine is done.
    pub start_height: u64,
    /// The simulated network and the prover nodes on it (other machines: they outlive a
    /// crash of the coordinator).
    pub cluster: Arc<Cluster>,
}

/// The coordinator's config for `s`: the devnet's embedded defaults, with SimBitcoin at
/// ten-minute blocks, timers scaled to simulated days, no listeners and the scenario's
/// shape.
pub fn node_config(s: &Scenario, proofs: Proofs) -> NodeConfig {
    let mut c = devnet::embedded_config();
    c.node.seed = s.seed;
    c.node.data_dir = std::env::temp_dir().join("bitai-sim");
    c.bitcoin.sim.seed = s.seed;
    c.bitcoin.sim.block_interval_mean_ms = BITCOIN_BLOCK_MS;
    c.bitcoin.sim.background_txs_per_block = s.background_txs;
    c.bitcoin.sim.genesis_time_ms = START_UNIX_MS - 200 * BITCOIN_BLOCK_MS;
    c.metrics.listen = String::new();
    c.rpc.listen = String::new();
    c.chain.name = "sim-0".into();
    c.chain.accounts = s.accounts;
    // A copier takes a neuron of its own, so a chain with a cheat too keeps an honest pair.
    c.chain.neurons =
        NEURONS_PER_CHAIN + u32::from(s.faults.on(crate::faults::FaultKind::NeuronCopy));
    match proofs {
        Proofs::Sim => {
            c.chain.proof_system = ProofSystemName::Simulation;
            c.statemachine.allow_simulation_only = true;
            c.chain.block_txs = 4;
            c.chain.block_ops = 2;
        }
        Proofs::Real => {
            c.chain.proof_system = ProofSystemName::Groth16;
            c.chain.block_txs = 1;
            c.chain.block_ops = 0;
        }
    }
    c.statemachine.finality_depth = s.finality_depth;
    c.sequencer.block_interval_ms = s.l2_block_ms;
    c.sequencer.tick_interval_ms = 1_000;
    c.indexer.poll_interval_ms = 5_000;
    c.inscriber.poll_interval_ms = 5_000;
    // Neurons poll across the simulated network (two asks a tick): every 10 s is still
    // eight ticks or more per commit window (4 blocks of at least 20 s).
    c.neuron.poll_interval_ms = 10_000;
    c.prover.workers = 2;
    c.prover.key_cache_dir = std::env::temp_dir().join("bitai-sim-keys");
    c
}

/// The neurons of a chain whose keys come from `chain_seed`: accounts after the funded
/// ones; the last one may cheat and the one before it copy (`cheats`).
fn neuron_plans(section: &ChainSection, chain_seed: u64, cheats: Cheats) -> Vec<NeuronPlan> {
    let n = loadgen::devnet_neuron_count(section);
    loadgen::neuron_keys(chain_seed, n)
        .into_iter()
        .enumerate()
        .map(|(i, key)| NeuronPlan {
            account: section.accounts + i as u32,
            key,
            stake: section.neuron_stake,
            faults: NeuronFaults {
                corrupt_output: cheats.corrupt && i as u32 + 1 == n,
                copy_reveal: cheats.copy && i as u32 + 2 == n,
            },
        })
        .collect()
}

fn sim_chain(section: &ChainSection, id: ChainId, seed: u64, neurons: Vec<NeuronPlan>) -> SimChain {
    let funded = section.accounts + neurons.len() as u32;
    SimChain {
        id,
        name: section.name.clone(),
        keys: loadgen::account_keys(seed, section.accounts),
        neurons,
        supply: u128::from(section.balance) * u128::from(funded),
        model: None,
    }
}

impl World {
    /// Starts the coordinator with its first chain, the other chains hosted from the start,
    /// and the second BitAI node.
    /// With `premine`, those recorded blocks are SimBitcoin's first, in place before the
    /// node starts (instead of its own premine).
    pub async fn start(
        s: &Scenario,
        proofs: Proofs,
        premine: Option<Vec<bitcoin::Block>>,
        trace: &Trace,
    ) -> anyhow::Result<World> {
        let config = node_config(s, proofs);
        let mem = bitai_storage::MemoryStore::new();
        mem.spare_keyspace(bitai_simulation::bitcoin::STORE_KEYSPACE);
        let store: SharedStore = Arc::new(mem.clone());
        let clock: SharedClock = Arc::new(bitai_runtime::TokioClock::starting_at(START_UNIX_MS));
        if let Some(blocks) = premine {
            let n = blocks.len();
            let sim = bitai_simulation::bitcoin::SimBitcoin::open(
                config.bitcoin.sim.clone(),
                clock.clone(),
                store.clone(),
            )
            .context("opening SimBitcoin for the recorded premine")?;
            sim.set_mining_paused(true);
            sim.apply_recorded(0, blocks)
                .context("the recording's premine does not fit this network")?;
            trace.record(
                "replay",
                format_args!("{n} premine blocks from the recording"),
            );
        }
        let cluster = Arc::new(Cluster::start(s.seed, clock.clone()).await?);
        let base = NodeBase {
            store: store.clone(),
            registry: prometheus::Registry::new(),
            clock: clock.clone(),
            transport: Some(cluster.coordinator()),
        };
        let cheats = Cheats::of(&s.faults);
        let plans = neuron_plans(&config.chain, s.seed, cheats);
        // The neurons run on neuron nodes (below), not in the coordinator.
        let devnet = devnet::start_with_neurons(&config, base, Vec::new())
            .await
            .context("starting the coordinator")?;
        let sim = devnet.sim.clone().context("SimBitcoin")?;
        let start_height = bitai_bitcoin::BitcoinPort::tip(&sim)
            .context("SimBitcoin's tip")?
            .height;
        trace.record(
            "world",
            format_args!(
                "coordinator started, chain {} {}",
                config.chain.name, devnet.chain
            ),
        );
        for _ in 0..s.prover_nodes {
            cluster.join(devnet.keys.prover_backend(), trace).await?;
        }
        join_chain_neurons(
            &devnet.pipeline,
            &cluster,
            &config,
            devnet.chain,
            &plans,
            trace,
        )
        .await
        .context("the first chain's neuron node")?;
        let first = sim_chain(&config.chain, devnet.chain, s.seed, plans);
        let follower = Follower::start(&config, Arc::new(sim), clock.clone(), "b")
            .await
            .context("starting the second BitAI node")?;
        let api = PipelineApi::new(&devnet.pipeline);
        let mut world = World {
            devnet,
            api,
            config,
            follower,
            chains: vec![first],
            store,
            mem,
            clock,
            start_height,
            cluster,
        };
        for _ in 1..s.chains_at_start {
            world.create_chain(cheats, trace).await?;
        }
        Ok(world)
    }

    /// Creates and hosts one more chain (as a user's `bitai chain create` would, through the
    /// node's chain host) with its neurons; returns its index.
    pub async fn create_chain(&mut self, cheats: Cheats, trace: &Trace) -> anyhow::Result<usize> {
        let index = self.chains.len();
        let section = ChainSection {
            name: format!("sim-{index}"),
            ..self.config.chain.clone()
        };
        let chain_seed = derive_seed(self.config.node.seed, &section.name);
        let p = &self.devnet.pipeline;
        let (create, genesis) = loadgen::devnet_chain(&section, chain_seed, p.host.keys())?;
        let id = p
            .host
            .create(create, genesis)
            .await
            .with_context(|| format!("creating chain {}", section.name))?;
        let plans = neuron_plans(&section, chain_seed, cheats);
        join_chain_neurons(p, &self.cluster, &self.config, id, &plans, trace)
            .await
            .with_context(|| format!("the neuron node of {}", section.name))?;
        trace.record("world", format_args!("chain {} {id} created", section.name));
        self.chains.push(sim_chain(&section, id, chain_seed, plans));
        Ok(index)
    }

    /// The sequencer of chain `i`.
    pub async fn sequencer(
        &self,
        i: usize,
    ) -> anyhow::Result<bitai_runtime::RoleRef<SequencerMsg>> {
        self.devnet
            .pipeline
            .host
            .sequencer(&self.chains[i].id)
            .await
            .context("a chain's sequencer")
    }

    /// SimBitcoin.
    pub fn sim(&self) -> &bitai_simulation::bitcoin::SimBitcoin {
        self.devnet
            .sim
            .as_ref()
            .expect("the world runs on SimBitcoin")
    }

    /// The coordinator crashes and restarts from its store: every role stops (mailboxes and
    /// memory lost), `down_ms` of simulated time pass, and `bitai node`'s own start-up
    /// (`bitai_node::pipeline::start`) runs again on the same store, resuming every hosted
    /// chain; the neuron and prover nodes, other machines, find its gateways again.
    /// SimBitcoin, the outside world, lives on (its
    /// miner is one of the node's children, and mines what fell due meanwhile when it
    /// starts again). The in-memory store keeps exactly the batches that were written: a
    /// store write is atomic and committed when it returns, so nothing else is lost.
    pub async fn restart(self, down_ms: u64, trace: &Trace) -> anyhow::Result<World> {
        let World {
            devnet,
            config,
            follower,
            chains,
            store,
            mem,
            clock,
            start_height,
            cluster,
            ..
        } = self;
        let Devnet {
            pipeline,
            sim,
            chain,
            keys,
            ..
        } = devnet;
        pipeline.stop().await;
        trace.record(
            "world",
            format_args!("coordinator crashed; down for {down_ms} ms"),
        );
        tokio::time::sleep(std::time::Duration::from_millis(down_ms)).await;
        // The process starts again and opens its store: a store crash (if that was the
        // cause) is over, and what was committed before it is all there is.
        mem.recover();
        let sim = sim.context("SimBitcoin")?;
        let miner = bitai_node::base::miner_child(&sim, &clock).await?;
        let pipeline = bitai_node::pipeline::start(bitai_node::pipeline::PipelineParts {
            config: config.clone(),
            bitcoin: Some(Arc::new(sim.clone())),
            store: store.clone(),
            clock: clock.clone(),
            registry: prometheus::Registry::new(),
            keys: keys.clone(),
            extra_children: vec![miner],
            transport: Some(cluster.coordinator()),
        })
        .await
        .context("restarting the coordinator")?;
        // The neuron nodes are other machines: they outlive the crash and reach the new
        // gateway on their own.
        trace.record("world", "coordinator restarted from its store");
        let api = PipelineApi::new(&pipeline);
        Ok(World {
            devnet: Devnet {
                pipeline,
                sim: Some(sim),
                chain,
                keys,
                neurons: Vec::new(),
            },
            api,
            config,
            follower,
            chains,
            store,
            mem,
            clock,
            start_height,
            cluster,
        })
    }

    /// Every prover's fault switch by name: the coordinator's local provers, then the
    /// prover nodes.
    pub fn prover_switches(&self) -> Vec<(String, bitai_prover::ProverFaults)> {
        let mut all = self.devnet.pipeline.prover_faults.clone();
        all.extend(self.cluster.switches());
        all
    }

    /// Stops the second node, the coordinator and the prover nodes.
    pub async fn stop(self) {
        self.follower.stop().await;
        self.devnet.pipeline.stop().await;
        self.cluster.stop();
    }
}

/// Registers `plans` as `id`'s neurons (if needed: their own signed ops, through the
/// coordinator), then starts them on a neuron node of their own on the simulated network.
async fn join_chain_neurons(
    p: &bitai_node::pipeline::Pipeline,
    cluster: &Cluster,
    config: &NodeConfig,
    id: ChainId,
    plans: &[NeuronPlan],
    trace: &Trace,
) -> anyhow::Result<()> {
    let params = neurons::register_neurons(p, id, plans, config.sequencer.min_fee).await?;
    cluster
        .join_neurons(
            id,
            params,
            plans.to_vec(),
            config.neuron.clone(),
            config.cluster.heartbeat_interval_ms,
            trace,
        )
        .await
        .map(drop)
}
