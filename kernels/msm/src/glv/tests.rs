//! The decomposition recomposes the scalar and stays within 128 bits.

use super::{decompose, Half};
use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField, WithSmallOrderMulGroup};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn value(h: Half) -> Fr {
    let v = Fr::from_u128(h.magnitude);
    if h.negative {
        -v
    } else {
        v
    }
}

#[test]
fn halves_recompose_the_scalar() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut cases = vec![
        Fr::ZERO,
        Fr::ONE,
        -Fr::ONE,
        Fr::ZETA,
        -Fr::ZETA,
        Fr::from(2u64),
    ];
    cases.extend((0..2000).map(|_| Fr::random(&mut rng)));
    for k in cases {
        let (k1, k2) = decompose(&k);
        assert_eq!(value(k1) - value(k2) * Fr::ZETA, k, "k = {k:?}");
        assert!(
            k1.magnitude < 1 << 127 && k2.magnitude < 1 << 127,
            "k = {k:?}"
        );
    }
}
