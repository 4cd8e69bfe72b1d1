//! The node's answers to JSON-RPC: [`PipelineApi`] implements [`NodeApi`] over the pipeline's roles.
//! Transfers go to the chain's sequencer; BitAI transactions to the mempool; chains come from
//! the state machine's view joined with the hosted sequencers; a transaction's stage is read
//! off, in order, the sequencer (pending, in a block), the state machine (verified, final),
//! the mempool (inscribed: handed to the inscriber; proven: accepted) and the prover pool.
//! Proof-of-Compute ops, models and the questions about requests and neurons go to the chain's
//! sequencer too; model bytes are read back from the node's DA.

use crate::pipeline::host::{ChainHost, HostError};
use crate::pipeline::Pipeline;
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::poc::PocOp;
use bitai_chain::tx::SignedTransfer;
use bitai_messages::da::SharedDa;
use bitai_messages::inscriber::{BatchStage, Carrier, InscriberMsg};
use bitai_messages::mempool::{MempoolMsg, MempoolReject, MempoolStatus};
use bitai_messages::prover::{JobStatus, PoolMsg};
use bitai_messages::sequencer::{L2TxStatus, SequencerMsg, SubmitError};
use bitai_messages::statemachine::{StateMachineMsg, StateView, VerifiedBlock};
use bitai_protocol::{decode_tx, encode_tx, BitaiTx, ChainId, CreateChain, Hash32, SubmitProof};
use bitai_rpc::api::{ApiError, NodeApi};
use bitai_rpc::genesis::GenesisSpec;
use bitai_rpc::poc_types::{NeuronInfo, PocInfo, RequestInfo};
use bitai_rpc::types::{
    proof_system_name, AccountInfo, BlockProof, ChainInfo, ChainKey, CircuitKey, InscriptionJob,
    L2Block, MempoolEntry, ProverJob, SequencerInfo, Stage, SupplyInfo, TxStatus,
};
use bitai_runtime::RoleRef;
use std::sync::Arc;
use tokio::sync::watch;

/// How long a role may take to answer an API call, ms.
const ASK_TIMEOUT_MS: u64 = 10_000;

/// The node behind the JSON-RPC server.
pub struct PipelineApi {
    host: Arc<ChainHost>,
    view: watch::Receiver<Arc<StateView>>,
    /// None on a chain node (its BitAI side is on other nodes).
    statemachine: Option<RoleRef<StateMachineMsg>>,
    mempool: RoleRef<MempoolMsg>,
    pool: RoleRef<PoolMsg>,
    /// None on a chain node.
    inscriber: Option<RoleRef<InscriberMsg>>,
    da: SharedDa,
}

impl PipelineApi {
    /// The API over `p`'s roles.
    pub fn new(p: &Pipeline) -> Self {
        Self {
            host: p.host.clone(),
            view: p.view.clone(),
            statemachine: p.bitai.as_ref().map(|b| b.statemachine.clone()),
            mempool: p.mempool.clone(),
            pool: p.pool.clone(),
            inscriber: p.bitai.as_ref().map(|b| b.inscriber.clone()),
            da: p.da.clone(),
        }
    }

