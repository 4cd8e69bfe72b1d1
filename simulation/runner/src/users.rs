//! Simulated users. They call the coordinator's API in process, the same `NodeApi` the
//! JSON-RPC server serves: they send valid and invalid transfers, deploy a model on each
//! chain, request inferences, and (through [`crate::world::World::create_chain`]) create
//! chains. Every transfer or op the node acknowledged is remembered: the lost-transaction
//! oracle follows each to its end.

use crate::trace::Trace;
use crate::world::World;
use bitai_chain::poc::{hash_halves, PocKind, PocOp, PocTx};
use bitai_chain::tx::{SignedTransfer, Transfer};
use bitai_protocol::Hash32;
use bitai_rpc::NodeApi;
use bitai_runtime::{seeded_rng, SimRng};
use rand::Rng;
use std::collections::BTreeMap;

/// Escrow each inference request holds.
pub const ESCROW: u64 = 900;

/// The model every chain deploys (a small Keras LSTM from the model fixtures).
const MODEL_JSON: &str = include_str!("../../../actors/lib/models/fixtures/lstm_text.json");
const MODEL_WEIGHTS: &[u8] =
    include_bytes!("../../../actors/lib/models/fixtures/lstm_text.weights.f32");

/// One transaction the node acknowledged.
#[derive(Debug, Clone)]
pub struct Acked {
    /// The chain's index in the world.
    pub chain: usize,
    /// Its hash.
    pub hash: Hash32,
    /// What it was.
    pub what: &'static str,
}

/// The users of every chain.
pub struct Users {
    rng: SimRng,
    invalid_share: f64,
    nonces: BTreeMap<(usize, u32), u64>,
    model: bitai_models::CheckedModel,
    /// Transfers the sequencers acknowledged.
    pub transfers: Vec<Acked>,
    /// Inference requests the sequencers acknowledged.
    pub requests: Vec<Acked>,
    /// Submissions refused (as they should be when invalid).
    pub refused: u64,
    /// Valid transfers refused (their nonce, balance and key right as far as the user knew).
    pub valid_refused: u64,
    /// The last valid transfers acknowledged, which a user may send again (`user_retry`).
    sent: std::collections::VecDeque<(usize, SignedTransfer)>,
    /// The retries' own stream (the users' draws stay as they were without the fault).
    retry_rng: SimRng,
    /// Acknowledged transfers sent again.
    pub resubmitted: u64,
    /// Of those, answered "already known" (4009).
    pub resubmitted_known: u64,
    /// Answers to a resubmission that break the contract (accepted under another hash).
    pub resubmission_wrong: Vec<String>,
}

/// How many acknowledged transfers a user remembers to send again.
const RETRY_MEMORY: usize = 16;

/// How a transfer is spoiled on purpose.
#[derive(Debug, Clone, Copy)]
enum Spoil {
    None,
    Signature,
    Nonce,
    Balance,
    Account,
}

impl Users {
    /// Users drawing from `seed`.
    pub fn new(seed: u64, invalid_share: f64) -> anyhow::Result<Users> {
        let model = bitai_models::import(MODEL_JSON, MODEL_WEIGHTS, &Default::default())
            .map_err(|e| anyhow::anyhow!("the simulation's model: {e}"))?;
        Ok(Users {
            rng: seeded_rng(seed, "sim/users"),
            invalid_share,
            nonces: BTreeMap::new(),
            model,
            transfers: Vec::new(),
            requests: Vec::new(),
            refused: 0,
            valid_refused: 0,
            sent: std::collections::VecDeque::new(),
            retry_rng: seeded_rng(seed, "sim/users/retry"),
            resubmitted: 0,
            resubmitted_known: 0,
            resubmission_wrong: Vec::new(),
        })
    }

    /// A draw from the users' stream (the driver schedules with it).
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    async fn nonce(&mut self, w: &World, chain: usize, account: u32) -> u64 {
        if let Some(n) = self.nonces.get(&(chain, account)) {
            return *n;
        }
        let n = w
            .api
            .nonce(w.chains[chain].id, account)
            .await
            .ok()
            .flatten()
            .unwrap_or(0);
        self.nonces.insert((chain, account), n);
        n
    }

    /// Sends one transfer on a random chain, valid or (by the scenario's share) not.
    pub async fn transfer(&mut self, w: &World, trace: &Trace) {
        let chain = self.rng.gen_range(0..w.chains.len());
        let c = &w.chains[chain];
        let n = c.keys.len() as u32;
        let from = self.rng.gen_range(0..n);
        let to = (from + self.rng.gen_range(1..n)) % n;
        let spoil = if self.rng.gen_bool(self.invalid_share) {
            match self.rng.gen_range(0..4) {
                0 => Spoil::Signature,
                1 => Spoil::Nonce,
                2 => Spoil::Balance,
                _ => Spoil::Account,
            }
        } else {
            Spoil::None
        };
        let nonce = self.nonce(w, chain, from).await;
        let mut transfer = Transfer {
            from,
            to,
            to_public_key: c.keys[to as usize].public_key(),
            amount: self.rng.gen_range(1..1_000),
            fee: w.config.sequencer.min_fee,
            nonce,
        };
        let mut key = &c.keys[from as usize];
        match spoil {
            Spoil::None => {}
            Spoil::Signature => key = &c.keys[to as usize],
            Spoil::Nonce => transfer.nonce = nonce + 1 + self.rng.gen_range(0..3),
            Spoil::Balance => transfer.amount = u64::MAX / 2,
            Spoil::Account => transfer.from = n + 100,
        }
        let tx = transfer.sign(&c.id, key);
        let answer = w.api.send_transaction(c.id, tx).await;
        match &answer {
            Ok(hash) => {
                if matches!(spoil, Spoil::None) {
                    self.nonces.insert((chain, from), nonce + 1);
                    if self.sent.len() == RETRY_MEMORY {
                        self.sent.pop_front();
                    }
                    self.sent.push_back((chain, tx));
                }
                self.transfers.push(Acked {
                    chain,
                    hash: *hash,
                    what: "transfer",
                });
                trace.record(
                    "user",
                    format_args!(
                        "transfer {}:{from}->{to} n{} {spoil:?} acked {hash}",
                        c.name, transfer.nonce
                    ),
                );
            }
            Err(e) => {
                self.refused += 1;
                if matches!(spoil, Spoil::None) {
                    self.valid_refused += 1;
                }
                // A valid transfer refused for its nonce: resync from the node next time.
                self.nonces.remove(&(chain, from));
                trace.record(
                    "user",
                    format_args!("transfer {}:{from}->{to} {spoil:?} refused: {e}", c.name),
                );
            }
        }
    }

