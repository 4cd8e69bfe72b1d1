//! Baby Jubjub exactly as circomlib has it: the twisted Edwards curve
//! `168700 x^2 + y^2 = 1 + 168696 x^2 y^2` over BN254's scalar field, cofactor 8, with
//! circomlib's `Base8` as the generator of the prime-order subgroup.
//!
//! `ark-ed-on-bn254` models the same group in a rescaled form (a = 1) with another generator,
//! so its coordinates differ from what circomlibjs and zk-kit print; this config keeps
//! circomlib's coordinates, so public keys and signatures are the same numbers everywhere.
//! The scalar field is `ark_ed_on_bn254::Fr` (the subgroup order l).

use crate::field::{FieldError, Fr};
use ark_ec::twisted_edwards::{Affine, MontCurveConfig, Projective, TECurveConfig};
use ark_ec::{AffineRepr, CurveConfig, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger, Field, MontFp, PrimeField};

/// A scalar of the prime-order subgroup (mod l).
pub type Scalar = ark_ed_on_bn254::Fr;

/// circomlib's Baby Jubjub parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BabyJubjubConfig;

/// A point in affine coordinates (circomlib's numbers).
pub type Point = Affine<BabyJubjubConfig>;
/// A point in projective coordinates, for arithmetic.
pub type PointProjective = Projective<BabyJubjubConfig>;

/// The curve coefficient a = 168700.
pub const COEFF_A: Fr = MontFp!("168700");
/// The curve coefficient d = 168696.
pub const COEFF_D: Fr = MontFp!("168696");

/// circomlib's `Base8`, the generator of the prime-order subgroup, x coordinate.
pub const BASE8_X: Fr =
    MontFp!("5299619240641551281634865583518297030282874472190772894086521144482721001553");
/// circomlib's `Base8`, y coordinate.
pub const BASE8_Y: Fr =
    MontFp!("16950150798460657717958625567821834550301663161624707787222815936182638968203");

impl CurveConfig for BabyJubjubConfig {
    type BaseField = Fr;
    type ScalarField = Scalar;
    const COFACTOR: &'static [u64] = &[8];
    const COFACTOR_INV: Scalar =
        MontFp!("2394026564107420727433200628387514462817212225638746351800188703329891451411");
}

impl TECurveConfig for BabyJubjubConfig {
    const COEFF_A: Fr = COEFF_A;
    const COEFF_D: Fr = COEFF_D;
    const GENERATOR: Point = Point::new_unchecked(BASE8_X, BASE8_Y);
    type MontCurveConfig = BabyJubjubConfig;
}

impl MontCurveConfig for BabyJubjubConfig {
    // A = 2 (a + d) / (a - d), B = 4 / (a - d).
    const COEFF_A: Fr = MontFp!("168698");
    const COEFF_B: Fr = MontFp!("1");
    type TECurveConfig = BabyJubjubConfig;
}

/// `Base8`, the generator circomlib signs with.
pub fn base8() -> Point {
    BabyJubjubConfig::GENERATOR
}

/// Why coordinates are not an acceptable point.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PointError {
    /// The coordinates do not satisfy the curve equation.
    #[error("point is not on baby jubjub")]
    NotOnCurve,
    /// The point has a small-order component (it is not in the prime-order subgroup).
    #[error("point is not in the prime-order subgroup")]
    NotInSubgroup,
    /// The point is the identity, which no key or signature may be.
    #[error("point is the identity")]
    Identity,
    /// A coordinate is not a canonical field element.
    #[error("coordinate: {0}")]
    Coordinate(#[from] FieldError),
    /// A packed point does not decode.
    #[error("packed point does not decode")]
    BadPacking,
}

/// Checks that `(x, y)` is on the curve, in the prime-order subgroup and not the identity.
pub fn checked_point(x: Fr, y: Fr) -> Result<Point, PointError> {
    let p = Point::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointError::NotOnCurve);
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointError::NotInSubgroup);
    }
    if p.is_zero() {
        return Err(PointError::Identity);
    }
    Ok(p)
}

/// `k * p` for a scalar given as an integer of any size (little-endian u64 limbs).
pub fn mul_bigint(p: &Point, limbs: &[u64]) -> Point {
    p.mul_bigint(limbs).into_affine()
}

/// circomlib's `packPoint`: y little-endian, with the top bit of the last byte set when x is
/// "negative" (above (p-1)/2).
pub fn pack_point(p: &Point) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&p.y.into_bigint().to_bytes_le());
    if is_negative(&p.x) {
        out[31] |= 0x80;
    }
    out
}

/// circomlib's `unpackPoint`, checked: the point must be on the curve and in the subgroup.
pub fn unpack_point(bytes: &[u8; 32]) -> Result<Point, PointError> {
    let sign = bytes[31] & 0x80 != 0;
    let mut y_bytes = *bytes;
    y_bytes[31] &= 0x7f;
    let y = Fr::from_le_bytes_mod_order(&y_bytes);
    if y.into_bigint().to_bytes_le() != y_bytes {
        return Err(PointError::Coordinate(FieldError::NotCanonical));
    }
    // x^2 = (1 - y^2) / (a - d y^2)
    let y2 = y.square();
    let denominator = (COEFF_A - COEFF_D * y2)
        .inverse()
        .ok_or(PointError::BadPacking)?;
    let x2 = (Fr::ONE - y2) * denominator;
    let mut x = x2.sqrt().ok_or(PointError::BadPacking)?;
    if is_negative(&x) != sign {
        x = -x;
    }
    if x == Fr::ZERO && sign {
        return Err(PointError::BadPacking);
    }
    checked_point(x, y)
}

fn is_negative(x: &Fr) -> bool {
    x.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::PrimeGroup;

    #[test]
    fn base8_is_on_the_curve_and_generates_the_subgroup() {
        let b = base8();
        assert!(b.is_on_curve());
        assert!(b.is_in_correct_subgroup_assuming_on_curve());
        assert!(!b.is_zero());
        assert_eq!(PointProjective::generator().into_affine(), b);
    }

    #[test]
    fn small_order_points_are_refused() {
        // (0, -1) has order 2.
        assert_eq!(
            checked_point(Fr::ZERO, -Fr::ONE),
            Err(PointError::NotInSubgroup)
        );
        assert_eq!(checked_point(Fr::ZERO, Fr::ONE), Err(PointError::Identity));
        assert_eq!(checked_point(Fr::ONE, Fr::ONE), Err(PointError::NotOnCurve));
        // Base8 plus the order-2 point is on the curve but not in the subgroup.
        let t = Point::new_unchecked(Fr::ZERO, -Fr::ONE);
        let mixed = (base8() + t).into_affine();
        assert!(mixed.is_on_curve());
        assert_eq!(
            checked_point(mixed.x, mixed.y),
            Err(PointError::NotInSubgroup)
        );
    }

    #[test]
    fn pack_round_trips() {
        let mut p = base8();
        for k in 1..20u64 {
            p = mul_bigint(&base8(), &[k * 7919]);
            assert_eq!(unpack_point(&pack_point(&p)).expect("valid"), p);
        }
        let mut bad = pack_point(&p);
        bad[31] ^= 0x7f;
        assert!(unpack_point(&bad).is_err() || unpack_point(&bad) != Ok(p));
    }
}
