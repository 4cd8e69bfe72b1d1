//! Round trips, strictness and hostile bytes for the op codec.

use super::*;
use crate::eddsa::PrivateKey;
use crate::field::Fr;
use bitai_protocol::ChainId;
use proptest::prelude::*;

fn signed(kind: PocKind, payload: Vec<u8>) -> PocOp {
    let tx = PocTx {
        kind,
        account: 7,
        target: 3,
        amount: 1_234,
        nonce: 9,
        fee: 5,
        data: [Fr::from(11u64), Fr::from(12u64)],
    };
    PocOp::Signed(tx.sign(&ChainId::default(), &PrivateKey([4; 32]), payload))
}

#[test]
fn every_kind_round_trips_and_no_length_is_a_transfers() {
    for kind in PocKind::ALL {
        let op = if kind == PocKind::Settle {
            PocOp::Settle {
                request: 77,
                part: 3,
            }
        } else {
            signed(kind, vec![1, 2, 3])
        };
        let bytes = op.to_bytes();
        assert_ne!(bytes.len(), crate::tx::SIGNED_TRANSFER_BYTES);
        assert_eq!(PocOp::from_bytes(&bytes).expect("canonical"), op);
        assert_eq!(op.kind(), kind);
    }
}

#[test]
fn strictness() {
    let bytes = signed(PocKind::Reveal, vec![9; 10]).to_bytes();
    assert!(matches!(
        PocOp::from_bytes(&bytes[..bytes.len() - 1]),
        Err(PocCodecError::Length { .. })
    ));
    let mut fee = bytes.clone();
    fee[25..33].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        PocOp::from_bytes(&fee),
        Err(PocCodecError::FeeTooLarge(_))
    ));
    let mut data = bytes.clone();
    data[33..65].copy_from_slice(&[0xff; 32]);
    assert_eq!(PocOp::from_bytes(&data), Err(PocCodecError::Data(0)));
    let mut big = bytes.clone();
    big[161..165].copy_from_slice(&(MAX_PAYLOAD_BYTES as u32 + 1).to_le_bytes());
    assert!(matches!(
        PocOp::from_bytes(&big),
        Err(PocCodecError::PayloadTooLarge(_))
    ));
    assert_eq!(
        PocOp::from_bytes(&[7, 0, 0, 0, 0, 4]),
        Err(PocCodecError::Part(4))
    );
    assert_eq!(PocOp::from_bytes(&[1]), Err(PocCodecError::Kind(1)));
    assert_eq!(PocOp::from_bytes(&[]), Err(PocCodecError::Empty));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn hostile_bytes_give_errors_or_canonical_ops(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(op) = PocOp::from_bytes(&bytes) {
            prop_assert_eq!(op.to_bytes(), bytes);
        }
    }

    #[test]
    fn corrupted_signed_ops_never_panic(flip in 0usize..200, bit in 0u8..8) {
        let mut bytes = signed(PocKind::Commit, vec![5; 30]).to_bytes();
        let i = flip % bytes.len();
        bytes[i] ^= 1 << bit;
        if let Ok(op) = PocOp::from_bytes(&bytes) {
            prop_assert_eq!(op.to_bytes(), bytes);
        }
    }
}
