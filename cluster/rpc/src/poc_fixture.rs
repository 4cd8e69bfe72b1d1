//! Test fixtures for Proof-of-Compute over the RPC: a chain with op slots and five funded
//! accounts, a small real model, signing ops, and three neurons that answer their assignments
//! through the client as the neuron actor does (poll, fetch model and input, run the model on
//! the neuron crate's canonical output, commit, then reveal once every seat committed), so the
//! RPC and CLI tests drive whole requests to settlement through the real state transition
//! function behind the test node.

use super::genesis::{GenesisAccountSpec, GenesisSpec, DEFAULT_TREE_DEPTH};
use super::test_node::TEST_VK;
use super::Client;
use crate::genesis::build_chain_from;
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::Fr;
use bitai_chain::poc::{commitment, output_digest, PocKind, PocOp, PocParams, PocTx};
use bitai_kernels::{Activation, CpuBackend, Fx};
use bitai_models::format::{InputSpec, Layer, Node};
use bitai_models::{CheckedModel, Limits, Model};
use bitai_protocol::{ChainId, Hash32, ProofSystem};

/// Accounts of the fixture chain: 0 is the user, 1..=4 may become neurons.
pub const ACCOUNTS: u32 = 5;

/// Each account's genesis balance.
pub const BALANCE: u64 = 1_000_000;

/// The key of fixture account `i`.
pub fn key(i: u32) -> PrivateKey {
    PrivateKey([20 + i as u8; 32])
}

/// Creates the fixture chain through `client`.
pub async fn create_poc_chain(client: &Client) -> ChainId {
    let genesis = GenesisSpec {
        tree_depth: DEFAULT_TREE_DEPTH,
        max_block_txs: 4,
        max_block_ops: 4,
        poc: PocParams::DEFAULT,
        accounts: (0..ACCOUNTS)
            .map(|i| GenesisAccountSpec {
                index: i,
                public_key: pack_point(&key(i).public_key()),
                balance: BALANCE,
            })
            .collect(),
    };
    let (genesis, create, bytes) = build_chain_from(
        genesis,
        "poc",
        ProofSystem::Groth16Bn254,
        TEST_VK.to_vec(),
        1,
    )
    .expect("builds");
    let id = client.create_chain(bytes, genesis).await.expect("created");
    assert_eq!(id, create.chain_id());
    id
}

/// A dense 4 -> 3 model with a ReLU.
pub fn small_model() -> CheckedModel {
    dense(Fx::ONE)
}

/// [`small_model`] with another bias: another model with the same shapes.
pub fn small_model_variant() -> CheckedModel {
    dense(Fx(2 * Fx::ONE.0))
}

fn dense(bias: Fx) -> CheckedModel {
    let model = Model {
        name: "small".into(),
        inputs: vec![InputSpec {
            name: "x".into(),
            shape: vec![4],
        }],
        nodes: vec![Node {
            name: "d".into(),
            layer: Layer::Dense {
                units: 3,
                activation: Activation::Relu {
                    negative_slope: Fx(0),
                    max_value: None,
                    threshold: Fx(0),
                },
                kernel: (0..12).map(|i| Fx((i - 4) << 29)).collect(),
                bias: Some(vec![bias; 3]),
            },
            inputs: vec![0],
        }],
        outputs: vec![1],
    };
    CheckedModel::new(model, &Limits::default()).expect("a valid model")
}

/// Little-endian f32 bytes of `values`.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Runs `model` on one sample of little-endian f32 `input`: the canonical output bytes, as a
/// neuron computes them (`bitai_neuron::canonical_output` on the CPU backend).
pub fn run_canonical(model: &CheckedModel, input: &[u8]) -> Vec<u8> {
    let backend = CpuBackend::new(1).expect("backend");
    bitai_neuron::canonical_output(model, input, &backend).expect("runs")
}

/// Signs an op of `account` on `chain`.
#[allow(clippy::too_many_arguments)] // Every field of the op, in the wire order.
pub fn sign_op(
    chain: &ChainId,
    account: u32,
    kind: PocKind,
    target: u32,
    amount: u64,
    nonce: u64,
    data: [Fr; 2],
    payload: Vec<u8>,
) -> PocOp {
    PocOp::Signed(
        PocTx {
            kind,
            account,
            target,
            amount,
            nonce,
            fee: 1,
            data,
        }
        .sign(chain, &key(account), payload),
    )
}

