//! End-to-end latency of one transfer through the whole pipeline: from the moment a user
//! submits it to the moment the BitAI side holds it final, stage by stage.
//!
//! The devnet is built in this process exactly as `bitai devnet` builds it
//! (`bitai_node::devnet::start` on fjall in a temporary directory; no metrics endpoint,
//! no JSON-RPC server). Transfers are submitted one at a time at a steady low rate through
//! the node's API (`NodeApi::send_transaction`, what `bitai_sendTransaction` calls), each
//! from its own genesis account, and every outstanding one is polled through
//! `NodeApi::transaction_status`. The first time a poll sees a transfer at a stage (or past
//! it: a poll may miss a short stage) is that stage's time. The Bitcoin tip is read on the
//! same polls, so the wait for the block that carries a proof is split from the indexer and
//! state machine's work after it.
//!
//! Two configurations:
//! - `wall`: the devnet defaults (`configs/devnet.toml`: Groth16 proofs of 4-transfer
//!   blocks, SimBitcoin blocks every 2 s on average, finality depth 6) on a multi-threaded
//!   runtime in real time: what a devnet user sees.
//! - `sim`: simulation proofs and Bitcoin's own parameters (600 s mean block interval,
//!   finality depth 6) on a current-thread tokio runtime with its clock paused: the node's
//!   clock (`TokioClock`) reads tokio's time, which jumps to the next timer whenever every
//!   task waits, so hours of simulated time take seconds.
//!
//! Run: `cargo bench -p bitai-tests --bench pipeline_latency` (both), with `-- wall` or
//! `-- sim` for one, `-- quick` for a smoke run with few transfers, `-- --txs N` and
//! `-- --interval-ms MS` to change the load. Results are in docs/benchmarks/pipeline.md.

use bitai_chain::tx::Transfer;
use bitai_node::base::NodeBase;
use bitai_node::config::NodeConfig;
use bitai_node::devnet;
use bitai_node::pipeline::api::PipelineApi;
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::{loadgen, progress};
use bitai_protocol::Hash32;
use bitai_rpc::api::NodeApi;
use bitai_rpc::types::Stage;
use bitai_runtime::SharedClock;
use bitai_storage::SharedStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[path = "pipeline_latency/report.rs"]
mod report;
use report::{Run, Sample};

/// The devnet's embedded configuration.
const DEVNET_TOML: &str = include_str!("../../configs/devnet.toml");

/// The stages a transfer goes through after it is accepted, in order.
const STAGES: [Stage; 5] = [
    Stage::InL2Block,
    Stage::Proven,
    Stage::Inscribed,
    Stage::Verified,
    Stage::Final,
];

/// One configuration of the bench.
#[derive(Debug, Clone)]
struct Setup {
    /// `wall` or `sim`.
    name: &'static str,
    /// The node config.
    config: NodeConfig,
    /// Run on tokio's paused clock.
    paused: bool,
    /// Transfers submitted.
    txs: usize,
    /// Time between submissions, ms (of the clock the run uses).
    interval_ms: u64,
    /// Time between polls, ms.
    poll_ms: u64,
    /// Give up after this long, ms.
    timeout_ms: u64,
}

fn base_config(dir: &std::path::Path) -> NodeConfig {
    let mut c = NodeConfig::parse(DEVNET_TOML, std::path::Path::new("configs/devnet.toml"))
        .expect("the embedded devnet config parses");
    c.node.data_dir = dir.to_path_buf();
    c.metrics.listen = String::new();
    c.rpc.listen = String::new();
    // A devnet key is a function of the seed and the circuit: cached across runs, so the
    // setup (tens of seconds) is paid once per machine and never inside a measurement.
    c.prover.key_cache_dir = std::env::temp_dir().join("bitai-bench-devnet-keys");
    c
}

