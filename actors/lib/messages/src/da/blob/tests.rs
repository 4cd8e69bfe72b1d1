//! The blob codec: round trips, limits, and hostile bytes (random, truncated, with trailing
//! bytes or another version) give typed errors, never a panic.

use super::*;
use proptest::prelude::*;

fn genesis(n: u32) -> DaBlob {
    DaBlob::Genesis(GenesisData {
        chain_id: ChainId(Hash32::sha256(b"chain")),
        tree_depth: 4,
        max_block_txs: 8,
        max_block_ops: 0,
        poc: bitai_chain::poc::PocParams::DEFAULT,
        accounts: (0..n)
            .map(|i| GenesisAccount {
                index: i * 2,
                public_key: [i as u8; 32],
                balance: 1000 + u64::from(i),
            })
            .collect(),
    })
}

fn block(txs: Vec<Vec<u8>>) -> DaBlob {
    DaBlob::Block(BlockData {
        chain_id: ChainId(Hash32::sha256(b"chain")),
        number: 7,
        parent: Hash32::sha256(b"parent"),
        prev_state_root: Hash32::sha256(b"prev"),
        new_state_root: Hash32::sha256(b"new"),
        txs,
    })
}

#[test]
fn version_trailing_bytes_and_limits_are_refused() {
    let bytes = genesis(3).encode().expect("encode");
    let mut other_version = bytes.clone();
    other_version[0] = 9;
    assert_eq!(
        DaBlob::decode(&other_version),
        Err(BlobCodecError::UnknownVersion(9))
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        DaBlob::decode(&trailing),
        Err(BlobCodecError::TrailingBytes(1))
    );
    assert_eq!(DaBlob::decode(&[]), Err(BlobCodecError::Empty));
    // An empty block is a block (the sequencer cuts them while requests wait on windows).
    assert!(block(vec![]).encode().is_ok());
    assert!(matches!(
        block(vec![vec![1; MAX_TX_BYTES + 1]]).encode(),
        Err(BlobCodecError::OutOfLimits {
            field: "tx bytes",
            ..
        })
    ));
    assert!(matches!(
        block(vec![vec![1]; MAX_BLOCK_ENTRIES + 1]).encode(),
        Err(BlobCodecError::OutOfLimits {
            field: "block txs",
            ..
        })
    ));
    let DaBlob::Genesis(mut g) = genesis(3) else {
        unreachable!("genesis() makes a genesis")
    };
    g.accounts.swap(0, 1);
    assert_eq!(
        DaBlob::Genesis(g.clone()).encode(),
        Err(BlobCodecError::UnorderedAccounts(1))
    );
    g.accounts.clear();
    g.tree_depth = 17;
    assert!(matches!(
        DaBlob::Genesis(g).encode(),
        Err(BlobCodecError::OutOfLimits {
            field: "tree_depth",
            ..
        })
    ));
}

#[test]
fn an_over_long_varint_is_not_canonical() {
    // Block 7's number is one varint byte; the same value in two bytes must be refused.
    let bytes = block(vec![vec![5; 3]]).encode().expect("encode");
    // version, variant (1), chain id (32), number varint at offset 34.
    assert_eq!(bytes[34], 7);
    let mut long = bytes[..34].to_vec();
    long.extend_from_slice(&[0x87, 0x00]);
    long.extend_from_slice(&bytes[35..]);
    assert_eq!(DaBlob::decode(&long), Err(BlobCodecError::NonCanonical));
}

proptest! {
    #[test]
    fn blocks_round_trip(
        txs in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..=MAX_TX_BYTES), 1..20),
        number in 1u64..,
        roots in any::<[u8; 32]>(),
    ) {
        let blob = DaBlob::Block(BlockData {
            chain_id: ChainId(Hash32(roots)),
            number,
            parent: Hash32(roots),
            prev_state_root: Hash32::sha256(&roots),
            new_state_root: Hash32(roots),
            txs,
        });
        let bytes = blob.encode().expect("within limits");
        prop_assert_eq!(DaBlob::decode(&bytes), Ok(blob));
    }

    #[test]
    fn genesis_round_trips(n in 0u32..50) {
        let blob = genesis(n);
        let bytes = blob.encode().expect("within limits");
        prop_assert_eq!(DaBlob::decode(&bytes), Ok(blob));
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = DaBlob::decode(&bytes);
        let mut versioned = bytes;
        versioned.insert(0, BLOB_FORMAT_VERSION);
        if let Ok(blob) = DaBlob::decode(&versioned) {
            prop_assert_eq!(blob.encode().expect("decoded blobs re-encode"), versioned);
        }
    }

    #[test]
    fn truncated_blobs_are_refused(n in 0u32..20, cut in any::<prop::sample::Index>()) {
        let bytes = genesis(n).encode().expect("encode");
        let at = cut.index(bytes.len());
        prop_assert!(DaBlob::decode(&bytes[..at]).is_err());
    }
}
