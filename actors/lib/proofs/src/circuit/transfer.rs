//! One transaction slot of the block circuit: a transfer when `is_real`, a no-op (the root
//! passes through unchanged) otherwise. The slot re-checks every rule of
//! [`bitai_chain::stf::State::apply_transfer`]:
//!
//! - amounts, balances and nonces are 64-bit and the fee 48-bit: the sender's new balance,
//!   the recipient's new balance and the sender's new nonce are allocated as 64 bits each, the
//!   fee as 48, and the old values are derived from them (`old = new + amount + fee` for the
//!   sender, `new - amount` for the recipient, `new - 1` for the nonce), so an overdraft (also
//!   one by the fee alone), an overflow or an exhausted nonce has no witness;
//! - the fee is burned: it leaves the sender and reaches nobody;
//! - the sender's old leaf `Poseidon(A, balance, nonce)` lies under the previous root (so the
//!   nonce is the stored one: a reused nonce does not hash to the stored leaf), and the signed
//!   message uses that same nonce and the same fee that is debited;
//! - the signature verifies under the stored key `A`;
//! - the recipient's key is `8 * P'` for a `P'` on the curve, hence in the prime-order
//!   subgroup, with x != 0 (not the identity); its old leaf is either empty (0, with zero
//!   balance and nonce) or `Poseidon(key, balance, nonce)` under the intermediate root.
//!
//! Every unconditional check is satisfied by the no-op filler values ([`SlotValues::noop`]),
//! and every rule is enforced under `is_real`, so the circuit's shape never depends on data.

use super::eddsa::{enforce_signature, SignatureVar};
use super::merkle::PositionVar;
use super::point::PointVar;
use crate::circuit::poseidon::poseidon_var;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::babyjubjub::{base8, mul_bigint, Point, Scalar};
use bitai_chain::field::Fr;
use bitai_chain::smt::ARITY;
use bitai_chain::stf::TransferWitness;
use bitai_chain::tx::{FEE_BITS, KIND_TRANSFER};

/// Every value one slot's witness needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotValues {
    /// A transfer (true) or a no-op (false).
    pub is_real: bool,
    /// Sender index.
    pub from: u32,
    /// Recipient index.
    pub to: u32,
    /// Amount.
    pub amount: u64,
    /// Fee (burned), below 2^48.
    pub fee: u64,
    /// The sender's nonce after the transfer (the signed nonce plus one).
    pub new_nonce: u64,
    /// The sender's key.
    pub sender_key: Point,
    /// The sender's balance after the transfer.
    pub sender_new_balance: u64,
    /// The sender's siblings in the root before.
    pub sender_siblings: Vec<[Fr; ARITY - 1]>,
    /// The recipient's key.
    pub recipient_key: Point,
    /// Whether the recipient's slot was empty.
    pub recipient_empty: bool,
    /// The recipient's balance after the transfer.
    pub recipient_new_balance: u64,
    /// The recipient's nonce (unchanged).
    pub recipient_nonce: u64,
    /// The recipient's siblings in the intermediate root.
    pub recipient_siblings: Vec<[Fr; ARITY - 1]>,
    /// The signature's `R8`.
    pub signature_r8: Point,
    /// The signature's `S`, as an integer.
    pub signature_s: ark_ff::BigInt<4>,
}

impl SlotValues {
    /// The filler of an unused slot for a tree of `depth` levels.
    pub fn noop(depth: usize) -> Self {
        SlotValues {
            is_real: false,
            from: 0,
            to: 0,
            amount: 0,
            fee: 0,
            new_nonce: 1,
            sender_key: base8(),
            sender_new_balance: 0,
            sender_siblings: vec![[Fr::ZERO; ARITY - 1]; depth],
            recipient_key: base8(),
            recipient_empty: true,
            recipient_new_balance: 0,
            recipient_nonce: 0,
            recipient_siblings: vec![[Fr::ZERO; ARITY - 1]; depth],
            signature_r8: base8(),
            signature_s: ark_ff::BigInt::zero(),
        }
    }

