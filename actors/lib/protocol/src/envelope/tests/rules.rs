//! ord's reading rules, one test each: which witness element is the tapscript, where an
//! envelope starts and ends, how fields and bodies are read, and the flags ord sets.

use super::support::{envelope_script, parse_script, push, script_witness, tx_with};
use crate::envelope::{
    parse_transaction, scan_transaction, tag, Body, Field, ParseLimits, TapscriptError,
};
use bitcoin::opcodes::all::{OP_AND, OP_CHECKSIG, OP_ENDIF, OP_IF, OP_NOP, OP_PUSHNUM_NEG1};
use bitcoin::opcodes::OP_FALSE;
use bitcoin::script::Builder;
use bitcoin::Witness;
use proptest::prelude::*;

const TEXT: &[u8] = b"text/plain;charset=utf-8";

fn text_envelope(body: &[u8]) -> bitcoin::ScriptBuf {
    envelope_script(&[b"ord", &[tag::CONTENT_TYPE], TEXT, &[], body])
}

#[test]
fn the_tapscript_is_the_second_to_last_element_or_third_with_an_annex() {
    let script = text_envelope(b"hi").into_bytes();
    let cases = [
        (Witness::new(), 0),
        (Witness::from_slice(std::slice::from_ref(&script)), 0),
        (Witness::from_slice(&[script.clone(), vec![0x50]]), 0),
        (Witness::from_slice(&[script.clone(), Vec::new()]), 1),
        (
            Witness::from_slice(&[script.clone(), vec![0xc0; 33], vec![0x50, 1]]),
            1,
        ),
        (
            Witness::from_slice(&[vec![1; 64], script.clone(), vec![0xc0; 33]]),
            1,
        ),
        (
            Witness::from_slice(&[script.clone(), vec![1; 64], vec![0xc0; 33]]),
            0,
        ),
    ];
    for (witness, expected) in cases {
        let found = parse_transaction(&tx_with(std::slice::from_ref(&witness)));
        assert_eq!(found.len(), expected, "witness {witness:?}");
    }
}

#[test]
fn a_text_envelope_reads_its_content_type_and_body() {
    let found = parse_script(text_envelope(b"ord").as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].fields.content_type.as_deref(), Some(TEXT));
    assert_eq!(found[0].body, Body::Bytes(b"ord".to_vec()));
    assert_eq!(found[0].reveal_key, None);
}

#[test]
fn envelopes_need_false_if_and_the_protocol_id() {
    let no_false = Builder::new()
        .push_opcode(OP_IF)
        .push_slice(b"ord")
        .push_opcode(OP_ENDIF);
    assert!(parse_script(no_false.as_bytes()).is_empty());
    assert!(parse_script(envelope_script(&[]).as_bytes()).is_empty());
    assert!(parse_script(envelope_script(&[b"foo"]).as_bytes()).is_empty());
    assert!(parse_script(envelope_script(&[b"ord", &[1]]).as_bytes()[..6].as_ref()).is_empty());
    // The bare envelope is an inscription with no fields and no body.
    let bare = parse_script(envelope_script(&[b"ord"]).as_bytes());
    assert_eq!(bare.len(), 1);
    assert_eq!(bare[0].body, Body::Absent);
}

#[test]
fn non_minimal_pushes_count_as_the_same_bytes() {
    // OP_PUSHDATA1 0 is an empty push (OP_FALSE), OP_PUSHDATA1 3 "ord" the protocol id.
    let script = [
        0x4c, 0x00, 0x63, 0x4c, 0x03, b'o', b'r', b'd', 0x00, 0x4c, 0x01, b'x', 0x68,
    ];
    let found = parse_script(&script);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].body, Body::Bytes(b"x".to_vec()));
}

#[test]
fn bodies_concatenate_any_number_of_pushes() {
    let many = envelope_script(&[b"ord", &[1], TEXT, &[], b"foo", b"", b"bar"]);
    assert_eq!(
        parse_script(many.as_bytes())[0].body,
        Body::Bytes(b"foobar".to_vec())
    );
    let none = envelope_script(&[b"ord", &[1], TEXT, &[]]);
    assert_eq!(
        parse_script(none.as_bytes())[0].body,
        Body::Bytes(Vec::new())
    );
    let empties = envelope_script(&[b"ord", &[1], TEXT, &[], &[], &[], &[]]);
    assert_eq!(
        parse_script(empties.as_bytes())[0].body,
        Body::Bytes(Vec::new())
    );
}

#[test]
fn envelopes_ignore_what_precedes_and_follows_them() {
    let mut bytes = vec![OP_CHECKSIG.to_u8()];
    bytes.extend_from_slice(text_envelope(b"x").as_bytes());
    bytes.push(OP_CHECKSIG.to_u8());
    assert_eq!(parse_script(&bytes).len(), 1);
}

