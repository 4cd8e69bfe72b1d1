//! One op slot: the signed message and signature, the request, neuron and model rules, and
//! the account, object and list touches, for whichever of the eight kinds the slot holds.
//! Every kind goes through the same gadgets; the kind bits select which values are written
//! and which rules are enforced.
//!
//! [`synthesize_op`] runs, in order: the checks every op shares (`enforce_signed_op`), the
//! reads (the request and neuron records before the op, the three list touches), the rule
//! of each kind under its kind bit (`by_kind`, one `enforce_<kind>` per kind, each the twin
//! of the state transition's `apply_<kind>`), and the writes every kind shares (the request
//! and neuron records after, the account, the two object touches and the counters).

mod by_kind;

use super::gadgets::{alloc_bits, alloc_flag, alloc_fr, alloc_num, range, select};
use super::kinds::Kinds;
use super::records::{two_pow, NeuronVar, RequestVar};
use super::rules::{phase, Phase};
use super::touch::{self, ListTouchVar};
use super::values::OpValues;
use crate::circuit::eddsa::{enforce_signature, SignatureVar};
use crate::circuit::merkle::PositionVar;
use crate::circuit::point::PointVar;
use crate::circuit::poseidon::poseidon_var;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;
use bitai_chain::poc::{PocKind, PocParams};
use bitai_chain::tx::FEE_BITS;
use by_kind::{
    enforce_amount_and_hash, enforce_assigned_seat, enforce_commit, enforce_deploy_model,
    enforce_register_neuron, enforce_request_inference, enforce_reveal, enforce_settle,
    enforce_unbond, enforce_withdraw, SettleVars,
};

/// The block-wide variables every op slot reads.
#[derive(Clone, Debug)]
pub struct BlockVars {
    /// The chain id halves.
    pub chain: [FpVar<Fr>; 2],
    /// The block number, range-checked to 64 bits.
    pub number: FpVar<Fr>,
    /// The state root before the block (the seed of every draw in it).
    pub prev_root: FpVar<Fr>,
}

/// The four parts of the state root as the slots pass them on, with the counters unpacked.
#[derive(Clone, Debug)]
pub struct PartsVar {
    /// Account root.
    pub accounts: FpVar<Fr>,
    /// Object root.
    pub objects: FpVar<Fr>,
    /// Active-list root.
    pub list: FpVar<Fr>,
    /// Active neurons.
    pub neurons: FpVar<Fr>,
    /// Models.
    pub models: FpVar<Fr>,
    /// Requests.
    pub requests: FpVar<Fr>,
}

impl PartsVar {
    /// The counters packed: `neurons | models << 32 | requests << 64`.
    pub fn counters(&self) -> FpVar<Fr> {
        &self.neurons + &self.models * two_pow(32) + &self.requests * two_pow(64)
    }
}