    /// The values of an executed transfer.
    pub fn from_witness(w: &TransferWitness) -> Self {
        let t = &w.tx.transfer;
        let recipient_new_balance = w.recipient.map_or(0, |r| r.balance) + t.amount;
        SlotValues {
            is_real: true,
            from: t.from,
            to: t.to,
            amount: t.amount,
            fee: t.fee,
            new_nonce: w.sender.nonce + 1,
            sender_key: w.sender.public_key,
            sender_new_balance: w.sender.balance - t.amount - t.fee,
            sender_siblings: w.sender_proof.siblings.clone(),
            recipient_key: t.to_public_key,
            recipient_empty: w.recipient.is_none(),
            recipient_new_balance,
            recipient_nonce: w.recipient.map_or(0, |r| r.nonce),
            recipient_siblings: w.recipient_proof.siblings.clone(),
            signature_r8: w.tx.signature.r8,
            signature_s: w.tx.signature.s.into_bigint(),
        }
    }
}

/// `value` as `n` little-endian witness bits.
fn alloc_bits(
    cs: &ConstraintSystemRef<Fr>,
    value: u64,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    (0..n)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok(i < 64 && (value >> i) & 1 == 1)))
        .collect()
}

fn alloc_siblings(
    cs: &ConstraintSystemRef<Fr>,
    siblings: &[[Fr; ARITY - 1]],
) -> Result<Vec<[FpVar<Fr>; ARITY - 1]>, SynthesisError> {
    siblings
        .iter()
        .map(|triple| {
            Ok([
                FpVar::new_witness(cs.clone(), || Ok(triple[0]))?,
                FpVar::new_witness(cs.clone(), || Ok(triple[1]))?,
                FpVar::new_witness(cs.clone(), || Ok(triple[2]))?,
            ])
        })
        .collect()
}