/// Submits a signed op of `account` at its next nonce; the op id.
#[allow(clippy::too_many_arguments)] // Every field of the op, in the wire order.
pub async fn submit(
    client: &Client,
    chain: ChainId,
    account: u32,
    kind: PocKind,
    target: u32,
    amount: u64,
    data: [Fr; 2],
    payload: Vec<u8>,
) -> Hash32 {
    let nonce = client
        .nonce(chain, account)
        .await
        .expect("nonce")
        .expect("account exists");
    let op = sign_op(&chain, account, kind, target, amount, nonce, data, payload);
    let id = client
        .submit_poc_op(chain, op.to_bytes())
        .await
        .unwrap_or_else(|e| panic!("{} of account {account} accepted: {e}", kind.name()));
    assert_eq!(id, op.hash());
    id
}

/// Registers accounts `accounts` as neurons with `stake` each.
pub async fn register_neurons(client: &Client, chain: ChainId, accounts: &[u32], stake: u64) {
    for a in accounts {
        submit(
            client,
            chain,
            *a,
            PocKind::RegisterNeuron,
            0,
            stake,
            [Fr::from(0u64); 2],
            vec![],
        )
        .await;
    }
}

/// What neuron `account` computes for request `id`: fetches the model from DA and the
/// input, checks the input against its hash, runs the model; with `cheat: Some(a)`, a wrong
/// output particular to `a`.
pub async fn compute(client: &Client, chain: ChainId, id: u32, cheat: Option<u32>) -> Vec<u8> {
    let r = client
        .request(chain, id)
        .await
        .expect("request")
        .expect("exists");
    let summary = client.poc_summary(chain).await.expect("summary");
    let hash = summary
        .models
        .iter()
        .find(|m| m.id == r.model)
        .expect("the request's model")
        .hash;
    let bytes = client
        .model_bytes(hash)
        .await
        .expect("model bytes")
        .expect("on DA");
    let model = CheckedModel::decode(&bytes, &Limits::default()).expect("a model");
    let input = client
        .request_input(chain, id)
        .await
        .expect("input")
        .expect("kept");
    assert_eq!(Hash32::sha256(&input), r.input_hash);
    let mut output = run_canonical(&model, &input);
    if let Some(a) = cheat {
        // The last byte of the last value: still a well-formed output, a different one.
        let last = output.len() - 1;
        output[last] ^= 1 + a as u8;
    }
    output
}

fn salt(account: u32) -> Fr {
    Fr::from(1_000 + u64::from(account))
}

/// Neuron `account` commits to `output` for request `id`.
pub async fn commit(client: &Client, chain: ChainId, account: u32, id: u32, output: &[u8]) {
    let c = commitment(output_digest(output), salt(account), account);
    let data = [c, Fr::from(0u64)];
    submit(client, chain, account, PocKind::Commit, id, 0, data, vec![]).await;
}

/// Neuron `account` reveals `output` for request `id` (after committing to it).
pub async fn reveal(client: &Client, chain: ChainId, account: u32, id: u32, output: Vec<u8>) {
    let data = [output_digest(&output), salt(account)];
    submit(client, chain, account, PocKind::Reveal, id, 0, data, output).await;
}

/// Every seat of every open request of `neurons` commits, then reveals (seats in `cheaters`
/// reveal a wrong output, each cheater a different one). Returns the seats served.
pub async fn serve_assignments(
    client: &Client,
    chain: ChainId,
    neurons: &[u32],
    cheaters: &[u32],
) -> usize {
    let mut work = Vec::new();
    for a in neurons {
        for r in client.assignments(chain, *a).await.expect("assignments") {
            let seat = r.seats.iter().find(|s| s.account == *a).expect("a seat");
            if !seat.committed {
                work.push((*a, r.id));
            }
        }
    }
    let mut outputs = Vec::new();
    for (a, id) in &work {
        let cheat = cheaters.contains(a).then_some(*a);
        let output = compute(client, chain, *id, cheat).await;
        commit(client, chain, *a, *id, &output).await;
        outputs.push(output);
    }
    // Reveals open once every seat has committed (or the commit window closed).
    for ((a, id), output) in work.iter().zip(outputs) {
        reveal(client, chain, *a, *id, output).await;
    }
    work.len()
}
