//! The Proof-of-Compute half of the state transition: the object tree, the active-neuron
//! list and the counters (see [`crate::poc`] for the rules and [`crate::poc::records`] for the
//! layout), and [`State::apply_op`], which checks and executes one op and returns what the
//! circuit needs to re-check it.
//!
//! Every op touches the state in one fixed pattern, which the circuit follows: one account
//! (the signer; for a settlement part, the payee), then up to two object-tree positions in
//! order, then up to three active-list slots in order. Each touch records the value before
//! and after and its Merkle path taken just before it is written. All checks run before the
//! first write, so a refused op changes nothing.

mod rules;

use super::{Account, State, StfError};
use crate::field::Fr;
use crate::poc::records::{object_index, OBJECT_MODEL, OBJECT_NEURON, OBJECT_REQUEST};
use crate::poc::{
    ModelRecord, NeuronRecord, ObjectValue, PocOp, PocParams, RequestRecord, NEURON_LIST_DEPTH,
};
use crate::poseidon::poseidon;
use crate::smt::{MerkleProof, SparseMerkleTree};
use crate::tx::AccountIndex;
use ark_ff::AdditiveGroup;
use std::collections::BTreeMap;

pub use rules::PocError;

/// The Proof-of-Compute part of a chain's state.
#[derive(Clone, Debug)]
pub struct PocState {
    pub(crate) params: PocParams,
    pub(crate) objects: SparseMerkleTree,
    pub(crate) values: BTreeMap<u64, ObjectValue>,
    pub(crate) list: SparseMerkleTree,
    pub(crate) active: BTreeMap<u64, AccountIndex>,
    pub(crate) counters: Counters,
}

/// The three counters packed into the state root.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Neurons in the active list.
    pub neurons: u32,
    /// Models deployed (the next model id).
    pub models: u32,
    /// Requests made (the next request id).
    pub requests: u32,
}

impl Counters {
    /// `neurons | models << 32 | requests << 64`.
    pub fn packed(&self) -> Fr {
        crate::poc::records::pack3(
            u64::from(self.neurons),
            u64::from(self.models),
            u64::from(self.requests),
        )
    }
}

/// The four parts the state root hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateParts {
    /// Root of the account tree.
    pub accounts: Fr,
    /// Root of the object tree.
    pub objects: Fr,
    /// Root of the active-neuron list.
    pub list: Fr,
    /// The counters.
    pub counters: Counters,
}

impl StateParts {
    /// The state root: `Poseidon(accounts, objects, list, counters)`.
    pub fn root(&self) -> Fr {
        poseidon(&[
            self.accounts,
            self.objects,
            self.list,
            self.counters.packed(),
        ])
    }
}

/// One object-tree position an op touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectTouch {
    /// The position.
    pub index: u64,
    /// The value before.
    pub before: ObjectValue,
    /// The value after (equal to `before` for a read).
    pub after: ObjectValue,
    /// The path just before the write.
    pub proof: MerkleProof,
}

/// One active-list slot an op touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListTouch {
    /// The slot.
    pub slot: u64,
    /// The account there before (None: empty).
    pub before: Option<AccountIndex>,
    /// The account there after.
    pub after: Option<AccountIndex>,
    /// The path just before the write.
    pub proof: MerkleProof,
}

/// What the circuit needs to re-check one op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PocOpWitness {
    /// The op.
    pub op: PocOp,
    /// The state's parts before the op.
    pub before: StateParts,
    /// The touched account's index (the signer, or a settlement's payee).
    pub account_index: AccountIndex,
    /// The account before.
    pub account: Account,
    /// The account after.
    pub account_after: Account,
    /// Its path in the account tree before.
    pub account_proof: MerkleProof,
    /// Object-tree touches, in order.
    pub objects: [Option<ObjectTouch>; 2],
    /// Active-list touches, in order.
    pub list: [Option<ListTouch>; 3],
    /// Commit and reveal: the signer's seat. Settle: the part. Else 0.
    pub seat: usize,
    /// The state's parts after the op.
    pub after: StateParts,
}