    /// Asks `chain`'s sequencer `msg`; unavailable when it does not answer.
    async fn ask_sequencer<R: Send + 'static>(
        &self,
        chain: &ChainId,
        msg: impl FnOnce(ractor::RpcReplyPort<R>) -> SequencerMsg,
    ) -> Result<R, ApiError> {
        self.sequencer(chain)
            .await?
            .ask(msg, ASK_TIMEOUT_MS)
            .await
            .ok_or_else(|| unavailable("sequencer"))
    }

    async fn sequencer(&self, chain: &ChainId) -> Result<RoleRef<SequencerMsg>, ApiError> {
        self.host
            .sequencer(chain)
            .await
            .ok_or_else(|| ApiError::NotFound(format!("chain {chain} is not sequenced here")))
    }

    async fn mempool_status(&self) -> Result<MempoolStatus, ApiError> {
        self.mempool
            .ask(|reply| MempoolMsg::Status { reply }, ASK_TIMEOUT_MS)
            .await
            .ok_or_else(|| unavailable("mempool"))
    }

    async fn chain_info(&self, id: &ChainId, view: &StateView) -> Option<ChainInfo> {
        let registered = view.chain(id);
        let (sequencer, supply) = match self.host.sequencer(id).await {
            Some(s) => (
                s.ask(|reply| SequencerMsg::Head { reply }, ASK_TIMEOUT_MS)
                    .await,
                s.ask(|reply| SequencerMsg::Supply { reply }, ASK_TIMEOUT_MS)
                    .await,
            ),
            None => (None, None),
        };
        let create = self.create_of(id, view).await?;
        let genesis_root = create.genesis_state_root;
        Some(ChainInfo {
            id: *id,
            name: create.name.clone(),
            proof_system: proof_system_name(create.proof_system),
            max_block_txs: create.limits.max_block_txs,
            created_height: registered.map(|c| c.created_height),
            verified_block: registered.map_or(0, |c| c.verified_block),
            verified_root: registered.map_or(genesis_root, |c| c.verified_root),
            final_block: registered.map_or(0, |c| c.final_block),
            final_root: registered.map_or(genesis_root, |c| c.final_root),
            sequencer: sequencer.map(|h| SequencerInfo {
                head_block: h.number,
                state_root: h.state_root,
                pending: h.pending as u64,
                supply: supply.map(|s| SupplyInfo {
                    balances: s.balances,
                    stakes: s.stakes,
                    escrow: s.escrow,
                    fees_burned: s.fees_burned,
                    slashed: s.slashed,
                    total: s.total(),
                    transfers: s.transfers,
                    signed_ops: s.signed_ops,
                    nonces: s.nonces,
                }),
            }),
        })
    }

    /// The state machine's record of verified block `number` of `chain`: `None` when this
    /// node has no state machine or it did not answer, `Some(None)` when not verified.
    async fn verified_block(&self, chain: ChainId, number: u64) -> Option<Option<VerifiedBlock>> {
        let sm = self.statemachine.as_ref()?;
        sm.ask(
            |reply| StateMachineMsg::VerifiedBlock {
                chain,
                number,
                reply,
            },
            ASK_TIMEOUT_MS,
        )
        .await
    }

    /// The `CreateChain` of `id`: registered on Bitcoin, or only hosted here so far.
    async fn create_of(&self, id: &ChainId, view: &StateView) -> Option<CreateChain> {
        match (view.chain(id), self.host.spec(id).await) {
            (Some(c), _) => Some(c.create.clone()),
            (None, Some((create, _))) => Some(create),
            (None, None) => None,
        }
    }

    /// The stage of a transaction in block `number` of `chain`.
    async fn block_stage(&self, hash: Hash32, chain: ChainId, number: u64) -> TxStatus {
        let mut status = TxStatus {
            hash,
            chain: Some(chain),
            stage: Stage::InL2Block,
            block_number: Some(number),
            bitcoin_txid: None,
            bitcoin_height: None,
            reason: None,
        };
        let view = self.view.borrow().clone();
        if let Some(c) = view.chain(&chain).filter(|c| c.verified_block >= number) {
            status.stage = if c.final_block >= number {
                Stage::Final
            } else {
                Stage::Verified
            };
            if let Some(v) = self.verified_block(chain, number).await.flatten() {
                status.bitcoin_txid = Some(v.bitcoin_txid.to_string());
                status.bitcoin_height = Some(v.bitcoin_height);
            }
            return status;
        }
        if let Ok(m) = self.mempool_status().await {
            let entry = m
                .pending
                .iter()
                .find(|e| e.chain == chain && e.block == Some(number));
            if let Some(e) = entry {
                // Proven until a Bitcoin transaction carrying the proof is out; inscribed
                // from then on, with that transaction (and its height once mined).
                status.stage = Stage::Proven;
                if let Some(c) = self
                    .carrier(e.id)
                    .await
                    .filter(|c| c.stage >= BatchStage::Broadcast)
                {
                    status.stage = Stage::Inscribed;
                    status.bitcoin_txid = Some(c.reveal_txid.to_string());
                    status.bitcoin_height = c.reveal_height;
                }
                return status;
            }
        }
        let jobs = self
            .pool
            .ask(|reply| PoolMsg::Jobs { reply }, ASK_TIMEOUT_MS)
            .await
            .unwrap_or_default();
        let proven = jobs.iter().any(|j| {
            j.job.chain_id == chain
                && j.job.block_number == number
                && matches!(j.state, JobStatus::Proved | JobStatus::Emitted)
        });
        if proven {
            status.stage = Stage::Proven;
        }
        status
    }
}

