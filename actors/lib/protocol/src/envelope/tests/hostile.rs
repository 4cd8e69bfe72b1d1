//! Hostile input: bodies over the limits, BitAI envelopes that do not decode, floods of
//! fields, and random bytes as witnesses, tapscripts and transactions never panic.

use super::support::{envelope_script, parse_script, script_witness, tx_with, PNG_HEX};
use crate::envelope::{
    parse_tapscript, parse_transaction, scan_transaction, tag, Body, EnvelopeError, ParseLimits,
    BITAI_CONTENT_TYPE, BITAI_METAPROTOCOL, MAX_KEPT_UNKNOWN_FIELDS,
};
use crate::limits::MAX_TX_BYTES;
use crate::DecodeError;
use bitcoin::{Script, Transaction, Witness};
use proptest::prelude::*;

fn bitai_script(body_pushes: &[&[u8]]) -> bitcoin::ScriptBuf {
    let mut pushes: Vec<&[u8]> = vec![
        b"ord",
        &[tag::CONTENT_TYPE],
        BITAI_CONTENT_TYPE,
        &[tag::METAPROTOCOL],
        BITAI_METAPROTOCOL,
        &[],
    ];
    pushes.extend_from_slice(body_pushes);
    envelope_script(&pushes)
}

#[test]
fn bodies_over_the_limit_are_not_assembled() {
    let chunk = [7u8; 520];
    let script = bitai_script(&[&chunk, &chunk, &chunk]);
    let tx = tx_with(&[script_witness(script.as_bytes())]);
    let limits = ParseLimits {
        max_bitai_body_bytes: 1000,
        max_body_bytes: 2000,
    };
    let envelope = &scan_transaction(&tx, &limits).envelopes[0];
    assert_eq!(
        envelope.body,
        Body::OverLimit {
            len: 1560,
            max: 1000
        }
    );
    assert_eq!(envelope.body_len(), Some(1560));
    assert_eq!(
        envelope.bitai_tx(),
        Err(EnvelopeError::BodyTooLarge {
            len: 1560,
            max: 1000
        })
    );

    // A generic envelope gets the generic limit.
    let generic = envelope_script(&[b"ord", &[], &chunk, &chunk, &chunk, &chunk]);
    let tx = tx_with(&[script_witness(generic.as_bytes())]);
    let envelope = &scan_transaction(&tx, &limits).envelopes[0];
    assert_eq!(
        envelope.body,
        Body::OverLimit {
            len: 2080,
            max: 2000
        }
    );
}

#[test]
fn a_bitai_body_over_the_protocol_limit_is_refused_by_default() {
    let chunk = [1u8; 520];
    let chunks: Vec<&[u8]> = std::iter::repeat_n(&chunk[..], MAX_TX_BYTES / 520 + 1).collect();
    let found = parse_script(bitai_script(&chunks).as_bytes());
    let len = chunks.len() * 520;
    assert_eq!(
        found[0].body,
        Body::OverLimit {
            len,
            max: MAX_TX_BYTES
        }
    );
    assert_eq!(
        found[0].bitai_tx(),
        Err(EnvelopeError::BodyTooLarge {
            len,
            max: MAX_TX_BYTES
        })
    );
}

