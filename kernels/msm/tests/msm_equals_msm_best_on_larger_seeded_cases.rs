//! 200 seeded cases of 200 to 1,200 terms (sizes that are no powers of two), G1 and G2,
//! against halo2curves' `msm_best`, with the default plan and with forced window widths.

mod support;

use bitai_msm::{msm_g1, msm_g2, msm_with, MsmConfig, MsmCurve};
use halo2curves::bn256::{G1Affine, G2Affine};
use halo2curves::msm::msm_best;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn run<C: MsmCurve>(seed: u64, cases: usize, max_n: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pool = support::base_pool::<C>(&mut rng, 4096);
    for case in 0..cases {
        let n = rng.gen_range(200..=max_n);
        let (scalars, bases) = support::case(&mut rng, &pool, n);
        let config = MsmConfig {
            glv: rng.gen_bool(0.8),
            window_bits: rng.gen_bool(0.3).then(|| rng.gen_range(5..=12)),
            splits: rng.gen_bool(0.3).then(|| rng.gen_range(1..=8)),
            ..MsmConfig::default()
        };
        assert_eq!(
            msm_with(&scalars, &bases, &config),
            msm_best(&scalars, &bases),
            "seed {seed} case {case}: n = {n}, {config:?}"
        );
    }
}

#[test]
fn g1_matches_msm_best_on_150_cases() {
    run::<G1Affine>(11, 150, 1200);
}

#[test]
fn g2_matches_msm_best_on_50_cases() {
    run::<G2Affine>(12, 50, 800);
}

/// 2^16 and 2^18 random terms, the default entry points: `cargo test --release -p bitai-msm
/// --test msm_equals_msm_best_on_larger_seeded_cases -- --ignored`.
#[test]
#[ignore = "seconds in release, minutes in debug"]
fn large_msms_match_msm_best() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for log_n in [16, 18] {
        let n = 1 << log_n;
        let pool = support::base_pool::<G1Affine>(&mut rng, n);
        let scalars: Vec<_> = (0..n).map(|_| support::scalar(&mut rng)).collect();
        assert_eq!(
            msm_g1(&scalars, &pool),
            msm_best(&scalars, &pool),
            "G1 2^{log_n}"
        );
        let pool = support::base_pool::<G2Affine>(&mut rng, n);
        assert_eq!(
            msm_g2(&scalars, &pool),
            msm_best(&scalars, &pool),
            "G2 2^{log_n}"
        );
    }
}
