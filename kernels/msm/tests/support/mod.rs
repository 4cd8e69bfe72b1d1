//! Seeded inputs for the MSM tests: base pools, scalar and base mixes with the edge cases, and
//! the naive sum the MSM must equal.
#![allow(dead_code)] // each test file uses part of it

use bitai_msm::MsmCurve;
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::{Curve, Group};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `count` distinct random points of the group, cheaply: `P, P + Q, P + 2Q, ...` normalised.
pub fn base_pool<C: MsmCurve>(rng: &mut ChaCha8Rng, count: usize) -> Vec<C> {
    // Multiples of the generator: halo2curves 0.10's G2 `random` prints a line per bit.
    let step = C::Curve::generator() * Fr::random(&mut *rng);
    let mut point = C::Curve::generator() * Fr::random(&mut *rng);
    let projective: Vec<C::Curve> = (0..count)
        .map(|_| {
            point += step;
            point
        })
        .collect();
    let mut affine = vec![C::identity(); count];
    C::Curve::batch_normalize(&projective, &mut affine);
    affine
}

/// A scalar from the mix the tests draw from: random, zero, one, `r - 1`, small, 128-bit.
pub fn scalar(rng: &mut ChaCha8Rng) -> Fr {
    match rng.gen_range(0..10) {
        0 => Fr::ZERO,
        1 => Fr::ONE,
        2 => -Fr::ONE,
        3 => Fr::from(rng.gen_range(0..16u64)),
        4 => Fr::from_u128(rng.gen()),
        5 => -Fr::from(rng.gen_range(0..16u64)),
        _ => Fr::random(&mut *rng),
    }
}

/// One seeded case of `n` terms: scalars and bases from the mixes, with repeated bases,
/// negated bases, points at infinity and all-equal scalars now and then.
pub fn case<C: MsmCurve>(rng: &mut ChaCha8Rng, pool: &[C], n: usize) -> (Vec<Fr>, Vec<C>) {
    let equal_scalars = rng.gen_bool(0.1);
    let few_bases = rng.gen_bool(0.2);
    let shared = scalar(rng);
    let scalars = (0..n)
        .map(|_| if equal_scalars { shared } else { scalar(rng) })
        .collect();
    let distinct = if few_bases { 3 } else { pool.len() };
    let bases = (0..n)
        .map(|_| match rng.gen_range(0..20) {
            0 => C::identity(),
            1 => -pool[rng.gen_range(0..distinct.min(pool.len()))],
            _ => pool[rng.gen_range(0..distinct.min(pool.len()))],
        })
        .collect();
    (scalars, bases)
}

/// `sum_i k_i P_i` one scalar multiplication at a time.
pub fn naive<C: MsmCurve>(scalars: &[Fr], bases: &[C]) -> C::Curve {
    scalars
        .iter()
        .zip(bases)
        .fold(C::Curve::identity(), |acc, (k, p)| acc + *p * *k)
}