/// Synthesises one op slot on `parts`.
///
/// Every slot enforces the rule of every kind, each under its kind bit (a no-op slot has
/// none set). Each rule is paired by name with the state transition's (`signed` and `plan`
/// in `bitai_chain::stf::poc::rules`), which must check the same:
///
/// | circuit (here)                | state transition            |
/// |-------------------------------|-----------------------------|
/// | `enforce_signed_op`           | `check_signed_op`           |
/// | `enforce_register_neuron`     | `apply_register_neuron`     |
/// | `enforce_deploy_model`        | `apply_deploy_model`        |
/// | `enforce_request_inference`   | `apply_request_inference`   |
/// | `enforce_assigned_seat`       | `check_assigned_seat`       |
/// | `enforce_commit`              | `apply_commit`              |
/// | `enforce_reveal`              | `apply_reveal`              |
/// | `enforce_settle`              | `apply_settle`              |
/// | `enforce_unbond`              | `apply_unbond`              |
/// | `enforce_withdraw`            | `apply_withdraw`            |
///
/// `enforce_amount_and_hash` is the one constraint set deploy and request share (a positive
/// amount, 128-bit hash halves), which `apply_deploy_model` and `apply_request_inference`
/// each check in their own order.
pub fn synthesize_op(
    cs: &ConstraintSystemRef<Fr>,
    block: &BlockVars,
    parts: &mut PartsVar,
    values: &OpValues,
    depth: usize,
    params: &PocParams,
) -> Result<(), SynthesisError> {
    let op = enforce_signed_op(cs, block, values, depth)?;
    let reads = Reads::alloc(cs, block, values, params)?;
    let list = touch_list(cs, parts, &op.kinds, values)?;
    enforce_register_neuron(cs, &op, &reads, &list, parts, params)?;
    enforce_amount_and_hash(cs, &op)?;
    let model_new = enforce_deploy_model(&op)?;
    let model_read = enforce_request_inference(cs, block, &op, &reads, &list, parts, values)?;
    enforce_assigned_seat(&op, &reads)?;
    enforce_commit(&op, &reads)?;
    enforce_reveal(&op, &reads)?;
    let settle = enforce_settle(cs, &op, &reads, values, params)?;
    enforce_unbond(&op, &reads, &list, parts)?;
    enforce_withdraw(cs, block, &op, &reads)?;
    let leaves = record_leaves(cs, block, &op, &reads, &settle, params)?;
    write_account(cs, parts, &op, &reads, &settle, values)?;
    let models = ModelLeaves {
        created: model_new,
        read: model_read,
    };
    write_objects(cs, parts, &op, &reads, &leaves, &models, values, depth)?;
    count(cs, parts, &op.kinds)
}

/// The op's fields as the signed message packs them, range-checked.
struct OpVars {
    /// The kind bits.
    kinds: Kinds,
    /// The touched account (the signer, or a settlement's payee), as position bits.
    account_bits: Vec<Boolean<Fr>>,
    /// The touched account.
    account: FpVar<Fr>,
    /// Model id (request) or request id (commit, reveal, settle).
    target: FpVar<Fr>,
    /// The amount, as 64 bits.
    amount_bits: Vec<Boolean<Fr>>,
    /// Stake, model size or escrow.
    amount: FpVar<Fr>,
    /// The fee.
    fee: FpVar<Fr>,
    /// The account's nonce before (the signed one).
    nonce: FpVar<Fr>,
    /// The account's nonce after: one more when signed.
    nonce_after: FpVar<Fr>,
    /// The op's data field elements.
    data: [FpVar<Fr>; 2],
    /// The account's key.
    key: PointVar,
}

impl OpVars {
    /// The account as an active-list leaf (`account + 1`; 0 is an empty slot).
    fn list_leaf(&self) -> FpVar<Fr> {
        &self.account + Fr::from(1u64)
    }
}

/// The checks every op shares: the kind bits, the fields range-checked (the fee to
/// `FEE_BITS`, so at most `MAX_FEE`), the signed message rebuilt from them (the layout of
/// `PocTx::packed`) and its signature under the account's key when the op is signed. The
/// nonce is the account leaf's (see [`write_account`]).
fn enforce_signed_op(
    cs: &ConstraintSystemRef<Fr>,
    block: &BlockVars,
    values: &OpValues,
    depth: usize,
) -> Result<OpVars, SynthesisError> {
    let kinds = Kinds::new(cs, values.kind)?;
    let account_bits = alloc_bits(cs, values.account.into(), 2 * depth)?;
    let account = Boolean::le_bits_to_fp(&account_bits)?;
    let target = alloc_num(cs, values.target.into(), 32)?;
    let amount_bits = alloc_bits(cs, values.amount, 64)?;
    let amount = Boolean::le_bits_to_fp(&amount_bits)?;
    let fee = alloc_num(cs, values.fee, FEE_BITS as usize)?;
    let signed = values.kind.is_some_and(|kind| kind != PocKind::Settle);
    let nonce_after = alloc_num(cs, values.nonce.wrapping_add(u64::from(signed)), 64)?;
    let nonce = &nonce_after - &kinds.signed;
    let data = [alloc_fr(cs, values.data[0])?, alloc_fr(cs, values.data[1])?];
    let packed = &account
        + &target * two_pow(32)
        + &amount * two_pow(64)
        + &nonce * two_pow(128)
        + &fee * two_pow(192)
        + &kinds.tag * two_pow(240);
    let message = poseidon_var(&[
        block.chain[0].clone(),
        block.chain[1].clone(),
        packed,
        data[0].clone(),
        data[1].clone(),
    ])?;
    let key = PointVar::new_witness(cs.clone(), || Ok(values.key))?;
    let signature = SignatureVar::new_witness(cs.clone(), values.signature_r8, values.signature_s)?;
    enforce_signature(&key, &message, &signature, &kinds.signed_bool)?;
    Ok(OpVars {
        kinds,
        account_bits,
        account,
        target,
        amount_bits,
        amount,
        fee,
        nonce,
        nonce_after,
        data,
        key,
    })
}

