//! The builder: exact sizes, round trips through the parser, a really signed reveal, and
//! several envelopes per input and per transaction.

use super::support::{keypair, tx_with};
use crate::envelope::{
    envelope_script_len, parse_transaction, reveal_input_weight, reveal_script, reveal_script_len,
    BuildError, EnvelopeFlags, Reveal, BITAI_CONTENT_TYPE,
};
use crate::limits::MAX_TX_BYTES;
use crate::{encode_tx, BitaiTx, ChainLimits, CreateChain, Hash32, ProofSystem};
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::Message;
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::transaction::Version;
use bitcoin::{Amount, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid};
use proptest::prelude::*;

fn dummy_signature() -> bitcoin::taproot::Signature {
    let signature = bitcoin::secp256k1::schnorr::Signature::from_slice(&[1u8; 64])
        .expect("any 64 bytes make a signature encoding");
    bitcoin::taproot::Signature {
        signature,
        sighash_type: TapSighashType::Default,
    }
}

/// A reveal transaction spending one commit output per reveal, each with a dummy signature.
fn reveal_tx(reveals: &[&Reveal]) -> Transaction {
    let mut tx = tx_with(
        &reveals
            .iter()
            .map(|r| r.witness(&dummy_signature()))
            .collect::<Vec<_>>(),
    );
    tx.output.push(TxOut {
        value: Amount::from_sat(546),
        script_pubkey: ScriptBuf::new(),
    });
    tx
}

#[test]
fn script_lengths_are_exact() {
    let (_, _, key) = keypair();
    assert_eq!(envelope_script_len(0), 43);
    for len in [
        0, 1, 75, 76, 255, 256, 519, 520, 521, 1040, 1041, 1116, 392_000,
    ] {
        let payload = vec![0xab; len];
        let script = reveal_script(key, &[&payload]).expect("within the limit");
        assert_eq!(script.len(), reveal_script_len(&[len]), "payload of {len}");
        assert_eq!(script.len(), 34 + envelope_script_len(len));
    }
    assert_eq!(
        envelope_script_len(520 * 3) - envelope_script_len(0),
        523 * 3
    );
}

#[test]
fn the_reveal_input_weight_estimate_is_exact() {
    let (secp, _, key) = keypair();
    for lens in [
        vec![0],
        vec![100],
        vec![520, 300],
        vec![60_000, 1, 7_000],
        vec![392_000],
    ] {
        let payloads: Vec<Vec<u8>> = lens.iter().map(|&len| vec![0x5a; len]).collect();
        let reveal = Reveal::new(&secp, key, &payloads).expect("within the limits");
        let tx = reveal_tx(&[&reveal]);
        // version 4, input count 1, output count 1, one output of 8 + 1 bytes, lock time 4:
        // 19 bytes at 4 WU; then the segwit marker and flag, 2 WU.
        let rest_of_tx = 19 * 4 + 2;
        assert_eq!(
            tx.weight().to_wu(),
            rest_of_tx + reveal_input_weight(&lens).to_wu(),
            "payloads {lens:?}"
        );
    }
}

