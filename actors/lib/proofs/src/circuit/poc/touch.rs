//! The tree touches of an op slot: the account (old leaf under the account root, new leaf
//! gives the next root), the two object-tree positions and the three active-list slots.
//! An inactive touch (a kind that does not use it, or a no-op) leaves its root unchanged and
//! checks nothing but the bit decompositions, which the filler values satisfy.

use super::gadgets::{alloc_bits, alloc_fr, eq_if, select};
use super::values::{ListSlotValues, ObjectSlotValues, Siblings};
use crate::circuit::merkle::PositionVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;
use bitai_chain::poc::NEURON_LIST_DEPTH;
use bitai_chain::smt::ARITY;

/// Allocates a path's sibling triples.
pub fn alloc_siblings(
    cs: &ConstraintSystemRef<Fr>,
    siblings: &Siblings,
) -> Result<Vec<[FpVar<Fr>; ARITY - 1]>, SynthesisError> {
    siblings
        .iter()
        .map(|t| {
            Ok([
                alloc_fr(cs, t[0])?,
                alloc_fr(cs, t[1])?,
                alloc_fr(cs, t[2])?,
            ])
        })
        .collect()
}

/// Replaces `before` by `after` at `pos` under `root` when `active`: the old leaf must lie
/// under `root`, and `root` becomes the root with the new leaf.
pub fn write(
    cs: &ConstraintSystemRef<Fr>,
    root: &mut FpVar<Fr>,
    active: &FpVar<Fr>,
    pos: &PositionVar,
    siblings: &Siblings,
    before: &FpVar<Fr>,
    after: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    let siblings = alloc_siblings(cs, siblings)?;
    eq_if(active, &pos.root(before, &siblings)?, root)?;
    let new = pos.root(after, &siblings)?;
    *root = select(active, &new, root)?;
    Ok(())
}

/// An object-tree touch at `region * 4^depth + key`: `key` must fit `2 * depth` bits (its
/// bits are the position's low bits), `region` gives the top two.
#[allow(clippy::too_many_arguments)] // A touch is exactly these; a struct would only rename them.
pub fn object(
    cs: &ConstraintSystemRef<Fr>,
    root: &mut FpVar<Fr>,
    active: &FpVar<Fr>,
    key: &FpVar<Fr>,
    region: [FpVar<Fr>; 2],
    before: &FpVar<Fr>,
    after: &FpVar<Fr>,
    v: &ObjectSlotValues,
    depth: usize,
) -> Result<(), SynthesisError> {
    let mask = (1u64 << (2 * depth)) - 1;
    let key_bits = alloc_bits(cs, v.index & mask, 2 * depth)?;
    Boolean::le_bits_to_fp(&key_bits)?.enforce_equal(key)?;
    let mut bits: Vec<FpVar<Fr>> = key_bits.into_iter().map(FpVar::from).collect();
    bits.extend(region);
    let pos = PositionVar::from_fp_bits(&bits)?;
    write(cs, root, active, &pos, &v.siblings, before, after)
}

/// An active-list touch, returning its slot, leaf before and leaf after for the rules.
pub struct ListTouchVar {
    /// The slot (10 bits).
    pub slot: FpVar<Fr>,
    /// `account + 1` there before, or 0.
    pub before: FpVar<Fr>,
    /// `account + 1` there after, or 0.
    pub after: FpVar<Fr>,
}

/// A list touch.
pub fn list(
    cs: &ConstraintSystemRef<Fr>,
    root: &mut FpVar<Fr>,
    active: &FpVar<Fr>,
    v: &ListSlotValues,
) -> Result<ListTouchVar, SynthesisError> {
    let slot_bits = alloc_bits(cs, v.slot, 2 * NEURON_LIST_DEPTH)?;
    let slot = Boolean::le_bits_to_fp(&slot_bits)?;
    let before = alloc_fr(cs, Fr::from(v.before))?;
    let after = alloc_fr(cs, Fr::from(v.after))?;
    let pos = PositionVar::from_bits(&slot_bits);
    write(cs, root, active, &pos, &v.siblings, &before, &after)?;
    Ok(ListTouchVar {
        slot,
        before,
        after,
    })
}
