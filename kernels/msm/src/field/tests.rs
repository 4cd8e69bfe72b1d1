//! Our Fq and Fq2 agree with halo2curves' on seeded and extreme values.

use super::{Fq, Fq2, MsmField};
use halo2curves::bn256::{Fq as HaloFq, Fq2 as HaloFq2};
use halo2curves::ff::Field;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn values(rng: &mut ChaCha8Rng) -> Vec<HaloFq> {
    let mut v = vec![HaloFq::ZERO, HaloFq::ONE, -HaloFq::ONE, -HaloFq::from(2u64)];
    v.extend((0..300).map(|_| HaloFq::random(&mut *rng)));
    v
}

#[test]
fn fq_matches_halo2curves() {
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let vs = values(&mut rng);
    for a in &vs {
        let x = Fq::from_halo(a);
        assert_eq!(x.to_halo(), *a);
        assert_eq!(x.square().to_halo(), a.square());
        assert_eq!((-x).to_halo(), -*a);
        assert_eq!(x.double().to_halo(), a.double());
        if *a != HaloFq::ZERO {
            assert_eq!(x.invert().map(Fq::to_halo), a.invert().into_option());
        }
        for b in vs.iter().step_by(7) {
            let y = Fq::from_halo(b);
            assert_eq!((x * y).to_halo(), *a * b);
            assert_eq!((x + y).to_halo(), *a + b);
            assert_eq!((x - y).to_halo(), *a - b);
        }
    }
    assert_eq!(Fq::ONE.to_halo(), HaloFq::ONE);
    assert!(Fq::ZERO.invert().is_none());
}

#[test]
fn fq2_matches_halo2curves() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let vs: Vec<HaloFq2> = (0..200).map(|_| HaloFq2::random(&mut rng)).collect();
    for a in &vs {
        let x = Fq2::from_halo(a);
        assert_eq!(x.to_halo(), *a);
        assert_eq!(x.square().to_halo(), a.square());
        assert_eq!(x.invert().map(Fq2::to_halo), a.invert().into_option());
        for b in vs.iter().step_by(11) {
            let y = Fq2::from_halo(b);
            assert_eq!((x * y).to_halo(), *a * b);
            assert_eq!((x - y).to_halo(), *a - b);
            assert_eq!((x + y).to_halo(), *a + b);
        }
    }
}
