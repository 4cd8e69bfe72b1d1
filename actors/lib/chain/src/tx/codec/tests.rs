//! The wire form round-trips, is canonical, and refuses every malformed input with a typed
//! error: random, truncated, extended and bit-flipped bytes never panic.

use super::*;
use crate::babyjubjub::Point;
use crate::eddsa::PrivateKey;
use crate::field::Fr;
use ark_ff::{BigInteger, PrimeField};
use bitai_protocol::ChainId;
use proptest::prelude::*;

fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

fn signed(from: u32, to: u32, amount: u64, fee: u64, nonce: u64, k: u8) -> SignedTransfer {
    Transfer {
        from,
        to,
        to_public_key: key(k.wrapping_add(1)).public_key(),
        amount,
        fee,
        nonce,
    }
    .sign(&ChainId(Hash32::sha256(b"codec tests")), &key(k))
}

#[test]
fn the_layout_is_the_documented_one() {
    let tx = signed(0x0102_0304, 7, 1_000, 9, 3, 1);
    let bytes = tx.to_bytes();
    assert_eq!(bytes.len(), SIGNED_TRANSFER_BYTES);
    assert_eq!(&bytes[0..4], &[4, 3, 2, 1]);
    assert_eq!(&bytes[4..8], &7u32.to_le_bytes());
    assert_eq!(&bytes[8..40], &pack_point(&tx.transfer.to_public_key));
    assert_eq!(&bytes[40..48], &1_000u64.to_le_bytes());
    assert_eq!(&bytes[48..56], &9u64.to_le_bytes());
    assert_eq!(&bytes[56..64], &3u64.to_le_bytes());
    assert_eq!(&bytes[64..], &tx.signature.to_bytes());
    assert_eq!(tx.hash(), Hash32::sha256(&bytes));
}

#[test]
fn malformed_fields_are_typed_errors() {
    let bytes = signed(1, 2, 3, 4, 5, 6).to_bytes();
    let with = |at: usize, patch: &[u8]| {
        let mut b = bytes.clone();
        b[at..at + patch.len()].copy_from_slice(patch);
        SignedTransfer::from_bytes(&b)
    };
    assert_eq!(
        SignedTransfer::from_bytes(&bytes[..127]),
        Err(TxCodecError::Length {
            got: 127,
            expected: 128
        })
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        SignedTransfer::from_bytes(&longer),
        Err(TxCodecError::Length { got: 129, .. })
    ));
    assert_eq!(
        with(48, &(MAX_FEE + 1).to_le_bytes()),
        Err(TxCodecError::FeeTooLarge(MAX_FEE + 1))
    );
    assert!(with(48, &MAX_FEE.to_le_bytes()).is_ok());
    // All ones: y = 2^255 - 1 is not a canonical field element.
    assert!(matches!(
        with(8, &[0xff; 32]),
        Err(TxCodecError::RecipientKey(_))
    ));
    // The identity (0, 1) is refused as a key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(matches!(
        with(8, &identity),
        Err(TxCodecError::RecipientKey(_))
    ));
    // S = l (the subgroup order) is a malleated signature.
    let l = crate::babyjubjub::Scalar::MODULUS.to_bytes_le();
    assert_eq!(
        with(96, &l),
        Err(TxCodecError::Signature(SignatureError::ScalarOutOfRange))
    );
    assert!(matches!(
        with(64, &identity),
        Err(TxCodecError::Signature(SignatureError::BadR8(_)))
    ));
}

#[test]
fn a_small_order_recipient_key_is_refused() {
    // (0, -1) has order two: on the curve, outside the prime-order subgroup.
    let t = Point::new_unchecked(Fr::from(0u64), -Fr::from(1u64));
    let mut bytes = signed(1, 2, 3, 4, 5, 6).to_bytes();
    bytes[8..40].copy_from_slice(&pack_point(&t));
    assert!(matches!(
        SignedTransfer::from_bytes(&bytes),
        Err(TxCodecError::RecipientKey(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signed_transfers_round_trip(
        from in any::<u32>(),
        to in any::<u32>(),
        amount in any::<u64>(),
        fee in 0..=MAX_FEE,
        nonce in any::<u64>(),
        k in 1u8..=255,
    ) {
        let tx = signed(from, to, amount, fee, nonce, k);
        let bytes = tx.to_bytes();
        prop_assert_eq!(bytes.len(), SIGNED_TRANSFER_BYTES);
        prop_assert_eq!(SignedTransfer::from_bytes(&bytes), Ok(tx));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(tx) = SignedTransfer::from_bytes(&bytes) {
            // Whatever decodes is canonical: one transfer, one id.
            prop_assert_eq!(tx.to_bytes(), bytes);
        }
    }

    #[test]
    fn random_bytes_of_the_right_length_never_panic(
        mut bytes in proptest::collection::vec(any::<u8>(), SIGNED_TRANSFER_BYTES),
    ) {
        // A small fee, so that decoding goes on to the points and the scalar.
        bytes[54] = 0;
        bytes[55] = 0;
        if let Ok(tx) = SignedTransfer::from_bytes(&bytes) {
            prop_assert_eq!(tx.to_bytes(), bytes);
        }
    }

    #[test]
    fn truncated_and_flipped_bytes_never_panic(
        cut in 0usize..=SIGNED_TRANSFER_BYTES,
        at in 0usize..SIGNED_TRANSFER_BYTES,
        mask in 1u8..=255,
    ) {
        let bytes = signed(3, 4, 5, 6, 7, 8).to_bytes();
        let truncated = SignedTransfer::from_bytes(&bytes[..cut]);
        prop_assert_eq!(truncated.is_ok(), cut == SIGNED_TRANSFER_BYTES);
        let mut flipped = bytes.clone();
        flipped[at] ^= mask;
        if let Ok(tx) = SignedTransfer::from_bytes(&flipped) {
            prop_assert_eq!(tx.to_bytes(), flipped);
        }
    }
}