#[test]
fn several_envelopes_per_input_and_per_transaction_are_numbered_as_ord_does() {
    let mut two = text_envelope(b"foo").into_bytes();
    two.extend_from_slice(text_envelope(b"bar").as_bytes());
    let one = text_envelope(b"baz").into_bytes();
    let tx = tx_with(&[script_witness(&two), Witness::new(), script_witness(&one)]);
    let found = parse_transaction(&tx);
    let places: Vec<(u32, u32, Body)> = found
        .into_iter()
        .map(|e| (e.input, e.offset, e.body))
        .collect();
    assert_eq!(
        places,
        vec![
            (0, 0, Body::Bytes(b"foo".to_vec())),
            (0, 1, Body::Bytes(b"bar".to_vec())),
            (2, 0, Body::Bytes(b"baz".to_vec())),
        ]
    );
}

#[test]
fn a_foreign_opcode_abandons_the_envelope_and_the_scan_goes_on() {
    let broken = Builder::new()
        .push_opcode(OP_FALSE)
        .push_opcode(OP_IF)
        .push_slice(b"ord")
        .push_opcode(OP_NOP)
        .push_opcode(OP_ENDIF);
    let mut bytes = broken.into_bytes();
    bytes.extend_from_slice(text_envelope(b"after").as_bytes());
    let found = parse_script(&bytes);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].offset, 0);
    assert_eq!(found[0].body, Body::Bytes(b"after".to_vec()));
    // An envelope without OP_ENDIF is no envelope.
    let open = Builder::new()
        .push_opcode(OP_FALSE)
        .push_opcode(OP_IF)
        .push_slice(b"ord");
    assert!(parse_script(open.as_bytes()).is_empty());
}

#[test]
fn a_script_that_does_not_parse_gives_no_envelope_and_is_reported() {
    let mut bytes = text_envelope(b"complete").into_bytes();
    bytes.push(0x01); // a one-byte push with nothing to push
    assert!(parse_script(&bytes).is_empty());
    let tx = tx_with(&[
        script_witness(&bytes),
        script_witness(text_envelope(b"ok").as_bytes()),
    ]);
    let scan = scan_transaction(&tx, &ParseLimits::default());
    assert_eq!(scan.envelopes.len(), 1);
    assert_eq!(scan.envelopes[0].input, 1);
    assert_eq!(scan.malformed.len(), 1);
    assert_eq!(scan.malformed[0].input, 0);
    let TapscriptError::Malformed {
        position,
        envelopes_discarded,
        ..
    } = &scan.malformed[0].error;
    assert_eq!((*position, *envelopes_discarded), (bytes.len() - 1, 1));
}

#[test]
fn fields_flags_follow_ord() {
    let duplicate = envelope_script(&[b"ord", &[255], &[], &[255], &[]]);
    let e = &parse_script(duplicate.as_bytes())[0];
    assert!(e.flags.duplicate_field && !e.flags.unrecognized_even_field);
    assert_eq!(e.fields.unknown_count, 2);

    let odd = envelope_script(&[b"ord", &[1], TEXT, &[255], b"bar", &[], b"ord"]);
    let e = &parse_script(odd.as_bytes())[0];
    assert!(!e.flags.duplicate_field && !e.flags.unrecognized_even_field);
    assert_eq!(
        e.fields.unknown,
        vec![Field {
            tag: vec![255],
            value: b"bar".to_vec()
        }]
    );

    let even = envelope_script(&[b"ord", &[22], &[0]]);
    assert!(
        parse_script(even.as_bytes())[0]
            .flags
            .unrecognized_even_field
    );
    let unbound = envelope_script(&[b"ord", &[tag::UNBOUND], &[1]]);
    assert!(
        parse_script(unbound.as_bytes())[0]
            .flags
            .unrecognized_even_field
    );

    let incomplete = envelope_script(&[b"ord", &[99]]);
    let e = &parse_script(incomplete.as_bytes())[0];
    assert!(e.flags.incomplete_field);
    assert_eq!(e.body, Body::Absent);

    // A repeated pointer: the first is taken, the second is an untaken even field.
    let pointers = envelope_script(&[b"ord", &[2], &[1], &[2], &[0]]);
    let e = &parse_script(pointers.as_bytes())[0];
    assert_eq!(e.fields.pointer, Some(vec![1]));
    assert!(e.flags.duplicate_field && e.flags.unrecognized_even_field);

    // A two-byte tag is not tag 1, whatever its first byte.
    let wide = envelope_script(&[b"ord", &[1, 0], TEXT]);
    let e = &parse_script(wide.as_bytes())[0];
    assert_eq!(e.fields.content_type, None);
    assert_eq!(e.fields.unknown_count, 1);
}

