//! The rule of each kind of op in the circuit, one function per kind: `enforce_<kind>` is
//! the twin of the state transition's `apply_<kind>` (in `bitai_chain::stf::poc::rules`) and
//! enforces the same rule, every constraint under the kind's bit so that it binds only the
//! slot that holds that kind. The rules read the op ([`OpVars`]), the records before it
//! ([`Reads`]) and the list touches; what they write is computed in the shared writes of
//! [`super::synthesize_op`], which also check that the records read are the ones stored.
//! Two native checks have no gadget, by design (see [`crate::circuit::poc`]): payload
//! hashes and unused fields.

use super::{pick, OpVars, PartsVar, Reads};
use crate::circuit::poc::gadgets::{
    alloc_flag, alloc_fr, alloc_num, eq_if, gt, nonzero_if, range_if, select,
};
use crate::circuit::poc::records::two_pow;
use crate::circuit::poc::rules::settlement;
use crate::circuit::poc::touch::ListTouchVar;
use crate::circuit::poc::values::OpValues;
use crate::circuit::poc::BlockVars;
use crate::circuit::poseidon::poseidon_var;
use ark_ff::PrimeField;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::R1CSVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;
use bitai_chain::poc::records::TAG_MODEL;
use bitai_chain::poc::{PocParams, NEURON_LIST_DEPTH};

fn value_u64(x: &FpVar<Fr>) -> u64 {
    x.value().map(|v| v.into_bigint().0[0]).unwrap_or(0)
}

/// Register: a stake of at least the minimum, no neuron record yet (the record read is all
/// zero, and object touch 0 finds an empty leaf), and the signer appended to the active list
/// at slot `neurons` (list touch 0: empty before, `account + 1` after).
pub(super) fn enforce_register_neuron(
    cs: &ConstraintSystemRef<Fr>,
    op: &OpVars,
    reads: &Reads,
    list: &[ListTouchVar],
    parts: &PartsVar,
    params: &PocParams,
) -> Result<(), SynthesisError> {
    let register = &op.kinds.register;
    let zero = FpVar::zero();
    range_if(cs, register, &(&op.amount - Fr::from(params.min_stake)), 64)?;
    let neuron = &reads.neuron;
    for field in [
        &neuron.stake,
        &neuron.unlock_at,
        &neuron.rewards,
        &neuron.slashed,
    ] {
        eq_if(register, field, &zero)?;
    }
    eq_if(register, &list[0].slot, &parts.neurons)?;
    eq_if(register, &list[0].before, &zero)?;
    eq_if(register, &list[0].after, &op.list_leaf())
}

/// What deploy and request share, one constraint each for both: a positive amount (model
/// size, escrow) and `data` as two 128-bit halves of a hash (`hash_from_halves`).
pub(super) fn enforce_amount_and_hash(
    cs: &ConstraintSystemRef<Fr>,
    op: &OpVars,
) -> Result<(), SynthesisError> {
    let hashing = &op.kinds.deploy + &op.kinds.request;
    nonzero_if(cs, &hashing, &op.amount)?;
    range_if(cs, &hashing, &op.data[0], 128)?;
    range_if(cs, &hashing, &op.data[1], 128)
}

/// Deploy: a model size below 2^32 (with [`enforce_amount_and_hash`]: above 0, and a
/// hash). Returns the new model's leaf, which object touch 0 writes at the next model id.
pub(super) fn enforce_deploy_model(op: &OpVars) -> Result<FpVar<Fr>, SynthesisError> {
    eq_if(
        &op.kinds.deploy,
        &Boolean::le_bits_to_fp(&op.amount_bits[32..])?,
        &FpVar::zero(),
    )?;
    poseidon_var(&[
        FpVar::Constant(Fr::from(TAG_MODEL)),
        op.data[0].clone(),
        op.data[1].clone(),
        &op.amount + &op.account * two_pow(32),
    ])
}

