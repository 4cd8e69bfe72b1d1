//! The edge cases by name: empty and tiny MSMs, zero scalars, points at infinity, repeated
//! and opposite bases, `r - 1`, one, all-equal scalars, on G1 and G2 and on every path.

mod support;

use bitai_msm::{msm_g1, msm_g2, msm_with, MsmConfig, MsmCurve};
use halo2curves::bn256::{Fr, G1Affine, G2Affine, G1, G2};
use halo2curves::ff::Field;
use halo2curves::group::Group;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The configurations every edge case runs under.
fn configs() -> Vec<MsmConfig> {
    let forced = |glv, c, batch, splits| MsmConfig {
        glv,
        window_bits: Some(c),
        batch_size: Some(batch),
        splits: Some(splits),
        small_below: 0,
    };
    vec![
        MsmConfig::default(),
        MsmConfig {
            glv: false,
            ..MsmConfig::default()
        },
        forced(true, 2, 1, 1),
        forced(true, 4, 3, 3),
        forced(false, 5, 8, 2),
        forced(true, 13, 64, 4),
    ]
}

fn check<C: MsmCurve>(name: &str, scalars: &[Fr], bases: &[C]) {
    let want = support::naive(scalars, bases);
    for config in configs() {
        assert_eq!(
            msm_with(scalars, bases, &config),
            want,
            "{name}: {config:?}"
        );
    }
}

fn all_cases<C: MsmCurve>(seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pool = support::base_pool::<C>(&mut rng, 600);
    let p = pool[0];
    let random = |n: usize, rng: &mut ChaCha8Rng| -> Vec<Fr> {
        (0..n).map(|_| Fr::random(&mut *rng)).collect()
    };
    check::<C>("n = 0", &[], &[]);
    check("n = 1", &random(1, &mut rng), &pool[..1]);
    check("n = 2", &random(2, &mut rng), &pool[..2]);
    check("scalar one", &[Fr::ONE], &[p]);
    check("scalar r - 1", &[-Fr::ONE], &[p]);
    check("r - 1 and one cancel", &[-Fr::ONE, Fr::ONE], &[p, p]);
    check("zero scalars", &vec![Fr::ZERO; 300], &pool[..300]);
    check(
        "the point at infinity",
        &random(3, &mut rng),
        &[C::identity(); 3],
    );
    let mut with_identity = pool[..301].to_vec();
    with_identity[17] = C::identity();
    with_identity[300] = C::identity();
    check(
        "infinity among the bases",
        &random(301, &mut rng),
        &with_identity,
    );
    check("one base repeated", &random(333, &mut rng), &[p; 333]);
    check(
        "all-equal scalars",
        &vec![Fr::from(12345u64); 300],
        &pool[..300],
    );
    check(
        "equal scalars, equal bases",
        &vec![-Fr::ONE; 300],
        &[p; 300],
    );
    let opposite: Vec<C> = (0..300).map(|i| if i % 2 == 0 { p } else { -p }).collect();
    check("P and -P cancel", &vec![Fr::from(7u64); 300], &opposite);
    check(
        "sizes no power of two",
        &random(517, &mut rng),
        &pool[..517],
    );
}

#[test]
fn g1_edge_cases() {
    all_cases::<G1Affine>(21);
}

#[test]
fn g2_edge_cases() {
    all_cases::<G2Affine>(22);
}

#[test]
fn the_entry_points_agree_with_the_generic_one() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let g1 = support::base_pool::<G1Affine>(&mut rng, 300);
    let g2 = support::base_pool::<G2Affine>(&mut rng, 300);
    let k: Vec<Fr> = (0..300).map(|_| Fr::random(&mut rng)).collect();
    assert_eq!(msm_g1(&k, &g1), support::naive(&k, &g1));
    assert_eq!(msm_g2(&k, &g2), support::naive(&k, &g2));
    assert_eq!(msm_g1(&[], &[]), G1::identity());
    assert_eq!(msm_g2(&[], &[]), G2::identity());
}

#[test]
#[should_panic(expected = "as many scalars as bases")]
fn lengths_must_agree() {
    let _ = msm_g1(&[Fr::ONE], &[]);
}
