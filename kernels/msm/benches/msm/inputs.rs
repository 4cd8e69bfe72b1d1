//! Seeded random bases and scalars, made in parallel: `a_i G` for random `a_i` would take
//! minutes at 2^20 in G2, so each thread walks `P + i Q` from its own random start.

use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use halo2curves::group::{Curve, Group};
use halo2curves::CurveAffine;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// `n` seeded uniform scalars.
pub fn scalars(n: usize, seed: u64) -> Vec<Fr> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| Fr::random(&mut rng)).collect()
}

/// `n` seeded points, distinct with overwhelming probability.
pub fn bases<C: CurveAffine>(n: usize, seed: u64) -> Vec<C> {
    const CHUNK: usize = 4096;
    let projective: Vec<C::Curve> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((chunk as u64) << 32));
            // Multiples of the generator rather than `Group::random`: halo2curves 0.10's G2
            // `random` prints a line per bit (a leftover `println!` in its cofactor clearing).
            let step = C::Curve::generator() * C::Scalar::random(&mut rng);
            let mut point = C::Curve::generator() * C::Scalar::random(&mut rng);
            (0..CHUNK.min(n - chunk * CHUNK)).map(move |_| {
                point += step;
                point
            })
        })
        .collect();
    let mut affine = vec![C::identity(); n];
    C::Curve::batch_normalize(&projective, &mut affine);
    affine
}
