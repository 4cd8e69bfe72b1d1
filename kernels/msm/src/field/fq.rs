//! BN254's base field Fq: four 64-bit limbs, Montgomery form, no-carry CIOS multiplication.

use super::MsmField;
use halo2curves::bn256::Fq as HaloFq;
use halo2curves::serde::SerdeObject;
use std::ops::{Add, Mul, Neg, Sub};

/// The modulus `p`, little-endian limbs.
pub const MODULUS: [u64; 4] = [
    0x3c20_8c16_d87c_fd47,
    0x9781_6a91_6871_ca8d,
    0xb850_45b6_8181_585d,
    0x3064_4e72_e131_a029,
];
/// `-p^-1 mod 2^64`.
const INV: u64 = 0x87d2_0782_e486_6389;
/// `R mod p`: one in Montgomery form.
const R: [u64; 4] = [
    0xd35d_438d_c58f_0d9d,
    0x0a78_eb28_f5c7_0b3d,
    0x666e_a36f_7879_462c,
    0x0e0a_77c1_9a07_df2f,
];

/// An element of Fq in Montgomery form (always fully reduced, below `p`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Fq(pub [u64; 4]);

impl Fq {
    /// From halo2curves' Fq (same Montgomery limbs).
    pub fn from_halo(x: &HaloFq) -> Self {
        let mut bytes = [0u8; 32];
        x.write_raw(&mut &mut bytes[..])
            .expect("32 bytes hold a field element");
        let mut limbs = [0u64; 4];
        for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            *limb = u64::from_le_bytes(word);
        }
        Fq(limbs)
    }

    /// To halo2curves' Fq.
    pub fn to_halo(self) -> HaloFq {
        let mut bytes = [0u8; 32];
        for (chunk, limb) in bytes.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        HaloFq::from_raw_bytes_unchecked(&bytes)
    }
}

/// `a - p` if `a >= p`, else `a` (for `a < 2p`), without a branch: the choice is random for
/// random inputs, and a mispredicted branch costs more than the selection.
#[inline(always)]
fn reduce_once(a: [u64; 4]) -> [u64; 4] {
    let (d, borrow) = sub_limbs(&a, &MODULUS);
    let keep = 0u64.wrapping_sub(u64::from(borrow));
    [
        (a[0] & keep) | (d[0] & !keep),
        (a[1] & keep) | (d[1] & !keep),
        (a[2] & keep) | (d[2] & !keep),
        (a[3] & keep) | (d[3] & !keep),
    ]
}

/// `a - b` and whether it borrowed (the borrow chain in 128-bit words, which compiles to
/// `sbb` rather than to `setb` and re-materialised flags).
#[inline(always)]
fn sub_limbs(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], bool) {
    let mut out = [0u64; 4];
    let mut borrow = 0u64;
    for i in 0..4 {
        let t = u128::from(a[i]).wrapping_sub(u128::from(b[i]) + u128::from(borrow));
        out[i] = t as u64;
        borrow = (t >> 127) as u64;
    }
    (out, borrow != 0)
}

/// `a + b` (no carry out: both are below `p < 2^254`).
#[inline(always)]
fn add_limbs(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut carry = 0u64;
    for i in 0..4 {
        let t = u128::from(a[i]) + u128::from(b[i]) + u128::from(carry);
        out[i] = t as u64;
        carry = (t >> 64) as u64;
    }
    out
}

/// Montgomery product `a b / R mod p`, CIOS without the extra carry word.
#[inline(always)]
fn mont_mul(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut t = [0u64; 4];
    for &bi in b {
        let bi = u128::from(bi);
        let s = u128::from(a[0]) * bi + u128::from(t[0]);
        let mut carry_a = (s >> 64) as u64;
        let t0 = s as u64;
        let m = t0.wrapping_mul(INV);
        let s = u128::from(m) * u128::from(MODULUS[0]) + u128::from(t0);
        let mut carry_m = (s >> 64) as u64;
        for j in 1..4 {
            let s = u128::from(a[j]) * bi + u128::from(carry_a) + u128::from(t[j]);
            carry_a = (s >> 64) as u64;
            let s =
                u128::from(m) * u128::from(MODULUS[j]) + u128::from(carry_m) + (s as u64) as u128;
            carry_m = (s >> 64) as u64;
            t[j - 1] = s as u64;
        }
        t[3] = carry_a.wrapping_add(carry_m);
    }
    reduce_once(t)
}

impl Add for Fq {
    type Output = Fq;
    #[inline(always)]
    fn add(self, rhs: Fq) -> Fq {
        Fq(reduce_once(add_limbs(&self.0, &rhs.0)))
    }
}

impl Sub for Fq {
    type Output = Fq;
    #[inline(always)]
    fn sub(self, rhs: Fq) -> Fq {
        let (d, borrow) = sub_limbs(&self.0, &rhs.0);
        let mask = 0u64.wrapping_sub(u64::from(borrow));
        let p = MODULUS.map(|limb| limb & mask);
        Fq(add_limbs(&d, &p))
    }
}

impl Neg for Fq {
    type Output = Fq;
    #[inline(always)]
    fn neg(self) -> Fq {
        Fq::ZERO - self
    }
}

impl Mul for Fq {
    type Output = Fq;
    #[inline(always)]
    fn mul(self, rhs: Fq) -> Fq {
        Fq(mont_mul(&self.0, &rhs.0))
    }
}

impl MsmField for Fq {
    const ZERO: Fq = Fq([0; 4]);
    const ONE: Fq = Fq(R);

    #[inline(always)]
    fn square(&self) -> Fq {
        *self * *self
    }

    fn invert(&self) -> Option<Fq> {
        Option::from(halo2curves::ff::Field::invert(&self.to_halo())).map(|x| Fq::from_halo(&x))
    }
}
