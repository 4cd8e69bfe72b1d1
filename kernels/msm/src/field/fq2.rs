//! Fq2 = Fq[u] / (u^2 + 1), G2's base field: Karatsuba products on our Fq.

use super::{Fq, MsmField};
use halo2curves::bn256::Fq2 as HaloFq2;
use std::ops::{Add, Mul, Neg, Sub};

/// `c0 + c1 u`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Fq2 {
    /// The constant part.
    pub c0: Fq,
    /// The coefficient of `u`.
    pub c1: Fq,
}

impl Fq2 {
    /// From halo2curves' Fq2.
    pub fn from_halo(x: &HaloFq2) -> Self {
        Fq2 {
            c0: Fq::from_halo(x.c0()),
            c1: Fq::from_halo(x.c1()),
        }
    }

    /// To halo2curves' Fq2.
    pub fn to_halo(self) -> HaloFq2 {
        HaloFq2::new(self.c0.to_halo(), self.c1.to_halo())
    }
}

impl Add for Fq2 {
    type Output = Fq2;
    #[inline(always)]
    fn add(self, rhs: Fq2) -> Fq2 {
        Fq2 {
            c0: self.c0 + rhs.c0,
            c1: self.c1 + rhs.c1,
        }
    }
}

impl Sub for Fq2 {
    type Output = Fq2;
    #[inline(always)]
    fn sub(self, rhs: Fq2) -> Fq2 {
        Fq2 {
            c0: self.c0 - rhs.c0,
            c1: self.c1 - rhs.c1,
        }
    }
}

impl Neg for Fq2 {
    type Output = Fq2;
    #[inline(always)]
    fn neg(self) -> Fq2 {
        Fq2 {
            c0: -self.c0,
            c1: -self.c1,
        }
    }
}

impl Mul for Fq2 {
    type Output = Fq2;
    #[inline(always)]
    fn mul(self, rhs: Fq2) -> Fq2 {
        let v0 = self.c0 * rhs.c0;
        let v1 = self.c1 * rhs.c1;
        Fq2 {
            c0: v0 - v1,
            c1: (self.c0 + self.c1) * (rhs.c0 + rhs.c1) - v0 - v1,
        }
    }
}

impl MsmField for Fq2 {
    const ZERO: Fq2 = Fq2 {
        c0: Fq::ZERO,
        c1: Fq::ZERO,
    };
    const ONE: Fq2 = Fq2 {
        c0: Fq::ONE,
        c1: Fq::ZERO,
    };

    #[inline(always)]
    fn square(&self) -> Fq2 {
        let ab = self.c0 * self.c1;
        Fq2 {
            c0: (self.c0 + self.c1) * (self.c0 - self.c1),
            c1: ab + ab,
        }
    }

    fn invert(&self) -> Option<Fq2> {
        Option::from(halo2curves::ff::Field::invert(&self.to_halo())).map(|x| Fq2::from_halo(&x))
    }
}
