//! A small in-process [`NodeApi`] for the RPC and CLI tests: it records every call, keeps
//! one genesis state per created chain (built from the received `GenesisSpec`, its root
//! checked against the received `CreateChain`), and executes received transfers with the
//! real state transition function (which verifies the signature), so a test that goes
//! through the server and the client checks real bytes end to end. Not a sequencer: every
//! accepted transfer lands at once in "block 1".

use super::api::{ApiError, NodeApi};
use super::genesis::GenesisSpec;
use super::poc_types::{NeuronInfo, PocInfo, RequestInfo};
use super::types::{
    proof_system_name, AccountInfo, BlockProof, ChainInfo, ChainKey, CircuitKey, InscriptionJob,
    L2Block, MempoolEntry, ProverJob, SequencerInfo, Stage, TxStatus,
};
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::stf::State;
use bitai_chain::tx::SignedTransfer;
use bitai_protocol::{decode_tx, BitaiTx, ChainId, Hash32, ProofSystem};
use std::collections::BTreeMap;
use std::sync::Mutex;

mod poc;

/// One call as the node received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `send_transaction`.
    SendTransaction(ChainId, Vec<u8>),
    /// `transaction_status`.
    TransactionStatus(Hash32),
    /// `block`.
    Block(ChainId, u64),
    /// `account`.
    Account(ChainId, u32),
    /// `chains`.
    Chains,
    /// `chain`.
    Chain(ChainId),
    /// `block_proof`.
    BlockProof(ChainId, u64),
    /// `chain_key`.
    ChainKey(ChainId),
    /// `circuit_key`.
    CircuitKey(u32),
    /// `create_chain`.
    CreateChain(Vec<u8>, GenesisSpec),
    /// `submit_bitai_tx`.
    SubmitBitaiTx(Vec<u8>),
    /// `prover_jobs`.
    ProverJobs,
    /// `inscriptions`.
    Inscriptions,
    /// `mempool`.
    Mempool,
    /// `submit_poc_op`.
    SubmitPocOp(ChainId, Vec<u8>),
    /// `put_model`.
    PutModel(ChainId, usize),
    /// Any read of Proof-of-Compute state: the method name and its chain (None for
    /// `model_bytes`).
    PocRead(&'static str, Option<ChainId>),
}

struct TestChain {
    info: ChainInfo,
    state: State,
    /// `chain` calls so far: the chain shows as registered on Bitcoin from the second on.
    polls: u32,
    txs: Vec<Hash32>,
    /// Op slots per block (from the genesis spec).
    max_ops: u32,
    /// The newest block of Proof-of-Compute ops (each signed op gets a block).
    head: u64,
    /// The block of the last signed op.
    op_block: u64,
    /// Request inputs, by request id.
    inputs: BTreeMap<u32, Vec<u8>>,
    /// Revealed outputs, by request id and seat.
    outputs: BTreeMap<(u32, u8), Vec<u8>>,
    /// The encoded `CreateChain`.
    create: Vec<u8>,
    /// Its verifying key.
    vk: Vec<u8>,
}

/// The test double.
#[derive(Default)]
pub struct TestNode {
    calls: Mutex<Vec<Call>>,
    chains: Mutex<BTreeMap<ChainId, TestChain>>,
    statuses: Mutex<BTreeMap<Hash32, TxStatus>>,
    mempool: Mutex<Vec<MempoolEntry>>,
    /// Model bytes put on "DA", by hash.
    da: Mutex<BTreeMap<Hash32, Vec<u8>>>,
    /// `mempool` waits for a read lock: a test holding the write lock keeps a call in
    /// progress.
    pub gate: tokio::sync::RwLock<()>,
}

/// The verifying key the double hands out (any bytes do for a CreateChain's encoding).
pub const TEST_VK: &[u8] = b"test verifying key";

/// The op slots per block of the double's circuit.
pub const TEST_BLOCK_OPS: u32 = 4;

