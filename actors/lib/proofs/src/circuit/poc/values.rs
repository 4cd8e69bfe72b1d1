//! The witness values of one op slot ([`OpValues`]): the op's fields, the touched account,
//! the records it reads (before values), the Merkle paths of every touch and a few hints
//! (quotients and remainders) the circuit checks rather than computes. Built from a
//! [`PocOpWitness`] of the state transition, or as the no-op filler of an unused slot.

use ark_ff::{AdditiveGroup, PrimeField};
use bitai_chain::babyjubjub::{base8, Point};
use bitai_chain::field::Fr;
use bitai_chain::poc::{NeuronRecord, ObjectValue, PocKind, PocOp, RequestRecord, ASSIGNEES};
use bitai_chain::poseidon::poseidon;
use bitai_chain::smt::ARITY;
use bitai_chain::stf::PocOpWitness;
use bitai_protocol::Hash32;

/// Sibling triples of a path, leaves first.
pub type Siblings = Vec<[Fr; ARITY - 1]>;

/// One object-tree touch: its position and its path before the write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSlotValues {
    /// The position (`kind * 4^depth + key`).
    pub index: u64,
    /// The path (`depth + 1` levels).
    pub siblings: Siblings,
}

/// One active-list touch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSlotValues {
    /// The slot.
    pub slot: u64,
    /// The leaf before (`account + 1`, 0 when empty).
    pub before: u64,
    /// The leaf after.
    pub after: u64,
    /// The path ([`bitai_chain::poc::NEURON_LIST_DEPTH`] levels).
    pub siblings: Siblings,
}

/// Every value one op slot's witness needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpValues {
    /// The op's kind; `None` for a no-op slot.
    pub kind: Option<PocKind>,
    /// The touched account: the signer, or a settlement's payee.
    pub account: u32,
    /// Model id (request), request id (commit, reveal, settle); else 0.
    pub target: u32,
    /// Stake, model size or escrow; else 0.
    pub amount: u64,
    /// Fee (0 for a settlement).
    pub fee: u64,
    /// The op's data field elements.
    pub data: [Fr; 2],
    /// The seat (commit, reveal) or part (settle); else 0.
    pub part: u8,
    /// The account's key.
    pub key: Point,
    /// The account's balance before.
    pub balance: u64,
    /// The account's nonce before.
    pub nonce: u64,
    /// The account's path before.
    pub account_siblings: Siblings,
    /// The signature's `R8` (base point when unsigned).
    pub signature_r8: Point,
    /// The signature's `S`, as an integer.
    pub signature_s: ark_ff::BigInt<4>,
    /// The neuron record read (unbond, withdraw, settle of a seat); zero otherwise.
    pub neuron: NeuronRecord,
    /// Whether a settled seat still has its neuron record (a withdrawn one has none).
    pub neuron_exists: bool,
    /// The request record before the op, or as created (request).
    pub request: RequestRecord,
    /// The leaf of the model a request names.
    pub model_leaf: Fr,
    /// Hint: each agreeing seat's share (settle).
    pub share: u64,
    /// Hint: `escrow - share * agreeing` with a quorum (settle).
    pub remainder: u64,
    /// Hint: `(seed mod 2^64) / n` (request).
    pub draw_quotient: u64,
    /// Hint: `(seed mod 2^64) mod n`, the first seat's list slot (request).
    pub draw_start: u64,
    /// The two object touches (a no-op touch has position 0 and zero siblings).
    pub objects: [ObjectSlotValues; 2],
    /// The three list touches.
    pub list: [ListSlotValues; ASSIGNEES],
}

fn empty_request() -> RequestRecord {
    RequestRecord {
        requester: 0,
        model: 0,
        input: Hash32::default(),
        escrow: 0,
        created: 0,
        assignees: [0; ASSIGNEES],
        commits: [Fr::ZERO; ASSIGNEES],
        results: [Fr::ZERO; ASSIGNEES],
        flags: 0,
    }
}