/// Request: the new request record is the op's (requester, model, input hash, escrow,
/// creation block; no flags, commitments or results), at least three active neurons, the
/// draw `Poseidon(prev_root, request_id) mod 2^64 = quotient * neurons + start` with
/// `start < neurons`, and the seats read from the list at `(start + j) mod neurons` (list
/// touches 0 to 2, unchanged). The model must exist: returns the model leaf read (nonzero),
/// which object touch 1 writes back unchanged.
pub(super) fn enforce_request_inference(
    cs: &ConstraintSystemRef<Fr>,
    block: &BlockVars,
    op: &OpVars,
    reads: &Reads,
    list: &[ListTouchVar],
    parts: &PartsVar,
    values: &OpValues,
) -> Result<FpVar<Fr>, SynthesisError> {
    let requesting = &op.kinds.request;
    let request = &reads.request;
    let neurons = &parts.neurons;
    let zero = FpVar::zero();
    eq_if(requesting, &request.requester, &op.account)?;
    eq_if(requesting, &request.model, &op.target)?;
    eq_if(requesting, &request.flags_word(), &zero)?;
    eq_if(requesting, &request.input[0], &op.data[0])?;
    eq_if(requesting, &request.input[1], &op.data[1])?;
    eq_if(requesting, &request.escrow, &op.amount)?;
    eq_if(requesting, &request.created, &block.number)?;
    for j in 0..3 {
        eq_if(requesting, &request.commits[j], &zero)?;
        eq_if(requesting, &request.results[j], &zero)?;
    }
    let seed = poseidon_var(&[block.prev_root.clone(), parts.requests.clone()])?;
    let low64 = Boolean::le_bits_to_fp(&seed.to_bits_le()?[..64])?;
    let quotient = alloc_num(cs, values.draw_quotient, 64)?;
    let start = alloc_num(cs, values.draw_start, 2 * NEURON_LIST_DEPTH)?;
    eq_if(requesting, &(&quotient * neurons + &start), &low64)?;
    range_if(
        cs,
        requesting,
        &(neurons - Fr::from(1u64) - &start),
        2 * NEURON_LIST_DEPTH,
    )?;
    range_if(
        cs,
        requesting,
        &(neurons - Fr::from(3u64)),
        2 * NEURON_LIST_DEPTH + 1,
    )?;

    let model_read = alloc_fr(cs, values.model_leaf)?;
    nonzero_if(cs, requesting, &model_read)?;

    let neurons_value = value_u64(neurons);
    for (j, seat) in list.iter().enumerate() {
        eq_if(requesting, &seat.before, &seat.after)?;
        eq_if(
            requesting,
            &(&request.assignees[j] + Fr::from(1u64)),
            &seat.before,
        )?;
        let wraps = alloc_flag(cs, values.draw_start + j as u64 >= neurons_value)?;
        eq_if(
            requesting,
            &seat.slot,
            &(&start + Fr::from(j as u64) - &wraps * neurons),
        )?;
        range_if(
            cs,
            requesting,
            &(neurons - Fr::from(1u64) - &seat.slot),
            2 * NEURON_LIST_DEPTH,
        )?;
    }
    Ok(model_read)
}

/// What commit and reveal share: the selected seat is one of the three (not part 3) and
/// the signer holds it. (The request is the stored one: object touch 0 reads it at
/// `target`.)
pub(super) fn enforce_assigned_seat(op: &OpVars, reads: &Reads) -> Result<(), SynthesisError> {
    let seated = &op.kinds.commit + &op.kinds.reveal;
    eq_if(&seated, &reads.seat[3], &FpVar::zero())?;
    eq_if(&seated, &op.account, &reads.seat_account)
}

/// Commit: the seat has not committed, and the commit window is open. (The writes store
/// `data[0]` as the seat's commitment and set its committed flag.)
pub(super) fn enforce_commit(op: &OpVars, reads: &Reads) -> Result<(), SynthesisError> {
    let commit = &op.kinds.commit;
    eq_if(commit, &reads.committed, &FpVar::zero())?;
    eq_if(commit, &reads.phase.commit_closed, &FpVar::zero())
}

