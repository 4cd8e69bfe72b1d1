//! `(beta x, y)` is `Fr::ZETA (x, y)` on G1 and G2 for the `beta` each curve declares: the
//! GLV split `k = k1 - k2 zeta` relies on it.

use bitai_msm::MsmCurve;
use halo2curves::bn256::{Fr, G1Affine, G2Affine};
use halo2curves::ff::{Field, WithSmallOrderMulGroup};
use halo2curves::group::{Curve, Group};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn check<C: MsmCurve>(seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..8 {
        let p = (C::Curve::generator() * Fr::random(&mut rng)).to_affine();
        let coordinates = p.coordinates().expect("a random point is not the identity");
        let beta = C::from_field(&C::endo_beta());
        let phi = C::from_xy(*coordinates.x() * beta, *coordinates.y())
            .expect("phi maps the curve to itself");
        assert_eq!(phi.to_curve(), p * Fr::ZETA);
    }
}

#[test]
fn g1_endomorphism_is_zeta() {
    check::<G1Affine>(31);
}

#[test]
fn g2_endomorphism_is_zeta() {
    check::<G2Affine>(32);
}
