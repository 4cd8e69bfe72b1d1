//! Unit tests: block decoding against a real mainnet block and hostile bytes, and the
//! consumer cursor's classification of (re)delivered events.

use crate::*;
use bitai_messages::indexer::{ConnectedBlock, ConsumerCursor, Delivery, IndexerEvent};
use bitai_storage::{Batch, MemoryStore, Store};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use proptest::prelude::*;

fn mainnet_block() -> Vec<u8> {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/vectors/blocks/mainnet-c835b2ad.raw"
            );
            std::fs::read(path).expect("fixture present")
        })
        .clone()
}

fn mainnet_hash() -> BlockHash {
    "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae"
        .parse()
        .expect("hex")
}

#[test]
fn real_mainnet_block_decodes_checks_and_holds_no_envelope() {
    let bytes = mainnet_block();
    let (block, rejected) =
        index_block(700_000, &mainnet_hash(), &bytes, 4_000_000, true).expect("indexes");
    assert!(block.bitai_txs.is_empty() && rejected.is_empty());
    let decoded = decode_block(&bytes, &mainnet_hash(), 4_000_000, true).expect("decodes");
    assert_eq!(decoded.txdata.len(), 2_500);
    assert!(decoded.check_witness_commitment());
    assert_eq!(block.time, 1_633_002_641);
}

#[test]
fn fast_txids_and_merkle_check_agree_with_rust_bitcoin() {
    let raw = mainnet_block();
    let block: bitcoin::Block = bitcoin::consensus::deserialize(&raw).expect("decodes");
    assert!(check_merkle_root(&block, &raw) && block.check_merkle_root());
    let from_raw = txids(&block, &raw);
    assert_eq!(from_raw.len(), 2_500);
    for (tx, id) in block.txdata.iter().zip(&from_raw) {
        assert_eq!(*id, tx.compute_txid());
        assert_eq!(txid(tx), tx.compute_txid());
    }
    // Raw bytes that do not match the block: the ids fall back to re-encoding.
    assert_eq!(txids(&block, &raw[..raw.len() - 1]), from_raw);
    let mut broken = block.clone();
    broken.txdata.swap(1, 2);
    let broken_raw = bitcoin::consensus::serialize(&broken);
    assert!(!check_merkle_root(&broken, &broken_raw));
    // Odd counts at every level: prefixes of the block agree with rust-bitcoin's root.
    for n in [1usize, 2, 3, 5, 6, 7, 100, 333] {
        let mut part = block.clone();
        part.txdata.truncate(n);
        part.header.merkle_root = part.compute_merkle_root().expect("non-empty");
        let part_raw = bitcoin::consensus::serialize(&part);
        assert!(check_merkle_root(&part, &part_raw), "{n} transactions");
    }
}

#[test]
fn hostile_block_bytes_give_typed_errors() {
    let bytes = mainnet_block();
    let hash = mainnet_hash();
    assert!(matches!(
        decode_block(&bytes, &hash, 1_000_000, true),
        Err(BlockDecodeError::TooLarge { .. })
    ));
    assert!(matches!(
        decode_block(&bytes[..bytes.len() / 2], &hash, 4_000_000, true),
        Err(BlockDecodeError::Malformed(_))
    ));
    let other = BlockHash::all_zeros();
    assert!(matches!(
        decode_block(&bytes, &other, 4_000_000, true),
        Err(BlockDecodeError::WrongBlock { .. })
    ));
    // Swap two transactions' bytes deep inside: the header still hashes right, the merkle
    // root no longer matches (or the bytes no longer decode).
    let mut tampered = bytes.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    assert!(matches!(
        decode_block(&tampered, &hash, 4_000_000, true),
        Err(BlockDecodeError::BadMerkleRoot(_) | BlockDecodeError::Malformed(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = index_block(1, &BlockHash::all_zeros(), &bytes, 4_000_000, true);
    }

}

proptest! {
    // Each case decodes a 1.4 MB block; the fuzz target covers this ground at depth.
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn mutated_real_block_never_panics(at in 0usize..1_381_836, xor in 1u8..=255) {
        let mut bytes = mainnet_block();
        bytes[at] ^= xor;
        let _ = index_block(1, &mainnet_hash(), &bytes, 4_000_000, true);
    }
}

fn hash(n: u8) -> BlockHash {
    BlockHash::from_byte_array([n; 32])
}

fn connected(height: u64, h: u8, prev: u8) -> IndexerEvent {
    IndexerEvent::BlockConnected(ConnectedBlock {
        height,
        hash: hash(h),
        prev_hash: hash(prev),
        time: 0,
        bitai_txs: vec![],
        watched_txs: vec![],
    })
}

fn apply(store: &MemoryStore, cursor: &ConsumerCursor, event: &IndexerEvent) {
    let mut batch = Batch::default();
    cursor.record(event, &mut batch);
    store.write(batch).expect("writes");
}

#[test]
fn consumer_cursor_recognises_redeliveries() {
    let store = MemoryStore::new();
    let cursor = ConsumerCursor::new("c", 10);
    let c5 = connected(5, 5, 4);
    assert_eq!(
        cursor.classify(&store, &c5).expect("reads"),
        Delivery::Apply
    );
    apply(&store, &cursor, &c5);
    assert_eq!(
        cursor.classify(&store, &c5).expect("reads"),
        Delivery::AlreadyApplied
    );
    let c6 = connected(6, 6, 5);
    let c7 = connected(7, 7, 6);
    assert_eq!(
        cursor.classify(&store, &c7).expect("reads"),
        Delivery::OutOfOrder
    );
    assert_eq!(
        cursor.classify(&store, &c6).expect("reads"),
        Delivery::Apply
    );
    apply(&store, &cursor, &c6);
    // A block at the same height on another branch does not follow: out of order.
    assert_eq!(
        cursor
            .classify(&store, &connected(6, 66, 5))
            .expect("reads"),
        Delivery::OutOfOrder
    );
    let d6 = IndexerEvent::BlockDisconnected {
        height: 6,
        hash: hash(6),
    };
    let d5 = IndexerEvent::BlockDisconnected {
        height: 5,
        hash: hash(5),
    };
    assert_eq!(
        cursor.classify(&store, &d5).expect("reads"),
        Delivery::OutOfOrder
    );
    assert_eq!(
        cursor.classify(&store, &d6).expect("reads"),
        Delivery::Apply
    );
    apply(&store, &cursor, &d6);
    assert_eq!(
        cursor.classify(&store, &d6).expect("reads"),
        Delivery::AlreadyApplied
    );
    assert_eq!(cursor.tip(&store).expect("reads"), Some((5, hash(5))));
    assert_eq!(
        cursor
            .classify(&store, &connected(6, 66, 5))
            .expect("reads"),
        Delivery::Apply
    );
}

#[test]
fn consumer_cursor_prunes_to_its_window() {
    let store = MemoryStore::new();
    let cursor = ConsumerCursor::new("c", 3);
    for h in 1..=10u8 {
        apply(&store, &cursor, &connected(u64::from(h), h, h - 1));
    }
    assert_eq!(store.range("c", &[], None, 100).expect("reads").len(), 3);
    assert_eq!(cursor.tip(&store).expect("reads"), Some((10, hash(10))));
}
