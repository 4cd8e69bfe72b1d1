//! One op slot: the signed message and signature, the request, neuron and model rules, and
//! the account, object and list touches, for whichever of the eight kinds the slot holds.
//! Every kind goes through the same gadgets; the kind bits select which values are written
//! and which rules are enforced.

use super::gadgets::{
    alloc_bits, alloc_flag, alloc_fr, alloc_num, eq_if, gt, nonzero_if, range, range_if, select,
};
use super::kinds::Kinds;
use super::records::{two_pow, NeuronVar, RequestVar};
use super::rules::{phase, settlement};
use super::touch;
use super::values::OpValues;
use crate::circuit::eddsa::{enforce_signature, SignatureVar};
use crate::circuit::merkle::PositionVar;
use crate::circuit::point::PointVar;
use crate::circuit::poseidon::poseidon_var;
use ark_ff::PrimeField;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::R1CSVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;
use bitai_chain::poc::records::TAG_MODEL;
use bitai_chain::poc::{PocKind, PocParams, NEURON_LIST_DEPTH};
use bitai_chain::tx::FEE_BITS;

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

fn value_u64(x: &FpVar<Fr>) -> u64 {
    x.value().map(|v| v.into_bigint().0[0]).unwrap_or(0)
}

/// Synthesises one op slot on `parts`.
pub fn synthesize_op(
    cs: &ConstraintSystemRef<Fr>,
    block: &BlockVars,
    parts: &mut PartsVar,
    v: &OpValues,
    depth: usize,
    params: &PocParams,
) -> Result<(), SynthesisError> {
    let zero = FpVar::zero();
    let one = FpVar::one();
    let k = Kinds::new(cs, v.kind)?;
    let (reg, rq) = (&k.register, &k.request);
    // The seat (commit, reveal) or part (settle), one-hot over four.
    let e = [
        alloc_flag(cs, v.part == 0)?,
        alloc_flag(cs, v.part == 1)?,
        alloc_flag(cs, v.part == 2)?,
        alloc_flag(cs, v.part == 3)?,
    ];
    (&e[0] + &e[1] + &e[2] + &e[3]).enforce_equal(&one)?;
    eq_if(&(&k.commit + &k.reveal), &e[3], &zero)?;

    // The op's fields and its signed message (the layout of `PocTx::packed`).
    let account_bits = alloc_bits(cs, v.account.into(), 2 * depth)?;
    let account = Boolean::le_bits_to_fp(&account_bits)?;
    let target = alloc_num(cs, v.target.into(), 32)?;
    let amount_bits = alloc_bits(cs, v.amount, 64)?;
    let amount = Boolean::le_bits_to_fp(&amount_bits)?;
    let fee = alloc_num(cs, v.fee, FEE_BITS as usize)?;
    let signed = v.kind.is_some_and(|k| k != PocKind::Settle);
    let nonce_after = alloc_num(cs, v.nonce.wrapping_add(u64::from(signed)), 64)?;
    let nonce = &nonce_after - &k.signed;
    let data = [alloc_fr(cs, v.data[0])?, alloc_fr(cs, v.data[1])?];
    let packed = &account
        + &target * two_pow(32)
        + &amount * two_pow(64)
        + &nonce * two_pow(128)
        + &fee * two_pow(192)
        + &k.tag * two_pow(240);
    let msg = poseidon_var(&[
        block.chain[0].clone(),
        block.chain[1].clone(),
        packed,
        data[0].clone(),
        data[1].clone(),
    ])?;
    let key = PointVar::new_witness(cs.clone(), || Ok(v.key))?;
    let signature = SignatureVar::new_witness(cs.clone(), v.signature_r8, v.signature_s)?;
    enforce_signature(&key, &msg, &signature, &k.signed_bool)?;
    eq_if(&k.settle, &fee, &zero)?;

    let b = &block.number;
    let n = parts.neurons.clone();
    let r = RequestVar::new(cs, &v.request)?;
    let f = &r.flags;
    let pick = |xs: &[FpVar<Fr>]| &e[0] * &xs[0] + &e[1] * &xs[1] + &e[2] * &xs[2];
    let seat_account = pick(&r.assignees);
    let committed = pick(&f[0..3]);
    let revealed = pick(&f[3..6]);
    let settled = pick(&f[6..9]) + &e[3] * &f[9];

    // Commit, reveal and settle rules on the request before the op.
    let ph = phase(cs, &r, b, params)?;
    eq_if(&(&k.commit + &k.reveal), &account, &seat_account)?;
    eq_if(&k.commit, &committed, &zero)?;
    eq_if(&k.commit, &ph.commit_closed, &zero)?;
    eq_if(&k.reveal, &committed, &one)?;
    eq_if(&k.reveal, &revealed, &zero)?;
    eq_if(&k.reveal, &ph.reveals_open, &one)?;
    let opened = poseidon_var(&[data[0].clone(), data[1].clone(), account.clone()])?;
    eq_if(&k.reveal, &opened, &pick(&r.commits))?;
    eq_if(&k.settle, &settled, &zero)?;
    eq_if(&k.settle, &ph.settle_due, &one)?;
    let s = settlement(cs, &r, &e, v.share, v.remainder)?;
    eq_if(&k.settle, &account, &(&e[3] * &r.requester + &seat_account))?;

    // The request after: the seat's commitment or result, and the flag of the op.
    let weight = &e[0] + &e[1] * Fr::from(2u64) + &e[2] * Fr::from(4u64);
    let settle_weight = &weight + &e[3] * Fr::from(8u64);
    let flags_after = r.flags_word()
        + &k.commit * &weight
        + &k.reveal * &weight * Fr::from(8u64)
        + &k.settle * &settle_weight * Fr::from(64u64);
    let mut commits = r.commits.clone();
    let mut results = r.results.clone();
    for j in 0..3 {
        commits[j] = select(&(&k.commit * &e[j]), &data[0], &r.commits[j])?;
        results[j] = select(&(&k.reveal * &e[j]), &data[0], &r.results[j])?;
    }
    let request_before = r.leaf()?;
    let request_after = r.leaf_with(&flags_after, &commits, &results)?;

    // A new request is made from the op and drawn from the active list.
    eq_if(rq, &r.requester, &account)?;
    eq_if(rq, &r.model, &target)?;
    eq_if(rq, &r.flags_word(), &zero)?;
    eq_if(rq, &r.input[0], &data[0])?;
    eq_if(rq, &r.input[1], &data[1])?;
    eq_if(rq, &r.escrow, &amount)?;
    eq_if(rq, &r.created, b)?;
    for j in 0..3 {
        eq_if(rq, &r.commits[j], &zero)?;
        eq_if(rq, &r.results[j], &zero)?;
    }
    let seed = poseidon_var(&[block.prev_root.clone(), parts.requests.clone()])?;
    let low64 = Boolean::le_bits_to_fp(&seed.to_bits_le()?[..64])?;
    let quotient = alloc_num(cs, v.draw_quotient, 64)?;
    let start = alloc_num(cs, v.draw_start, 2 * NEURON_LIST_DEPTH)?;
    eq_if(rq, &(&quotient * &n + &start), &low64)?;
    range_if(
        cs,
        rq,
        &(&n - Fr::from(1u64) - &start),
        2 * NEURON_LIST_DEPTH,
    )?;
    range_if(cs, rq, &(&n - Fr::from(3u64)), 2 * NEURON_LIST_DEPTH + 1)?;

    // Models and hashes: a size or escrow above 0, a size below 2^32, hash halves below
    // 2^128; a request names a model that exists.
    let hashing = &k.deploy + rq;
    nonzero_if(cs, &hashing, &amount)?;
    eq_if(
        &k.deploy,
        &Boolean::le_bits_to_fp(&amount_bits[32..])?,
        &zero,
    )?;
    range_if(cs, &hashing, &data[0], 128)?;
    range_if(cs, &hashing, &data[1], 128)?;
    let model_new = poseidon_var(&[
        FpVar::Constant(Fr::from(TAG_MODEL)),
        data[0].clone(),
        data[1].clone(),
        &amount + &account * two_pow(32),
    ])?;
    let model_read = alloc_fr(cs, v.model_leaf)?;
    nonzero_if(cs, rq, &model_read)?;

    // Neurons: registration, unbonding, withdrawal, and a settled seat's reward or slash.
    range_if(cs, reg, &(&amount - Fr::from(params.min_stake)), 64)?;
    let nr = NeuronVar::new(cs, &v.neuron)?;
    let neuron_exists = alloc_flag(cs, v.neuron_exists)?;
    for x in [&nr.stake, &nr.unlock_at, &nr.rewards, &nr.slashed] {
        eq_if(reg, x, &zero)?;
    }
    eq_if(&k.unbond, &nr.unlock_at, &zero)?;
    nonzero_if(cs, &k.withdraw, &nr.unlock_at)?;
    range_if(cs, &k.withdraw, &(b - &nr.unlock_at), 64)?;
    let slash_amount = FpVar::Constant(Fr::from(params.slash_amount));
    let cut = select(&gt(cs, &nr.stake, &slash_amount)?, &slash_amount, &nr.stake)?;
    let slash = &k.settle * &s.slashed_sel * &cut;
    let reward = &k.settle * &s.agree_sel * &s.share;
    let na = NeuronVar {
        stake: &nr.stake + reg * &amount - &slash,
        unlock_at: &nr.unlock_at + &k.unbond * (b + Fr::from(params.unbond_delay_blocks)),
        rewards: &nr.rewards + &reward,
        slashed: &nr.slashed + &slash,
    };
    range(cs, &na.rewards, 64)?;
    let neuron_before = nr.leaf()?;
    let neuron_after = na.leaf()?;

    // The account: nonce + 1 when signed; balance + credit - debit, both steps 64-bit.
    let credit = &k.withdraw * &nr.stake + &k.settle * &s.payout;
    let debit = (reg + rq) * &amount + &fee;
    let balance = alloc_fr(cs, Fr::from(v.balance))?;
    let credited = &balance + &credit;
    range(cs, &credited, 64)?;
    let balance_after = &credited - &debit;
    range(cs, &balance_after, 64)?;
    let leaf = |balance: &FpVar<Fr>, nonce: &FpVar<Fr>| {
        poseidon_var(&[key.x.clone(), key.y.clone(), balance.clone(), nonce.clone()])
    };
    let pos = PositionVar::from_bits(&account_bits);
    let (old_leaf, new_leaf) = (leaf(&balance, &nonce)?, leaf(&balance_after, &nonce_after)?);
    touch::write(
        cs,
        &mut parts.accounts,
        &k.real,
        &pos,
        &v.account_siblings,
        &old_leaf,
        &new_leaf,
    )?;

    // Object touch 0: the neuron (register, unbond, withdraw), the new model (deploy) or
    // the request (the rest); touch 1: the model a request reads, or a settled seat's neuron.
    let neuron_keyed = reg + &k.unbond + &k.withdraw;
    let request_keyed = &k.commit + &k.reveal + &k.settle;
    let key0 = &neuron_keyed * &account
        + &k.deploy * &parts.models
        + rq * &parts.requests
        + &request_keyed * &target;
    let before0 = &request_keyed * &request_before + (&k.unbond + &k.withdraw) * &neuron_before;
    let after0 = (reg + &k.unbond) * &neuron_after
        + &k.deploy * &model_new
        + (rq + &request_keyed) * &request_after;
    let region0 = [k.deploy.clone(), rq + &request_keyed];
    let objects = &mut parts.objects;
    touch::object(
        cs,
        objects,
        &k.real,
        &key0,
        region0,
        &before0,
        &after0,
        &v.objects[0],
        depth,
    )?;
    let active1 = rq + &k.settle * (&one - &e[3]);
    let key1 = rq * &target + &k.settle * &seat_account;
    let before1 = rq * &model_read + &k.settle * (&neuron_exists * &neuron_before);
    let after1 = rq * &model_read + &k.settle * (&neuron_exists * &neuron_after);
    let region1 = [rq.clone(), zero.clone()];
    touch::object(
        cs,
        objects,
        &active1,
        &key1,
        region1,
        &before1,
        &after1,
        &v.objects[1],
        depth,
    )?;

    // List touches: register appends at slot n; a request reads its three seats
    // `(start + j) mod n`; unbond moves the last neuron into the leaver's slot.
    let ub = &k.unbond;
    let actives = [reg + rq + ub, rq + ub, rq.clone()];
    let mut l = Vec::with_capacity(3);
    for (a, lv) in actives.iter().zip(&v.list) {
        l.push(touch::list(cs, &mut parts.list, a, lv)?);
    }
    let account_leaf = &account + Fr::from(1u64);
    eq_if(reg, &l[0].slot, &n)?;
    eq_if(reg, &l[0].before, &zero)?;
    eq_if(reg, &l[0].after, &account_leaf)?;
    let n_value = value_u64(&n);
    for (j, t) in l.iter().enumerate() {
        eq_if(rq, &t.before, &t.after)?;
        eq_if(rq, &(&r.assignees[j] + Fr::from(1u64)), &t.before)?;
        let wraps = alloc_flag(cs, v.draw_start + j as u64 >= n_value)?;
        eq_if(rq, &t.slot, &(&start + Fr::from(j as u64) - &wraps * &n))?;
        range_if(
            cs,
            rq,
            &(&n - Fr::from(1u64) - &t.slot),
            2 * NEURON_LIST_DEPTH,
        )?;
    }
    eq_if(ub, &l[0].before, &account_leaf)?;
    eq_if(ub, &l[0].after, &l[1].before)?;
    eq_if(ub, &l[1].slot, &(&n - Fr::from(1u64)))?;
    eq_if(ub, &l[1].after, &zero)?;

    // The counters.
    parts.neurons = &n + reg - ub;
    parts.models = &parts.models + &k.deploy;
    parts.requests = &parts.requests + rq;
    range(cs, &parts.models, 32)?;
    range(cs, &parts.requests, 32)
}
