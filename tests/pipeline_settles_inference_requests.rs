//! Proof-of-Compute end to end on the devnet's whole pipeline: a LeNet-5 model made by Keras
//! is deployed (bytes to DA, a signed `DeployModel` op), a user requests an inference on one
//! of Keras' own test inputs, and three in-process neurons answer it, one of them cheating.
//! The request settles: the two honest neurons agree and are paid half the escrow each, the
//! cheat is slashed, the agreed output is bit for bit what `bitai model run` computes, and
//! the blocks holding all of it are proven, inscribed, indexed and final on the BitAI side
//! with the verified root equal to the sequencer's, every coin accounted for.

use bitai_chain::eddsa::PrivateKey;
use bitai_chain::poc::{hash_halves, PocKind, PocOp, PocTx};
use bitai_kernels::CpuBackend;
use bitai_messages::sequencer::{RequestView, SequencerMsg};
use bitai_models::{CheckedModel, Executor, Limits};
use bitai_neuron::{canonical_output, output_to_f32_file, NeuronFaults};
use bitai_node::devnet;
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::loadgen;
use bitai_node::pipeline::neurons::NeuronPlan;
use bitai_node::pipeline::progress;
use bitai_protocol::Hash32;
use bitai_runtime::RoleRef;
use bitai_tests::support::devnet_world::{config, DevnetWorld};
use std::time::Duration;

const ESCROW: u64 = 901;
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../actors/lib/models/fixtures");

fn lenet() -> CheckedModel {
    let json = std::fs::read_to_string(format!("{FIXTURES}/lenet5.json")).expect("fixture");
    let weights = std::fs::read(format!("{FIXTURES}/lenet5.weights.f32")).expect("fixture");
    bitai_models::import(&json, &weights, &Limits::default()).expect("LeNet-5 imports")
}

/// The first sample of Keras' LeNet-5 test inputs, as `bitai model run --input` reads it.
fn first_sample(model: &CheckedModel) -> Vec<u8> {
    let bytes = std::fs::read(format!("{FIXTURES}/lenet5.input.f32")).expect("fixture");
    let per_sample: usize = model.input_sizes().iter().sum();
    bytes[..4 * per_sample].to_vec()
}

