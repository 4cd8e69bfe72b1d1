//! Round trips and hostile bytes for the BitAI transaction codec.

use super::*;
use crate::ids::{ChainId, Hash32};
use crate::limits;
use crate::tx::{ChainLimits, CreateChain, ProofSystem, SubmitProof};
use proptest::prelude::*;

fn arb_hash() -> impl Strategy<Value = Hash32> {
    any::<[u8; 32]>().prop_map(Hash32)
}

fn arb_tx() -> impl Strategy<Value = BitaiTx> {
    let create = (
        "[a-z0-9-]{0,64}",
        prop::collection::vec(any::<u8>(), 0..2048),
        arb_hash(),
        any::<u32>(),
        any::<u32>(),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(name, vk, root, txs, proof_bytes, salt, sim)| {
            BitaiTx::CreateChain(CreateChain {
                name,
                proof_system: if sim {
                    ProofSystem::SimulationOnly
                } else {
                    ProofSystem::Groth16Bn254
                },
                verifying_key: vk,
                genesis_state_root: root,
                limits: ChainLimits {
                    max_block_txs: txs,
                    max_proof_bytes: proof_bytes,
                },
                salt,
            })
        });
    let submit = (
        arb_hash(),
        any::<u64>(),
        arb_hash(),
        arb_hash(),
        arb_hash(),
        prop::collection::vec(any::<u8>(), 0..512),
    )
        .prop_map(|(chain, block_number, prev, new, da, proof)| {
            BitaiTx::SubmitProof(SubmitProof {
                chain_id: ChainId(chain),
                block_number,
                prev_state_root: prev,
                new_state_root: new,
                da_commitment: da,
                proof,
            })
        });
    prop_oneof![create, submit]
}

proptest! {
    #[test]
    fn round_trip(tx in arb_tx()) {
        let bytes = encode_tx(&tx).expect("within limits");
        prop_assert_eq!(bytes[0], FORMAT_VERSION);
        prop_assert_eq!(decode_tx(&bytes).expect("decodes"), tx);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = decode_tx(&bytes);
    }

    #[test]
    fn truncation_is_an_error(tx in arb_tx(), cut in any::<prop::sample::Index>()) {
        let bytes = encode_tx(&tx).expect("within limits");
        let cut = cut.index(bytes.len());
        prop_assert!(decode_tx(&bytes[..cut]).is_err());
    }

    #[test]
    fn trailing_bytes_are_refused(tx in arb_tx(), extra in prop::collection::vec(any::<u8>(), 1..16)) {
        let mut bytes = encode_tx(&tx).expect("within limits");
        bytes.extend_from_slice(&extra);
        prop_assert!(decode_tx(&bytes).is_err());
    }
}

#[test]
fn empty_and_unknown_version() {
    assert_eq!(decode_tx(&[]), Err(DecodeError::Empty));
    assert_eq!(decode_tx(&[9, 0]), Err(DecodeError::UnknownVersion(9)));
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let bytes = vec![FORMAT_VERSION; limits::MAX_TX_BYTES + 1];
    assert!(matches!(
        decode_tx(&bytes),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn hostile_length_prefix_does_not_allocate() {
    // CreateChain, then a name length of 2^32 announced in a 6-byte input.
    let bytes = [FORMAT_VERSION, 0, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert!(matches!(decode_tx(&bytes), Err(DecodeError::Malformed(_))));
}

#[test]
fn field_limits_are_checked_both_ways() {
    let tx = BitaiTx::SubmitProof(SubmitProof {
        chain_id: ChainId::default(),
        block_number: 1,
        prev_state_root: Hash32::default(),
        new_state_root: Hash32::default(),
        da_commitment: Hash32::default(),
        proof: vec![0; limits::MAX_PROOF_BYTES + 1],
    });
    assert!(matches!(encode_tx(&tx), Err(EncodeError::OverLimit(_))));
    let mut bytes = vec![FORMAT_VERSION];
    bytes.extend(postcard::to_stdvec(&tx).expect("postcard encodes"));
    assert!(matches!(
        decode_tx(&bytes),
        Err(DecodeError::FieldTooLarge { field: "proof", .. })
    ));
}

#[test]
fn chain_id_is_the_hash_of_the_encoding() {
    let c = CreateChain {
        name: "demo".into(),
        proof_system: ProofSystem::Groth16Bn254,
        verifying_key: vec![1, 2, 3],
        genesis_state_root: Hash32([7; 32]),
        limits: ChainLimits {
            max_block_txs: 8,
            max_proof_bytes: 128,
        },
        salt: 42,
    };
    let bytes = encode_tx(&BitaiTx::CreateChain(c.clone())).expect("encodes");
    assert_eq!(c.chain_id(), ChainId(Hash32::sha256(&bytes)));
    let mut other = c.clone();
    other.salt = 43;
    assert_ne!(c.chain_id(), other.chain_id());
}

/// Found by the `bitai_tx_decode` fuzz target: postcard reads the varint 93 written in two
/// bytes (`dd 00`); the codec must refuse it so every transaction has one encoding.
#[test]
fn over_long_varints_are_refused() {
    let tx = BitaiTx::CreateChain(CreateChain {
        name: "chain".into(),
        proof_system: ProofSystem::Groth16Bn254,
        verifying_key: vec![1, 2, 3],
        genesis_state_root: Hash32([5; 32]),
        limits: ChainLimits {
            max_block_txs: 93,
            max_proof_bytes: 50,
        },
        salt: 7,
    });
    let canonical = encode_tx(&tx).expect("valid");
    let at = canonical.len() - 3; // max_block_txs, then max_proof_bytes and salt (1 byte each)
    assert_eq!(canonical[at], 93);
    let mut over_long = canonical.clone();
    over_long.splice(at..=at, [93 | 0x80, 0x00]);
    assert_eq!(decode_tx(&over_long), Err(DecodeError::NonCanonical));
    assert_eq!(decode_tx(&canonical), Ok(tx));
}