#[test]
fn a_signed_reveal_of_a_real_bitai_tx_verifies_and_parses_back() {
    let (secp, keypair, key) = keypair();
    let create = BitaiTx::CreateChain(CreateChain {
        name: "envelope-test".into(),
        proof_system: ProofSystem::Groth16Bn254,
        verifying_key: vec![3; 1500],
        genesis_state_root: Hash32::sha256(b"genesis"),
        limits: ChainLimits {
            max_block_txs: 16,
            max_proof_bytes: 256,
        },
        salt: 9,
    });
    let payload = encode_tx(&create).expect("a valid transaction encodes");
    let reveal = Reveal::new(&secp, key, &[&payload]).expect("one payload");

    let commit_output = TxOut {
        value: Amount::from_sat(20_000),
        script_pubkey: reveal.commit_address(Network::Regtest).script_pubkey(),
    };
    assert_eq!(commit_output.script_pubkey, reveal.commit_script_pubkey());
    assert!(commit_output.script_pubkey.is_p2tr());
    let output_key = reveal.spend_info.output_key().to_x_only_public_key();
    assert!(reveal
        .control_block
        .verify_taproot_commitment(&secp, output_key, &reveal.script));

    let mut tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array([4; 32]),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Default::default(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey: ScriptBuf::new(),
        }],
    };
    let sighash = SighashCache::new(&tx)
        .taproot_script_spend_signature_hash(
            0,
            &Prevouts::All(&[commit_output]),
            reveal.leaf_hash(),
            TapSighashType::Default,
        )
        .expect("one input, one prevout");
    let message = Message::from_digest(sighash.to_byte_array());
    let signature = secp.sign_schnorr_no_aux_rand(&message, &keypair);
    secp.verify_schnorr(&signature, &message, &key)
        .expect("our own signature verifies");
    let signature = bitcoin::taproot::Signature {
        signature,
        sighash_type: TapSighashType::Default,
    };
    tx.input[0].witness = reveal.witness(&signature);

    let bytes = bitcoin::consensus::serialize(&tx);
    let decoded: Transaction = bitcoin::consensus::deserialize(&bytes).expect("round trip");
    let found = parse_transaction(&decoded);
    assert_eq!(found.len(), 1);
    assert!(found[0].is_bitai());
    assert_eq!(found[0].reveal_key, Some(key.serialize()));
    assert_eq!(found[0].bitai_tx(), Ok(create));
}

#[test]
fn several_envelopes_per_input_and_per_transaction_round_trip() {
    let (secp, _, key) = keypair();
    let first = Reveal::new(&secp, key, &[vec![1u8; 10], vec![2u8; 700]]).expect("two payloads");
    let second = Reveal::new(&secp, key, &[vec![3u8; 5]]).expect("one payload");
    let found = parse_transaction(&reveal_tx(&[&first, &second]));
    let seen: Vec<(u32, u32, Option<usize>)> = found
        .iter()
        .map(|e| (e.input, e.offset, e.body_len()))
        .collect();
    assert_eq!(
        seen,
        vec![(0, 0, Some(10)), (0, 1, Some(700)), (1, 0, Some(5))]
    );
}

#[test]
fn the_builder_refuses_empty_and_oversized_batches() {
    let (secp, _, key) = keypair();
    let none: [Vec<u8>; 0] = [];
    assert_eq!(
        Reveal::new(&secp, key, &none).err(),
        Some(BuildError::NoPayloads)
    );
    let big = vec![0u8; MAX_TX_BYTES + 1];
    assert_eq!(
        reveal_script(key, &[&[1u8][..], &big]).err(),
        Some(BuildError::PayloadTooLarge {
            index: 1,
            len: MAX_TX_BYTES + 1,
            max: MAX_TX_BYTES
        })
    );
}

fn payload_len() -> impl Strategy<Value = usize> {
    prop_oneof![0usize..1100, 1100usize..400_000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn builder_output_parses_back(
        lens in prop::collection::vec(payload_len(), 1..4),
        seed in any::<u8>(),
    ) {
        let lens: Vec<usize> = lens.into_iter().map(|len| len.min(MAX_TX_BYTES)).collect();
        let payloads: Vec<Vec<u8>> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| (0..len).map(|j| (j as u8) ^ seed ^ (i as u8)).collect())
            .collect();
        let (secp, _, key) = keypair();
        let reveal = Reveal::new(&secp, key, &payloads).expect("within the limits");
        let found = parse_transaction(&reveal_tx(&[&reveal]));
        prop_assert_eq!(found.len(), payloads.len());
        for ((envelope, payload), offset) in found.iter().zip(&payloads).zip(0u32..) {
            prop_assert_eq!((envelope.input, envelope.offset), (0, offset));
            prop_assert!(envelope.is_bitai());
            prop_assert_eq!(envelope.fields.content_type.as_deref(), Some(BITAI_CONTENT_TYPE));
            prop_assert_eq!(envelope.flags, EnvelopeFlags::default());
            prop_assert_eq!(envelope.body_bytes(), Some(&payload[..]));
        }
    }
}