/// Reveal: the seat has committed and not revealed, reveals are open, and
/// `Poseidon(result, salt, account)` (`data`, the signer) opens the seat's commitment. (The
/// writes store `data[0]` as the seat's result and set its revealed flag.)
pub(super) fn enforce_reveal(op: &OpVars, reads: &Reads) -> Result<(), SynthesisError> {
    let reveal = &op.kinds.reveal;
    let one = FpVar::one();
    eq_if(reveal, &reads.committed, &one)?;
    eq_if(reveal, &reads.revealed, &FpVar::zero())?;
    eq_if(reveal, &reads.phase.reveals_open, &one)?;
    let opened = poseidon_var(&[op.data[0].clone(), op.data[1].clone(), op.account.clone()])?;
    eq_if(reveal, &opened, &pick(&reads.seat, &reads.request.commits))
}

/// What a settlement part changes besides the request's settled flag.
pub(super) struct SettleVars {
    /// What the part pays its account: the share (an agreeing seat), the refund (part 3),
    /// else 0 (credited under the settle bit).
    pub(super) payout: FpVar<Fr>,
    /// The stake cut from the seat's neuron (0 unless settling and slashed).
    pub(super) slash: FpVar<Fr>,
    /// The share added to the seat's neuron rewards (0 unless settling and agreeing).
    pub(super) reward: FpVar<Fr>,
}

/// Settle: unsigned, so no fee; the part is not settled yet and settlement is due; the
/// touched account is the part's payee (the requester for part 3, else the seat's
/// assignee); the outcome ([`settlement`]): who agrees, the quorum, the share and refund, and
/// the slash `min(stake, slash_amount)` of a seat outside the quorum.
pub(super) fn enforce_settle(
    cs: &ConstraintSystemRef<Fr>,
    op: &OpVars,
    reads: &Reads,
    values: &OpValues,
    params: &PocParams,
) -> Result<SettleVars, SynthesisError> {
    let settle = &op.kinds.settle;
    let (seat, request) = (&reads.seat, &reads.request);
    eq_if(settle, &op.fee, &FpVar::zero())?;
    eq_if(settle, &reads.settled, &FpVar::zero())?;
    eq_if(settle, &reads.phase.settle_due, &FpVar::one())?;
    let outcome = settlement(cs, request, seat, values.share, values.remainder)?;
    let payee = &seat[3] * &request.requester + &reads.seat_account;
    eq_if(settle, &op.account, &payee)?;
    let neuron = &reads.neuron;
    let slash_amount = FpVar::Constant(Fr::from(params.slash_amount));
    let cut = select(
        &gt(cs, &neuron.stake, &slash_amount)?,
        &slash_amount,
        &neuron.stake,
    )?;
    Ok(SettleVars {
        payout: outcome.payout,
        slash: settle * &outcome.slashed_sel * &cut,
        reward: settle * &outcome.agree_sel * &outcome.share,
    })
}

/// Unbond: the neuron is not unbonding yet (the writes set its unlock block), and it leaves
/// the active list: the last neuron (slot `neurons - 1`, list touch 1, emptied) moves into
/// the leaver's slot (list touch 0).
pub(super) fn enforce_unbond(
    op: &OpVars,
    reads: &Reads,
    list: &[ListTouchVar],
    parts: &PartsVar,
) -> Result<(), SynthesisError> {
    let unbond = &op.kinds.unbond;
    let zero = FpVar::zero();
    eq_if(unbond, &reads.neuron.unlock_at, &zero)?;
    eq_if(unbond, &list[0].before, &op.list_leaf())?;
    eq_if(unbond, &list[0].after, &list[1].before)?;
    eq_if(unbond, &list[1].slot, &(&parts.neurons - Fr::from(1u64)))?;
    eq_if(unbond, &list[1].after, &zero)
}

/// Withdraw: the neuron has unbonded and its unlock block has come. (The writes credit the
/// stake and empty the neuron's leaf.)
pub(super) fn enforce_withdraw(
    cs: &ConstraintSystemRef<Fr>,
    block: &BlockVars,
    op: &OpVars,
    reads: &Reads,
) -> Result<(), SynthesisError> {
    let withdraw = &op.kinds.withdraw;
    let unlock_at = &reads.neuron.unlock_at;
    nonzero_if(cs, withdraw, unlock_at)?;
    range_if(cs, withdraw, &(&block.number - unlock_at), 64)
}
