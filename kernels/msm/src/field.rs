//! The MSM's own base-field arithmetic: BN254 Fq and Fq2 in Montgomery form.
//!
//! Same representation as halo2curves (four little-endian 64-bit limbs, Montgomery with
//! `R = 2^256`), so conversion is a copy of the limbs. The multiplication is CIOS Montgomery
//! with the "no-carry" shortcut (the modulus' top limb is below `2^62`, so the running sum
//! never needs a ninth word), fully inlined: about a third faster than halo2curves'
//! product-then-reduce on the machine measured (see the README). Inversion, once per batch,
//! is halo2curves' Bernstein-Yang.

pub mod fq;
pub mod fq2;

pub use fq::Fq;
pub use fq2::Fq2;

use std::fmt::Debug;
use std::ops::{Add, Mul, Neg, Sub};

/// The field operations the bucket arithmetic uses.
pub trait MsmField:
    Copy
    + Eq
    + Debug
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
{
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// `self^2`.
    fn square(&self) -> Self;
    /// `2 self`.
    fn double(&self) -> Self {
        *self + *self
    }
    /// `1 / self`, `None` for zero.
    fn invert(&self) -> Option<Self>;
}

#[cfg(test)]
mod tests;
