//! The two real mainnet inscriptions decode as their README says.

use super::support::{vector, PNG_HEX, PRIMES_HEX};
use crate::envelope::{parse_transaction, tapscript, Body, EnvelopeFlags};
use bitcoin::script::Instruction;

#[test]
fn primes_vector_has_its_txid_and_one_text_envelope() {
    let tx = vector(PRIMES_HEX);
    assert_eq!(
        tx.compute_txid().to_string(),
        "60bcf821240064a9c55225c4f01711b0ebbcab39aa3fafeefe4299ab158536fa"
    );
    let envelopes = parse_transaction(&tx);
    assert_eq!(envelopes.len(), 1);
    let envelope = &envelopes[0];
    assert_eq!((envelope.input, envelope.offset), (0, 0));
    assert_eq!(
        envelope.fields.content_type.as_deref(),
        Some(&b"text/plain;charset=utf-8"[..])
    );
    assert_eq!(envelope.body, Body::Bytes(b"primes\n".to_vec()));
    assert_eq!(envelope.flags, EnvelopeFlags::default());
    assert!(!envelope.is_bitai());
    assert_eq!(envelope.fields.metaprotocol, None);
    assert_eq!(envelope.fields.unknown_count, 0);
    let key = hex::encode(
        envelope
            .reveal_key
            .expect("the reveal script starts <key> OP_CHECKSIG"),
    );
    assert_eq!(
        key,
        "c7a3a38df198a4fcde7d5dac5819ed19ff4d25bb893c9511f8e1f51d59326eff"
    );
}

#[test]
fn png_vector_has_its_txid_wtxid_and_844_byte_body_in_two_pushes() {
    let tx = vector(PNG_HEX);
    assert_eq!(
        tx.compute_txid().to_string(),
        "99811de396ff10152cdfc9588d9750d0151501f081df2e56071c42dc3532b743"
    );
    assert_eq!(
        tx.compute_wtxid().to_string(),
        "19d04a14ff5216f188b4ce59ac08c58a8d383ec8fbbb36e91b1542b975c18d7d"
    );
    let envelopes = parse_transaction(&tx);
    assert_eq!(envelopes.len(), 1);
    let envelope = &envelopes[0];
    assert_eq!((envelope.input, envelope.offset), (0, 0));
    assert_eq!(
        envelope.fields.content_type.as_deref(),
        Some(&b"image/png"[..])
    );
    assert_eq!(envelope.flags, EnvelopeFlags::default());
    let body = envelope.body_bytes().expect("the png has a body");
    assert_eq!(body.len(), 844);
    assert!(body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(body.ends_with(b"IEND\xae\x42\x60\x82"));

    // The body pushes as they sit in the tapscript: 520 then 324 bytes, both OP_PUSHDATA2.
    let script = tapscript(&tx.input[0].witness).expect("a script-path spend");
    let bytes = script.as_bytes();
    let pushes: Vec<(u8, usize)> = script
        .instruction_indices()
        .map(|item| item.expect("the vector's tapscript parses"))
        .filter_map(|(position, instruction)| match instruction {
            Instruction::PushBytes(data) if data.len() > 300 => Some((bytes[position], data.len())),
            _ => None,
        })
        .collect();
    assert_eq!(pushes, vec![(0x4d, 520), (0x4d, 324)]);
}
