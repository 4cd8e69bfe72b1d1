//! Small gadgets the op slot is built from. Conditions are `FpVar`s known to be 0 or 1 (a
//! kind bit, or a sum or product of exclusive ones), so a conditional check costs one
//! constraint: `(a - b) * cond == 0`.

use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::R1CSVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;

/// `value` as `n` little-endian witness bits (bits above 64 are zero).
pub fn alloc_bits(
    cs: &ConstraintSystemRef<Fr>,
    value: u64,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    (0..n)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok(i < 64 && (value >> i) & 1 == 1)))
        .collect()
}

/// A `n`-bit witness number (range-checked by its bits).
pub fn alloc_num(
    cs: &ConstraintSystemRef<Fr>,
    value: u64,
    n: usize,
) -> Result<FpVar<Fr>, SynthesisError> {
    Boolean::le_bits_to_fp(&alloc_bits(cs, value, n)?)
}

/// A field-element witness.
pub fn alloc_fr(cs: &ConstraintSystemRef<Fr>, x: Fr) -> Result<FpVar<Fr>, SynthesisError> {
    FpVar::new_witness(cs.clone(), || Ok(x))
}

/// A boolean witness as a 0/1 `FpVar`.
pub fn alloc_flag(cs: &ConstraintSystemRef<Fr>, b: bool) -> Result<FpVar<Fr>, SynthesisError> {
    Ok(Boolean::new_witness(cs.clone(), || Ok(b))?.into())
}

/// Enforces `a == b` when `cond` is 1.
pub fn eq_if(cond: &FpVar<Fr>, a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<(), SynthesisError> {
    (a - b).mul_equals(cond, &FpVar::zero())
}

/// Enforces `x != 0` when `cond` is 1 (one inverse witness, two constraints).
pub fn nonzero_if(
    cs: &ConstraintSystemRef<Fr>,
    cond: &FpVar<Fr>,
    x: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    let inv = FpVar::new_witness(cs.clone(), || Ok(x.value()?.inverse().unwrap_or(Fr::ZERO)))?;
    eq_if(cond, &(x * &inv), &FpVar::one())
}

/// `if cond { a } else { b }` (one constraint).
pub fn select(cond: &FpVar<Fr>, a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    Ok(b + cond * (a - b))
}

/// `a OR b` of two 0/1 values.
pub fn or(a: &FpVar<Fr>, b: &FpVar<Fr>) -> FpVar<Fr> {
    a + b - a * b
}

/// The low `n` bits of a witness value (0 when unassigned values are asked for).
fn low_bits(x: Fr, n: usize) -> Vec<bool> {
    let mut bits = x.into_bigint().to_bits_le();
    bits.resize(n.max(bits.len()), false);
    bits.truncate(n);
    bits
}

/// Enforces `0 <= x < 2^n` when `cond` is 1: `n` bits that sum to `cond * x`.
pub fn range_if(
    cs: &ConstraintSystemRef<Fr>,
    cond: &FpVar<Fr>,
    x: &FpVar<Fr>,
    n: usize,
) -> Result<(), SynthesisError> {
    let v = cond
        .value()
        .and_then(|c| Ok(c * x.value()?))
        .ok()
        .map(|v| low_bits(v, n));
    let bits = (0..n)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                v.as_ref()
                    .map(|b| b[i])
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    x.mul_equals(cond, &Boolean::le_bits_to_fp(&bits)?)
}

/// Enforces `0 <= x < 2^n` (`n` bits that sum to `x`).
pub fn range(cs: &ConstraintSystemRef<Fr>, x: &FpVar<Fr>, n: usize) -> Result<(), SynthesisError> {
    range_if(cs, &FpVar::one(), x, n)
}

/// `a > b` as 0/1, for `a, b < 2^65`: bit 65 of `a - b - 1 + 2^65`, decomposed into 66 bits.
pub fn gt(
    cs: &ConstraintSystemRef<Fr>,
    a: &FpVar<Fr>,
    b: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    let two_65 = Fr::from(2u64).pow([65u64]);
    let d = a - b - Fr::ONE + two_65;
    let v = d.value().ok().map(|v| low_bits(v, 66));
    let bits = (0..66)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                v.as_ref()
                    .map(|b| b[i])
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    d.enforce_equal(&Boolean::le_bits_to_fp(&bits)?)?;
    Ok(bits[65].clone().into())
}
