//! Arbitrary bytes as a block served by a Bitcoin node, through everything the indexer does
//! with one: size limit, decode, header hash check, merkle root check (txids hashed from the
//! raw bytes), envelope scan, BitAI decode. The expected hash is the hash of the input's first
//! 80 bytes, so inputs that decode reach the checks behind it.

#![no_main]

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::BlockHash;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let hash = match data.get(..80) {
        Some(header) => BlockHash::from_raw_hash(sha256d::Hash::hash(header)),
        None => BlockHash::all_zeros(),
    };
    if let Ok((block, _rejected)) = bitai_indexer::index_block(1, &hash, data, 4_000_000, true) {
        assert_eq!(block.hash, hash);
        // A block that passed the merkle check has the txids rust-bitcoin computes.
        let decoded: bitcoin::Block =
            bitcoin::consensus::deserialize(data).expect("index_block decoded it");
        assert!(decoded.check_merkle_root());
    }
});
