//! Points in extended Jacobian coordinates (XYZZ), for the bucket reduction.
//!
//! `(X, Y, ZZ, ZZZ)` stands for `(X / ZZ, Y / ZZZ)` with `ZZ^3 = ZZZ^2`; `ZZ = 0` is the
//! identity. Adding an affine point costs 8M + 2S, two XYZZ points 12M + 2S (the formulas
//! `madd-2008-s`, `add-2008-s` and `dbl-2008-s-1` of the Explicit-Formulas Database, for
//! `a = 0`), with the equal and opposite cases handled.

use crate::curve::Affine;
use crate::field::MsmField;

/// A point in XYZZ coordinates.
#[derive(Clone, Copy, Debug)]
pub struct Xyzz<F> {
    x: F,
    y: F,
    zz: F,
    zzz: F,
}

impl<F: MsmField> Xyzz<F> {
    /// The identity.
    pub const IDENTITY: Self = Xyzz {
        x: F::ONE,
        y: F::ONE,
        zz: F::ZERO,
        zzz: F::ZERO,
    };

    /// Whether this is the identity.
    pub fn is_identity(&self) -> bool {
        self.zz == F::ZERO
    }

    /// An affine point.
    pub fn from_affine(p: &Affine<F>) -> Self {
        Xyzz {
            x: p.x,
            y: p.y,
            zz: F::ONE,
            zzz: F::ONE,
        }
    }

    /// `self + q`.
    pub fn add_affine(&self, q: &Affine<F>) -> Self {
        if self.is_identity() {
            return Self::from_affine(q);
        }
        let u2 = q.x * self.zz;
        let s2 = q.y * self.zzz;
        let p = u2 - self.x;
        let r = s2 - self.y;
        if p == F::ZERO {
            return if r == F::ZERO {
                Self::from_affine(q).double()
            } else {
                Self::IDENTITY
            };
        }
        let pp = p.square();
        let ppp = p * pp;
        let q1 = self.x * pp;
        let x = r.square() - ppp - q1.double();
        Xyzz {
            x,
            y: r * (q1 - x) - self.y * ppp,
            zz: self.zz * pp,
            zzz: self.zzz * ppp,
        }
    }

    /// `self + q`.
    pub fn add(&self, q: &Self) -> Self {
        if self.is_identity() {
            return *q;
        }
        if q.is_identity() {
            return *self;
        }
        let u1 = self.x * q.zz;
        let u2 = q.x * self.zz;
        let s1 = self.y * q.zzz;
        let s2 = q.y * self.zzz;
        let p = u2 - u1;
        let r = s2 - s1;
        if p == F::ZERO {
            return if r == F::ZERO {
                self.double()
            } else {
                Self::IDENTITY
            };
        }
        let pp = p.square();
        let ppp = p * pp;
        let q1 = u1 * pp;
        let x = r.square() - ppp - q1.double();
        Xyzz {
            x,
            y: r * (q1 - x) - s1 * ppp,
            zz: self.zz * q.zz * pp,
            zzz: self.zzz * q.zzz * ppp,
        }
    }

    /// `2 self`.
    pub fn double(&self) -> Self {
        if self.is_identity() {
            return *self;
        }
        let u = self.y.double();
        let v = u.square();
        let w = u * v;
        let s = self.x * v;
        let xx = self.x.square();
        let m = xx.double() + xx;
        let x = m.square() - s.double();
        Xyzz {
            x,
            y: m * (s - x) - w * self.y,
            zz: v * self.zz,
            zzz: w * self.zzz,
        }
    }

    /// `k self` by double-and-add, for small multipliers.
    pub fn mul_small(&self, k: u64) -> Self {
        let mut acc = Self::IDENTITY;
        for bit in (0..64 - k.leading_zeros()).rev() {
            acc = acc.double();
            if (k >> bit) & 1 == 1 {
                acc = acc.add(self);
            }
        }
        acc
    }

    /// The affine point, `None` for the identity.
    pub fn to_affine(self) -> Option<Affine<F>> {
        let zz_inv = self.zz.invert()?;
        let zzz_inv = self.zzz.invert()?;
        Some(Affine {
            x: self.x * zz_inv,
            y: self.y * zzz_inv,
        })
    }
}
