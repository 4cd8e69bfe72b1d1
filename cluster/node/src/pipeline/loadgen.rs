//! The devnet's own chain and its load generator. The chain's genesis accounts have keys
//! drawn from the node seed, so the load generator (and a test) can sign for them; the load
//! generator sends signed transfers between random pairs of them at a steady rate, through
//! the same path as `bitai_sendTransaction`, until it has had a given number accepted.
//!
//! It keeps no record of its own: on a restart it asks the sequencer how many transfers the
//! chain already holds (every account's next nonce, counting pending ones), so a killed and
//! restarted devnet sends exactly the rest. A refused nonce resynchronises it from the
//! sequencer's answer.

use crate::pipeline::config::ChainSection;
use crate::pipeline::keys::CircuitKeys;
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::tx::Transfer;
use bitai_messages::da::{GenesisAccount, GenesisData};
use bitai_messages::sequencer::{SequencerMsg, SubmitError};
use bitai_protocol::{ChainId, CreateChain};
use bitai_runtime::{seeded_rng, RoleRef};
use bitai_sequencer::ChainSpec;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Largest proof the devnet chain accepts (a Groth16 proof in gnark's format is 128 bytes).
pub const MAX_PROOF_BYTES: u32 = 1_024;

/// The devnet chain's genesis account keys, drawn from the node seed.
pub fn account_keys(seed: u64, n: u32) -> Vec<PrivateKey> {
    (0..n)
        .map(|i| {
            let mut h = Sha256::new();
            h.update(b"bitai/devnet-account/v1/");
            h.update(seed.to_le_bytes());
            h.update(i.to_le_bytes());
            PrivateKey(h.finalize().into())
        })
        .collect()
}

/// The devnet neurons' account keys, drawn from the node seed (another domain than the
/// load generator's accounts). Neuron `i` holds account `accounts + i`.
pub fn neuron_keys(seed: u64, n: u32) -> Vec<PrivateKey> {
    (0..n)
        .map(|i| {
            let mut h = Sha256::new();
            h.update(b"bitai/devnet-neuron/v1/");
            h.update(seed.to_le_bytes());
            h.update(i.to_le_bytes());
            PrivateKey(h.finalize().into())
        })
        .collect()
}

/// The devnet chain: its `CreateChain` and genesis, from the config and the node's keys. The
/// genesis funds the load generator's accounts, then one account per devnet neuron (none when
/// the chain takes no ops).
pub fn devnet_chain(
    section: &ChainSection,
    seed: u64,
    keys: &CircuitKeys,
) -> anyhow::Result<(CreateChain, GenesisData)> {
    let accounts: Vec<GenesisAccount> = account_keys(seed, section.accounts)
        .iter()
        .chain(&neuron_keys(seed, devnet_neuron_count(section)))
        .enumerate()
        .map(|(i, k)| GenesisAccount {
            index: i as u32,
            public_key: pack_point(&k.public_key()),
            balance: section.balance,
        })
        .collect();
    let circuit = section.circuit();
    let verifying_key = keys.verifying_key_for(&circuit).ok_or_else(|| {
        anyhow::anyhow!(
            "no circuit key for {} transactions and {} ops per block",
            section.block_txs,
            section.block_ops
        )
    })?;
    let spec = ChainSpec::new(
        section.name.clone(),
        keys.system(),
        verifying_key,
        accounts,
        circuit,
        MAX_PROOF_BYTES,
        seed,
    )?;
    Ok((spec.create, spec.genesis))
}

/// The neurons the devnet runs (and funds at genesis): `chain.neurons`, or none when the
/// chain takes no Proof-of-Compute ops.
pub fn devnet_neuron_count(section: &ChainSection) -> u32 {
    if section.block_ops == 0 {
        0
    } else {
        section.neurons
    }
}

/// What the load generator does.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Transfers the chain should hold in the end.
    pub total: u64,
    /// Transfers per second.
    pub tps: f64,
    /// Fee of each transfer.
    pub fee: u64,
    /// Seed of the pair and amount draws.
    pub seed: u64,
}

/// Sends transfers on `chain` until it holds `plan.total`; returns how many it sent.
pub async fn run(
    chain: ChainId,
    sequencer: RoleRef<SequencerMsg>,
    keys: Vec<PrivateKey>,
    plan: LoadPlan,
) -> anyhow::Result<u64> {
    let n = keys.len() as u32;
    anyhow::ensure!(n >= 2, "the load generator needs at least two accounts");
    let mut nonces = Vec::with_capacity(keys.len());
    let mut held = 0u64;
    for i in 0..n {
        // The next nonce counting pending transactions: what the chain holds or will.
        let nonce = sequencer
            .ask(|reply| SequencerMsg::Nonce { account: i, reply }, 10_000)
            .await
            .flatten()
            .ok_or_else(|| anyhow::anyhow!("the sequencer does not know account {i}"))?;
        held += nonce;
        nonces.push(nonce);
    }
    let mut rng = seeded_rng(plan.seed, &format!("loadgen/{held}"));
    let period = Duration::from_secs_f64(1.0 / plan.tps.max(0.001));
    let mut sent = 0;
    let mut interval = tokio::time::interval(period);
    while held + sent < plan.total {
        interval.tick().await;
        let from = rng.gen_range(0..n);
        let to = (from + rng.gen_range(1..n)) % n;
        let transfer = Transfer {
            from,
            to,
            to_public_key: keys[to as usize].public_key(),
            amount: rng.gen_range(1..1_000),
            fee: plan.fee,
            nonce: nonces[from as usize],
        };
        let tx = transfer.sign(&chain, &keys[from as usize]);
        let answer = sequencer
            .ask(|reply| SequencerMsg::Submit { tx, reply }, 10_000)
            .await
            .ok_or_else(|| anyhow::anyhow!("the sequencer did not answer"))?;
        match answer {
            Ok(_) => {
                nonces[from as usize] += 1;
                sent += 1;
            }
            Err(SubmitError::BadNonce { expected, .. }) => nonces[from as usize] = expected,
            Err(e) => tracing::warn!(error = %e, "load generator: transfer refused"),
        }
    }
    Ok(sent)
}
