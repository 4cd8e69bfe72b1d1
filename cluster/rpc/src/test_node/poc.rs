//! The test double's Proof-of-Compute side: ops run through the real state transition
//! function (signatures, nonces, windows, the draw, commit/reveal, settlement), each signed op
//! in a block of its own, followed by the settlement parts that block makes due, as the
//! sequencer adds them. Request inputs and revealed outputs are kept as the sequencer keeps
//! them; model bytes go to an in-memory content-addressed DA.

use super::{invalid, TestChain, TestNode};
use crate::api::ApiError;
use crate::poc_types::{NeuronInfo, PocInfo, RequestInfo};
use crate::types::{Stage, TxStatus};
use bitai_chain::poc::{PocKind, PocOp, ASSIGNEES};
use bitai_protocol::{ChainId, Hash32};

impl TestChain {
    /// Runs `op` in the next block, then the settlement parts due in the block after.
    fn run_op(&mut self, chain: &ChainId, op: &PocOp) -> Result<(), ApiError> {
        let request_id = self.state.counters().requests;
        let number = self.head + 1;
        let w = self
            .state
            .apply_op(chain, number, self.state.root(), op)
            .map_err(|e| ApiError::SequencerRejected(e.to_string()))?;
        self.head = number;
        self.op_block = number;
        if let PocOp::Signed(s) = op {
            match s.tx.kind {
                PocKind::RequestInference => {
                    self.inputs.insert(request_id, s.payload.clone());
                }
                PocKind::Reveal => {
                    self.outputs
                        .insert((s.tx.target, w.seat as u8), s.payload.clone());
                }
                _ => {}
            }
        }
        self.settle(chain)
    }

    /// Cuts one block holding the settlement parts due in it (possibly none).
    fn settle(&mut self, chain: &ChainId) -> Result<(), ApiError> {
        let number = self.head + 1;
        let due = self.state.settlements_due(number);
        if due.is_empty() {
            return Ok(());
        }
        let prev = self.state.root();
        for op in &due {
            self.state
                .apply_op(chain, number, prev, op)
                .map_err(|e| ApiError::Internal(format!("settlement: {e}")))?;
        }
        self.head = number;
        Ok(())
    }

    fn request_info(&self, id: u32) -> Option<RequestInfo> {
        let r = self.state.request(id)?;
        let outcome = r.outcome();
        let output = (0..ASSIGNEES)
            .find(|j| outcome.agree[*j])
            .and_then(|j| self.outputs.get(&(id, j as u8)).cloned());
        Some(RequestInfo::new(
            id,
            &r,
            self.state.poc_params(),
            r.fully_settled(),
            output,
        ))
    }
}

impl TestNode {
    fn with_chain<R>(
        &self,
        chain: &ChainId,
        f: impl FnOnce(&mut TestChain) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let mut chains = self.chains.lock().expect("not poisoned");
        let c = chains
            .get_mut(chain)
            .ok_or_else(|| ApiError::NotFound(format!("chain {chain}")))?;
        f(c)
    }

    pub(super) fn poc_submit(&self, chain: ChainId, bytes: &[u8]) -> Result<Hash32, ApiError> {
        let op = PocOp::from_bytes(bytes).map_err(|e| invalid(e.to_string()))?;
        if !matches!(op, PocOp::Signed(_)) {
            return Err(invalid("settlement parts are the sequencer's"));
        }
        let block = self.with_chain(&chain, |c| {
            c.run_op(&chain, &op)?;
            Ok(c.op_block)
        })?;
        let hash = op.hash();
        self.statuses.lock().expect("not poisoned").insert(
            hash,
            TxStatus {
                chain: Some(chain),
                stage: Stage::InL2Block,
                block_number: Some(block),
                ..TxStatus::unknown(hash)
            },
        );
        Ok(hash)
    }

    pub(super) fn poc_put_model(&self, chain: ChainId, bytes: Vec<u8>) -> Result<Hash32, ApiError> {
        self.with_chain(&chain, |_| Ok(()))?;
        let hash = Hash32::sha256(&bytes);
        self.da.lock().expect("not poisoned").insert(hash, bytes);
        Ok(hash)
    }

    pub(super) fn poc_model_bytes(&self, hash: &Hash32) -> Option<Vec<u8>> {
        self.da.lock().expect("not poisoned").get(hash).cloned()
    }

    pub(super) fn poc_request(
        &self,
        chain: ChainId,
        id: u32,
    ) -> Result<Option<RequestInfo>, ApiError> {
        self.with_chain(&chain, |c| Ok(c.request_info(id)))
    }

    pub(super) fn poc_input(&self, chain: ChainId, id: u32) -> Result<Option<Vec<u8>>, ApiError> {
        self.with_chain(&chain, |c| Ok(c.inputs.get(&id).cloned()))
    }

    pub(super) fn poc_neurons(&self, chain: ChainId) -> Result<Vec<NeuronInfo>, ApiError> {
        self.with_chain(&chain, |c| {
            let active = c.state.active_neurons();
            Ok(c.state
                .neurons()
                .iter()
                .map(|(a, r)| NeuronInfo::new(*a, r, active.contains(a)))
                .collect())
        })
    }

    pub(super) fn poc_summary(&self, chain: ChainId) -> Result<PocInfo, ApiError> {
        self.with_chain(&chain, |c| {
            Ok(PocInfo::new(
                chain,
                *c.state.poc_params(),
                c.state.counters(),
                &c.state.models(),
                c.state.open_requests().len() as u64,
                u64::from(c.max_ops),
            ))
        })
    }

    pub(super) fn poc_assignments(
        &self,
        chain: ChainId,
        account: u32,
    ) -> Result<Vec<RequestInfo>, ApiError> {
        self.with_chain(&chain, |c| {
            Ok(c.state
                .open_requests()
                .iter()
                .filter(|(_, r)| r.seat_of(account).is_some())
                .filter_map(|(id, _)| c.request_info(*id))
                .map(|r| RequestInfo { output: None, ..r })
                .collect())
        })
    }

    pub(super) fn poc_nonce(&self, chain: ChainId, account: u32) -> Result<Option<u64>, ApiError> {
        self.with_chain(&chain, |c| Ok(c.state.account(account).map(|a| a.nonce)))
    }
}