impl TestNode {
    /// The calls received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("not poisoned").clone()
    }

    fn record(&self, call: Call) {
        self.calls.lock().expect("not poisoned").push(call);
    }

    /// Marks `hash` as being at `stage` (tests walk a transaction through the stages).
    pub fn set_stage(&self, hash: Hash32, stage: Stage) {
        if let Some(s) = self.statuses.lock().expect("not poisoned").get_mut(&hash) {
            s.stage = stage;
            if stage >= Stage::Inscribed && stage != Stage::Rejected {
                s.bitcoin_txid = Some("ab".repeat(32));
                s.bitcoin_height = Some(120);
            }
        }
    }
}

/// Decodes `SignedTransfer` bytes as a sequencer receives them.
pub fn decode_transfer(bytes: &[u8]) -> Result<SignedTransfer, String> {
    SignedTransfer::from_bytes(bytes).map_err(|e| format!("not a signed transfer: {e}"))
}

fn invalid(reason: impl Into<String>) -> ApiError {
    ApiError::InvalidParams(reason.into())
}

#[async_trait::async_trait]
impl NodeApi for TestNode {
    async fn send_transaction(
        &self,
        chain: ChainId,
        transfer: SignedTransfer,
    ) -> Result<Hash32, ApiError> {
        let tx = transfer.to_bytes();
        self.record(Call::SendTransaction(chain, tx.clone()));
        let mut chains = self.chains.lock().expect("not poisoned");
        let c = chains
            .get_mut(&chain)
            .ok_or_else(|| ApiError::NotFound(format!("chain {chain}")))?;
        let hash = Hash32::sha256(&tx);
        if let Some(known) = self.statuses.lock().expect("not poisoned").get(&hash) {
            return Err(ApiError::already_known(hash, known.stage));
        }
        c.state
            .apply_transfer(&chain, &transfer)
            .map_err(|e| ApiError::SequencerRejected(e.to_string()))?;
        let hash = Hash32::sha256(&tx);
        c.txs.push(hash);
        c.info.sequencer = Some(SequencerInfo {
            head_block: 1,
            state_root: c.state.root_hash(),
            pending: 0,
            supply: None,
        });
        self.statuses.lock().expect("not poisoned").insert(
            hash,
            TxStatus {
                hash,
                chain: Some(chain),
                stage: Stage::InL2Block,
                block_number: Some(1),
                bitcoin_txid: None,
                bitcoin_height: None,
                reason: None,
            },
        );
        Ok(hash)
    }

    async fn transaction_status(&self, hash: Hash32) -> Result<TxStatus, ApiError> {
        self.record(Call::TransactionStatus(hash));
        Ok(self
            .statuses
            .lock()
            .expect("not poisoned")
            .get(&hash)
            .cloned()
            .unwrap_or_else(|| TxStatus::unknown(hash)))
    }

    async fn block(&self, chain: ChainId, number: u64) -> Result<Option<L2Block>, ApiError> {
        self.record(Call::Block(chain, number));
        let chains = self.chains.lock().expect("not poisoned");
        let c = chains
            .get(&chain)
            .ok_or_else(|| ApiError::NotFound(format!("chain {chain}")))?;
        Ok((number == 1 && !c.txs.is_empty()).then(|| L2Block {
            chain,
            number,
            prev_state_root: c.info.verified_root,
            new_state_root: c.state.root_hash(),
            da_commitment: Hash32::sha256(b"da"),
            txs: c.txs.clone(),
        }))
    }

    async fn account(&self, chain: ChainId, index: u32) -> Result<Option<AccountInfo>, ApiError> {
        self.record(Call::Account(chain, index));
        let chains = self.chains.lock().expect("not poisoned");
        let c = chains
            .get(&chain)
            .ok_or_else(|| ApiError::NotFound(format!("chain {chain}")))?;
        Ok(c.state.account(index).map(|a| AccountInfo {
            index,
            public_key: pack_point(&a.public_key),
            balance: a.balance,
            nonce: a.nonce,
        }))
    }