impl PocState {
    /// An empty Proof-of-Compute state beside an account tree of `depth` levels.
    pub fn new(depth: usize, params: PocParams) -> Self {
        PocState {
            params,
            objects: SparseMerkleTree::new(depth + 1),
            values: BTreeMap::new(),
            list: SparseMerkleTree::new(NEURON_LIST_DEPTH),
            active: BTreeMap::new(),
            counters: Counters::default(),
        }
    }

    fn depth(&self) -> usize {
        self.objects.depth() - 1
    }

    pub(crate) fn value(&self, index: u64) -> ObjectValue {
        self.values
            .get(&index)
            .copied()
            .unwrap_or(ObjectValue::Empty)
    }

    /// Writes `value` at `index`, returning the touch (path before the write).
    pub(crate) fn write(
        &mut self,
        index: u64,
        value: ObjectValue,
    ) -> Result<ObjectTouch, StfError> {
        let proof = self.objects.proof(index)?;
        let before = self.value(index);
        self.objects.set(index, value.leaf())?;
        match value {
            ObjectValue::Empty => self.values.remove(&index),
            v => self.values.insert(index, v),
        };
        Ok(ObjectTouch {
            index,
            before,
            after: value,
            proof,
        })
    }

    /// Sets list slot `slot`, returning the touch.
    pub(crate) fn write_slot(
        &mut self,
        slot: u64,
        account: Option<AccountIndex>,
    ) -> Result<ListTouch, StfError> {
        let proof = self.list.proof(slot)?;
        let before = self.active.get(&slot).copied();
        self.list.set(
            slot,
            account.map_or(Fr::ZERO, |a| Fr::from(u64::from(a) + 1)),
        )?;
        match account {
            Some(a) => self.active.insert(slot, a),
            None => self.active.remove(&slot),
        };
        Ok(ListTouch {
            slot,
            before,
            after: account,
            proof,
        })
    }
}

impl State {
    /// The chain's Proof-of-Compute parameters.
    pub fn poc_params(&self) -> &PocParams {
        &self.poc.params
    }

    /// The four parts of the state root.
    pub fn parts(&self) -> StateParts {
        StateParts {
            accounts: self.tree.root(),
            objects: self.poc.objects.root(),
            list: self.poc.list.root(),
            counters: self.poc.counters,
        }
    }

    /// The counters (active neurons, models, requests).
    pub fn counters(&self) -> Counters {
        self.poc.counters
    }

    /// The neuron record of `account`, if registered (bonded or unbonding).
    pub fn neuron(&self, account: AccountIndex) -> Option<NeuronRecord> {
        match self
            .poc
            .value(object_index(self.depth(), OBJECT_NEURON, account))
        {
            ObjectValue::Neuron(r) => Some(r),
            _ => None,
        }
    }

    /// Every registered neuron, by account.
    pub fn neurons(&self) -> Vec<(AccountIndex, NeuronRecord)> {
        self.poc_range(OBJECT_NEURON, |v| match v {
            ObjectValue::Neuron(r) => Some(r),
            _ => None,
        })
    }

    /// The active list, in slot order (the neurons requests are drawn from).
    pub fn active_neurons(&self) -> Vec<AccountIndex> {
        self.poc.active.values().copied().collect()
    }

    /// Model `id`, if deployed.
    pub fn model(&self, id: u32) -> Option<ModelRecord> {
        match self.poc.value(object_index(self.depth(), OBJECT_MODEL, id)) {
            ObjectValue::Model(r) => Some(r),
            _ => None,
        }
    }

    /// Every model, by id.
    pub fn models(&self) -> Vec<(u32, ModelRecord)> {
        self.poc_range(OBJECT_MODEL, |v| match v {
            ObjectValue::Model(r) => Some(r),
            _ => None,
        })
    }

    /// Request `id`, if made.
    pub fn request(&self, id: u32) -> Option<RequestRecord> {
        match self
            .poc
            .value(object_index(self.depth(), OBJECT_REQUEST, id))
        {
            ObjectValue::Request(r) => Some(r),
            _ => None,
        }
    }