impl PipelineApi {
    /// The inscriber's batch carrying BitAI transaction `id` (None on a chain node, or while
    /// the transaction waits in the inscriber's queue).
    async fn carrier(&self, id: Hash32) -> Option<Carrier> {
        let inscriber = self.inscriber.as_ref()?;
        inscriber
            .ask(
                |reply| InscriberMsg::Carrier { id: id.0, reply },
                ASK_TIMEOUT_MS,
            )
            .await
            .flatten()
    }
}

fn unavailable(role: &str) -> ApiError {
    ApiError::Unavailable(format!("the {role} did not answer"))
}

fn submit_error(e: SubmitError) -> ApiError {
    match e {
        SubmitError::TooManyPending(_) | SubmitError::TooManyOpenRequests { .. } => {
            ApiError::Busy(e.to_string())
        }
        other => ApiError::SequencerRejected(other.to_string()),
    }
}

fn mempool_error(e: MempoolReject) -> ApiError {
    match e {
        MempoolReject::Full { .. } | MempoolReject::FeeRateTooHigh { .. } => {
            ApiError::Busy(e.to_string())
        }
        MempoolReject::Store(_) => ApiError::Internal(e.to_string()),
        other => ApiError::MempoolRejected(other.to_string()),
    }
}

fn host_error(e: HostError) -> ApiError {
    match e {
        HostError::Invalid(r) => ApiError::InvalidParams(r),
        HostError::Refused(r) => ApiError::MempoolRejected(r),
        HostError::Internal(r) => ApiError::Internal(r),
    }
}

#[async_trait::async_trait]
impl NodeApi for PipelineApi {
    async fn send_transaction(
        &self,
        chain: ChainId,
        tx: SignedTransfer,
    ) -> Result<Hash32, ApiError> {
        let sequencer = self.sequencer(&chain).await?;
        // A transfer the chain already has is answered as such, with where it stands (the
        // sequencer alone would acknowledge it again, silently).
        let hash = tx.hash();
        let known = sequencer
            .ask(
                |reply| SequencerMsg::TxStatus { hash, reply },
                ASK_TIMEOUT_MS,
            )
            .await
            .flatten();
        let stage = match known {
            Some(L2TxStatus::Pending) => Some(Stage::Pending),
            Some(L2TxStatus::InBlock(n)) => Some(self.block_stage(hash, chain, n).await.stage),
            _ => None,
        };
        if let Some(stage) = stage {
            return Err(ApiError::already_known(hash, stage));
        }
        sequencer
            .ask(|reply| SequencerMsg::Submit { tx, reply }, ASK_TIMEOUT_MS)
            .await
            .ok_or_else(|| unavailable("sequencer"))?
            .map_err(submit_error)
    }

