//! EdDSA-Poseidon verification in the circuit: `S * Base8 == R8 + (8 * hm) * A` with
//! `hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)`.
//!
//! `S` enters as 251 bits constrained to be at most `l - 1`, so the malleated `S + l` has no
//! witness; `R8` is checked on the curve (the equation then forces it into the subgroup, as
//! every other term is); `hm` is decomposed canonically (below p), so the scalar is the
//! integer the native verifier uses. About 5,100 constraints, most of them in `hm * 8A`.

use super::point::PointVar;
use crate::circuit::poseidon::poseidon_var;
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::babyjubjub::{base8, Point, Scalar};
use bitai_chain::field::Fr;

/// Bits of the signature scalar (l < 2^251).
pub const SCALAR_BITS: usize = 251;

/// A signature in the circuit.
#[derive(Clone, Debug)]
pub struct SignatureVar {
    /// `R8`, checked on the curve.
    pub r8: PointVar,
    /// `S`, little-endian, at most `l - 1`.
    pub s_bits: Vec<Boolean<Fr>>,
}

impl SignatureVar {
    /// Allocates `sig` as a witness with its range and curve checks.
    /// `s` is taken as a raw integer so that tests can offer a malleated `S + l`; bits above
    /// [`SCALAR_BITS`] are dropped (such an `S` has no witness anyway).
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        r8: Point,
        s: ark_ff::BigInt<4>,
    ) -> Result<Self, SynthesisError> {
        let r8 = PointVar::new_witness(cs.clone(), || Ok(r8))?;
        r8.enforce_on_curve()?;
        let s_native = s.to_bits_le();
        let s_bits = (0..SCALAR_BITS)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(s_native[i])))
            .collect::<Result<Vec<_>, _>>()?;
        let mut l_minus_one = Scalar::MODULUS;
        l_minus_one.sub_with_borrow(&ark_ff::BigInt::from(1u64));
        Boolean::enforce_smaller_or_equal_than_le(&s_bits, l_minus_one)?;
        Ok(SignatureVar { r8, s_bits })
    }
}

/// Enforces, when `enabled`, that `sig` is a valid signature of `msg` under the key `a`.
/// The key must be on the curve (it comes from the account tree, where only such keys are).
pub fn enforce_signature(
    a: &PointVar,
    msg: &FpVar<Fr>,
    sig: &SignatureVar,
    enabled: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    let hm = poseidon_var(&[
        sig.r8.x.clone(),
        sig.r8.y.clone(),
        a.x.clone(),
        a.y.clone(),
        msg.clone(),
    ])?;
    let hm_bits = hm.to_bits_le()?;
    let a8 = a.double()?.double()?.double()?;
    let right = sig.r8.add(&a8.mul_bits(&hm_bits)?)?;
    let left = PointVar::mul_fixed_base(&base8(), &sig.s_bits)?;
    left.conditional_enforce_equal(&right, enabled)
}
