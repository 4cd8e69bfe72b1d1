//! Arbitrary bytes as a consensus-encoded transaction, then every envelope in it: nothing may
//! panic, no body may be longer than the input, and offsets count up within each input.

#![no_main]

use bitai_protocol::envelope::{scan_transaction, Body, ParseLimits};
use bitcoin::Transaction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(tx) = bitcoin::consensus::deserialize::<Transaction>(data) else {
        return;
    };
    let small = ParseLimits {
        max_bitai_body_bytes: 64,
        max_body_bytes: 128,
    };
    for limits in [ParseLimits::default(), small] {
        let scan = scan_transaction(&tx, &limits);
        let mut previous: Option<(u32, u32)> = None;
        for envelope in &scan.envelopes {
            assert!(envelope.body_len().unwrap_or(0) <= data.len());
            if let Body::Bytes(body) = &envelope.body {
                assert!(body.len() <= limits.max_body_bytes.max(limits.max_bitai_body_bytes));
            }
            let expected_offset = match previous {
                Some((input, offset)) if input == envelope.input => offset + 1,
                Some((input, _)) => {
                    assert!(envelope.input > input);
                    0
                }
                None => 0,
            };
            assert_eq!(envelope.offset, expected_offset);
            previous = Some((envelope.input, envelope.offset));
            let _ = envelope.bitai_tx();
        }
    }
});