fn setups(dir: &std::path::Path, args: &[String]) -> Vec<Setup> {
    let quick = args.iter().any(|a| a == "quick");
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse::<u64>().expect("a number after the flag"))
    };
    let wall = {
        let config = base_config(&dir.join("wall"));
        Setup {
            name: "wall",
            config,
            paused: false,
            txs: flag("--txs").map_or(if quick { 4 } else { 20 }, |n| n as usize),
            // One L2 block per transfer (the sequencer cuts a block 2 s after the last one),
            // and Groth16 proves a 4-slot block in about 5 s on this machine: a submission
            // every 8 s keeps the single prover from queueing blocks.
            interval_ms: flag("--interval-ms").unwrap_or(8_000),
            poll_ms: 25,
            timeout_ms: 600_000,
        }
    };
    let sim = {
        let mut config = base_config(&dir.join("sim"));
        config.chain.proof_system = ProofSystemName::Simulation;
        config.statemachine.allow_simulation_only = true;
        config.bitcoin.sim.block_interval_mean_ms = 600_000;
        config.statemachine.finality_depth = 6;
        config.inscriber.finality_depth = 6;
        Setup {
            name: "sim",
            config,
            paused: true,
            // Simulated time is cheap: submissions spread over about 20 Bitcoin blocks, so
            // the figures sample the blocks' random arrivals, not one or two of them.
            txs: flag("--txs").map_or(if quick { 6 } else { 200 }, |n| n as usize),
            interval_ms: flag("--interval-ms").unwrap_or(60_000),
            // One simulated second: 1/600 of a block interval.
            poll_ms: 1_000,
            timeout_ms: 24 * 3_600_000,
        }
    };
    let only_wall = args.iter().any(|a| a == "wall");
    let only_sim = args.iter().any(|a| a == "sim");
    let mut out = Vec::new();
    if only_wall || !only_sim {
        out.push(wall);
    }
    if only_sim || !only_wall {
        out.push(sim);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = tempfile::tempdir().expect("temporary directory");
    println!("machine: {} cores; {}", cores(), load_average());
    for setup in setups(dir.path(), &args) {
        let mut builder = if setup.paused {
            let mut b = tokio::runtime::Builder::new_current_thread();
            b.start_paused(true);
            b
        } else {
            tokio::runtime::Builder::new_multi_thread()
        };
        let runtime = builder.enable_all().build().expect("tokio runtime");
        let run = runtime.block_on(measure(&setup));
        println!("{}", run.table());
        println!("load after the run: {}\n", load_average());
    }
}

