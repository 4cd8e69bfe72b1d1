//! Arbitrary bytes through the BitAI transaction codec. What decodes must re-encode to the
//! same bytes: every transaction has exactly one encoding.

#![no_main]

use bitai_protocol::{decode_tx, encode_tx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = decode_tx(data) {
        let encoded = encode_tx(&tx).expect("a decoded transaction is within every limit");
        assert_eq!(encoded, data, "a second encoding of {tx:?}");
    }
});