    /// Sends an acknowledged transfer again, byte for byte (`user_retry`): the node must say
    /// it is known (4009) and change nothing (the supply and nonce oracles see to the
    /// second). A node that is down or failing may answer otherwise for now; an acceptance
    /// under another hash breaks the contract.
    pub async fn resubmit(&mut self, w: &World, trace: &Trace) {
        if self.sent.is_empty() {
            trace.record("user", "retry: nothing acknowledged yet");
            return;
        }
        let i = self.retry_rng.gen_range(0..self.sent.len());
        let (chain, tx) = self.sent[i];
        let hash = tx.hash();
        self.resubmitted += 1;
        let answer = w.api.send_transaction(w.chains[chain].id, tx).await;
        match answer {
            Err(bitai_rpc::ApiError::AlreadyKnown(reason)) => {
                self.resubmitted_known += 1;
                trace.record("user", format_args!("retry {hash}: {reason}"));
            }
            Ok(h) if h != hash => {
                let wrong = format!("retry of {hash} accepted as {h}");
                trace.record("user", format_args!("{wrong}"));
                self.resubmission_wrong.push(wrong);
            }
            other => trace.record("user", format_args!("retry {hash}: {other:?}")),
        }
    }

    /// Puts the model's bytes on chain `chain`'s DA and deploys it from account 0.
    pub async fn deploy(&mut self, w: &World, chain: usize, trace: &Trace) {
        let c = &w.chains[chain];
        let bytes = self.model.bytes().to_vec();
        let put = match w.api.put_model(c.id, bytes.clone()).await {
            Ok(h) => h,
            Err(e) => {
                trace.record("user", format_args!("put_model {} refused: {e}", c.name));
                return;
            }
        };
        let nonce = self.nonce(w, chain, 0).await;
        let op = PocTx {
            kind: PocKind::DeployModel,
            account: 0,
            target: 0,
            amount: bytes.len() as u64,
            nonce,
            fee: w.config.sequencer.min_fee,
            data: hash_halves(&put),
        };
        let op = PocOp::Signed(op.sign(&c.id, &c.keys[0], vec![]));
        match w.api.submit_poc_op(c.id, op.to_bytes()).await {
            Ok(hash) => {
                self.nonces.insert((chain, 0), nonce + 1);
                trace.record(
                    "user",
                    format_args!("deploy {} model {put} acked {hash}", c.name),
                );
            }
            Err(e) => {
                self.nonces.remove(&(chain, 0));
                trace.record("user", format_args!("deploy {} refused: {e}", c.name));
            }
        }
    }

    /// Requests one inference on a random chain whose model is deployed and whose three
    /// neurons are active; does nothing when none is ready.
    pub async fn request(&mut self, w: &World, trace: &Trace) {
        let ready: Vec<usize> = (0..w.chains.len())
            .filter(|&i| w.chains[i].model.is_some())
            .collect();
        if ready.is_empty() {
            return;
        }
        let chain = ready[self.rng.gen_range(0..ready.len())];
        let c = &w.chains[chain];
        let active = w
            .api
            .neurons(c.id)
            .await
            .map(|n| n.iter().filter(|n| n.active).count())
            .unwrap_or(0);
        if active < 3 {
            return;
        }
        let account = self.rng.gen_range(0..c.keys.len() as u32);
        let inputs: usize = self.model.input_sizes().iter().sum();
        let input: Vec<u8> = (0..inputs)
            .flat_map(|_| (self.rng.gen_range(-1.0f32..1.0)).to_le_bytes())
            .collect();
        let nonce = self.nonce(w, chain, account).await;
        let op = PocTx {
            kind: PocKind::RequestInference,
            account,
            target: c.model.unwrap_or(0),
            amount: ESCROW,
            nonce,
            fee: w.config.sequencer.min_fee,
            data: hash_halves(&Hash32::sha256(&input)),
        };
        let op = PocOp::Signed(op.sign(&c.id, &c.keys[account as usize], input));
        match w.api.submit_poc_op(c.id, op.to_bytes()).await {
            Ok(hash) => {
                self.nonces.insert((chain, account), nonce + 1);
                self.requests.push(Acked {
                    chain,
                    hash,
                    what: "request",
                });
                trace.record(
                    "user",
                    format_args!("request {}:{account} acked {hash}", c.name),
                );
            }
            Err(e) => {
                self.refused += 1;
                self.nonces.remove(&(chain, account));
                trace.record(
                    "user",
                    format_args!("request {}:{account} refused: {e}", c.name),
                );
            }
        }
    }
}
