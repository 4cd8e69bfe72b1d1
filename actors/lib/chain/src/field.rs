//! BN254's scalar field, the field every hash, account and constraint here lives in, and the
//! conversions to the bytes and text that cross our boundaries: 32-byte big-endian words
//! (state roots as [`Hash32`]), decimal strings (snarkjs, circomlibjs) and 128-bit halves
//! (a 32-byte hash that is not a field element is split into two public inputs).
//!
//! Every conversion from outside bytes is strict: a value at or above the modulus is an error,
//! never silently reduced, so one field element has exactly one encoding.

use ark_ff::{BigInteger, PrimeField};
use bitai_protocol::Hash32;
use thiserror::Error;

/// An element of BN254's scalar field (the circuit's field, Baby Jubjub's base field).
pub type Fr = ark_bn254::Fr;

/// Why bytes or text are not a canonical field element.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldError {
    /// The value is at or above the field modulus.
    #[error("value is not below the field modulus")]
    NotCanonical,
    /// The text is not a decimal number.
    #[error("not a decimal number: {0:?}")]
    NotDecimal(String),
    /// The byte string has the wrong length.
    #[error("expected {expected} bytes, got {got}")]
    Length {
        /// Bytes expected.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
}

/// The canonical 32-byte big-endian encoding of `x`.
pub fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
    let bytes = x.into_bigint().to_bytes_be();
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes);
    out
}

/// Reads a canonical 32-byte big-endian field element (rejects values >= the modulus).
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Result<Fr, FieldError> {
    let x = Fr::from_be_bytes_mod_order(bytes);
    if fr_to_be_bytes(&x) == *bytes {
        Ok(x)
    } else {
        Err(FieldError::NotCanonical)
    }
}

/// A field element as a [`Hash32`] (state roots).
pub fn fr_to_hash(x: &Fr) -> Hash32 {
    Hash32(fr_to_be_bytes(x))
}

/// A [`Hash32`] that must hold a canonical field element (state roots).
pub fn fr_from_hash(h: &Hash32) -> Result<Fr, FieldError> {
    fr_from_be_bytes(&h.0)
}

/// Splits 32 bytes into two field elements: the high 16 bytes and the low 16 bytes, each read
/// big-endian (how a chain id or a DA commitment becomes public inputs).
pub fn split_hash(h: &Hash32) -> [Fr; 2] {
    [
        Fr::from_be_bytes_mod_order(&h.0[..16]),
        Fr::from_be_bytes_mod_order(&h.0[16..]),
    ]
}

/// The decimal text of `x` (as snarkjs and circomlibjs print field elements).
pub fn fr_to_decimal(x: &Fr) -> String {
    x.into_bigint().to_string()
}

/// Parses canonical decimal text (digits only, below the modulus).
pub fn fr_from_decimal(text: &str) -> Result<Fr, FieldError> {
    if text.is_empty() || text.len() > 78 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::NotDecimal(text.chars().take(80).collect()));
    }
    // Accumulate in a 320-bit integer so that values above the modulus are seen, not reduced.
    let mut acc = ark_ff::BigInt::<5>::zero();
    for digit in text.bytes() {
        acc = mul_small(&acc, 10).ok_or(FieldError::NotCanonical)?;
        let carry = acc.add_with_carry(&ark_ff::BigInt::<5>::from(u64::from(digit - b'0')));
        if carry {
            return Err(FieldError::NotCanonical);
        }
    }
    if acc.0[4] != 0 {
        return Err(FieldError::NotCanonical);
    }
    let limbs = ark_ff::BigInt::<4>([acc.0[0], acc.0[1], acc.0[2], acc.0[3]]);
    Fr::from_bigint(limbs).ok_or(FieldError::NotCanonical)
}

fn mul_small(x: &ark_ff::BigInt<5>, k: u64) -> Option<ark_ff::BigInt<5>> {
    let mut out = [0u64; 5];
    let mut carry = 0u128;
    for (o, limb) in out.iter_mut().zip(x.0.iter()) {
        let wide = u128::from(*limb) * u128::from(k) + carry;
        *o = wide as u64;
        carry = wide >> 64;
    }
    if carry == 0 {
        Some(ark_ff::BigInt(out))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn modulus_is_rejected_and_minus_one_accepted() {
        let p = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        assert_eq!(fr_from_decimal(p), Err(FieldError::NotCanonical));
        let p_minus_1 =
            "21888242871839275222246405745257275088548364400416034343698204186575808495616";
        assert_eq!(
            fr_from_decimal(p_minus_1).expect("below p"),
            -Fr::from(1u64)
        );
        assert!(fr_from_decimal("").is_err());
        assert!(fr_from_decimal("12a").is_err());
        assert!(fr_from_be_bytes(&[0xff; 32]).is_err());
    }

    proptest! {
        #[test]
        fn decimal_and_bytes_round_trip(limbs in any::<[u64; 4]>()) {
            let x = Fr::from_le_bytes_mod_order(
                &limbs.iter().flat_map(|l| l.to_le_bytes()).collect::<Vec<_>>(),
            );
            prop_assert_eq!(fr_from_decimal(&fr_to_decimal(&x)).expect("canonical"), x);
            prop_assert_eq!(fr_from_be_bytes(&fr_to_be_bytes(&x)).expect("canonical"), x);
            prop_assert_eq!(fr_from_hash(&fr_to_hash(&x)).expect("canonical"), x);
        }
    }
}
