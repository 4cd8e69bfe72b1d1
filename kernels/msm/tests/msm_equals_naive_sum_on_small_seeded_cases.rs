//! 800 seeded cases of up to 48 terms, G1 and G2, every path of the MSM (the projective one
//! for few terms, batch-affine with narrow windows and tiny batches so that buckets collide,
//! double and cancel; with and without GLV), against the naive sum.

mod support;

use bitai_msm::{msm_with, MsmConfig, MsmCurve};
use halo2curves::bn256::{G1Affine, G2Affine};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A configuration for case `i`: the default, or batch-affine forced with small knobs.
fn config(rng: &mut ChaCha8Rng) -> MsmConfig {
    if rng.gen_bool(0.25) {
        return MsmConfig {
            glv: rng.gen_bool(0.7),
            ..MsmConfig::default()
        };
    }
    MsmConfig {
        glv: rng.gen_bool(0.7),
        window_bits: Some(rng.gen_range(1..=7)),
        batch_size: Some(rng.gen_range(1..=9)),
        splits: Some(rng.gen_range(1..=4)),
        small_below: 0,
    }
}

fn run<C: MsmCurve>(seed: u64, cases: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pool = support::base_pool::<C>(&mut rng, 64);
    for case in 0..cases {
        let n = rng.gen_range(0..=48);
        let (scalars, bases) = support::case(&mut rng, &pool, n);
        let config = config(&mut rng);
        assert_eq!(
            msm_with(&scalars, &bases, &config),
            support::naive(&scalars, &bases),
            "seed {seed} case {case}: n = {n}, {config:?}"
        );
    }
}

#[test]
fn g1_matches_the_naive_sum_on_600_cases() {
    run::<G1Affine>(1, 600);
}

#[test]
fn g2_matches_the_naive_sum_on_200_cases() {
    run::<G2Affine>(2, 200);
}
