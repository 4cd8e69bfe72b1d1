//! Inference requests settled per minute on the devnet, and where a request's time goes.
//!
//! The devnet is built in this process exactly as `bitai devnet` builds it
//! (`bitai_node::devnet::start`, its three in-process neurons included). A LeNet-5 model
//! made by Keras is deployed, then `--requests N` inference requests are submitted,
//! each from its own genesis account, as fast as the chain admits them (a sequencer keeps at
//! most its open-request limit open), and every request is polled through the sequencer. The
//! first poll that sees a request at a stage is that stage's time, counted from the
//! request's submission:
//! `in block` (the request op executed), `committed` (every seat committed), `revealed`
//! (every seat revealed), `settled` (all four settlement parts ran), `final` (the BitAI side
//! holds the settling block final).
//!
//! Two configurations:
//! - `wall`: the devnet defaults (`configs/devnet.toml`: Groth16 proofs, 4 transfer and 2 op
//!   slots per block, a block every 5 s, windows of 4 blocks) on a multi-threaded runtime in
//!   real time: what a devnet user sees.
//! - `sim`: the same chain with simulation proofs on a current-thread runtime with tokio's
//!   clock paused, so the figures are in simulated time (and the run's wall time is printed
//!   beside them).
//!
//! Run: `cargo bench -p bitai-tests --bench poc_throughput` (both), `-- wall` or `-- sim`
//! for one, `-- --requests N` to change the load. Results are in BENCHMARKS.md.

use bitai_chain::poc::{hash_halves, PocKind, PocOp, PocTx};
use bitai_messages::sequencer::{SequencerMsg, SubmitError};
use bitai_models::Limits;
use bitai_node::base::NodeBase;
use bitai_node::config::NodeConfig;
use bitai_node::devnet;
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::{loadgen, progress};
use bitai_protocol::Hash32;
use bitai_runtime::{RoleRef, SharedClock};
use bitai_storage::SharedStore;
use std::sync::Arc;
use std::time::Duration;

const DEVNET_TOML: &str = include_str!("../../configs/devnet.toml");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../actors/lib/models/fixtures");
const STAGES: [&str; 5] = ["in block", "committed", "revealed", "settled", "final"];

struct Setup {
    name: &'static str,
    config: NodeConfig,
    paused: bool,
    requests: u32,
}

fn setups(dir: &std::path::Path, args: &[String]) -> Vec<Setup> {
    let requests = args
        .iter()
        .position(|a| a == "--requests")
        .and_then(|i| args.get(i + 1))
        .map_or(6, |v| v.parse().expect("a number after --requests"));
    let base = |name: &str| {
        let mut c = NodeConfig::parse(DEVNET_TOML, std::path::Path::new("configs/devnet.toml"))
            .expect("the embedded devnet config parses");
        c.node.data_dir = dir.join(name);
        c.metrics.listen = String::new();
        c.rpc.listen = String::new();
        c.prover.key_cache_dir = std::env::temp_dir().join("bitai-bench-devnet-keys");
        c.chain.accounts = c.chain.accounts.max(requests);
        c
    };
    let mut sim = base("sim");
    sim.chain.proof_system = ProofSystemName::Simulation;
    sim.statemachine.allow_simulation_only = true;
    let all = [
        Setup {
            name: "wall",
            config: base("wall"),
            paused: false,
            requests,
        },
        Setup {
            name: "sim",
            config: sim,
            paused: true,
            requests,
        },
    ];
    let only: Vec<&str> = ["wall", "sim"]
        .into_iter()
        .filter(|n| args.iter().any(|a| a == n))
        .collect();
    all.into_iter()
        .filter(|s| only.is_empty() || only.contains(&s.name))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = tempfile::tempdir().expect("temporary directory");
    #[allow(clippy::disallowed_methods)] // The machine, outside the measured actors.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine: {cores} cores");
    for setup in setups(dir.path(), &args) {
        let mut builder = if setup.paused {
            let mut b = tokio::runtime::Builder::new_current_thread();
            b.start_paused(true);
            b
        } else {
            tokio::runtime::Builder::new_multi_thread()
        };
        let runtime = builder.enable_all().build().expect("tokio runtime");
        #[allow(clippy::disallowed_methods)] // The run's wall time, outside the actors.
        let started = std::time::Instant::now();
        let table = runtime.block_on(measure(&setup));
        println!(
            "{table}  (run took {:.1} s of wall time)\n",
            started.elapsed().as_secs_f64()
        );
    }
}