impl OpValues {
    /// The filler of an unused op slot for an account tree of `depth` levels.
    pub fn noop(depth: usize) -> Self {
        let object = ObjectSlotValues {
            index: 0,
            siblings: vec![[Fr::ZERO; ARITY - 1]; depth + 1],
        };
        let list = ListSlotValues {
            slot: 0,
            before: 0,
            after: 0,
            siblings: vec![[Fr::ZERO; ARITY - 1]; bitai_chain::poc::NEURON_LIST_DEPTH],
        };
        OpValues {
            kind: None,
            account: 0,
            target: 0,
            amount: 0,
            fee: 0,
            data: [Fr::ZERO; 2],
            part: 0,
            key: base8(),
            balance: 0,
            nonce: 0,
            account_siblings: vec![[Fr::ZERO; ARITY - 1]; depth],
            signature_r8: base8(),
            signature_s: ark_ff::BigInt::zero(),
            neuron: NeuronRecord::default(),
            neuron_exists: false,
            request: empty_request(),
            model_leaf: Fr::ZERO,
            share: 0,
            remainder: 0,
            draw_quotient: 0,
            draw_start: 0,
            objects: [object.clone(), object],
            list: [list.clone(), list.clone(), list],
        }
    }

    /// The values of an executed op in a block whose previous state root is `prev_root`.
    pub fn from_witness(w: &PocOpWitness, depth: usize, prev_root: Fr) -> Self {
        let mut v = OpValues::noop(depth);
        v.kind = Some(w.op.kind());
        v.account = w.account_index;
        v.key = w.account.public_key;
        v.balance = w.account.balance;
        v.nonce = w.account.nonce;
        v.account_siblings = w.account_proof.siblings.clone();
        v.part = w.seat as u8;
        match &w.op {
            PocOp::Signed(s) => {
                v.target = s.tx.target;
                v.amount = s.tx.amount;
                v.fee = s.tx.fee;
                v.data = s.tx.data;
                v.signature_r8 = s.signature.r8;
                v.signature_s = s.signature.s.into_bigint();
            }
            PocOp::Settle { request, .. } => v.target = *request,
        }
        for (slot, touch) in v.objects.iter_mut().zip(&w.objects) {
            if let Some(t) = touch {
                slot.index = t.index;
                slot.siblings = t.proof.siblings.clone();
            }
        }
        for (slot, touch) in v.list.iter_mut().zip(&w.list) {
            if let Some(t) = touch {
                slot.slot = t.slot;
                slot.before = t.before.map_or(0, |a| u64::from(a) + 1);
                slot.after = t.after.map_or(0, |a| u64::from(a) + 1);
                slot.siblings = t.proof.siblings.clone();
            }
        }
        let before = |i: usize| w.objects[i].as_ref().map(|t| t.before);
        let after = |i: usize| w.objects[i].as_ref().map(|t| t.after);
        match w.op.kind() {
            PocKind::RequestInference => {
                if let Some(ObjectValue::Request(r)) = after(0) {
                    v.request = r;
                }
                v.model_leaf = before(1).map_or(Fr::ZERO, |m| m.leaf());
                let n = u64::from(w.before.counters.neurons).max(1);
                let seed = poseidon(&[prev_root, Fr::from(w.before.counters.requests)]);
                let low = seed.into_bigint().0[0];
                v.draw_quotient = low / n;
                v.draw_start = low % n;
            }
            PocKind::Commit | PocKind::Reveal | PocKind::Settle => {
                if let Some(ObjectValue::Request(r)) = before(0) {
                    v.request = r;
                }
                if let Some(ObjectValue::Neuron(n)) = before(1) {
                    v.neuron = n;
                    v.neuron_exists = true;
                }
                let o = v.request.outcome();
                if o.quorum {
                    v.share = o.share;
                    v.remainder = o.refund;
                }
            }
            PocKind::Unbond | PocKind::Withdraw => {
                if let Some(ObjectValue::Neuron(n)) = before(0) {
                    v.neuron = n;
                }
            }
            PocKind::RegisterNeuron | PocKind::DeployModel => {}
        }
        v
    }
}