    async fn chains(&self) -> Result<Vec<ChainInfo>, ApiError> {
        self.record(Call::Chains);
        let chains = self.chains.lock().expect("not poisoned");
        Ok(chains.values().map(|c| c.info.clone()).collect())
    }

    async fn chain(&self, chain: ChainId) -> Result<Option<ChainInfo>, ApiError> {
        self.record(Call::Chain(chain));
        let mut chains = self.chains.lock().expect("not poisoned");
        Ok(chains.get_mut(&chain).map(|c| {
            c.polls += 1;
            if c.polls >= 2 {
                c.info.created_height = Some(101);
            }
            c.info.clone()
        }))
    }

    async fn circuit_key(&self, max_block_txs: u32) -> Result<CircuitKey, ApiError> {
        self.record(Call::CircuitKey(max_block_txs));
        if max_block_txs > 64 {
            return Err(ApiError::NotFound(format!(
                "no circuit for {max_block_txs} transactions per block"
            )));
        }
        Ok(CircuitKey {
            proof_system: proof_system_name(ProofSystem::Groth16Bn254),
            max_block_txs,
            verifying_key: TEST_VK.to_vec(),
            max_block_ops: Some(TEST_BLOCK_OPS),
            poc: Some(bitai_chain::poc::PocParams::DEFAULT),
        })
    }

    async fn block_proof(
        &self,
        chain: ChainId,
        number: u64,
    ) -> Result<Option<BlockProof>, ApiError> {
        self.record(Call::BlockProof(chain, number));
        // This double proves nothing; the real answer is tested against a devnet.
        Ok(None)
    }

    async fn chain_key(&self, chain: ChainId) -> Result<Option<ChainKey>, ApiError> {
        self.record(Call::ChainKey(chain));
        let chains = self.chains.lock().expect("not poisoned");
        Ok(chains.get(&chain).map(|c| ChainKey {
            chain,
            proof_system: c.info.proof_system.clone(),
            verifying_key: c.vk.clone(),
            verifying_key_sha256: Hash32::sha256(&c.vk),
            create_chain: c.create.clone(),
        }))
    }

    async fn create_chain(
        &self,
        create: Vec<u8>,
        genesis: GenesisSpec,
    ) -> Result<ChainId, ApiError> {
        self.record(Call::CreateChain(create.clone(), genesis.clone()));
        // Check what arrived, independently of the server's own checks.
        let BitaiTx::CreateChain(c) = decode_tx(&create).map_err(|e| invalid(e.to_string()))?
        else {
            return Err(invalid("not a CreateChain"));
        };
        let state = genesis.state().map_err(|e| invalid(e.to_string()))?;
        if state.root_hash() != c.genesis_state_root {
            return Err(invalid("genesis root mismatch"));
        }
        let id = c.chain_id();
        let mut chains = self.chains.lock().expect("not poisoned");
        if chains.contains_key(&id) {
            return Err(ApiError::MempoolRejected(format!("chain {id} exists")));
        }
        chains.insert(
            id,
            TestChain {
                info: ChainInfo {
                    id,
                    name: c.name.clone(),
                    proof_system: proof_system_name(c.proof_system),
                    max_block_txs: c.limits.max_block_txs,
                    created_height: None,
                    verified_block: 0,
                    verified_root: c.genesis_state_root,
                    final_block: 0,
                    final_root: c.genesis_state_root,
                    sequencer: Some(SequencerInfo {
                        head_block: 0,
                        state_root: c.genesis_state_root,
                        pending: 0,
                        supply: None,
                    }),
                },
                state,
                polls: 0,
                txs: Vec::new(),
                max_ops: genesis.max_block_ops,
                head: 0,
                op_block: 0,
                inputs: BTreeMap::new(),
                outputs: BTreeMap::new(),
                create: create.clone(),
                vk: c.verifying_key.clone(),
            },
        );
        self.mempool
            .lock()
            .expect("not poisoned")
            .push(MempoolEntry {
                id: Hash32::sha256(&create),
                kind: "create_chain".into(),
                chain: Some(id),
                block_number: None,
                handed: false,
            });
        Ok(id)
    }

