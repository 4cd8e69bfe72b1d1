//! A vector computed with zk-kit's `@zk-kit/eddsa-poseidon` and circomlibjs (the same values
//! `actors/lib/proofs/interop/make-fixtures.mjs` regenerates), and the refusals that make
//! signatures non-malleable.

use super::*;
use crate::field::fr_from_decimal;
use ark_ff::{AdditiveGroup, Field};

fn fr(s: &str) -> Fr {
    fr_from_decimal(s).expect("canonical")
}

fn vector_key() -> PrivateKey {
    let mut sk = [0u8; 32];
    hex::decode_to_slice(
        "0001020304050607080910111213141516171819202122232425262728293031",
        &mut sk,
    )
    .expect("hex");
    PrivateKey(sk)
}

#[test]
fn public_key_and_signature_match_zk_kit() {
    let sk = vector_key();
    let a = sk.public_key();
    assert_eq!(
        a.x,
        fr("6009826206664631762425195104551483519464780417855034312675013183895652229081")
    );
    assert_eq!(
        a.y,
        fr("10734004088266146241393102410697198390225666634906567834302254376371681698208")
    );
    let msg = Fr::from(1234567890123456789u64);
    let sig = sk.sign(msg);
    assert_eq!(
        sig.r8.x,
        fr("75404386430038745496028830267214281429085977709227396576924080988815226951")
    );
    assert_eq!(
        sig.r8.y,
        fr("5559201240868240896787223244413132069529880933555840548069504592835631717237")
    );
    assert_eq!(
        sig.s.into_bigint().to_string(),
        "2616986093452468345896866481617126038705964184815940074192647956718759895959"
    );
    verify(&a, msg, &sig).expect("valid");
    assert_eq!(
        Signature::from_bytes(&sig.to_bytes()).expect("round trip"),
        sig
    );
}

#[test]
fn tampering_is_refused() {
    let sk = vector_key();
    let a = sk.public_key();
    let msg = Fr::from(42u64);
    let sig = sk.sign(msg);
    assert_eq!(
        verify(&a, msg + Fr::ONE, &sig),
        Err(SignatureError::Invalid)
    );
    let other = PrivateKey([7u8; 32]).public_key();
    assert_eq!(verify(&other, msg, &sig), Err(SignatureError::Invalid));
    let bumped = Signature {
        r8: sig.r8,
        s: sig.s + Scalar::ONE,
    };
    assert_eq!(verify(&a, msg, &bumped), Err(SignatureError::Invalid));
}

#[test]
fn malleated_scalar_s_plus_l_is_refused() {
    let sk = vector_key();
    let sig = sk.sign(Fr::from(5u64));
    let mut s_plus_l = sig.s.into_bigint();
    assert!(!s_plus_l.add_with_carry(&Scalar::MODULUS));
    assert_eq!(
        Signature::from_parts(sig.r8.x, sig.r8.y, s_plus_l),
        Err(SignatureError::ScalarOutOfRange)
    );
    let mut packed = sig.to_bytes();
    packed[32..].copy_from_slice(&s_plus_l.to_bytes_le());
    assert_eq!(
        Signature::from_bytes(&packed),
        Err(SignatureError::ScalarOutOfRange)
    );
}

#[test]
fn small_order_components_are_refused() {
    let sk = vector_key();
    let msg = Fr::from(9u64);
    let sig = sk.sign(msg);
    let t = Point::new_unchecked(Fr::ZERO, -Fr::ONE);
    let r8_mixed = (sig.r8 + t).into_affine();
    let bad = Signature {
        r8: r8_mixed,
        s: sig.s,
    };
    assert_eq!(
        verify(&sk.public_key(), msg, &bad),
        Err(SignatureError::BadR8(PointError::NotInSubgroup))
    );
    let a_mixed = (sk.public_key() + t).into_affine();
    assert_eq!(
        verify(&a_mixed, msg, &sig),
        Err(SignatureError::BadPublicKey(PointError::NotInSubgroup))
    );
}
