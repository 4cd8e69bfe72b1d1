//! Re-deriving from DA: a chain of blocks written as a sequencer writes them re-derives to
//! the same state; a forged root, a broken link and a missing blob are refused, naming the
//! block.

use super::*;
use crate::EmbeddedDa;
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::tx::Transfer;
use bitai_messages::da::{BlockData, GenesisAccount, GenesisData};
use bitai_protocol::ChainId;
use bitai_storage::MemoryStore;
use std::sync::Arc;

fn chain() -> ChainId {
    ChainId(Hash32::sha256(b"rederive chain"))
}

fn key(i: u32) -> PrivateKey {
    PrivateKey([i as u8 + 1; 32])
}

fn genesis() -> GenesisData {
    GenesisData {
        chain_id: chain(),
        tree_depth: 4,
        max_block_txs: 4,
        max_block_ops: 0,
        poc: bitai_chain::poc::PocParams::DEFAULT,
        accounts: (0..3)
            .map(|i| GenesisAccount {
                index: i,
                public_key: pack_point(&key(i).public_key()),
                balance: 1_000,
            })
            .collect(),
    }
}

/// Writes genesis and `n` blocks of two transfers each; returns the head and the state a
/// sequencer would hold.
fn write_chain(da: &EmbeddedDa, n: u64, forge_block: Option<u64>) -> (Hash32, State) {
    let g = genesis();
    let mut state = g.state().expect("genesis");
    let mut parent = da
        .put(&DaBlob::Genesis(g).encode().expect("encode"))
        .expect("put genesis");
    for number in 1..=n {
        let prev = state.root_hash();
        let mut applied = Vec::new();
        for i in 0..2u32 {
            let from = (number as u32 + i) % 3;
            let to = (from + 1) % 3;
            let tx = Transfer {
                from,
                to,
                to_public_key: key(to).public_key(),
                amount: 10,
                fee: 1,
                nonce: state.account(from).expect("exists").nonce,
            }
            .sign(&chain(), &key(from));
            state.apply_transfer(&chain(), &tx).expect("valid");
            applied.push(tx);
        }
        let mut new_state_root = state.root_hash();
        if forge_block == Some(number) {
            new_state_root = Hash32::sha256(b"forged");
        }
        let blob = DaBlob::Block(BlockData {
            chain_id: chain(),
            number,
            parent,
            prev_state_root: prev,
            new_state_root,
            txs: applied.iter().map(|t| t.to_bytes()).collect(),
        });
        parent = da.put(&blob.encode().expect("encode")).expect("put block");
    }
    (parent, state)
}

fn da() -> EmbeddedDa {
    EmbeddedDa::new(Arc::new(MemoryStore::new()), 1 << 20)
}

#[test]
fn a_chain_rederives_to_the_sequencers_state() {
    let da = da();
    let (head, state) = write_chain(&da, 5, None);
    let (derived, number) = rederive_state(&da, &head).expect("rederive");
    assert_eq!(number, 5);
    assert_eq!(derived.root(), state.root());
    for i in 0..3 {
        assert_eq!(derived.account(i), state.account(i));
    }
}

#[test]
fn genesis_alone_is_block_zero() {
    let da = da();
    let g = genesis();
    let root = g.state().expect("genesis").root();
    let c = da
        .put(&DaBlob::Genesis(g).encode().expect("encode"))
        .expect("put");
    let (state, number) = rederive_state(&da, &c).expect("rederive");
    assert_eq!((state.root(), number), (root, 0));
}

#[test]
fn a_forged_root_is_refused_naming_the_block() {
    let da = da();
    let (head, _) = write_chain(&da, 4, Some(3));
    match rederive_state(&da, &head) {
        Err(DaError::RootMismatch { number, which, .. }) => assert_eq!((number, which), (3, "new")),
        other => panic!("expected RootMismatch, got {other:?}"),
    }
}

#[test]
fn a_missing_blob_and_a_broken_link_are_refused() {
    let da = da();
    let missing = Hash32::sha256(b"nowhere");
    assert!(matches!(rederive_state(&da, &missing), Err(DaError::Missing(c)) if c == missing));
    // Block 3 whose parent is genesis: the walk expected block 2.
    let (_, state) = write_chain(&da, 1, None);
    let genesis_c = Hash32::sha256(&DaBlob::Genesis(genesis()).encode().expect("encode"));
    let orphan = DaBlob::Block(BlockData {
        chain_id: chain(),
        number: 3,
        parent: genesis_c,
        prev_state_root: state.root_hash(),
        new_state_root: state.root_hash(),
        txs: vec![vec![0; 10]],
    });
    let head = da.put(&orphan.encode().expect("encode")).expect("put");
    assert!(matches!(
        rederive_state(&da, &head),
        Err(DaError::BadLink { .. })
    ));
}

#[test]
fn a_transaction_that_does_not_decode_is_refused_naming_the_block() {
    let da = da();
    let g = genesis();
    let root = g.state().expect("genesis").root_hash();
    let parent = da
        .put(&DaBlob::Genesis(g).encode().expect("encode"))
        .expect("put");
    let bad = DaBlob::Block(BlockData {
        chain_id: chain(),
        number: 1,
        parent,
        prev_state_root: root,
        new_state_root: root,
        txs: vec![vec![0; 10]],
    });
    let head = da.put(&bad.encode().expect("encode")).expect("put");
    match rederive_state(&da, &head) {
        Err(DaError::BlockInvalid { number: 1, .. }) => {}
        other => panic!("expected BlockInvalid, got {other:?}"),
    }
}