#[test]
fn bitai_envelopes_that_do_not_decode_give_typed_errors() {
    let garbage = parse_script(bitai_script(&[&[1, 0xff, 0xff, 0xff]]).as_bytes());
    assert!(matches!(
        garbage[0].bitai_tx(),
        Err(EnvelopeError::Decode(DecodeError::Malformed(_)))
    ));
    let version = parse_script(bitai_script(&[&[9]]).as_bytes());
    assert_eq!(
        version[0].bitai_tx(),
        Err(EnvelopeError::Decode(DecodeError::UnknownVersion(9)))
    );
    let empty = parse_script(bitai_script(&[]).as_bytes());
    assert_eq!(
        empty[0].bitai_tx(),
        Err(EnvelopeError::Decode(DecodeError::Empty))
    );

    let no_body = envelope_script(&[b"ord", &[tag::METAPROTOCOL], BITAI_METAPROTOCOL]);
    assert_eq!(
        parse_script(no_body.as_bytes())[0].bitai_tx(),
        Err(EnvelopeError::NoBody)
    );
    let other = envelope_script(&[b"ord", &[tag::METAPROTOCOL], b"brc-20", &[], &[1]]);
    assert_eq!(
        parse_script(other.as_bytes())[0].bitai_tx(),
        Err(EnvelopeError::NotBitai)
    );
    let encoded = envelope_script(&[b"ord", &[7], BITAI_METAPROTOCOL, &[9], b"br", &[], &[1]]);
    let error = parse_script(encoded.as_bytes())[0].bitai_tx();
    assert_eq!(error, Err(EnvelopeError::ContentEncoded("br".into())));
}

#[test]
fn a_flood_of_unknown_fields_is_counted_not_kept() {
    let tags: Vec<[u8; 2]> = (0..500u16).map(|i| [0xf1, (i % 200) as u8]).collect();
    let mut pushes: Vec<&[u8]> = vec![b"ord"];
    for tag in &tags {
        pushes.push(tag);
        pushes.push(&[]);
    }
    let found = parse_script(envelope_script(&pushes).as_bytes());
    assert_eq!(found[0].fields.unknown.len(), MAX_KEPT_UNKNOWN_FIELDS);
    assert_eq!(found[0].fields.unknown_count, 500);
    assert!(found[0].flags.duplicate_field);
    assert!(!found[0].flags.unrecognized_even_field);
}

#[test]
fn truncated_pushes_at_every_length_never_panic_and_give_nothing() {
    let script = bitai_script(&[&[5u8; 600], &[6u8; 80]]).into_bytes();
    for cut in 0..script.len() {
        let found = parse_tapscript(
            Script::from_bytes(&script[..cut]),
            0,
            &ParseLimits::default(),
        );
        // A cut script never holds a complete envelope: either it ends inside one, or a push
        // runs past the cut.
        assert!(found.map(|f| f.is_empty()).unwrap_or(true), "cut at {cut}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_witnesses_never_panic(elements in prop::collection::vec(
        prop::collection::vec(any::<u8>(), 0..300), 0..5)) {
        let tx = tx_with(&[Witness::from_slice(&elements)]);
        for envelope in parse_transaction(&tx) {
            prop_assert!(envelope.body_len().unwrap_or(0) <= elements.iter().map(Vec::len).sum());
        }
    }

    #[test]
    fn random_tapscripts_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut with_opener = vec![0x00, 0x63, 0x03, b'o', b'r', b'd'];
        with_opener.extend_from_slice(&bytes);
        for script in [&bytes, &with_opener] {
            if let Ok(found) = parse_tapscript(Script::from_bytes(script), 0, &ParseLimits::default()) {
                for envelope in found {
                    prop_assert!(envelope.body_len().unwrap_or(0) <= script.len());
                    let _ = envelope.bitai_tx();
                }
            }
        }
    }

    #[test]
    fn random_transaction_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(tx) = bitcoin::consensus::deserialize::<Transaction>(&bytes) {
            let _ = scan_transaction(&tx, &ParseLimits::default());
        }
    }

    #[test]
    fn mutated_real_inscriptions_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = hex::decode(PNG_HEX.trim()).expect("vector is hex");
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        for input in [&bytes[..], &bytes[..cut.index(bytes.len())]] {
            if let Ok(tx) = bitcoin::consensus::deserialize::<Transaction>(input) {
                for envelope in scan_transaction(&tx, &ParseLimits::default()).envelopes {
                    prop_assert!(envelope.body_len().unwrap_or(0) <= input.len());
                }
            }
        }
    }
}