/// The records an op reads, allocated in every slot whatever its kind.
struct Reads {
    /// The seat (commit, reveal) or part (settle): one-hot over seats 0 to 2 and part 3.
    seat: [FpVar<Fr>; 4],
    /// The request record before the op (or as created, for a request).
    request: RequestVar,
    /// The account of the selected seat.
    seat_account: FpVar<Fr>,
    /// Whether the selected seat has committed.
    committed: FpVar<Fr>,
    /// Whether the selected seat has revealed.
    revealed: FpVar<Fr>,
    /// Whether the selected part is settled.
    settled: FpVar<Fr>,
    /// Where the request stands at the block number.
    phase: Phase,
    /// The neuron record read (register: all zero).
    neuron: NeuronVar,
    /// Whether a settled seat still has its neuron record.
    neuron_exists: FpVar<Fr>,
}

impl Reads {
    /// Allocates the records of `values` and what the rules read from them.
    fn alloc(
        cs: &ConstraintSystemRef<Fr>,
        block: &BlockVars,
        values: &OpValues,
        params: &PocParams,
    ) -> Result<Self, SynthesisError> {
        let seat = [
            alloc_flag(cs, values.part == 0)?,
            alloc_flag(cs, values.part == 1)?,
            alloc_flag(cs, values.part == 2)?,
            alloc_flag(cs, values.part == 3)?,
        ];
        (&seat[0] + &seat[1] + &seat[2] + &seat[3]).enforce_equal(&FpVar::one())?;
        let request = RequestVar::new(cs, &values.request)?;
        let flags = &request.flags;
        let seat_account = pick(&seat, &request.assignees);
        let committed = pick(&seat, &flags[0..3]);
        let revealed = pick(&seat, &flags[3..6]);
        let settled = pick(&seat, &flags[6..9]) + &seat[3] * &flags[9];
        let phase = phase(cs, &request, &block.number, params)?;
        let neuron = NeuronVar::new(cs, &values.neuron)?;
        let neuron_exists = alloc_flag(cs, values.neuron_exists)?;
        Ok(Reads {
            seat,
            request,
            seat_account,
            committed,
            revealed,
            settled,
            phase,
            neuron,
            neuron_exists,
        })
    }
}

/// The value of `per_seat` (one per seat) at the seat `seat` selects (0 for part 3).
fn pick(seat: &[FpVar<Fr>; 4], per_seat: &[FpVar<Fr>]) -> FpVar<Fr> {
    &seat[0] * &per_seat[0] + &seat[1] * &per_seat[1] + &seat[2] * &per_seat[2]
}

