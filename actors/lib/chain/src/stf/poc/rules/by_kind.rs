//! The rule of each kind of Proof-of-Compute op, one function per kind: what it checks, in
//! order, and what it writes. The signed kinds (`apply_register_neuron` to `apply_withdraw`)
//! start from an op that passed [`super::check_signed_op`]; `apply_settle` is the unsigned
//! settlement of one part of a request. Each `apply_<kind>` has its twin `enforce_<kind>` in
//! the circuit's op slot, which enforces the same rule (see [`super::signed`]).

use super::{draw_start, key_fits, poc, zero, Effects, Plan, PocError, SignedOp};
use crate::field::Fr;
use crate::poc::records::{
    object_index, FLAG_COMMITTED, FLAG_REVEALED, FLAG_SETTLED, OBJECT_MODEL, OBJECT_NEURON,
    OBJECT_REQUEST,
};
use crate::poc::{
    commitment, hash_from_halves, output_digest, ModelRecord, NeuronRecord, ObjectValue,
    RequestRecord, ASSIGNEES, MAX_NEURONS, SETTLE_PARTS,
};
use crate::stf::{Account, Counters, State, StfError};
use crate::tx::AccountIndex;
use ark_ff::AdditiveGroup;
use bitai_protocol::Hash32;

/// Registers the signer as a neuron staking `amount` (at least the minimum stake): a new
/// neuron record, and the signer appended to the active list.
pub(super) fn apply_register_neuron(
    op: &SignedOp,
    counters: &mut Counters,
) -> Result<Effects, StfError> {
    let tx = op.tx;
    zero(tx.target == 0, "target")?;
    zero(op.no_data(), "data")?;
    if op.state.neuron(tx.account).is_some() {
        return Err(poc(PocError::AlreadyNeuron(tx.account)));
    }
    if tx.amount < op.params.min_stake {
        return Err(poc(PocError::StakeTooLow {
            stake: tx.amount,
            min: op.params.min_stake,
        }));
    }
    let neurons = u64::from(counters.neurons);
    if neurons >= MAX_NEURONS {
        return Err(poc(PocError::TooManyNeurons(neurons)));
    }
    counters.neurons += 1;
    let record = NeuronRecord {
        stake: tx.amount,
        ..NeuronRecord::default()
    };
    Ok(Effects {
        balance: op.debit(tx.amount)?,
        objects: vec![(op.neuron_index, ObjectValue::Neuron(record))],
        // Appended: the new neuron takes the first free slot.
        list: vec![(neurons, Some(tx.account))],
        seat: 0,
    })
}

/// Deploys a model of `amount` bytes (above 0, below 4 GiB) whose hash is `data`, under
/// the next model id.
pub(super) fn apply_deploy_model(
    op: &SignedOp,
    counters: &mut Counters,
) -> Result<Effects, StfError> {
    let tx = op.tx;
    zero(tx.target == 0, "target")?;
    let size = u32::try_from(tx.amount)
        .ok()
        .filter(|size| *size > 0)
        .ok_or(poc(PocError::Zero("model size (below 4 GiB)")))?;
    let hash = hash_from_halves(&tx.data).ok_or(poc(PocError::BadHash("model hash")))?;
    let id = counters.models;
    counters.models = id
        .checked_add(1)
        .filter(|_| key_fits(op.depth, id))
        .ok_or(poc(PocError::Zero("model id space")))?;
    let record = ModelRecord {
        hash,
        size,
        owner: tx.account,
    };
    Ok(Effects {
        balance: op.debit(0)?,
        objects: vec![(
            object_index(op.depth, OBJECT_MODEL, id),
            ObjectValue::Model(record),
        )],
        list: vec![],
        seat: 0,
    })
}

