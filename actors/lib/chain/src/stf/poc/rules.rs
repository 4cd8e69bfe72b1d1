//! The rules of every Proof-of-Compute op (see [`crate::poc`]), as a plan: which account,
//! objects and list slots the op writes and with what. [`plan`] checks everything and writes
//! nothing; [`super::State::apply_op`] then performs the writes in the plan's order.

use super::{Counters, State, StfError};
use crate::eddsa::verify;
use crate::field::Fr;
use crate::poc::records::{
    object_index, FLAG_COMMITTED, FLAG_REVEALED, FLAG_SETTLED, OBJECT_MODEL, OBJECT_NEURON,
    OBJECT_REQUEST,
};
use crate::poc::{
    commitment, hash_from_halves, output_digest, ModelRecord, NeuronRecord, ObjectValue, PocKind,
    PocOp, RequestRecord, SignedPocTx, ASSIGNEES, MAX_NEURONS,
};
use crate::poseidon::poseidon;
use crate::stf::Account;
use crate::tx::{AccountIndex, MAX_FEE};
use ark_ff::{AdditiveGroup, PrimeField};
use bitai_protocol::{ChainId, Hash32};

/// Why a Proof-of-Compute op is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PocError {
    /// A field the kind does not use is not zero.
    #[error("{0} must be zero for this kind of op")]
    UnusedField(&'static str),
    /// The payload does not match the hash the op signs, or a kind without one has one.
    #[error("payload does not match the signed {0}")]
    Payload(&'static str),
    /// The account is already a registered neuron.
    #[error("account {0} is already a neuron")]
    AlreadyNeuron(AccountIndex),
    /// The account is not a registered neuron.
    #[error("account {0} is not a neuron")]
    NotNeuron(AccountIndex),
    /// The stake is below the chain's minimum.
    #[error("stake {stake} is below the minimum {min}")]
    StakeTooLow {
        /// Offered.
        stake: u64,
        /// Required.
        min: u64,
    },
    /// The active list is full.
    #[error("the chain already has {0} active neurons")]
    TooManyNeurons(u64),
    /// Fewer active neurons than a request needs.
    #[error("{0} active neurons; a request needs 3")]
    TooFewNeurons(u32),
    /// No model with this id.
    #[error("model {0} does not exist")]
    UnknownModel(u32),
    /// No request with this id.
    #[error("request {0} does not exist")]
    UnknownRequest(u32),
    /// A model size or escrow of zero, or a model over 4 GiB.
    #[error("{0} must be positive")]
    Zero(&'static str),
    /// The hash halves are not a 32-byte hash.
    #[error("{0} is not a 32-byte hash")]
    BadHash(&'static str),
    /// The signer is not assigned to the request.
    #[error("account {0} is not assigned to this request")]
    NotAssigned(AccountIndex),
    /// The seat has already committed.
    #[error("seat {0} has already committed")]
    AlreadyCommitted(usize),
    /// The commit window is over.
    #[error("the commit window closed at block {0}")]
    CommitClosed(u64),
    /// The seat never committed.
    #[error("seat {0} never committed")]
    NotCommitted(usize),
    /// The seat has already revealed.
    #[error("seat {0} has already revealed")]
    AlreadyRevealed(usize),
    /// Reveals are not open at this block.
    #[error("reveals are not open at block {0}")]
    RevealNotOpen(u64),
    /// The reveal does not open the commitment.
    #[error("the reveal does not open seat {0}'s commitment")]
    BadOpening(usize),
    /// The part is already settled.
    #[error("part {0} is already settled")]
    AlreadySettled(u8),
    /// Settlement is not due yet.
    #[error("settlement is not due at block {0}")]
    SettleNotDue(u64),
    /// The neuron is already unbonding.
    #[error("account {0} is already unbonding")]
    Unbonding(AccountIndex),
    /// The stake is still locked (or the neuron never unbonded).
    #[error("the stake unlocks at block {0}")]
    Locked(u64),
}

/// What an op will write, in order.
pub(super) struct Plan {
    pub account_index: AccountIndex,
    pub account_after: Account,
    pub objects: Vec<(u64, ObjectValue)>,
    pub list: Vec<(u64, Option<AccountIndex>)>,
    pub counters: Counters,
    pub seat: usize,
}

fn poc(e: PocError) -> StfError {
    StfError::Poc(e)
}

fn zero(cond: bool, field: &'static str) -> Result<(), StfError> {
    if cond {
        Ok(())
    } else {
        Err(poc(PocError::UnusedField(field)))
    }
}

/// Whether `key` has a position in its object-tree region (below `4^depth`): a larger key
/// would alias another key's position (`object_index` ORs the region in).
fn key_fits(depth: usize, key: u32) -> bool {
    u64::from(key) < 1u64 << (2 * depth)
}

/// Checks `op` in block `number` and returns what it writes.
pub(super) fn plan(
    state: &State,
    chain_id: &ChainId,
    number: u64,
    block_prev_root: Fr,
    op: &PocOp,
) -> Result<Plan, StfError> {
    let plan = match op {
        PocOp::Settle { request, part } => settle(state, number, *request, *part)?,
        PocOp::Signed(s) => signed(state, chain_id, number, block_prev_root, s)?,
    };
    // Every position must fit the trees, so the writes cannot fail halfway.
    state.tree.proof(plan.account_index.into())?;
    for (index, _) in &plan.objects {
        state.poc.objects.proof(*index)?;
    }
    for (slot, _) in &plan.list {
        state.poc.list.proof(*slot)?;
    }
    Ok(plan)
}

fn signed(
    state: &State,
    chain_id: &ChainId,
    b: u64,
    block_prev_root: Fr,
    s: &SignedPocTx,
) -> Result<Plan, StfError> {
    let t = &s.tx;
    let params = state.poc.params;
    let depth = state.depth();
    let account = *state
        .accounts
        .get(&t.account)
        .ok_or(StfError::UnknownSender(t.account))?;
    if t.nonce != account.nonce {
        return Err(StfError::BadNonce {
            expected: account.nonce,
            got: t.nonce,
        });
    }
    if t.fee > MAX_FEE {
        return Err(StfError::FeeTooLarge { fee: t.fee });
    }
    if t.kind == PocKind::Settle {
        return Err(poc(PocError::UnusedField(
            "a signature (settlement is unsigned)",
        )));
    }
    verify(&account.public_key, t.message(chain_id), &s.signature)?;
    let nonce = account
        .nonce
        .checked_add(1)
        .ok_or(StfError::NonceExhausted)?;
    // The debit beyond the fee (stake, escrow); a withdrawal credits instead.
    let overdraft = |extra: u64| StfError::Overdraft {
        balance: account.balance,
        amount: extra,
        fee: t.fee,
    };
    let debit = |extra: u64| -> Result<u64, StfError> {
        extra
            .checked_add(t.fee)
            .filter(|d| *d <= account.balance)
            .map(|d| account.balance - d)
            .ok_or(overdraft(extra))
    };
    let neuron_index = object_index(depth, OBJECT_NEURON, t.account);
    let mut counters = state.poc.counters;
    let no_data = t.data == [Fr::ZERO; 2];
    if !matches!(t.kind, PocKind::RequestInference | PocKind::Reveal) && !s.payload.is_empty() {
        return Err(poc(PocError::Payload("(no payload for this kind)")));
    }
    let (balance, objects, list, seat) = match t.kind {
        PocKind::RegisterNeuron => {
            zero(t.target == 0, "target")?;
            zero(no_data, "data")?;
            if state.neuron(t.account).is_some() {
                return Err(poc(PocError::AlreadyNeuron(t.account)));
            }
            if t.amount < params.min_stake {
                return Err(poc(PocError::StakeTooLow {
                    stake: t.amount,
                    min: params.min_stake,
                }));
            }
            let n = u64::from(counters.neurons);
            if n >= MAX_NEURONS {
                return Err(poc(PocError::TooManyNeurons(n)));
            }
            counters.neurons += 1;
            let record = NeuronRecord {
                stake: t.amount,
                ..NeuronRecord::default()
            };
            (
                debit(t.amount)?,
                vec![(neuron_index, ObjectValue::Neuron(record))],
                vec![(n, Some(t.account))],
                0,
            )
        }
        PocKind::DeployModel => {
            zero(t.target == 0, "target")?;
            let size = u32::try_from(t.amount)
                .ok()
                .filter(|s| *s > 0)
                .ok_or(poc(PocError::Zero("model size (below 4 GiB)")))?;
            let hash = hash_from_halves(&t.data).ok_or(poc(PocError::BadHash("model hash")))?;
            let id = counters.models;
            counters.models = id
                .checked_add(1)
                .filter(|_| key_fits(depth, id))
                .ok_or(poc(PocError::Zero("model id space")))?;
            let record = ModelRecord {
                hash,
                size,
                owner: t.account,
            };
            (
                debit(0)?,
                vec![(
                    object_index(depth, OBJECT_MODEL, id),
                    ObjectValue::Model(record),
                )],
                vec![],
                0,
            )
        }
        PocKind::RequestInference => {
            let model_index = object_index(depth, OBJECT_MODEL, t.target);
            let model = state
                .model(t.target)
                .filter(|_| key_fits(depth, t.target))
                .ok_or(poc(PocError::UnknownModel(t.target)))?;
            if t.amount == 0 {
                return Err(poc(PocError::Zero("escrow")));
            }
            let input = hash_from_halves(&t.data).ok_or(poc(PocError::BadHash("input hash")))?;
            if Hash32::sha256(&s.payload) != input {
                return Err(poc(PocError::Payload("input hash")));
            }
            let n = counters.neurons;
            if (n as usize) < ASSIGNEES {
                return Err(poc(PocError::TooFewNeurons(n)));
            }
            let id = counters.requests;
            counters.requests = id
                .checked_add(1)
                .filter(|_| key_fits(depth, id))
                .ok_or(poc(PocError::Zero("request id space")))?;
            let start = draw_start(block_prev_root, id, n);
            let slots: Vec<u64> = (0..ASSIGNEES as u64)
                .map(|j| (start + j) % u64::from(n))
                .collect();
            let assignees = slots
                .iter()
                .map(|s| *state.poc.active.get(s).expect("slots below n are filled"))
                .collect::<Vec<_>>();
            let record = RequestRecord {
                requester: t.account,
                model: t.target,
                input,
                escrow: t.amount,
                created: b,
                assignees: [assignees[0], assignees[1], assignees[2]],
                commits: [Fr::ZERO; ASSIGNEES],
                results: [Fr::ZERO; ASSIGNEES],
                flags: 0,
            };
            (
                debit(t.amount)?,
                vec![
                    (
                        object_index(depth, OBJECT_REQUEST, id),
                        ObjectValue::Request(record),
                    ),
                    (model_index, ObjectValue::Model(model)),
                ],
                slots
                    .iter()
                    .zip(&assignees)
                    .map(|(s, a)| (*s, Some(*a)))
                    .collect(),
                0,
            )
        }
        PocKind::Commit | PocKind::Reveal => {
            zero(t.amount == 0, "amount")?;
            let index = object_index(depth, OBJECT_REQUEST, t.target);
            let mut r = state
                .request(t.target)
                .filter(|_| key_fits(depth, t.target))
                .ok_or(poc(PocError::UnknownRequest(t.target)))?;
            let j = r
                .seat_of(t.account)
                .ok_or(poc(PocError::NotAssigned(t.account)))?;
            if t.kind == PocKind::Commit {
                zero(t.data[1] == Fr::ZERO, "data[1]")?;
                if r.committed(j) {
                    return Err(poc(PocError::AlreadyCommitted(j)));
                }
                if b > r.commit_deadline(&params) {
                    return Err(poc(PocError::CommitClosed(r.commit_deadline(&params))));
                }
                r.commits[j] = t.data[0];
                r.flags |= FLAG_COMMITTED << j;
            } else {
                if !r.committed(j) {
                    return Err(poc(PocError::NotCommitted(j)));
                }
                if r.revealed(j) {
                    return Err(poc(PocError::AlreadyRevealed(j)));
                }
                if !r.reveals_open(&params, b) {
                    return Err(poc(PocError::RevealNotOpen(b)));
                }
                let [result, salt] = t.data;
                if commitment(result, salt, t.account) != r.commits[j] {
                    return Err(poc(PocError::BadOpening(j)));
                }
                if output_digest(&s.payload) != result {
                    return Err(poc(PocError::Payload("result digest")));
                }
                r.results[j] = result;
                r.flags |= FLAG_REVEALED << j;
            }
            (debit(0)?, vec![(index, ObjectValue::Request(r))], vec![], j)
        }
        PocKind::Unbond => {
            zero(t.target == 0 && t.amount == 0, "target and amount")?;
            zero(no_data, "data")?;
            let mut record = state
                .neuron(t.account)
                .ok_or(poc(PocError::NotNeuron(t.account)))?;
            if record.unlock_at != 0 {
                return Err(poc(PocError::Unbonding(t.account)));
            }
            record.unlock_at = b + params.unbond_delay_blocks;
            let slot = *state
                .poc
                .active
                .iter()
                .find(|(_, a)| **a == t.account)
                .map(|(s, _)| s)
                .expect("a bonded neuron is in the active list");
            let last = u64::from(counters.neurons) - 1;
            let moved = *state
                .poc
                .active
                .get(&last)
                .expect("slots below n are filled");
            counters.neurons -= 1;
            (
                debit(0)?,
                vec![(neuron_index, ObjectValue::Neuron(record))],
                vec![(slot, Some(moved)), (last, None)],
                0,
            )
        }
        PocKind::Withdraw => {
            zero(t.target == 0 && t.amount == 0, "target and amount")?;
            zero(no_data, "data")?;
            let record = state
                .neuron(t.account)
                .ok_or(poc(PocError::NotNeuron(t.account)))?;
            if record.unlock_at == 0 || b < record.unlock_at {
                return Err(poc(PocError::Locked(record.unlock_at)));
            }
            let balance = account
                .balance
                .checked_add(record.stake)
                .ok_or(StfError::BalanceOverflow)?
                .checked_sub(t.fee)
                .ok_or(overdraft(0))?;
            (balance, vec![(neuron_index, ObjectValue::Empty)], vec![], 0)
        }
        PocKind::Settle => unreachable!("refused above"),
    };
    Ok(Plan {
        account_index: t.account,
        account_after: Account {
            balance,
            nonce,
            ..account
        },
        objects,
        list,
        counters,
        seat,
    })
}

/// The first seat's position in the active list: `(Poseidon(prev_root, id) mod 2^64) mod n`.
pub fn draw_start(block_prev_root: Fr, request_id: u32, n: u32) -> u64 {
    let seed = poseidon(&[block_prev_root, Fr::from(request_id)]);
    let low = seed.into_bigint().as_ref()[0];
    low % u64::from(n)
}

fn settle(state: &State, b: u64, id: u32, part: u8) -> Result<Plan, StfError> {
    let params = state.poc.params;
    let depth = state.depth();
    let mut r = state
        .request(id)
        .filter(|_| key_fits(depth, id))
        .ok_or(poc(PocError::UnknownRequest(id)))?;
    if part >= crate::poc::SETTLE_PARTS {
        return Err(poc(PocError::AlreadySettled(part)));
    }
    if r.settled(part) {
        return Err(poc(PocError::AlreadySettled(part)));
    }
    if !r.settle_due(&params, b) {
        return Err(poc(PocError::SettleNotDue(b)));
    }
    let outcome = r.outcome();
    r.flags |= FLAG_SETTLED << part;
    let request = (
        object_index(depth, OBJECT_REQUEST, id),
        ObjectValue::Request(r),
    );
    let credit = |who: AccountIndex, amount: u64| -> Result<(AccountIndex, Account), StfError> {
        let a = *state
            .accounts
            .get(&who)
            .ok_or(StfError::UnknownSender(who))?;
        let balance = a
            .balance
            .checked_add(amount)
            .ok_or(StfError::BalanceOverflow)?;
        Ok((who, Account { balance, ..a }))
    };
    let (payee, objects) = if part == 3 {
        (credit(r.requester, outcome.refund)?, vec![request])
    } else {
        let j = usize::from(part);
        let who = r.assignees[j];
        let neuron_index = object_index(depth, OBJECT_NEURON, who);
        // A neuron that withdrew meanwhile has no record: it is still paid, never slashed.
        let record = state.neuron(who);
        if outcome.agree[j] {
            let after = record
                .map(|n| {
                    let rewards = n.rewards.checked_add(outcome.share);
                    rewards.map(|rewards| NeuronRecord { rewards, ..n })
                })
                .map(|n| n.ok_or(StfError::BalanceOverflow))
                .transpose()?;
            let value = after.map_or(ObjectValue::Empty, ObjectValue::Neuron);
            (
                credit(who, outcome.share)?,
                vec![request, (neuron_index, value)],
            )
        } else {
            let after = record.map(|n| {
                if outcome.slashed(&r, j) {
                    let cut = n.stake.min(params.slash_amount);
                    NeuronRecord {
                        stake: n.stake - cut,
                        // At most the total ever staked, so far below 2^64.
                        slashed: n.slashed + cut,
                        ..n
                    }
                } else {
                    n
                }
            });
            let value = after.map_or(ObjectValue::Empty, ObjectValue::Neuron);
            (credit(who, 0)?, vec![request, (neuron_index, value)])
        }
    };
    Ok(Plan {
        account_index: payee.0,
        account_after: payee.1,
        objects,
        list: vec![],
        counters: state.poc.counters,
        seat: usize::from(part),
    })
}