/// What `bitai model run` writes for one sample: every output as little-endian f32.
fn model_run(model: &CheckedModel, input: &[u8]) -> Vec<u8> {
    let values: Vec<f32> = input
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let backend = CpuBackend::new(1).expect("cpu backend");
    let (outs, _) = Executor::new(model, &backend)
        .run_f32(&[&values])
        .expect("runs");
    outs.iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

async fn submit(seq: &RoleRef<SequencerMsg>, op: PocOp) -> Hash32 {
    seq.ask(|reply| SequencerMsg::SubmitOp { op, reply }, 10_000)
        .await
        .expect("the sequencer answers")
        .expect("the op is accepted")
}

async fn nonce(seq: &RoleRef<SequencerMsg>, account: u32) -> u64 {
    seq.ask(|reply| SequencerMsg::Nonce { account, reply }, 10_000)
        .await
        .flatten()
        .expect("the account exists")
}

async fn wait_for<T>(what: &str, mut poll: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..1_200 {
        if let Some(t) = poll().await {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_neurons_answer_a_lenet_request_the_cheat_is_slashed_and_it_all_becomes_final() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path(), 83, ProofSystemName::Simulation, 4);
    c.chain.accounts = 4;
    c.chain.neurons = 3;
    c.neuron.poll_interval_ms = 100;
    let seed = c.node.seed;
    let plans: Vec<NeuronPlan> = loadgen::neuron_keys(seed, 3)
        .into_iter()
        .enumerate()
        .map(|(i, key)| NeuronPlan {
            account: c.chain.accounts + i as u32,
            key,
            stake: c.chain.neuron_stake,
            faults: NeuronFaults {
                corrupt_output: i == 2,
                copy_reveal: false,
            },
        })
        .collect();
    let cheat = plans[2].account;
    let world = DevnetWorld::start_with_neurons(c, plans).await;
    let chain = world.devnet.chain;
    let seq = world
        .devnet
        .pipeline
        .host
        .sequencer(&chain)
        .await
        .expect("the devnet chain is hosted");
    let user: PrivateKey = loadgen::account_keys(seed, 1).remove(0);

    // Deploy: the bytes to DA, then the signed op naming their hash.
    let model = lenet();
    let bytes = model.bytes().to_vec();
    let put = seq
        .ask(
            |reply| SequencerMsg::PutModel {
                bytes: bytes.clone(),
                reply,
            },
            10_000,
        )
        .await
        .expect("answers")
        .expect("DA takes the model");
    assert_eq!(put.0, model.id().0, "the DA commitment is the model id");
    let deploy = PocTx {
        kind: PocKind::DeployModel,
        account: 0,
        target: 0,
        amount: bytes.len() as u64,
        nonce: nonce(&seq, 0).await,
        fee: 1,
        data: hash_halves(&put),
    };
    submit(&seq, PocOp::Signed(deploy.sign(&chain, &user, vec![]))).await;
    let model_id = wait_for("the model deployed", async || {
        let s = seq.ask(|reply| SequencerMsg::Poc { reply }, 10_000).await?;
        s.models
            .iter()
            .find(|(_, m)| m.hash == put)
            .map(|(id, _)| *id)
    })
    .await;
    // The neurons' registrations are in by now or soon; a request needs all three.
    wait_for("three active neurons", async || {
        let n = seq
            .ask(|reply| SequencerMsg::Neurons { reply }, 10_000)
            .await?;
        (n.iter().filter(|n| n.active).count() == 3).then_some(())
    })
    .await;

    // Request one inference.
    let input = first_sample(&model);
    let request = PocTx {
        kind: PocKind::RequestInference,
        account: 0,
        target: model_id,
        amount: ESCROW,
        nonce: nonce(&seq, 0).await,
        fee: 1,
        data: hash_halves(&Hash32::sha256(&input)),
    };
    submit(
        &seq,
        PocOp::Signed(request.sign(&chain, &user, input.clone())),
    )
    .await;
    let view: RequestView = wait_for("the request settled", async || {
        let v = seq
            .ask(|reply| SequencerMsg::Request { id: 0, reply }, 10_000)
            .await
            .flatten()?;
        v.settled.then_some(v)
    })
    .await;

    // Two honest seats agree and are paid; the cheat is slashed.
    let outcome = view.record.outcome();
    assert!(outcome.quorum, "{view:?}");
    assert_eq!(outcome.share, ESCROW / 2);
    let neurons = seq
        .ask(|reply| SequencerMsg::Neurons { reply }, 10_000)
        .await
        .expect("answers");
    for n in &neurons {
        if n.account == cheat {
            assert_eq!((n.record.slashed, n.record.rewards), (500, 0), "{n:?}");
        } else {
            assert_eq!(
                (n.record.slashed, n.record.rewards),
                (0, ESCROW / 2),
                "{n:?}"
            );
        }
    }

    // The agreed output is the canonical output, and its f32 file is `bitai model run`'s.
    let output = view.output.expect("the agreed output is kept");
    let backend = CpuBackend::new(2).expect("cpu backend");
    assert_eq!(
        output,
        canonical_output(&model, &input, &backend).expect("runs")
    );
    assert_eq!(
        output_to_f32_file(&output).expect("values"),
        model_run(&model, &input)
    );

    // Everything up to the settlement becomes final on the BitAI side, roots agreeing.
    let head = seq
        .ask(|reply| SequencerMsg::Head { reply }, 10_000)
        .await
        .expect("answers")
        .number;
    world
        .wait_until(Duration::from_secs(180), |s| {
            s.chain(&chain).is_some_and(|c| c.final_block >= head)
        })
        .await;
    progress::check_roots(&world.devnet.pipeline)
        .await
        .expect("verified roots equal the sequencer's");
    let conserved = devnet::check_conservation(&world.devnet.pipeline, &chain, &world.config)
        .await
        .expect("every coin accounted for");
    assert!(conserved.contains("slashed 500"), "{conserved}");
    world.stop().await;
}