/// Requests an inference of model `target` on the payload (whose SHA-256 is `data`),
/// escrowing `amount` (above 0): a new request record under the next request id, with
/// [`ASSIGNEES`] seats drawn from the active list (`(start + j) mod neurons`, see
/// [`draw_start`]). The model record and the seats are read (written back unchanged).
pub(super) fn apply_request_inference(
    op: &SignedOp,
    counters: &mut Counters,
    block_prev_root: Fr,
) -> Result<Effects, StfError> {
    let (tx, depth) = (op.tx, op.depth);
    let model_index = object_index(depth, OBJECT_MODEL, tx.target);
    let model = op
        .state
        .model(tx.target)
        .filter(|_| key_fits(depth, tx.target))
        .ok_or(poc(PocError::UnknownModel(tx.target)))?;
    if tx.amount == 0 {
        return Err(poc(PocError::Zero("escrow")));
    }
    let input = hash_from_halves(&tx.data).ok_or(poc(PocError::BadHash("input hash")))?;
    if Hash32::sha256(op.payload) != input {
        return Err(poc(PocError::Payload("input hash")));
    }
    let neurons = counters.neurons;
    if (neurons as usize) < ASSIGNEES {
        return Err(poc(PocError::TooFewNeurons(neurons)));
    }
    let id = counters.requests;
    counters.requests = id
        .checked_add(1)
        .filter(|_| key_fits(depth, id))
        .ok_or(poc(PocError::Zero("request id space")))?;
    let start = draw_start(block_prev_root, id, neurons);
    let slots: Vec<u64> = (0..ASSIGNEES as u64)
        .map(|j| (start + j) % u64::from(neurons))
        .collect();
    let assignees = slots
        .iter()
        .map(|slot| {
            *op.state
                .poc
                .active
                .get(slot)
                .expect("slots below n are filled")
        })
        .collect::<Vec<_>>();
    let record = RequestRecord {
        requester: tx.account,
        model: tx.target,
        input,
        escrow: tx.amount,
        created: op.number,
        assignees: [assignees[0], assignees[1], assignees[2]],
        commits: [Fr::ZERO; ASSIGNEES],
        results: [Fr::ZERO; ASSIGNEES],
        flags: 0,
    };
    Ok(Effects {
        balance: op.debit(tx.amount)?,
        objects: vec![
            (
                object_index(depth, OBJECT_REQUEST, id),
                ObjectValue::Request(record),
            ),
            (model_index, ObjectValue::Model(model)),
        ],
        list: slots
            .iter()
            .zip(&assignees)
            .map(|(slot, assignee)| (*slot, Some(*assignee)))
            .collect(),
        seat: 0,
    })
}

/// What commit and reveal share: no `amount`, request `target` exists and the signer holds
/// one of its seats. Returns the request's position, its record and the signer's seat.
fn check_assigned_seat(op: &SignedOp) -> Result<(u64, RequestRecord, usize), StfError> {
    let (tx, depth) = (op.tx, op.depth);
    zero(tx.amount == 0, "amount")?;
    let index = object_index(depth, OBJECT_REQUEST, tx.target);
    let request = op
        .state
        .request(tx.target)
        .filter(|_| key_fits(depth, tx.target))
        .ok_or(poc(PocError::UnknownRequest(tx.target)))?;
    let seat = request
        .seat_of(tx.account)
        .ok_or(poc(PocError::NotAssigned(tx.account)))?;
    Ok((index, request, seat))
}

/// Commits the signer's seat to `data[0]` (a [`commitment`] to its result) within the commit
/// window, once.
pub(super) fn apply_commit(op: &SignedOp) -> Result<Effects, StfError> {
    let (index, mut request, seat) = check_assigned_seat(op)?;
    let tx = op.tx;
    zero(tx.data[1] == Fr::ZERO, "data[1]")?;
    if request.committed(seat) {
        return Err(poc(PocError::AlreadyCommitted(seat)));
    }
    if op.number > request.commit_deadline(&op.params) {
        return Err(poc(PocError::CommitClosed(
            request.commit_deadline(&op.params),
        )));
    }
    request.commits[seat] = tx.data[0];
    request.flags |= FLAG_COMMITTED << seat;
    Ok(Effects {
        balance: op.debit(0)?,
        objects: vec![(index, ObjectValue::Request(request))],
        list: vec![],
        seat,
    })
}

/// Reveals the committed seat's result `data[0]` with its salt `data[1]` while reveals are
/// open, once: they must open the commitment, and the payload must have that digest.
pub(super) fn apply_reveal(op: &SignedOp) -> Result<Effects, StfError> {
    let (index, mut request, seat) = check_assigned_seat(op)?;
    let tx = op.tx;
    if !request.committed(seat) {
        return Err(poc(PocError::NotCommitted(seat)));
    }
    if request.revealed(seat) {
        return Err(poc(PocError::AlreadyRevealed(seat)));
    }
    if !request.reveals_open(&op.params, op.number) {
        return Err(poc(PocError::RevealNotOpen(op.number)));
    }
    let [result, salt] = tx.data;
    if commitment(result, salt, tx.account) != request.commits[seat] {
        return Err(poc(PocError::BadOpening(seat)));
    }
    if output_digest(op.payload) != result {
        return Err(poc(PocError::Payload("result digest")));
    }
    request.results[seat] = result;
    request.flags |= FLAG_REVEALED << seat;
    Ok(Effects {
        balance: op.debit(0)?,
        objects: vec![(index, ObjectValue::Request(request))],
        list: vec![],
        seat,
    })
}