    async fn transaction_status(&self, hash: Hash32) -> Result<TxStatus, ApiError> {
        for (chain, sequencer) in self.host.all().await {
            let found = sequencer
                .ask(
                    |reply| SequencerMsg::TxStatus { hash, reply },
                    ASK_TIMEOUT_MS,
                )
                .await
                .flatten();
            match found {
                Some(L2TxStatus::Pending) => {
                    return Ok(TxStatus {
                        chain: Some(chain),
                        stage: Stage::Pending,
                        ..TxStatus::unknown(hash)
                    })
                }
                Some(L2TxStatus::InBlock(n)) => return Ok(self.block_stage(hash, chain, n).await),
                _ => {}
            }
        }
        Ok(TxStatus::unknown(hash))
    }

    async fn block(&self, chain: ChainId, number: u64) -> Result<Option<L2Block>, ApiError> {
        let sequencer = self.sequencer(&chain).await?;
        let block = sequencer
            .ask(
                |reply| SequencerMsg::Block { number, reply },
                ASK_TIMEOUT_MS,
            )
            .await
            .ok_or_else(|| unavailable("sequencer"))?;
        Ok(block.map(|b| L2Block {
            chain,
            number: b.number,
            prev_state_root: b.prev_state_root,
            new_state_root: b.new_state_root,
            da_commitment: b.da_commitment,
            txs: b.tx_hashes,
        }))
    }

    async fn account(&self, chain: ChainId, index: u32) -> Result<Option<AccountInfo>, ApiError> {
        let sequencer = self.sequencer(&chain).await?;
        let account = sequencer
            .ask(
                |reply| SequencerMsg::Account { index, reply },
                ASK_TIMEOUT_MS,
            )
            .await
            .ok_or_else(|| unavailable("sequencer"))?;
        Ok(account.map(|a| AccountInfo {
            index,
            public_key: pack_point(&a.public_key),
            balance: a.balance,
            nonce: a.nonce,
        }))
    }

    async fn chains(&self) -> Result<Vec<ChainInfo>, ApiError> {
        let view = self.view.borrow().clone();
        let mut ids: Vec<ChainId> = view.chains.keys().copied().collect();
        for (id, _) in self.host.all().await {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(info) = self.chain_info(&id, &view).await {
                out.push(info);
            }
        }
        Ok(out)
    }

    async fn chain(&self, chain: ChainId) -> Result<Option<ChainInfo>, ApiError> {
        let view = self.view.borrow().clone();
        Ok(self.chain_info(&chain, &view).await)
    }

    async fn circuit_key(&self, max_block_txs: u32) -> Result<CircuitKey, ApiError> {
        let keys = self.host.keys();
        let vk = keys.verifying_key(max_block_txs).ok_or_else(|| {
            ApiError::NotFound(format!(
                "this node does not prove blocks of {max_block_txs} transactions"
            ))
        })?;
        let shape = keys
            .shapes()
            .into_iter()
            .find(|c| c.max_txs == max_block_txs as usize);
        Ok(CircuitKey {
            proof_system: proof_system_name(keys.system()),
            max_block_txs,
            verifying_key: vk,
            max_block_ops: shape.map(|c| c.max_ops as u32),
            poc: shape.map(|c| c.poc),
        })
    }

    async fn block_proof(
        &self,
        chain: ChainId,
        number: u64,
    ) -> Result<Option<BlockProof>, ApiError> {
        if self.statemachine.is_none() {
            return Err(ApiError::Unavailable(
                "this node has no state machine (a chain node): ask a BitAI node".into(),
            ));
        }
        let view = self.view.borrow().clone();
        let Some(c) = view.chain(&chain) else {
            return Ok(None);
        };
        let verified = self
            .verified_block(chain, number)
            .await
            .ok_or_else(|| unavailable("state machine"))?;
        let Some(v) = verified else {
            return Ok(None);
        };
        if v.proof.is_empty() {
            return Err(ApiError::NotFound(format!(
                "block {number} of chain {chain} was verified before this node kept proofs"
            )));
        }
        let statement = SubmitProof {
            chain_id: chain,
            block_number: number,
            prev_state_root: v.prev_root,
            new_state_root: v.new_root,
            da_commitment: v.da_commitment,
            proof: v.proof,
        };
        let inputs = bitai_proofs::verifier::submit_proof_inputs(&statement)
            .map_err(|e| ApiError::Internal(format!("public inputs: {e}")))?;
        Ok(Some(BlockProof {
            chain,
            number,
            proof_system: proof_system_name(c.create.proof_system),
            public_inputs: inputs
                .iter()
                .map(bitai_chain::field::fr_to_decimal)
                .collect(),
            proof: statement.proof,
            prev_state_root: v.prev_root,
            new_state_root: v.new_root,
            da_commitment: v.da_commitment,
            bitcoin_txid: v.bitcoin_txid.to_string(),
            bitcoin_height: v.bitcoin_height,
            is_final: c.final_block >= number,
        }))
    }

