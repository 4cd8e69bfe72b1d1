//! Arbitrary bytes as a tapscript. Half the runs put an envelope opener in front, so the
//! fuzzer spends its time inside envelopes rather than looking for one.

#![no_main]

use bitai_protocol::envelope::{parse_tapscript, ParseLimits};
use bitcoin::Script;
use libfuzzer_sys::fuzz_target;

const OPENER: &[u8] = &[0x00, 0x63, 0x03, b'o', b'r', b'd'];

fuzz_target!(|data: &[u8]| {
    let (with_opener, rest) = match data.split_first() {
        Some((&first, rest)) => (first & 1 == 1, rest),
        None => (false, data),
    };
    let bytes = if with_opener {
        [OPENER, rest].concat()
    } else {
        rest.to_vec()
    };
    let script = Script::from_bytes(&bytes);
    if let Ok(envelopes) = parse_tapscript(script, 0, &ParseLimits::default()) {
        for (envelope, offset) in envelopes.iter().zip(0u32..) {
            assert_eq!(envelope.offset, offset);
            assert!(envelope.body_len().unwrap_or(0) <= bytes.len());
            assert!(envelope.fields.unknown.len() <= envelope.fields.unknown_count);
            let _ = envelope.bitai_tx();
        }
    }
});
