//! A second, deliberately plain reading of ord's rules, checked against the parser on random
//! scripts built from the tokens that matter (empty pushes, `OP_IF`, the protocol id, tags,
//! push numbers, foreign opcodes, truncated pushes). The reference tokenizes the whole script
//! first (ord ignores an input whose script fails anywhere), then walks the tokens with
//! indices; the parser under test scans lazily and decodes from byte ranges.

use super::support::push;
use crate::envelope::{parse_tapscript, Body, Envelope, ParseLimits};
use bitcoin::script::{Builder, Instruction, Script};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Push(Vec<u8>),
    Op(u8),
}

fn number_value(op: u8) -> Option<u8> {
    match op {
        0x4f => Some(0x81),
        0x51..=0x60 => Some(op - 0x50),
        _ => None,
    }
}

fn tokenize(script: &Script) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    for instruction in script.instructions() {
        tokens.push(match instruction.ok()? {
            Instruction::PushBytes(bytes) => Token::Push(bytes.as_bytes().to_vec()),
            Instruction::Op(op) => Token::Op(op.to_u8()),
        });
    }
    Some(tokens)
}

/// What ord would record for one envelope: payload pushes and the two script flags.
struct RawRef {
    payload: Vec<Vec<u8>>,
    pushnum: bool,
    stutter: bool,
}

fn reference_raw(script: &Script) -> Vec<RawRef> {
    let Some(tokens) = tokenize(script) else {
        return Vec::new();
    };
    let empty = |t: Option<&Token>| matches!(t, Some(Token::Push(b)) if b.is_empty());
    let mut found = Vec::new();
    let mut stuttered = false;
    let mut i = 0;
    while i < tokens.len() {
        i += 1;
        if !empty(tokens.get(i - 1)) {
            continue;
        }
        if tokens.get(i) != Some(&Token::Op(0x63)) {
            stuttered = empty(tokens.get(i));
            continue;
        }
        i += 1;
        if tokens.get(i) != Some(&Token::Push(b"ord".to_vec())) {
            stuttered = empty(tokens.get(i));
            continue;
        }
        i += 1;
        let (mut payload, mut pushnum) = (Vec::new(), false);
        loop {
            let token = tokens.get(i);
            i += 1;
            match token {
                Some(Token::Op(0x68)) => {
                    found.push(RawRef {
                        payload,
                        pushnum,
                        stutter: stuttered,
                    });
                    break;
                }
                Some(Token::Push(bytes)) => payload.push(bytes.clone()),
                Some(Token::Op(op)) if number_value(*op).is_some() => {
                    pushnum = true;
                    payload.extend(number_value(*op).map(|v| vec![v]));
                }
                None | Some(Token::Op(_)) => {
                    stuttered = false;
                    break;
                }
            }
        }
    }
    found
}

/// The comparable content of an envelope: every field ord takes, the untaken pairs sorted,
/// the body and the flags.
type Summary = (
    Vec<Option<Vec<u8>>>,
    Vec<Vec<u8>>,
    Vec<(Vec<u8>, Vec<u8>)>,
    Body,
    [bool; 5],
);

fn reference_summary(raw: RawRef) -> Summary {
    let body_at = raw
        .payload
        .iter()
        .enumerate()
        .position(|(i, p)| i % 2 == 0 && p.is_empty());
    let field_pushes = &raw.payload[..body_at.unwrap_or(raw.payload.len())];
    let mut fields: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
    for pair in field_pushes.chunks_exact(2) {
        fields
            .entry(pair[0].clone())
            .or_default()
            .push(pair[1].clone());
    }
    let incomplete = field_pushes.len() % 2 == 1;
    let duplicate = fields.values().any(|values| values.len() > 1);
    let mut first = |tag: u8| {
        let values = fields.get_mut(&vec![tag])?;
        let value = values.remove(0);
        if values.is_empty() {
            fields.remove(&vec![tag]);
        }
        Some(value)
    };
    let singles: Vec<Option<Vec<u8>>> = [1u8, 2, 7, 9, 11, 13, 19].map(&mut first).into();
    let mut all = |tag: u8| fields.remove(&vec![tag]);
    let parents = all(3).unwrap_or_default();
    let chunked: Vec<Option<Vec<u8>>> = [5u8, 17].map(|t| all(t).map(|v| v.concat())).into();
    let even = fields
        .keys()
        .any(|tag| tag.first().is_some_and(|b| b % 2 == 0));
    let mut untaken: Vec<(Vec<u8>, Vec<u8>)> = fields
        .into_iter()
        .flat_map(|(tag, values)| values.into_iter().map(move |v| (tag.clone(), v)))
        .collect();
    untaken.sort();
    let body = match body_at {
        None => Body::Absent,
        Some(at) => Body::Bytes(raw.payload[at + 1..].concat()),
    };
    let singles = singles.into_iter().chain(chunked).collect();
    (
        singles,
        parents,
        untaken,
        body,
        [duplicate, incomplete, even, raw.pushnum, raw.stutter],
    )
}