async fn ask<T: Send + 'static>(
    seq: &RoleRef<SequencerMsg>,
    msg: impl FnOnce(ractor::RpcReplyPort<T>) -> SequencerMsg,
) -> T {
    seq.ask(msg, 60_000).await.expect("the sequencer answers")
}

async fn measure(setup: &Setup) -> String {
    let config = &setup.config;
    std::fs::create_dir_all(&config.node.data_dir).expect("data dir");
    let store: SharedStore = Arc::new(
        bitai_storage::FjallStore::open(
            config.node.data_dir.join("db"),
            bitai_storage::Durability::Process,
        )
        .expect("fjall opens"),
    );
    let clock: SharedClock = Arc::new(bitai_runtime::TokioClock::real());
    let base = NodeBase {
        store,
        registry: prometheus::Registry::new(),
        clock: clock.clone(),
        transport: None,
    };
    let d = devnet::start(config, base)
        .await
        .expect("the devnet starts");
    let chain = d.chain;
    let seq = d.pipeline.host.sequencer(&chain).await.expect("hosted");
    let keys = loadgen::account_keys(config.node.seed, setup.requests);
    let json = std::fs::read_to_string(format!("{FIXTURES}/lenet5.json")).expect("fixture");
    let weights = std::fs::read(format!("{FIXTURES}/lenet5.weights.f32")).expect("fixture");
    let model = bitai_models::import(&json, &weights, &Limits::default()).expect("imports");
    let bytes = model.bytes().to_vec();
    let size = bytes.len() as u64;
    let hash = ask(&seq, |reply| SequencerMsg::PutModel { bytes, reply })
        .await
        .expect("DA takes it");
    let nonce = |account: u32| {
        let seq = seq.clone();
        async move {
            ask(&seq, |reply| SequencerMsg::Nonce { account, reply })
                .await
                .expect("account")
        }
    };
    let deploy = PocTx {
        kind: PocKind::DeployModel,
        account: 0,
        target: 0,
        amount: size,
        nonce: nonce(0).await,
        fee: config.sequencer.min_fee,
        data: hash_halves(&hash),
    };
    let op = PocOp::Signed(deploy.sign(&chain, &keys[0], vec![]));
    ask(&seq, |reply| SequencerMsg::SubmitOp { op, reply })
        .await
        .expect("deploy accepted");
    // Wait for the model and three active neurons.
    let model_id = loop {
        let s = ask(&seq, |reply| SequencerMsg::Poc { reply }).await;
        let n = ask(&seq, |reply| SequencerMsg::Neurons { reply }).await;
        let active = n.iter().filter(|n| n.active).count();
        if let Some((id, _)) = s.models.iter().find(|(_, m)| m.hash == hash) {
            if active >= 3 {
                break *id;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let per_sample: usize = model.input_sizes().iter().sum();
    let inputs = std::fs::read(format!("{FIXTURES}/lenet5.input.f32")).expect("fixture");
    let samples = inputs.len() / (4 * per_sample);
    let first_id = ask(&seq, |reply| SequencerMsg::Poc { reply })
        .await
        .counters
        .requests;
    let t0 = clock.now_ms();
    // Requests go in as the chain admits them: the sequencer refuses a request while its
    // open-request limit is reached (so commits always fit their window), and the bench
    // tries again on its next poll.
    let mut next = 0usize;
    let mut submitted_at: Vec<u64> = Vec::new();
    // Poll every request until it is final; stage times in ms after its submission.
    let n = setup.requests as usize;
    let mut seen: Vec<[Option<u64>; 5]> = vec![[None; 5]; n];
    let mut settled_at_block = vec![0u64; n];
    while seen.iter().any(|s| s[4].is_none()) {
        while next < n {
            let at = 4 * per_sample * (next % samples);
            let input = inputs[at..at + 4 * per_sample].to_vec();
            let tx = PocTx {
                kind: PocKind::RequestInference,
                account: next as u32,
                target: model_id,
                amount: 900,
                nonce: nonce(next as u32).await,
                fee: config.sequencer.min_fee,
                data: hash_halves(&Hash32::sha256(&input)),
            };
            let op = PocOp::Signed(tx.sign(&chain, &keys[next], input));
            match ask(&seq, |reply| SequencerMsg::SubmitOp { op, reply }).await {
                Ok(_) => {
                    submitted_at.push(clock.now_ms() - t0);
                    next += 1;
                }
                Err(SubmitError::TooManyOpenRequests { .. }) => break,
                Err(e) => panic!("request refused: {e}"),
            }
        }
        let now = clock.now_ms() - t0;
        let head = ask(&seq, |reply| SequencerMsg::Head { reply }).await.number;
        let snap = progress::snapshot(&d.pipeline).await;
        let final_block = snap.chain(&chain).map_or(0, |c| c.final_block);
        for (i, s) in seen.iter_mut().enumerate().take(next) {
            let id = first_id + i as u32;
            let Some(v) = ask(&seq, |reply| SequencerMsg::Request { id, reply }).await else {
                continue;
            };
            let r = v.record;
            let done = [
                true,
                r.all_committed(),
                (0..3).all(|j| r.revealed(j)),
                v.settled,
                s[3].is_some() && final_block >= settled_at_block[i],
            ];
            for k in 0..STAGES.len() {
                // Up to settlement, a later stage implies the earlier ones (a seat that never
                // commits still lets the request settle).
                let reached = if k < 4 {
                    done[k..4].iter().any(|x| *x)
                } else {
                    done[4]
                };
                if reached && s[k].is_none() {
                    s[k] = Some(now - submitted_at[i]);
                    if k == 3 {
                        settled_at_block[i] = head;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(if setup.paused {
            1_000
        } else {
            100
        }))
        .await;
    }
    let mut quorum = 0;
    for i in 0..n {
        let id = first_id + i as u32;
        let v = ask(&seq, |reply| SequencerMsg::Request { id, reply })
            .await
            .expect("the request exists");
        quorum += usize::from(v.record.outcome().quorum);
    }
    let slashed = ask(&seq, |reply| SequencerMsg::Supply { reply })
        .await
        .slashed;
    d.pipeline.stop().await;
    let all_settled_ms = seen
        .iter()
        .zip(&submitted_at)
        .map(|(s, t)| s[3].unwrap_or(0) + t)
        .max()
        .unwrap_or(0);
    let mean = |k: usize| seen.iter().filter_map(|s| s[k]).sum::<u64>() as f64 / n as f64 / 1_000.0;
    let per_minute = n as f64 / (all_settled_ms as f64 / 60_000.0);
    let mut out = format!(
        "## {} ({} requests, {} op slots per block, block interval {} ms, {} proofs)\n",
        setup.name,
        n,
        config.chain.block_ops,
        config.sequencer.block_interval_ms,
        if setup.paused {
            "simulation"
        } else {
            "Groth16"
        }
    );
    out.push_str(&format!(
        "  settled: {per_minute:.2} requests per minute ({} clock)\n",
        if setup.paused { "simulated" } else { "wall" }
    ));
    out.push_str(&format!(
        "  settled with a quorum: {quorum} of {n}; stake slashed in all: {slashed}\n"
    ));
    out.push_str("  mean time from submission to each stage, s:\n");
    for (k, name) in STAGES.iter().enumerate() {
        out.push_str(&format!("    {name:>10}: {:8.1}\n", mean(k)));
    }
    out
}