/// Starts the devnet of `setup`, submits and follows its transfers, stops it.
async fn measure(setup: &Setup) -> Run {
    let config = &setup.config;
    std::fs::create_dir_all(&config.node.data_dir).expect("data dir");
    let store: SharedStore = Arc::new(
        bitai_storage::FjallStore::open(
            config.node.data_dir.join("db"),
            bitai_storage::Durability::Process,
        )
        .expect("fjall opens"),
    );
    // Reads tokio's clock: real time on the wall setup, paused and auto-advanced on sim.
    let clock: SharedClock = Arc::new(bitai_runtime::TokioClock::real());
    let node_clock = clock.clone();
    let registry = prometheus::Registry::new();
    let base = NodeBase {
        store,
        registry: registry.clone(),
        clock,
        transport: None,
    };
    let wall_started = wall_now();
    let d = devnet::start(config, base)
        .await
        .expect("the devnet starts");
    let node = PipelineApi::new(&d.pipeline);
    // Steady state first: the devnet chain registered on the BitAI side.
    let start_deadline_ms = node_clock.now_ms() + setup.timeout_ms;
    loop {
        let s = progress::snapshot(&d.pipeline).await;
        if s.chain(&d.chain).is_some_and(|c| c.registered) {
            break;
        }
        assert!(
            node_clock.now_ms() < start_deadline_ms,
            "the devnet chain never registered"
        );
        tokio::time::sleep(Duration::from_millis(setup.poll_ms)).await;
    }
    let startup_wall_s = wall_now().duration_since(wall_started).as_secs_f64();

    let keys = loadgen::account_keys(config.node.seed, config.chain.accounts);
    let accounts = keys.len();
    // Every time below is read off the node's own clock, ms since the first submission.
    let t0_ms = node_clock.now_ms();
    let since_t0 = || Duration::from_millis(node_clock.now_ms().saturating_sub(t0_ms));
    let wall0 = wall_now();
    let deadline = Duration::from_millis(setup.timeout_ms);
    let mut samples: Vec<Sample> = Vec::with_capacity(setup.txs);
    let mut hashes: Vec<Hash32> = Vec::with_capacity(setup.txs);
    let mut tip_seen: BTreeMap<u64, Duration> = BTreeMap::new();
    let mut next_submit = Duration::ZERO;
    let mut polls = 0u64;
    loop {
        if let Some(reason) = d.pipeline.halt.borrow().clone() {
            panic!("the node halted: {reason}");
        }
        let now = since_t0();
        assert!(now < deadline, "timed out after {} ms", setup.timeout_ms);
        if samples.len() < setup.txs && now >= next_submit {
            // Senders in turn: every account's nonces come in order, one at a time.
            let i = samples.len();
            let (from, to) = (i % accounts, (i + 1) % accounts);
            let tx = Transfer {
                from: from as u32,
                to: to as u32,
                to_public_key: keys[to].public_key(),
                amount: 1_000,
                fee: config.sequencer.min_fee,
                nonce: (i / accounts) as u64,
            }
            .sign(&d.chain, &keys[from]);
            let submitted = since_t0();
            let hash = node
                .send_transaction(d.chain, tx)
                .await
                .expect("the sequencer accepts the transfer");
            samples.push(Sample::new(submitted, since_t0()));
            hashes.push(hash);
            next_submit += Duration::from_millis(setup.interval_ms);
        }
        let tip = d
            .pipeline
            .bitai
            .as_ref()
            .expect("the devnet runs the BitAI side")
            .bitcoin
            .tip()
            .expect("the Bitcoin node answers")
            .height;
        let at = since_t0();
        tip_seen.entry(tip).or_insert(at);
        for (sample, hash) in samples.iter_mut().zip(&hashes) {
            if sample.seen.contains_key(&Stage::Final) {
                continue;
            }
            let status = node.transaction_status(*hash).await.expect("a status");
            assert_ne!(status.stage, Stage::Rejected, "{status:?}");
            let at = since_t0();
            for stage in STAGES.iter().filter(|s| **s <= status.stage) {
                sample.seen.entry(*stage).or_insert(at);
            }
            if let Some(h) = status.bitcoin_height {
                sample.bitcoin_height = Some(h);
            }
            if status.stage == Stage::Final && sample.final_tip.is_none() {
                sample.final_tip = Some(tip);
            }
        }
        polls += 1;
        let all_final = samples.len() == setup.txs
            && samples.iter().all(|s| s.seen.contains_key(&Stage::Final));
        if all_final {
            break;
        }
        tokio::time::sleep(Duration::from_millis(setup.poll_ms)).await;
    }
    let elapsed = since_t0();
    let wall = wall_now().duration_since(wall0);
    let head = progress::snapshot(&d.pipeline)
        .await
        .chain(&d.chain)
        .map_or(0, |c| c.head);
    let prove = prove_seconds(&registry);
    d.pipeline.stop().await;
    Run {
        name: setup.name,
        paused: setup.paused,
        interval_ms: setup.interval_ms,
        poll_ms: setup.poll_ms,
        block_interval_ms: config.bitcoin.sim.block_interval_mean_ms,
        finality_depth: config.statemachine.finality_depth,
        proof_system: format!("{:?}", config.chain.proof_system),
        samples,
        tip_seen,
        elapsed,
        wall,
        startup_wall_s,
        l2_blocks: head,
        polls,
        prove,
    }
}

/// Proofs made and their mean time, seconds of the node's clock, from the prover pool's
/// `prove_seconds` histogram.
fn prove_seconds(registry: &prometheus::Registry) -> Option<(u64, f64)> {
    let family = registry
        .gather()
        .into_iter()
        .find(|f| f.get_name().ends_with("prove_seconds"))?;
    let h = family.get_metric().first()?.get_histogram();
    let n = h.get_sample_count();
    (n > 0).then(|| (n, h.get_sample_sum() / n as f64))
}

#[allow(clippy::disallowed_methods)] // A benchmark reports wall time beside simulated time.
fn wall_now() -> std::time::Instant {
    std::time::Instant::now()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().take(3).collect();
            format!("load average {}", f.join(" "))
        })
        .unwrap_or_else(|_| "load average unknown".into())
}