    /// Requests not fully settled, by id.
    pub fn open_requests(&self) -> Vec<(u32, RequestRecord)> {
        let mut out = self.poc_range(OBJECT_REQUEST, |v| match v {
            ObjectValue::Request(r) => Some(r),
            _ => None,
        });
        out.retain(|(_, r)| !r.fully_settled());
        out
    }

    /// Escrow still held by open requests (what settlement has not yet paid or refunded).
    pub fn escrow_held(&self) -> u128 {
        self.open_requests()
            .iter()
            .map(|(_, r)| {
                let o = r.outcome();
                let paid = (0..crate::poc::ASSIGNEES)
                    .filter(|j| r.settled(*j as u8) && o.agree[*j])
                    .count() as u64
                    * o.share;
                let refunded = if r.settled(3) { o.refund } else { 0 };
                u128::from(r.escrow - paid - refunded)
            })
            .sum()
    }

    /// Stake locked by registered neurons.
    pub fn stakes(&self) -> u128 {
        self.neurons()
            .iter()
            .map(|(_, n)| u128::from(n.stake))
            .sum()
    }

    fn poc_range<T>(&self, kind: u64, pick: impl Fn(ObjectValue) -> Option<T>) -> Vec<(u32, T)> {
        let first = object_index(self.depth(), kind, 0);
        let end = object_index(self.depth(), kind + 1, 0);
        self.poc
            .values
            .range(first..end)
            .filter_map(|(i, v)| pick(*v).map(|t| ((i - first) as u32, t)))
            .collect()
    }

    /// Loads persisted Proof-of-Compute entries into a state that has none yet (a restart:
    /// the accounts come from [`State::genesis_with`]).
    pub fn load_poc(
        &mut self,
        objects: impl IntoIterator<Item = (u64, ObjectValue)>,
        active: impl IntoIterator<Item = (u64, AccountIndex)>,
        counters: Counters,
    ) -> Result<(), StfError> {
        for (index, value) in objects {
            self.poc.write(index, value)?;
        }
        for (slot, account) in active {
            self.poc.write_slot(slot, Some(account))?;
        }
        self.poc.counters = counters;
        Ok(())
    }

    /// The settlement parts due at block `number`, in request order: what a sequencer adds
    /// to the block.
    pub fn settlements_due(&self, number: u64) -> Vec<PocOp> {
        let mut out = Vec::new();
        for (id, r) in self.open_requests() {
            if r.settle_due(&self.poc.params, number) {
                out.extend(
                    (0..crate::poc::SETTLE_PARTS)
                        .filter(|p| !r.settled(*p))
                        .map(|part| PocOp::Settle { request: id, part }),
                );
            }
        }
        out
    }

    /// Applies one op in block `number` whose previous state root is `block_prev_root` (the
    /// seed of the assignment draw); on error nothing changes.
    pub fn apply_op(
        &mut self,
        chain_id: &bitai_protocol::ChainId,
        number: u64,
        block_prev_root: Fr,
        op: &PocOp,
    ) -> Result<PocOpWitness, StfError> {
        let plan = rules::plan(self, chain_id, number, block_prev_root, op)?;
        let before = self.parts();
        let account_proof = self.tree.proof(plan.account_index.into())?;
        let account = *self
            .accounts
            .get(&plan.account_index)
            .expect("the plan checked the account exists");
        self.put(plan.account_index, plan.account_after)?;
        let mut objects = [None, None];
        for (slot, (index, value)) in objects.iter_mut().zip(plan.objects) {
            *slot = Some(self.poc.write(index, value)?);
        }
        let mut list = [None, None, None];
        for (slot, (position, account)) in list.iter_mut().zip(plan.list) {
            *slot = Some(self.poc.write_slot(position, account)?);
        }
        self.poc.counters = plan.counters;
        debug_assert_eq!(self.poc.depth(), self.depth());
        Ok(PocOpWitness {
            op: op.clone(),
            before,
            account_index: plan.account_index,
            account,
            account_after: plan.account_after,
            account_proof,
            objects,
            list,
            seat: plan.seat,
            after: self.parts(),
        })
    }
}

#[cfg(test)]
mod tests;