/// Settles part `part` of request `id` in block `number`, once, when settlement is due
/// (unsigned, no fee): parts 0 to 2 pay the seat's share to an agreeing seat's account and
/// neuron rewards, or slash a seat outside the quorum; part 3 refunds the requester.
pub(super) fn apply_settle(
    state: &State,
    number: u64,
    id: u32,
    part: u8,
) -> Result<Plan, StfError> {
    let params = state.poc.params;
    let depth = state.depth();
    let mut request = state
        .request(id)
        .filter(|_| key_fits(depth, id))
        .ok_or(poc(PocError::UnknownRequest(id)))?;
    if part >= SETTLE_PARTS {
        return Err(poc(PocError::AlreadySettled(part)));
    }
    if request.settled(part) {
        return Err(poc(PocError::AlreadySettled(part)));
    }
    if !request.settle_due(&params, number) {
        return Err(poc(PocError::SettleNotDue(number)));
    }
    let outcome = request.outcome();
    request.flags |= FLAG_SETTLED << part;
    let request_write = (
        object_index(depth, OBJECT_REQUEST, id),
        ObjectValue::Request(request),
    );
    let credit = |who: AccountIndex, amount: u64| -> Result<(AccountIndex, Account), StfError> {
        let account = *state
            .accounts
            .get(&who)
            .ok_or(StfError::UnknownSender(who))?;
        let balance = account
            .balance
            .checked_add(amount)
            .ok_or(StfError::BalanceOverflow)?;
        Ok((who, Account { balance, ..account }))
    };
    let (payee, objects) = if part == 3 {
        (
            credit(request.requester, outcome.refund)?,
            vec![request_write],
        )
    } else {
        let seat = usize::from(part);
        let who = request.assignees[seat];
        let neuron_index = object_index(depth, OBJECT_NEURON, who);
        // A neuron that withdrew meanwhile has no record: it is still paid, never slashed.
        let record = state.neuron(who);
        #[cfg(feature = "planted-bugs")]
        let pay_anyway = bitai_runtime::planted::on("disagreeing_neuron_paid");
        #[cfg(not(feature = "planted-bugs"))]
        let pay_anyway = false;
        if outcome.agree[seat] || pay_anyway {
            let after = record
                .map(|neuron| {
                    let rewards = neuron.rewards.checked_add(outcome.share);
                    rewards.map(|rewards| NeuronRecord { rewards, ..neuron })
                })
                .map(|neuron| neuron.ok_or(StfError::BalanceOverflow))
                .transpose()?;
            let value = after.map_or(ObjectValue::Empty, ObjectValue::Neuron);
            (
                credit(who, outcome.share)?,
                vec![request_write, (neuron_index, value)],
            )
        } else {
            let after = record.map(|neuron| {
                if outcome.slashed(&request, seat) {
                    let cut = neuron.stake.min(params.slash_amount);
                    NeuronRecord {
                        stake: neuron.stake - cut,
                        // At most the total ever staked, so far below 2^64.
                        slashed: neuron.slashed + cut,
                        ..neuron
                    }
                } else {
                    neuron
                }
            });
            let value = after.map_or(ObjectValue::Empty, ObjectValue::Neuron);
            (credit(who, 0)?, vec![request_write, (neuron_index, value)])
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

/// Starts unbonding the signer's neuron (once): it unlocks `unbond_delay_blocks` later, and
/// leaves the active list (the last neuron of the list moves into its slot).
pub(super) fn apply_unbond(op: &SignedOp, counters: &mut Counters) -> Result<Effects, StfError> {
    let tx = op.tx;
    zero(tx.target == 0 && tx.amount == 0, "target and amount")?;
    zero(op.no_data(), "data")?;
    let mut record = op
        .state
        .neuron(tx.account)
        .ok_or(poc(PocError::NotNeuron(tx.account)))?;
    if record.unlock_at != 0 {
        return Err(poc(PocError::Unbonding(tx.account)));
    }
    record.unlock_at = op.number + op.params.unbond_delay_blocks;
    let slot = *op
        .state
        .poc
        .active
        .iter()
        .find(|(_, account)| **account == tx.account)
        .map(|(slot, _)| slot)
        .expect("a bonded neuron is in the active list");
    let last = u64::from(counters.neurons) - 1;
    let moved = *op
        .state
        .poc
        .active
        .get(&last)
        .expect("slots below n are filled");
    counters.neurons -= 1;
    Ok(Effects {
        balance: op.debit(0)?,
        objects: vec![(op.neuron_index, ObjectValue::Neuron(record))],
        list: vec![(slot, Some(moved)), (last, None)],
        seat: 0,
    })
}

/// Withdraws an unbonded neuron's stake once it has unlocked: the stake is credited and the
/// neuron record removed.
pub(super) fn apply_withdraw(op: &SignedOp) -> Result<Effects, StfError> {
    let tx = op.tx;
    zero(tx.target == 0 && tx.amount == 0, "target and amount")?;
    zero(op.no_data(), "data")?;
    let record = op
        .state
        .neuron(tx.account)
        .ok_or(poc(PocError::NotNeuron(tx.account)))?;
    if record.unlock_at == 0 || op.number < record.unlock_at {
        return Err(poc(PocError::Locked(record.unlock_at)));
    }
    let balance = op
        .account
        .balance
        .checked_add(record.stake)
        .ok_or(StfError::BalanceOverflow)?
        .checked_sub(tx.fee)
        .ok_or(op.overdraft(0))?;
    Ok(Effects {
        balance,
        objects: vec![(op.neuron_index, ObjectValue::Empty)],
        list: vec![],
        seat: 0,
    })
}
