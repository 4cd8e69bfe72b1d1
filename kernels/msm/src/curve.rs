//! The curves the MSM runs on, and the plain affine points it computes with.
//!
//! [`MsmCurve`] is what the generic MSM needs from a curve beyond halo2curves' traits: its base
//! field in our own arithmetic ([`MsmField`]), and the cube root of unity `beta` whose map
//! `(x, y) -> (beta x, y)` multiplies a subgroup point by `Fr::ZETA` (the GLV endomorphism).
//! [`Affine`] is a point as two bare coordinates, read once from the caller's points so that
//! the hot loop does no on-curve or identity checks.

use crate::field::{self, MsmField};
use halo2curves::bn256::{Fq, Fr, G1Affine, G2Affine};
use halo2curves::ff::WithSmallOrderMulGroup;
use halo2curves::CurveAffine;

/// A BN254 group the MSM handles: G1 or G2 (affine), with scalars in Fr.
pub trait MsmCurve: CurveAffine<ScalarExt = Fr> {
    /// The base field in the MSM's own arithmetic.
    type Field: MsmField;
    /// `beta` with `(beta x, y) = Fr::ZETA * (x, y)` on the prime-order subgroup.
    fn endo_beta() -> Self::Field;
    /// A base-field element in our arithmetic.
    fn to_field(x: &Self::Base) -> Self::Field;
    /// Back to halo2curves' base field.
    fn from_field(x: &Self::Field) -> Self::Base;
}

impl MsmCurve for G1Affine {
    type Field = field::Fq;

    fn endo_beta() -> field::Fq {
        field::Fq::from_halo(&Fq::ZETA)
    }

    fn to_field(x: &Fq) -> field::Fq {
        field::Fq::from_halo(x)
    }

    fn from_field(x: &field::Fq) -> Fq {
        x.to_halo()
    }
}

impl MsmCurve for G2Affine {
    type Field = field::Fq2;

    fn endo_beta() -> field::Fq2 {
        // On the twist the same cube root acts, but as the other eigenvalue: `ZETA^2` in Fq
        // gives `Fr::ZETA` (checked by `g2_endomorphism_is_zeta` in the tests).
        field::Fq2 {
            c0: field::Fq::from_halo(&Fq::ZETA.square()),
            c1: field::Fq::ZERO,
        }
    }

    fn to_field(x: &halo2curves::bn256::Fq2) -> field::Fq2 {
        field::Fq2::from_halo(x)
    }

    fn from_field(x: &field::Fq2) -> halo2curves::bn256::Fq2 {
        x.to_halo()
    }
}

/// A point other than the identity as its affine coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Affine<F> {
    /// The x coordinate.
    pub x: F,
    /// The y coordinate.
    pub y: F,
}

impl<F: MsmField> Affine<F> {
    /// The point's coordinates, or `None` for the identity.
    pub fn from_curve<C: MsmCurve<Field = F>>(point: &C) -> Option<Self> {
        // halo2curves stores the identity as (0, 0) and `coordinates` does not refuse it.
        if bool::from(point.is_identity()) {
            return None;
        }
        Option::from(point.coordinates()).map(|c: halo2curves::Coordinates<C>| Self {
            x: C::to_field(c.x()),
            y: C::to_field(c.y()),
        })
    }

    /// `-P`.
    pub fn neg(&self) -> Self {
        Self {
            x: self.x,
            y: -self.y,
        }
    }

    /// `P` or `-P`.
    pub fn signed(&self, negative: bool) -> Self {
        if negative {
            self.neg()
        } else {
            *self
        }
    }

    /// Back to the curve's type (checks that the point is on the curve).
    pub fn to_curve<C: MsmCurve<Field = F>>(self) -> C {
        Option::from(C::from_xy(C::from_field(&self.x), C::from_field(&self.y)))
            .expect("the MSM only forms points on the curve: sums of points on the curve")
    }
}