    async fn submit_bitai_tx(&self, tx: Vec<u8>) -> Result<Hash32, ApiError> {
        self.record(Call::SubmitBitaiTx(tx.clone()));
        let decoded = decode_tx(&tx).map_err(|e| invalid(e.to_string()))?;
        let id = Hash32::sha256(&tx);
        let (chain, block_number) = match &decoded {
            BitaiTx::SubmitProof(p) => (Some(p.chain_id), Some(p.block_number)),
            BitaiTx::CreateChain(c) => (Some(c.chain_id()), None),
            _ => (None, None),
        };
        self.mempool
            .lock()
            .expect("not poisoned")
            .push(MempoolEntry {
                id,
                kind: decoded.kind().into(),
                chain,
                block_number,
                handed: false,
            });
        Ok(id)
    }

    async fn prover_jobs(&self) -> Result<Vec<ProverJob>, ApiError> {
        self.record(Call::ProverJobs);
        let chains = self.chains.lock().expect("not poisoned");
        Ok(chains
            .values()
            .filter(|c| !c.txs.is_empty())
            .map(|c| ProverJob {
                chain: c.info.id,
                block_number: 1,
                state: "pending".into(),
                attempts: 0,
            })
            .collect())
    }

    async fn inscriptions(&self) -> Result<Vec<InscriptionJob>, ApiError> {
        self.record(Call::Inscriptions);
        let mempool = self.mempool.lock().expect("not poisoned");
        Ok((!mempool.is_empty())
            .then(|| InscriptionJob {
                batch_id: 1,
                stage: "commit_broadcast".into(),
                envelopes: mempool.len() as u64,
                commit_txid: "cd".repeat(32),
                reveal_txid: "ef".repeat(32),
                fee_rate_sat_per_kvb: 1000,
                reveal_height: None,
            })
            .into_iter()
            .collect())
    }

    async fn mempool(&self) -> Result<Vec<MempoolEntry>, ApiError> {
        self.record(Call::Mempool);
        let _open = self.gate.read().await;
        Ok(self.mempool.lock().expect("not poisoned").clone())
    }

    async fn submit_poc_op(&self, chain: ChainId, op: Vec<u8>) -> Result<Hash32, ApiError> {
        self.record(Call::SubmitPocOp(chain, op.clone()));
        self.poc_submit(chain, &op)
    }

    async fn put_model(&self, chain: ChainId, model: Vec<u8>) -> Result<Hash32, ApiError> {
        self.record(Call::PutModel(chain, model.len()));
        self.poc_put_model(chain, model)
    }

    async fn request(&self, chain: ChainId, id: u32) -> Result<Option<RequestInfo>, ApiError> {
        self.record(Call::PocRead("request", Some(chain)));
        self.poc_request(chain, id)
    }

    async fn request_input(&self, chain: ChainId, id: u32) -> Result<Option<Vec<u8>>, ApiError> {
        self.record(Call::PocRead("request_input", Some(chain)));
        self.poc_input(chain, id)
    }

    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, ApiError> {
        self.record(Call::PocRead("model_bytes", None));
        Ok(self.poc_model_bytes(&hash))
    }

    async fn neurons(&self, chain: ChainId) -> Result<Vec<NeuronInfo>, ApiError> {
        self.record(Call::PocRead("neurons", Some(chain)));
        self.poc_neurons(chain)
    }

    async fn poc_summary(&self, chain: ChainId) -> Result<PocInfo, ApiError> {
        self.record(Call::PocRead("poc_summary", Some(chain)));
        TestNode::poc_summary(self, chain)
    }

    async fn assignments(
        &self,
        chain: ChainId,
        account: u32,
    ) -> Result<Vec<RequestInfo>, ApiError> {
        self.record(Call::PocRead("assignments", Some(chain)));
        self.poc_assignments(chain, account)
    }

    async fn nonce(&self, chain: ChainId, account: u32) -> Result<Option<u64>, ApiError> {
        self.record(Call::PocRead("nonce", Some(chain)));
        self.poc_nonce(chain, account)
    }
}
