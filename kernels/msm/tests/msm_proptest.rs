//! Property: for any scalars and any multiples of the generator (some of them the identity),
//! the MSM equals the naive sum on G1, with every knob drawn at random.

mod support;

use bitai_msm::{msm_with, MsmConfig};
use halo2curves::bn256::{Fr, G1Affine};
use halo2curves::ff::PrimeField;
use halo2curves::group::Curve;
use proptest::prelude::*;

fn scalar() -> impl Strategy<Value = Fr> {
    prop_oneof![
        any::<u64>().prop_map(Fr::from),
        any::<u128>().prop_map(|v| -Fr::from_u128(v)),
        any::<[u64; 4]>().prop_map(Fr::from_raw),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn msm_equals_the_naive_sum(
        terms in prop::collection::vec((scalar(), 0u64..40), 0..40),
        glv in any::<bool>(),
        window_bits in 1u32..8,
        batch_size in 1usize..10,
        splits in 1u32..5,
    ) {
        let g = G1Affine::generator();
        let scalars: Vec<Fr> = terms.iter().map(|t| t.0).collect();
        let bases: Vec<G1Affine> = terms.iter().map(|t| (g * Fr::from(t.1)).to_affine()).collect();
        let config = MsmConfig {
            glv,
            window_bits: Some(window_bits),
            batch_size: Some(batch_size),
            splits: Some(splits),
            small_below: 0,
        };
        prop_assert_eq!(msm_with(&scalars, &bases, &config), support::naive(&scalars, &bases));
    }
}
