//! Arbitrary bytes through the AI-chain transfer codec (`SignedTransfer::from_bytes`): typed
//! errors, never a panic, and what decodes re-encodes to the same bytes, so a transfer has
//! exactly one id (`SignedTransfer::hash`, the SHA-256 of those bytes).

#![no_main]

use bitai_protocol::Hash32;
use bitai_chain::tx::SignedTransfer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = SignedTransfer::from_bytes(data) {
        assert_eq!(tx.to_bytes(), data, "a second encoding of {tx:?}");
        assert_eq!(tx.hash(), Hash32::sha256(data));
    }
});
