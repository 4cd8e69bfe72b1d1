//! GLV decomposition of BN254 scalars.
//!
//! BN254's G1 and G2 both have an endomorphism `phi(x, y) = (beta x, y)`, with `beta` a cube
//! root of unity in the base field, that acts on the prime-order subgroup as multiplication
//! by `zeta`, a cube root of unity in Fr. Babai rounding against a short basis of the lattice
//! `{(a, b) : a - b zeta = 0 mod r}` splits any `k` into `k1 - k2 zeta` with `|k1|, |k2| <
//! 2^128`, so one 254-bit scalar multiplication becomes two 128-bit ones.

use halo2curves::bn256::Fr;
use halo2curves::ff::{PrimeField, WithSmallOrderMulGroup};

/// `round(b2 * 2^256 / r)`: the rounding constant paired with `B2`.
const G1_ROUND: [u64; 4] = [0xd91d_232e_c7e0_b3d7, 0x2, 0, 0];
/// `round(-b1 * 2^256 / r)`: the rounding constant paired with `B1`.
const G2_ROUND: [u64; 4] = [0x5398_fd03_00ff_6565, 0x4cce_f014_a773_d2d2, 0x02, 0];
/// First short lattice coordinate.
const B1: [u64; 4] = [0x89d3_2568_94d2_13e3, 0, 0, 0];
/// Second short lattice coordinate.
const B2: [u64; 4] = [0x0be4_e154_1221_250b, 0x6f4d_8248_eeb8_59fd, 0, 0];

/// One half of a decomposed scalar: its magnitude and whether it is negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Half {
    /// `|k_i|`, below `2^128`.
    pub magnitude: u128,
    /// Whether `k_i` is negative.
    pub negative: bool,
}

/// Splits `k` into `(k1, k2)` with `k = k1 - k2 * Fr::ZETA` and both halves below `2^128`.
pub fn decompose(k: &Fr) -> (Half, Half) {
    let limbs = to_limbs(k);
    let c1 = high_256(&mul_wide(&G2_ROUND, &limbs));
    let c2 = high_256(&mul_wide(&G1_ROUND, &limbs));
    let q1 = low_fr(&mul_wide(&c1, &B1));
    let q2 = low_fr(&mul_wide(&c2, &B2));
    let k2 = q2 - q1;
    let k1 = *k + k2 * Fr::ZETA;
    (half(&k1), half(&k2))
}

/// The canonical little-endian limbs of a scalar.
pub fn to_limbs(k: &Fr) -> [u64; 4] {
    let repr = k.to_repr();
    let mut limbs = [0u64; 4];
    for (limb, bytes) in limbs.iter_mut().zip(repr.as_ref().chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes);
        *limb = u64::from_le_bytes(word);
    }
    limbs
}

/// `a * b` as eight limbs.
fn mul_wide(a: &[u64; 4], b: &[u64; 4]) -> [u64; 8] {
    let mut out = [0u64; 8];
    for (i, &ai) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &bj) in b.iter().enumerate() {
            let t = u128::from(ai) * u128::from(bj) + u128::from(out[i + j]) + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        out[i + 4] = carry as u64;
    }
    out
}

/// The upper four limbs (the product divided by `2^256`).
fn high_256(wide: &[u64; 8]) -> [u64; 4] {
    [wide[4], wide[5], wide[6], wide[7]]
}

/// The lower four limbs reduced into Fr (they are below `2^256`, the field takes them mod r).
fn low_fr(wide: &[u64; 8]) -> Fr {
    Fr::from_raw([wide[0], wide[1], wide[2], wide[3]])
}

/// The signed magnitude of a field element read as an integer in `(-r/2, r/2]`.
fn half(k: &Fr) -> Half {
    let (magnitude_fr, negative) = if is_above_half(k) {
        (-*k, true)
    } else {
        (*k, false)
    };
    let limbs = to_limbs(&magnitude_fr);
    assert!(
        limbs[2] == 0 && limbs[3] == 0,
        "a GLV half exceeds 128 bits: the lattice constants are wrong"
    );
    Half {
        magnitude: u128::from(limbs[0]) | (u128::from(limbs[1]) << 64),
        negative,
    }
}

/// Whether `k`, as an integer, exceeds `(r - 1) / 2`.
fn is_above_half(k: &Fr) -> bool {
    // `-k` is smaller than `k` exactly when `k > r/2`; compare the canonical limbs.
    let a = to_limbs(k);
    let b = to_limbs(&-*k);
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Greater
}

#[cfg(test)]
mod tests;