    async fn chain_key(&self, chain: ChainId) -> Result<Option<ChainKey>, ApiError> {
        let view = self.view.borrow().clone();
        let Some(create) = self.create_of(&chain, &view).await else {
            return Ok(None);
        };
        let bytes = encode_tx(&BitaiTx::CreateChain(create.clone()))
            .map_err(|e| ApiError::Internal(format!("encoding the CreateChain: {e}")))?;
        Ok(Some(ChainKey {
            chain,
            proof_system: proof_system_name(create.proof_system),
            verifying_key_sha256: Hash32::sha256(&create.verifying_key),
            verifying_key: create.verifying_key,
            create_chain: bytes,
        }))
    }

    async fn create_chain(
        &self,
        create: Vec<u8>,
        genesis: GenesisSpec,
    ) -> Result<ChainId, ApiError> {
        let create = match decode_tx(&create) {
            Ok(BitaiTx::CreateChain(c)) => c,
            Ok(other) => {
                return Err(ApiError::InvalidParams(format!(
                    "a {} where a CreateChain belongs",
                    other.kind()
                )))
            }
            Err(e) => return Err(ApiError::InvalidParams(format!("CreateChain: {e}"))),
        };
        let genesis = genesis.to_genesis_data(create.chain_id());
        self.host.create(create, genesis).await.map_err(host_error)
    }

    async fn submit_bitai_tx(&self, tx: Vec<u8>) -> Result<Hash32, ApiError> {
        let tx = decode_tx(&tx).map_err(|e| ApiError::InvalidParams(format!("BitAI tx: {e}")))?;
        self.mempool
            .ask(
                |reply| MempoolMsg::Submit {
                    tx,
                    reply: Some(reply),
                },
                ASK_TIMEOUT_MS,
            )
            .await
            .ok_or_else(|| unavailable("mempool"))?
            .map_err(mempool_error)
    }

    async fn prover_jobs(&self) -> Result<Vec<ProverJob>, ApiError> {
        let jobs = self
            .pool
            .ask(|reply| PoolMsg::Jobs { reply }, ASK_TIMEOUT_MS)
            .await
            .ok_or_else(|| unavailable("prover pool"))?;
        Ok(jobs
            .into_iter()
            .map(|j| ProverJob {
                chain: j.job.chain_id,
                block_number: j.job.block_number,
                state: j.state.as_str().to_owned(),
                attempts: j.attempts,
            })
            .collect())
    }

    async fn inscriptions(&self) -> Result<Vec<InscriptionJob>, ApiError> {
        let inscriber = self.inscriber.as_ref().ok_or_else(|| {
            ApiError::Unavailable("this chain node has no inscriber: ask its BitAI node".into())
        })?;
        let status = inscriber
            .ask(InscriberMsg::Status, ASK_TIMEOUT_MS)
            .await
            .ok_or_else(|| unavailable("inscriber"))?;
        Ok(status
            .batches
            .into_iter()
            .map(|b| InscriptionJob {
                batch_id: b.id,
                stage: format!("{:?}", b.stage).to_lowercase(),
                envelopes: b.envelopes as u64,
                commit_txid: b.commit_txid.to_string(),
                reveal_txid: b.reveal_txid.to_string(),
                fee_rate_sat_per_kvb: b.fee_rate_sat_per_kvb,
                reveal_height: b.reveal_height,
            })
            .collect())
    }

