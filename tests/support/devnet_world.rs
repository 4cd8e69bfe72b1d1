//! The devnet's whole pipeline in the test process, built by the same code as `bitai devnet`
//! (`bitai_node::devnet::start`) on fjall in a temporary directory and the real clock,
//! with a fast SimBitcoin, no metrics endpoint and no JSON-RPC server. Scenarios drive it
//! through its roles and SimBitcoin, and read its progress snapshot.

use bitai_node::base::NodeBase;
use bitai_node::config::NodeConfig;
use bitai_node::devnet::{self, Devnet};
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::loadgen::{self, LoadPlan};
use bitai_node::pipeline::progress::{self, Snapshot};
use bitai_runtime::SharedClock;
use bitai_storage::SharedStore;
use std::sync::Arc;
use std::time::Duration;

/// A devnet config for tests: `proof` proofs with `block_txs` per block, SimBitcoin blocks
/// every `block_ms` on average, finality after 2 confirmations.
pub fn config(
    dir: &std::path::Path,
    seed: u64,
    proof: ProofSystemName,
    block_txs: u32,
) -> NodeConfig {
    let mut c = devnet::embedded_config();
    c.node.data_dir = dir.to_path_buf();
    c.node.seed = seed;
    c.bitcoin.sim.seed = seed;
    c.bitcoin.sim.block_interval_mean_ms = 400;
    c.metrics.listen = String::new();
    c.chain.block_txs = block_txs;
    c.chain.proof_system = proof;
    c.statemachine.allow_simulation_only = proof == ProofSystemName::Simulation;
    c.statemachine.finality_depth = 2;
    c.sequencer.block_interval_ms = 300;
    // Groth16 keys are made once per machine and shared by every test binary (a devnet key
    // is a function of the seed and the circuit, so a cached one is the same key).
    c.prover.key_cache_dir = std::env::temp_dir().join("bitai-test-devnet-keys");
    c
}

/// A running devnet and the directory it lives in.
pub struct DevnetWorld {
    /// The devnet.
    pub devnet: Devnet,
    /// Its config.
    pub config: NodeConfig,
    /// Its store.
    pub store: SharedStore,
}

impl DevnetWorld {
    /// Starts a devnet on `config` (its data dir must exist or be creatable).
    pub async fn start(config: NodeConfig) -> Self {
        let plans = devnet::devnet_neurons(&config);
        Self::start_with_neurons(config, plans).await
    }

    /// Starts a devnet on `config` with the given neurons.
    pub async fn start_with_neurons(
        config: NodeConfig,
        plans: Vec<bitai_node::pipeline::neurons::NeuronPlan>,
    ) -> Self {
        std::fs::create_dir_all(&config.node.data_dir).expect("data dir");
        // Logs of the test's devnet in its data dir (the first world of a test binary wins).
        let _ = bitai_node::telemetry::init_logs(&config.node.data_dir.join("bitai.log"), "info");
        let store: SharedStore = Arc::new(
            bitai_storage::FjallStore::open(
                config.node.data_dir.join("db"),
                bitai_storage::Durability::Process,
            )
            .expect("fjall opens"),
        );
        let clock: SharedClock = Arc::new(bitai_runtime::TokioClock::real());
        let base = NodeBase {
            store: store.clone(),
            registry: prometheus::Registry::new(),
            clock,
            transport: None,
        };
        let devnet = devnet::start_with_neurons(&config, base, plans)
            .await
            .expect("devnet starts");
        Self {
            devnet,
            config,
            store,
        }
    }

    /// Sends transfers between the genesis accounts until the devnet chain holds `total`.
    pub fn load(&self, total: u64, tps: f64) -> tokio::task::JoinHandle<anyhow::Result<u64>> {
        let d = &self.devnet;
        let chain = d.chain;
        let keys = loadgen::account_keys(self.config.node.seed, self.config.chain.accounts);
        let plan = LoadPlan {
            total,
            tps,
            fee: self.config.sequencer.min_fee,
            seed: self.config.node.seed,
        };
        let host = d.pipeline.host.clone();
        tokio::spawn(async move {
            let sequencer = host
                .sequencer(&chain)
                .await
                .expect("the devnet chain is hosted");
            loadgen::run(chain, sequencer, keys, plan).await
        })
    }

    /// Waits (polling every 100 ms) until `done` holds for the progress snapshot; panics
    /// with the last snapshot after `timeout`, or when the node halts.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&Snapshot) -> bool,
    ) -> Snapshot {
        let polls = timeout.as_millis() / 100;
        for _ in 0..polls {
            if let Some(reason) = self.devnet.pipeline.halt.borrow().clone() {
                panic!("the node halted: {reason}");
            }
            let s = progress::snapshot(&self.devnet.pipeline).await;
            if done(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let s = progress::snapshot(&self.devnet.pipeline).await;
        panic!("timed out; last progress: {s:#?}");
    }

    /// Waits until the devnet chain holds `txs` transfers, all in blocks final on the BitAI
    /// side.
    pub async fn wait_all_final(&self, txs: u64, timeout: Duration) -> Snapshot {
        let chain = self.devnet.chain;
        self.wait_until(timeout, |s| {
            s.chain(&chain).is_some_and(|c| {
                c.pending == 0 && c.head > 0 && c.final_block >= c.head && c.txs >= txs
            })
        })
        .await
    }

    /// Stops the pipeline.
    pub async fn stop(self) {
        self.devnet.pipeline.stop().await;
    }
}
