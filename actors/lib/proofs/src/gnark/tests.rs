//! Round trips, and hostile bytes: random, truncated, extended and flag-corrupted proofs
//! and keys give typed errors (or, where the bytes still encode valid points, a proof that
//! does not verify), and never reach gnark-bn254-verifier in a form that makes it panic.

use super::*;
use crate::groth16::testing::PowerCircuit;
use crate::groth16::Groth16Keys;
use crate::verifier::{Groth16Verifier, ProofVerifier, VerifyError};
use bitai_chain::field::Fr;
use halo2curves::bn256::{G1, G2};
use halo2curves::group::{Curve, Group};
use proptest::prelude::*;
use rand::SeedableRng;
use std::sync::OnceLock;

struct Fixture {
    vk: Vec<u8>,
    proof: Vec<u8>,
    public: Vec<Fr>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let keys = Groth16Keys::devnet(
            PowerCircuit {
                x: 0,
                rounds: 4,
                tag: 0,
            },
            b"gnark tests",
        )
        .expect("setup");
        let circuit = PowerCircuit {
            x: 11,
            rounds: 4,
            tag: 3,
        };
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let (proof, public) = keys.prove(circuit, &mut rng).expect("prove");
        Fixture {
            vk: write_vk(keys.vk()),
            proof: write_proof(&proof),
            public,
        }
    })
}

/// The verifier's answer on hostile bytes: anything but a panic is acceptable, and a
/// parse failure must be typed.
fn check(vk: &[u8], proof: &[u8]) -> Result<(), VerifyError> {
    let out = Groth16Verifier.verify(vk, proof, &fixture().public);
    assert_ne!(out, Err(VerifyError::VerifierPanicked), "verifier panicked");
    out
}

#[test]
fn points_round_trip() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    for _ in 0..50 {
        let p = G1::random(&mut rng).to_affine();
        assert_eq!(read_g1(&write_g1(&p), "g1").expect("valid"), p);
        let q = G2::random(&mut rng).to_affine();
        assert_eq!(read_g2(&write_g2(&q), "g2").expect("valid"), q);
        assert_eq!(read_g2(&write_g2(&(-q)), "g2").expect("valid"), -q);
    }
    let o = G1Affine::identity();
    assert_eq!(read_g1(&write_g1(&o), "g1"), Ok(o));
}

#[test]
fn g2_points_outside_the_subgroup_are_refused() {
    use halo2curves::bn256::{Fq, Fq2};
    use halo2curves::ff::Field;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let mut refused = 0;
    while refused < 3 {
        let x = Fq2::new(Fq::random(&mut rng), Fq::random(&mut rng));
        let y2 = x.square() * x + G2Affine::b();
        if let Some(y) = Option::<Fq2>::from(y2.sqrt()) {
            let on_curve = G2Affine { x, y };
            let bytes = write_g2(&on_curve);
            assert_eq!(read_g2(&bytes, "g2"), Err(GnarkError::NotInSubgroup("g2")));
            refused += 1;
        }
    }
}

#[test]
fn the_fixture_verifies_and_keys_round_trip() {
    let f = fixture();
    assert_eq!(check(&f.vk, &f.proof), Ok(()));
    assert_eq!(Groth16Verifier.check_key(&f.vk), Ok(()));
    assert_eq!(write_vk(&read_vk(&f.vk).expect("valid")), f.vk);
    assert_eq!(write_proof(&read_proof(&f.proof).expect("valid")), f.proof);
    let mut gnark_tail = f.proof.clone();
    gnark_tail.extend_from_slice(&GNARK_EMPTY_COMMITMENT_TAIL);
    assert_eq!(check(&f.vk, &gnark_tail), Ok(()));
}

#[test]
fn the_flags_gnark_lets_through_are_refused() {
    let f = fixture();
    let mut zero_flag = f.proof.clone();
    zero_flag[0] &= 0x3f;
    assert_eq!(read_proof(&zero_flag), Err(GnarkError::BadFlag("proof Ar")));
    let mut stray = [0u8; 32];
    stray[0] = FLAG_INFINITY;
    stray[31] = 1;
    assert_eq!(read_g1(&stray, "p"), Err(GnarkError::BadInfinity("p")));
    // x = p (the modulus) with a compressed flag: gnark reduces it, we refuse it.
    let mut modulus = [0u8; 32];
    modulus.copy_from_slice(
        &hex::decode("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47")
            .expect("hex"),
    );
    modulus[0] |= FLAG_SMALLER;
    assert_eq!(read_g1(&modulus, "p"), Err(GnarkError::NotCanonical("p")));
}

#[test]
fn short_proofs_and_keys_are_typed_errors() {
    let f = fixture();
    for len in 0..f.proof.len() {
        assert!(matches!(
            check(&f.vk, &f.proof[..len]),
            Err(VerifyError::BadProof(_))
        ));
    }
    for len in 0..f.vk.len() {
        assert!(matches!(
            check(&f.vk[..len], &f.proof),
            Err(VerifyError::BadKey(_))
        ));
    }
}

#[test]
fn an_untrusted_k_count_is_refused() {
    let f = fixture();
    for count in [0u32, 2, 4, 1_000_000, u32::MAX] {
        let mut vk = f.vk.clone();
        vk[288..292].copy_from_slice(&count.to_be_bytes());
        assert!(check(&vk, &f.proof).is_err());
    }
    let mut with_commitments = f.vk.clone();
    let at = 292 + 32 * read_vk(&f.vk).expect("valid").ic.len();
    with_commitments[at + 3] = 1;
    assert_eq!(
        check(&with_commitments, &f.proof),
        Err(VerifyError::BadKey(GnarkError::UnsupportedCommitments))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        let f = fixture();
        let _ = check(&f.vk, &bytes);
        let _ = check(&bytes, &f.proof);
        let _ = read_vk(&bytes);
        let _ = read_proof(&bytes);
    }

    #[test]
    fn random_points_of_the_right_length_never_panic(bytes in proptest::array::uniform32(any::<u8>())) {
        let f = fixture();
        let mut proof = f.proof.clone();
        proof[96..128].copy_from_slice(&bytes);
        let _ = check(&f.vk, &proof);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn corrupted_proofs_and_keys_fail_typed(
        in_key in any::<bool>(),
        position in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let f = fixture();
        let (mut vk, mut proof) = (f.vk.clone(), f.proof.clone());
        let target = if in_key { &mut vk } else { &mut proof };
        let i = position.index(target.len());
        target[i] ^= mask;
        let unread = in_key && VK_UNREAD_BY_VERIFIER.iter().any(|r| r.contains(&i));
        if unread {
            // The verifier never reads these bytes; registration refuses the key.
            prop_assert!(Groth16Verifier.check_key(&vk).is_err());
        } else {
            prop_assert!(check(&vk, &proof).is_err(), "a corrupted input verified");
        }
    }

    #[test]
    fn flag_corruption_fails_typed(point in 0usize..3, flag in 0u8..4) {
        let f = fixture();
        let mut proof = f.proof.clone();
        let at = [0, 32, 96][point];
        let original = proof[at] >> 6;
        proof[at] = (proof[at] & 0x3f) | (flag << 6);
        let out = check(&f.vk, &proof);
        if flag == original {
            prop_assert_eq!(out, Ok(()));
        } else {
            prop_assert!(out.is_err());
        }
    }
}