    async fn mempool(&self) -> Result<Vec<MempoolEntry>, ApiError> {
        let status = self.mempool_status().await?;
        Ok(status
            .pending
            .into_iter()
            .map(|e| MempoolEntry {
                id: e.id,
                kind: e.kind.to_owned(),
                chain: Some(e.chain),
                block_number: e.block,
                handed: e.handed,
            })
            .collect())
    }

    async fn submit_poc_op(&self, chain: ChainId, op: Vec<u8>) -> Result<Hash32, ApiError> {
        let op = match PocOp::from_bytes(&op) {
            Ok(op @ PocOp::Signed(_)) => op,
            Ok(PocOp::Settle { .. }) => {
                return Err(ApiError::InvalidParams(
                    "settlement parts are added by the sequencer".into(),
                ))
            }
            Err(e) => return Err(ApiError::InvalidParams(format!("op: {e}"))),
        };
        self.ask_sequencer(&chain, |reply| SequencerMsg::SubmitOp { op, reply })
            .await?
            .map_err(submit_error)
    }

    async fn put_model(&self, chain: ChainId, model: Vec<u8>) -> Result<Hash32, ApiError> {
        self.ask_sequencer(&chain, |reply| SequencerMsg::PutModel {
            bytes: model,
            reply,
        })
        .await?
        .map_err(|e| match e {
            SubmitError::Store(r) => ApiError::Internal(r),
            other => submit_error(other),
        })
    }

    async fn request(&self, chain: ChainId, id: u32) -> Result<Option<RequestInfo>, ApiError> {
        let view = self
            .ask_sequencer(&chain, |reply| SequencerMsg::Request { id, reply })
            .await?;
        Ok(view.map(|v| RequestInfo::new(v.id, &v.record, &v.params, v.settled, v.output)))
    }

    async fn request_input(&self, chain: ChainId, id: u32) -> Result<Option<Vec<u8>>, ApiError> {
        self.ask_sequencer(&chain, |reply| SequencerMsg::RequestInput { id, reply })
            .await
    }

    async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, ApiError> {
        self.da
            .get(&hash)
            .map_err(|e| ApiError::Internal(format!("DA: {e}")))
    }

    async fn neurons(&self, chain: ChainId) -> Result<Vec<NeuronInfo>, ApiError> {
        let neurons = self
            .ask_sequencer(&chain, |reply| SequencerMsg::Neurons { reply })
            .await?;
        Ok(neurons
            .iter()
            .map(|n| NeuronInfo::new(n.account, &n.record, n.active))
            .collect())
    }

    async fn poc_summary(&self, chain: ChainId) -> Result<PocInfo, ApiError> {
        let s = self
            .ask_sequencer(&chain, |reply| SequencerMsg::Poc { reply })
            .await?;
        Ok(PocInfo::new(
            chain,
            s.params,
            s.counters,
            &s.models,
            s.open_requests as u64,
            s.max_ops as u64,
        ))
    }

    async fn assignments(
        &self,
        chain: ChainId,
        account: u32,
    ) -> Result<Vec<RequestInfo>, ApiError> {
        let open = self
            .ask_sequencer(&chain, |reply| SequencerMsg::Assignments { account, reply })
            .await?;
        if open.is_empty() {
            return Ok(Vec::new());
        }
        let params = self
            .ask_sequencer(&chain, |reply| SequencerMsg::Poc { reply })
            .await?
            .params;
        Ok(open
            .iter()
            .map(|(id, r)| RequestInfo::new(*id, r, &params, r.fully_settled(), None))
            .collect())
    }

    async fn nonce(&self, chain: ChainId, account: u32) -> Result<Option<u64>, ApiError> {
        self.ask_sequencer(&chain, |reply| SequencerMsg::Nonce { account, reply })
            .await
    }
}