/// The three active-list touches: register appends (touch 0), a request reads its three
/// seats (touches 0 to 2), unbond moves the last neuron into the leaver's slot (touches 0
/// and 1). The kinds' rules constrain their slots and leaves.
fn touch_list(
    cs: &ConstraintSystemRef<Fr>,
    parts: &mut PartsVar,
    kinds: &Kinds,
    values: &OpValues,
) -> Result<Vec<ListTouchVar>, SynthesisError> {
    let (register, request, unbond) = (&kinds.register, &kinds.request, &kinds.unbond);
    let actives = [
        register + request + unbond,
        request + unbond,
        request.clone(),
    ];
    let mut list = Vec::with_capacity(3);
    for (active, list_values) in actives.iter().zip(&values.list) {
        list.push(touch::list(cs, &mut parts.list, active, list_values)?);
    }
    Ok(list)
}

/// The leaves of the request and neuron records before and after the op.
struct RecordLeaves {
    request_before: FpVar<Fr>,
    request_after: FpVar<Fr>,
    neuron_before: FpVar<Fr>,
    neuron_after: FpVar<Fr>,
}

/// The request and neuron records after the op, as every kind changes them: the seat's
/// commitment (commit) or result (reveal) and the flag of the op (commit, reveal, settle);
/// the stake (register, slash), the unlock (unbond), the rewards and the slashed total
/// (settle).
fn record_leaves(
    cs: &ConstraintSystemRef<Fr>,
    block: &BlockVars,
    op: &OpVars,
    reads: &Reads,
    settle: &SettleVars,
    params: &PocParams,
) -> Result<RecordLeaves, SynthesisError> {
    let (kinds, seat, request) = (&op.kinds, &reads.seat, &reads.request);
    let weight = &seat[0] + &seat[1] * Fr::from(2u64) + &seat[2] * Fr::from(4u64);
    let settle_weight = &weight + &seat[3] * Fr::from(8u64);
    let flags_after = request.flags_word()
        + &kinds.commit * &weight
        + &kinds.reveal * &weight * Fr::from(8u64)
        + &kinds.settle * &settle_weight * Fr::from(64u64);
    let mut commits = request.commits.clone();
    let mut results = request.results.clone();
    for j in 0..3 {
        commits[j] = select(
            &(&kinds.commit * &seat[j]),
            &op.data[0],
            &request.commits[j],
        )?;
        results[j] = select(
            &(&kinds.reveal * &seat[j]),
            &op.data[0],
            &request.results[j],
        )?;
    }
    let request_before = request.leaf()?;
    let request_after = request.leaf_with(&flags_after, &commits, &results)?;

    let neuron = &reads.neuron;
    let number = &block.number;
    let neuron_after = NeuronVar {
        stake: &neuron.stake + &kinds.register * &op.amount - &settle.slash,
        unlock_at: &neuron.unlock_at
            + &kinds.unbond * (number + Fr::from(params.unbond_delay_blocks)),
        rewards: &neuron.rewards + &settle.reward,
        slashed: &neuron.slashed + &settle.slash,
    };
    range(cs, &neuron_after.rewards, 64)?;
    Ok(RecordLeaves {
        request_before,
        request_after,
        neuron_before: neuron.leaf()?,
        neuron_after: neuron_after.leaf()?,
    })
}

