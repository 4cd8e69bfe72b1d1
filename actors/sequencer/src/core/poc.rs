//! The sequencer's Proof-of-Compute side: persisting what a block's ops changed (records,
//! active list, counters, request inputs, revealed outputs) and answering what neurons,
//! clients and the RPC ask about requests, models and neurons.

use super::{Item, SequencerCore};
use bitai_chain::poc::{ModelRecord, PocKind, PocOp, RequestRecord, ASSIGNEES};
use bitai_chain::stf::BlockWitness;
use bitai_messages::sequencer::{NeuronView, PocSummary, RequestView, SubmitError, Supply};
use bitai_storage::{Batch, StoreError};

impl SequencerCore {
    /// Adds what the block's ops changed to `batch`.
    pub(super) fn persist_poc(&self, batch: &mut Batch, witness: &BlockWitness) {
        for w in &witness.ops {
            for t in w.objects.iter().flatten() {
                self.store.put_object(batch, t.index, &t.after);
            }
            for t in w.list.iter().flatten() {
                self.store.put_slot(batch, t.slot, t.after);
            }
            if let PocOp::Signed(s) = &w.op {
                match s.tx.kind {
                    PocKind::RequestInference => {
                        self.store
                            .put_input(batch, w.before.counters.requests, &s.payload)
                    }
                    PocKind::Reveal => {
                        let seat = u8::try_from(w.seat).expect("seats are 0..3");
                        self.store.put_output(batch, s.tx.target, seat, &s.payload)
                    }
                    _ => {}
                }
            }
        }
        if !witness.ops.is_empty() {
            self.store.put_counters(batch, &witness.new_parts.counters);
        }
    }

    /// Open requests (as of the newest block) where `account` holds a seat.
    pub fn assignments(&self, account: u32) -> Vec<(u32, RequestRecord)> {
        self.state
            .open_requests()
            .into_iter()
            .filter(|(_, r)| r.seat_of(account).is_some())
            .collect()
    }

    /// Model `id`.
    pub fn model(&self, id: u32) -> Option<ModelRecord> {
        self.state.model(id)
    }

    /// Request `id` with its input and, once agreed, the agreed output bytes.
    pub fn request(&self, id: u32) -> Result<Option<RequestView>, StoreError> {
        let Some(record) = self.state.request(id) else {
            return Ok(None);
        };
        let outcome = record.outcome();
        let mut output = None;
        for j in 0..ASSIGNEES {
            if outcome.agree[j] {
                output = self.store.output(id, j as u8)?;
                break;
            }
        }
        Ok(Some(RequestView {
            id,
            record,
            settled: record.fully_settled(),
            output,
            params: *self.state.poc_params(),
        }))
    }

    /// Request `id`'s input bytes.
    pub fn request_input(&self, id: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.input(id)
    }

    /// The next nonce of `account`, counting its pending transactions (None: no account).
    pub fn next_nonce(&self, account: u32) -> Option<u64> {
        self.projected.account(account).map(|a| a.nonce)
    }

    /// Every registered neuron with whether it is in the active list.
    pub fn neurons(&self) -> Vec<NeuronView> {
        let active = self.state.active_neurons();
        self.state
            .neurons()
            .into_iter()
            .map(|(account, record)| NeuronView {
                account,
                record,
                active: active.contains(&account),
            })
            .collect()
    }

    /// Parameters, counters and models.
    pub fn poc_summary(&self) -> PocSummary {
        PocSummary {
            params: *self.state.poc_params(),
            counters: self.state.counters(),
            models: self.state.models(),
            open_requests: self.state.open_requests().len(),
            max_ops: self.spec.circuit.max_ops,
        }
    }

    /// Where the chain's supply is: balances, stakes, escrow, burned; and how many signed
    /// transactions the blocks hold against the sum of nonces.
    pub fn supply(&self) -> Supply {
        Supply {
            balances: self
                .state
                .accounts()
                .map(|(_, a)| u128::from(a.balance))
                .sum(),
            stakes: self.state.stakes(),
            escrow: self.state.escrow_held(),
            fees_burned: u128::from(self.fees_total),
            slashed: u128::from(self.slashed_total),
            transfers: self.txs_total,
            signed_ops: self.signed_ops_total,
            nonces: self.state.accounts().map(|(_, a)| a.nonce).sum(),
        }
    }

    /// Whether ops are pending (for tests and metrics).
    pub fn pending_ops(&self) -> usize {
        self.pending
            .iter()
            .filter(|p| matches!(p.item, Item::Op(_)))
            .count()
    }

    /// Puts model bytes on DA (content-addressed: the commitment is SHA-256 of the bytes, the
    /// model's id), so neurons can fetch them. Idempotent.
    pub fn put_model(&self, bytes: &[u8]) -> Result<bitai_protocol::Hash32, SubmitError> {
        self.da
            .put(bytes)
            .map_err(|e| SubmitError::Store(format!("DA: {e}")))
    }
}