/// Synthesises one slot on `root_in` and returns the root after it.
pub fn synthesize_slot(
    cs: &ConstraintSystemRef<Fr>,
    chain: &[FpVar<Fr>; 2],
    root_in: &FpVar<Fr>,
    v: &SlotValues,
    depth: usize,
) -> Result<FpVar<Fr>, SynthesisError> {
    let is_real = Boolean::new_witness(cs.clone(), || Ok(v.is_real))?;
    let from_bits = alloc_bits(cs, v.from.into(), 2 * depth)?;
    let to_bits = alloc_bits(cs, v.to.into(), 2 * depth)?;
    let amount_bits = alloc_bits(cs, v.amount, 64)?;
    let fee_bits = alloc_bits(cs, v.fee, FEE_BITS as usize)?;
    let new_nonce_bits = alloc_bits(cs, v.new_nonce, 64)?;
    let sender_new_balance_bits = alloc_bits(cs, v.sender_new_balance, 64)?;
    let recipient_new_balance_bits = alloc_bits(cs, v.recipient_new_balance, 64)?;
    let from = Boolean::le_bits_to_fp(&from_bits)?;
    let to = Boolean::le_bits_to_fp(&to_bits)?;
    let amount = Boolean::le_bits_to_fp(&amount_bits)?;
    let fee = Boolean::le_bits_to_fp(&fee_bits)?;
    let new_nonce = Boolean::le_bits_to_fp(&new_nonce_bits)?;
    let nonce = &new_nonce - Fr::ONE;
    let two_32 = Fr::from(1u64 << 32);
    let two_64 = two_32.square();
    let two_128 = two_64.square();
    let two_192 = two_128 * two_64;
    let two_240 = two_192 * Fr::from(1u64 << FEE_BITS);
    let packed = &from
        + &to * two_32
        + &amount * two_64
        + &nonce * two_128
        + &fee * two_192
        + FpVar::Constant(Fr::from(KIND_TRANSFER) * two_240);

    // The recipient's key: 8 * P' with P' on the curve, and not the identity.
    let inv8 = Scalar::from(8u64).inverse().expect("8 is invertible mod l");
    let key_root = mul_bigint(&v.recipient_key, &inv8.into_bigint().0);
    let p_prime = PointVar::new_witness(cs.clone(), || Ok(key_root))?;
    p_prime.enforce_on_curve()?;
    let to_key = p_prime.double()?.double()?.double()?;
    let x_inv = FpVar::new_witness(cs.clone(), || {
        v.recipient_key
            .x
            .inverse()
            .ok_or(SynthesisError::DivisionByZero)
    })?;
    to_key.x.mul_equals(&x_inv, &FpVar::one())?;

    let msg = poseidon_var(&[
        chain[0].clone(),
        chain[1].clone(),
        packed,
        to_key.x.clone(),
        to_key.y.clone(),
    ])?;

    // The sender: old leaf under root_in, new leaf gives the intermediate root.
    let sender_key = PointVar::new_witness(cs.clone(), || Ok(v.sender_key))?;
    let sender_new_balance = Boolean::le_bits_to_fp(&sender_new_balance_bits)?;
    let sender_old_balance = &sender_new_balance + &amount + &fee;
    let sender_old_leaf = poseidon_var(&[
        sender_key.x.clone(),
        sender_key.y.clone(),
        sender_old_balance,
        nonce,
    ])?;
    let sender_new_leaf = poseidon_var(&[
        sender_key.x.clone(),
        sender_key.y.clone(),
        sender_new_balance,
        new_nonce,
    ])?;
    let sender_pos = PositionVar::from_bits(&from_bits);
    let sender_siblings = alloc_siblings(cs, &v.sender_siblings)?;
    sender_pos
        .root(&sender_old_leaf, &sender_siblings)?
        .conditional_enforce_equal(root_in, &is_real)?;
    let root_mid = sender_pos.root(&sender_new_leaf, &sender_siblings)?;

    let signature = SignatureVar::new_witness(cs.clone(), v.signature_r8, v.signature_s)?;
    enforce_signature(&sender_key, &msg, &signature, &is_real)?;

    // The recipient: empty or holding the same key, under the intermediate root.
    let recipient_new_balance = Boolean::le_bits_to_fp(&recipient_new_balance_bits)?;
    let recipient_old_balance = &recipient_new_balance - &amount;
    let recipient_nonce = FpVar::new_witness(cs.clone(), || Ok(Fr::from(v.recipient_nonce)))?;
    let recipient_empty = Boolean::new_witness(cs.clone(), || Ok(v.recipient_empty))?;
    recipient_old_balance.conditional_enforce_equal(&FpVar::zero(), &recipient_empty)?;
    recipient_nonce.conditional_enforce_equal(&FpVar::zero(), &recipient_empty)?;
    let recipient_old_hash = poseidon_var(&[
        to_key.x.clone(),
        to_key.y.clone(),
        recipient_old_balance,
        recipient_nonce.clone(),
    ])?;
    let recipient_old_leaf =
        FpVar::conditionally_select(&recipient_empty, &FpVar::zero(), &recipient_old_hash)?;
    let recipient_new_leaf = poseidon_var(&[
        to_key.x.clone(),
        to_key.y.clone(),
        recipient_new_balance,
        recipient_nonce,
    ])?;
    let recipient_pos = PositionVar::from_bits(&to_bits);
    let recipient_siblings = alloc_siblings(cs, &v.recipient_siblings)?;
    recipient_pos
        .root(&recipient_old_leaf, &recipient_siblings)?
        .conditional_enforce_equal(&root_mid, &is_real)?;
    let root_out = recipient_pos.root(&recipient_new_leaf, &recipient_siblings)?;

    FpVar::conditionally_select(&is_real, &root_out, root_in)
}
