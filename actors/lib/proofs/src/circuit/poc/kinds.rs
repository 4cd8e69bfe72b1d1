//! The kind of the op in a slot as eight one-hot bits, and the conditions derived from them.

use super::gadgets::alloc_flag;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;
use bitai_chain::poc::PocKind;

/// One 0/1 variable per kind (at most one set), and what follows from them.
#[derive(Clone, Debug)]
pub struct Kinds {
    /// Register a neuron.
    pub register: FpVar<Fr>,
    /// Deploy a model.
    pub deploy: FpVar<Fr>,
    /// Request an inference.
    pub request: FpVar<Fr>,
    /// Commit.
    pub commit: FpVar<Fr>,
    /// Reveal.
    pub reveal: FpVar<Fr>,
    /// Settle a part.
    pub settle: FpVar<Fr>,
    /// Unbond.
    pub unbond: FpVar<Fr>,
    /// Withdraw.
    pub withdraw: FpVar<Fr>,
    /// An op (not a no-op): the sum of the kind bits.
    pub real: FpVar<Fr>,
    /// A signed op: `real - settle`.
    pub signed: FpVar<Fr>,
    /// `signed` as a boolean (for the signature gadget).
    pub signed_bool: Boolean<Fr>,
    /// The kind tag of the signed message: `sum(tag_k * bit_k)`.
    pub tag: FpVar<Fr>,
}

impl Kinds {
    /// Allocates the bits of `kind` (all zero for a no-op).
    pub fn new(
        cs: &ConstraintSystemRef<Fr>,
        kind: Option<PocKind>,
    ) -> Result<Self, SynthesisError> {
        let bits = PocKind::ALL
            .iter()
            .map(|k| alloc_flag(cs, kind == Some(*k)))
            .collect::<Result<Vec<_>, _>>()?;
        let real = bits.iter().fold(FpVar::zero(), |acc, b| acc + b);
        // At most one bit: the sum is itself 0 or 1.
        (&real * (&real - Fr::from(1u64))).enforce_equal(&FpVar::zero())?;
        let tag = PocKind::ALL
            .iter()
            .zip(&bits)
            .fold(FpVar::zero(), |acc, (k, b)| acc + b * Fr::from(*k as u64));
        let settle = bits[5].clone();
        let signed = &real - &settle;
        let signed_bool =
            Boolean::new_witness(
                cs.clone(),
                || Ok(kind.is_some_and(|k| k != PocKind::Settle)),
            )?;
        FpVar::from(signed_bool.clone()).enforce_equal(&signed)?;
        Ok(Kinds {
            register: bits[0].clone(),
            deploy: bits[1].clone(),
            request: bits[2].clone(),
            commit: bits[3].clone(),
            reveal: bits[4].clone(),
            settle,
            unbond: bits[6].clone(),
            withdraw: bits[7].clone(),
            real,
            signed,
            signed_bool,
            tag,
        })
    }
}