/// The account touch: the stored leaf holds the key and the signed nonce; the new leaf has
/// the nonce plus one when signed, and the balance `+ credit - debit` (credit: a withdrawal's
/// stake, a settlement's payout; debit: the fee, a registration's stake, a request's escrow),
/// both steps 64-bit, so overdrafts and overflows have no witness.
fn write_account(
    cs: &ConstraintSystemRef<Fr>,
    parts: &mut PartsVar,
    op: &OpVars,
    reads: &Reads,
    settle: &SettleVars,
    values: &OpValues,
) -> Result<(), SynthesisError> {
    let kinds = &op.kinds;
    let credit = &kinds.withdraw * &reads.neuron.stake + &kinds.settle * &settle.payout;
    let debit = (&kinds.register + &kinds.request) * &op.amount + &op.fee;
    let balance = alloc_fr(cs, Fr::from(values.balance))?;
    let credited = &balance + &credit;
    range(cs, &credited, 64)?;
    let balance_after = &credited - &debit;
    range(cs, &balance_after, 64)?;
    let leaf = |balance: &FpVar<Fr>, nonce: &FpVar<Fr>| {
        poseidon_var(&[
            op.key.x.clone(),
            op.key.y.clone(),
            balance.clone(),
            nonce.clone(),
        ])
    };
    let position = PositionVar::from_bits(&op.account_bits);
    let old_leaf = leaf(&balance, &op.nonce)?;
    let new_leaf = leaf(&balance_after, &op.nonce_after)?;
    touch::write(
        cs,
        &mut parts.accounts,
        &kinds.real,
        &position,
        &values.account_siblings,
        &old_leaf,
        &new_leaf,
    )
}

/// The model leaves of a slot: the one a deploy creates and the one a request reads.
struct ModelLeaves {
    created: FpVar<Fr>,
    read: FpVar<Fr>,
}

/// The two object touches. Touch 0: the neuron (register, unbond, withdraw), the new model
/// (deploy) or the request (the rest); touch 1: the model a request reads, or a settled
/// seat's neuron.
#[allow(clippy::too_many_arguments)] // The reads, leaves and model leaves of one slot.
fn write_objects(
    cs: &ConstraintSystemRef<Fr>,
    parts: &mut PartsVar,
    op: &OpVars,
    reads: &Reads,
    leaves: &RecordLeaves,
    models: &ModelLeaves,
    values: &OpValues,
    depth: usize,
) -> Result<(), SynthesisError> {
    let kinds = &op.kinds;
    let (register, request) = (&kinds.register, &kinds.request);
    let neuron_keyed = register + &kinds.unbond + &kinds.withdraw;
    let request_keyed = &kinds.commit + &kinds.reveal + &kinds.settle;
    let key0 = &neuron_keyed * &op.account
        + &kinds.deploy * &parts.models
        + request * &parts.requests
        + &request_keyed * &op.target;
    let before0 = &request_keyed * &leaves.request_before
        + (&kinds.unbond + &kinds.withdraw) * &leaves.neuron_before;
    let after0 = (register + &kinds.unbond) * &leaves.neuron_after
        + &kinds.deploy * &models.created
        + (request + &request_keyed) * &leaves.request_after;
    let region0 = [kinds.deploy.clone(), request + &request_keyed];
    let objects = &mut parts.objects;
    touch::object(
        cs,
        objects,
        &kinds.real,
        &key0,
        region0,
        &before0,
        &after0,
        &values.objects[0],
        depth,
    )?;
    let seat = &reads.seat;
    let neuron_exists = &reads.neuron_exists;
    let active1 = request + &kinds.settle * (FpVar::one() - &seat[3]);
    let key1 = request * &op.target + &kinds.settle * &reads.seat_account;
    let before1 = request * &models.read + &kinds.settle * (neuron_exists * &leaves.neuron_before);
    let after1 = request * &models.read + &kinds.settle * (neuron_exists * &leaves.neuron_after);
    let region1 = [request.clone(), FpVar::zero()];
    touch::object(
        cs,
        objects,
        &active1,
        &key1,
        region1,
        &before1,
        &after1,
        &values.objects[1],
        depth,
    )
}

/// The counters after the op: register adds a neuron and unbond removes one, deploy and
/// request take the next id.
fn count(
    cs: &ConstraintSystemRef<Fr>,
    parts: &mut PartsVar,
    kinds: &Kinds,
) -> Result<(), SynthesisError> {
    parts.neurons = &parts.neurons + &kinds.register - &kinds.unbond;
    parts.models = &parts.models + &kinds.deploy;
    parts.requests = &parts.requests + &kinds.request;
    range(cs, &parts.models, 32)?;
    range(cs, &parts.requests, 32)
}