fn summary(e: &Envelope) -> Summary {
    let f = &e.fields;
    let singles = vec![
        f.content_type.clone(),
        f.pointer.clone(),
        f.metaprotocol.clone(),
        f.content_encoding.clone(),
        f.delegate.clone(),
        f.rune.clone(),
        f.property_encoding.clone(),
        f.metadata.clone(),
        f.properties.clone(),
    ];
    let mut untaken: Vec<(Vec<u8>, Vec<u8>)> = f
        .unknown
        .iter()
        .map(|u| (u.tag.clone(), u.value.clone()))
        .collect();
    untaken.sort();
    let g = e.flags;
    let flags = [
        g.duplicate_field,
        g.incomplete_field,
        g.unrecognized_even_field,
        g.pushnum,
        g.stutter,
    ];
    (singles, f.parents.clone(), untaken, e.body.clone(), flags)
}

/// Script pieces, weighted towards the ones that make or break envelopes.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let tag = prop::sample::select(vec![0u8, 1, 2, 3, 5, 7, 9, 11, 13, 15, 17, 19, 22, 66, 255]);
    prop_oneof![
        6 => Just(vec![0x00, 0x63, 0x03, b'o', b'r', b'd']),
        6 => Just(vec![0x00]),
        4 => Just(vec![0x63]),
        5 => Just(vec![0x03, b'o', b'r', b'd']),
        6 => Just(vec![0x68]),
        4 => tag.prop_map(|t| vec![0x01, t]),
        2 => prop::sample::select(vec![0x4f, 0x51, 0x52, 0x57, 0x60]).prop_map(|op| vec![op]),
        2 => prop::sample::select(vec![0x50, 0x61, 0x64, 0x67, 0x69, 0x84, 0xac]).prop_map(|op| vec![op]),
        3 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|data| {
            push(Builder::new(), &data).into_bytes()
        }),
        1 => Just(vec![0x4c, 0x00]),
        1 => Just(vec![0x4c, 0x03, b'o', b'r', b'd']),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parser_agrees_with_the_reference(pieces in prop::collection::vec(piece(), 0..48)) {
        let bytes = pieces.concat();
        let script = Script::from_bytes(&bytes);
        let expected: Vec<Summary> =
            reference_raw(script).into_iter().map(reference_summary).collect();
        let parsed = parse_tapscript(script, 0, &ParseLimits::default()).unwrap_or_default();
        let got: Vec<Summary> = parsed.iter().map(summary).collect();
        prop_assert_eq!(got, expected);
        for (offset, envelope) in (0u32..).zip(&parsed) {
            prop_assert_eq!(envelope.offset, offset);
        }
    }
}

/// The equivalence above means something only if random scripts hold envelopes of every
/// shape; this counts them over a fixed stream of generated scripts.
#[test]
fn generated_scripts_reach_every_envelope_shape() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = prop::collection::vec(piece(), 0..48);
    let (mut with_envelope, mut flags, mut bodies, mut malformed) = (0, [0usize; 5], 0, 0);
    for _ in 0..3000 {
        let bytes = strategy
            .new_tree(&mut runner)
            .expect("strategy generates")
            .current()
            .concat();
        let script = Script::from_bytes(&bytes);
        let Ok(found) = parse_tapscript(script, 0, &ParseLimits::default()) else {
            malformed += 1;
            continue;
        };
        with_envelope += usize::from(!found.is_empty());
        for (_, _, _, body, set) in found.iter().map(summary) {
            bodies += usize::from(matches!(body, Body::Bytes(ref b) if !b.is_empty()));
            for (count, on) in flags.iter_mut().zip(set) {
                *count += usize::from(on);
            }
        }
    }
    assert!(
        with_envelope > 300,
        "{with_envelope} scripts with envelopes"
    );
    assert!(bodies > 100, "{bodies} non-empty bodies");
    assert!(malformed > 30, "{malformed} malformed scripts");
    assert!(flags.iter().all(|&n| n > 10), "flag counts {flags:?}");
}