#[test]
fn chunked_and_repeated_tags_are_taken_as_ord_takes_them() {
    let metadata = envelope_script(&[b"ord", &[5], &[0], &[5], &[1], &[17], &[2], &[17], &[3]]);
    let e = &parse_script(metadata.as_bytes())[0];
    assert_eq!(e.fields.metadata, Some(vec![0, 1]));
    assert_eq!(e.fields.properties, Some(vec![2, 3]));
    assert!(e.flags.duplicate_field);
    let empty_metadata = envelope_script(&[b"ord", &[5], &[]]);
    assert_eq!(
        parse_script(empty_metadata.as_bytes())[0].fields.metadata,
        Some(Vec::new())
    );

    let parents = envelope_script(&[b"ord", &[3], b"a", &[3], b"b", &[7], b"x", &[9], b"br"]);
    let e = &parse_script(parents.as_bytes())[0];
    assert_eq!(e.fields.parents, vec![b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(e.fields.metaprotocol, Some(b"x".to_vec()));
    assert_eq!(e.fields.content_encoding, Some(b"br".to_vec()));
    assert!(e.flags.duplicate_field);

    let rest = envelope_script(&[b"ord", &[11], b"d", &[13], b"r", &[19], b"p", &[15], b"n"]);
    let e = &parse_script(rest.as_bytes())[0];
    assert_eq!(e.fields.delegate, Some(b"d".to_vec()));
    assert_eq!(e.fields.rune, Some(b"r".to_vec()));
    assert_eq!(e.fields.property_encoding, Some(b"p".to_vec()));
    assert_eq!(
        e.fields.unknown,
        vec![Field {
            tag: vec![tag::NOTE],
            value: b"n".to_vec()
        }]
    );
}

#[test]
fn push_numbers_are_pushes_of_their_value_and_set_the_pushnum_flag() {
    let mut cases = vec![(OP_PUSHNUM_NEG1, 0x81u8)];
    cases.extend((1..=16u8).map(|n| (bitcoin::Opcode::from(0x50 + n), n)));
    for (op, value) in cases {
        let script = Builder::new()
            .push_opcode(OP_FALSE)
            .push_opcode(OP_IF)
            .push_slice(b"ord")
            .push_opcode(OP_FALSE)
            .push_opcode(op)
            .push_opcode(OP_ENDIF);
        let found = parse_script(script.as_bytes());
        assert_eq!(found.len(), 1, "{op:?}");
        assert_eq!(found[0].body, Body::Bytes(vec![value]));
        assert!(found[0].flags.pushnum);
    }
    // OP_1 as a tag is tag 1.
    let script = Builder::new()
        .push_opcode(OP_FALSE)
        .push_opcode(OP_IF)
        .push_slice(b"ord")
        .push_int(1);
    let script = push(script, TEXT).push_opcode(OP_ENDIF);
    assert_eq!(
        parse_script(script.as_bytes())[0]
            .fields
            .content_type
            .as_deref(),
        Some(TEXT)
    );
}

#[test]
fn stutter_is_flagged_as_ord_flags_it() {
    let head = || Builder::new().push_opcode(OP_FALSE);
    let tail = |b: Builder| {
        b.push_opcode(OP_IF)
            .push_slice(b"ord")
            .push_opcode(OP_ENDIF)
    };
    let cases = [
        (tail(head().push_opcode(OP_FALSE)), true),
        (tail(head().push_opcode(OP_IF).push_opcode(OP_FALSE)), true),
        (
            tail(
                head()
                    .push_opcode(OP_IF)
                    .push_opcode(OP_FALSE)
                    .push_opcode(OP_IF)
                    .push_opcode(OP_FALSE),
            ),
            true,
        ),
        (
            tail(
                head()
                    .push_opcode(OP_FALSE)
                    .push_opcode(OP_AND)
                    .push_opcode(OP_FALSE),
            ),
            false,
        ),
        (tail(head()), false),
    ];
    for (script, stutter) in cases {
        let found = parse_script(script.as_bytes());
        assert_eq!(found.len(), 1, "{script:?}");
        assert_eq!(found[0].flags.stutter, stutter, "{script:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// ord calls rust-bitcoin's deprecated `Witness::tapscript()`; ours must pick the same
    /// element for every witness shape (annexes included).
    #[test]
    fn tapscript_choice_matches_rust_bitcoin(elements in prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..4),
            prop::collection::vec(any::<u8>(), 0..4).prop_map(|rest| [vec![0x50], rest].concat()),
        ], 0..5)) {
        let witness = Witness::from_slice(&elements);
        #[allow(deprecated)] // the very function ord calls
        let theirs = witness.tapscript();
        prop_assert_eq!(crate::envelope::tapscript(&witness), theirs);
    }
}
