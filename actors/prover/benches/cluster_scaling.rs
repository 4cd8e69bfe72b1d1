//! Proof throughput with 1, 2 and 4 prover nodes (issue 16): the coordinator's pool (no local
//! prover) and its gateway, and N `RemoteProver`s, each on a node of its own on the simulated
//! cluster network (`bitai_simulation::network`: the same protocol bytes as over
//! `ractor_cluster`, 1-20 ms per message), prove the same 48 blocks. Heartbeats and the
//! gateway's listing run every 2 s, as in the shipped configs.
//!
//! **The proving-cost model:** a prover node proves one block at a time and each block takes
//! a fixed simulated time (`ProverBackend::SimulatedCost`): 20 s, about what a 4 + 2 slot
//! devnet block takes on one core, and 2 s. What is measured is everything else: leasing,
//! the network's latency, heartbeats, in-order emission. Time is tokio's paused time, so the
//! figures are exact and repeat; they say nothing about a CPU.
//!
//! Run: `cargo bench -p bitai-prover --bench cluster_scaling`. Prints, per node count, the
//! simulated seconds to prove every block, blocks per simulated minute, and the speed-up
//! over one node as a fraction of linear.

use bitai_messages::prover::{PoolMsg, ProofEmitted};
use bitai_proofs::circuit::CircuitConfig;
use bitai_protocol::{ChainId, Hash32};
use bitai_prover::remote::{
    GatewayArgs, PoolGateway, ProverTransport, RemoteProver, RemoteProverArgs,
};
use bitai_prover::{PoolArgs, PoolConfig, PoolMetrics, ProverBackend, ProverPool};
use bitai_runtime::{ActorSink, ChannelSink, SharedClock, TokioClock};
use bitai_simulation::network::SimNetwork;
use ractor::Actor;
use std::sync::Arc;
use std::time::Duration;

const BLOCKS: u64 = 48;
const HEARTBEAT_MS: u64 = 2_000;

fn main() {
    // 20 s: a 4 + 2 slot devnet block on one core; 2 s: a small block on a fast machine,
    // where the cluster's own costs weigh ten times more.
    for prove_ms in [20_000u64, 2_000] {
        println!(
            "\nproving cost {} s per block, {BLOCKS} blocks",
            prove_ms / 1000
        );
        println!("prover nodes | simulated s | blocks per simulated minute | speed-up | of linear");
        let mut one = None;
        for nodes in [1u64, 2, 4] {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("a runtime");
            let ms = runtime.block_on(prove_all(nodes, prove_ms));
            let per_min = BLOCKS as f64 * 60_000.0 / ms as f64;
            let base = *one.get_or_insert(per_min);
            let speedup = per_min / base;
            println!(
                "{nodes} | {:.1} | {per_min:.2} | {speedup:.2}x | {:.2}",
                ms as f64 / 1000.0,
                speedup / nodes as f64
            );
        }
    }
}

/// Simulated ms from the first block submitted to the last proof emitted, with `nodes`
/// prover nodes.
async fn prove_all(nodes: u64, prove_ms: u64) -> u64 {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(0));
    let net = SimNetwork::start(nodes, clock.clone())
        .await
        .expect("the network starts");
    let (tx, mut emitted) = tokio::sync::mpsc::unbounded_channel::<ProofEmitted>();
    let args = PoolArgs {
        store: Arc::new(bitai_storage::MemoryStore::new()),
        clock: clock.clone(),
        sink: Arc::new(ChannelSink(tx)),
        config: PoolConfig {
            lease_timeout_ms: 10 * prove_ms,
            max_attempts: 5,
            max_queue: 1_000,
            tick_interval_ms: 1_000,
        },
        metrics: PoolMetrics::new(&prometheus::Registry::new()).expect("metrics"),
        workers: Vec::new(),
        check: None,
        confirmations: None,
    };
    let (pool, _) = Actor::spawn(None, ProverPool, args).await.expect("pool");
    let gateway = GatewayArgs {
        pool: Arc::new(ActorSink(pool.clone())),
        transport: ProverTransport::over(net.node("coordinator")),
        heartbeat_interval_ms: HEARTBEAT_MS,
        heartbeat_timeout_ms: 5 * HEARTBEAT_MS,
        resync_interval_ms: HEARTBEAT_MS,
    };
    Actor::spawn(None, PoolGateway, gateway)
        .await
        .expect("gateway");
    for i in 0..nodes {
        let prover = RemoteProverArgs {
            backend: ProverBackend::SimulatedCost {
                per_block_ms: prove_ms,
            },
            rng_seed: [i as u8; 32],
            clock: clock.clone(),
            transport: ProverTransport::over(net.node(&format!("prover-node-{i}"))),
            faults: Default::default(),
            drain_grace_ms: 5 * HEARTBEAT_MS,
            metrics: None,
        };
        Actor::spawn(None, RemoteProver, prover)
            .await
            .expect("prover");
    }
    // Every node is in the pool after the gateway's next listing.
    tokio::time::sleep(Duration::from_millis(2 * HEARTBEAT_MS)).await;
    let chain = ChainId(Hash32::sha256(b"scaling bench chain"));
    let started = clock.now_ms();
    for circuit in bitai_prover::fixtures::blocks_of(CircuitConfig::new(1, 1), chain, BLOCKS) {
        let statement = bitai_prover::statement_of(
            &bitai_proofs::circuit::BlockCircuit::peek_statement(&circuit)
                .expect("a fixture circuit")
                .1,
        );
        ractor::call!(pool, |reply| PoolMsg::ProveBlock {
            statement,
            circuit,
            reply
        })
        .expect("pool answers")
        .expect("accepted");
    }
    for _ in 0..BLOCKS {
        emitted.recv().await.expect("the pool emits every block");
    }
    let ms = clock.now_ms() - started;
    net.stop();
    ms
}
