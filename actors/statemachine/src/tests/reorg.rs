//! Reorgs: undoing blocks and connecting others leaves exactly the state a fresh replay of
//! the canonical chain builds (store contents and view), for a scripted depth-6 reorg and for
//! random connect/disconnect sequences; a reorg below the journals halts with an error.

use super::harness::{chain_a, config, state_of, Harness};
use crate::StateMachineError;
use bitai_messages::indexer::{Delivery, IndexerEvent};
use bitai_protocol::BitaiTx;
use proptest::prelude::*;

fn pool() -> Vec<BitaiTx> {
    let a = chain_a();
    let mut bad = a.proofs[1].clone();
    bad.proof[33] ^= 1;
    let mut other = a.create.clone();
    other.salt = 5;
    let mut txs = vec![BitaiTx::CreateChain(a.create.clone())];
    txs.extend(a.proofs.iter().cloned().map(BitaiTx::SubmitProof));
    txs.push(BitaiTx::SubmitProof(bad));
    txs.push(BitaiTx::CreateChain(other));
    txs
}

fn assert_equal_to_replay(h: &Harness, depth: u64) {
    let fresh = h.replay(config(depth));
    assert_eq!(state_of(h), state_of(&fresh));
    assert_eq!(h.dump(), fresh.dump());
    assert_eq!(
        h.engine.state_digest().expect("digest"),
        fresh.engine.state_digest().expect("digest")
    );
}

#[test]
fn a_depth_6_reorg_equals_a_fresh_replay() {
    let a = chain_a();
    let txs = pool();
    let mut h = Harness::new(config(6));
    h.connect(&[txs[0].clone()]);
    for p in &a.proofs[..3] {
        h.connect(&[BitaiTx::SubmitProof(p.clone())]);
    }
    for _ in 0..4 {
        h.connect(&[]);
    }
    // The last 6 blocks (proofs 2 and 3 among them) go; the new branch carries proofs 2..4
    // in one block.
    h.disconnect(6);
    assert_eq!(h.engine.view().chain(&a.id).expect("A").verified_block, 1);
    let branch: Vec<BitaiTx> = a.proofs[1..]
        .iter()
        .cloned()
        .map(BitaiTx::SubmitProof)
        .collect();
    h.connect(&branch);
    for _ in 0..6 {
        h.connect(&[]);
    }
    let chain = h.engine.view().chain(&a.id).cloned().expect("A");
    assert_eq!(chain.verified_block, 4);
    assert_eq!(chain.final_block, 4);
    assert_equal_to_replay(&h, 6);
}

#[test]
fn a_reorg_below_the_journals_halts_with_a_clear_error() {
    let mut h = Harness::new(config(2));
    for _ in 0..4 {
        h.connect(&[]);
    }
    h.disconnect(2);
    let b = h.blocks.last().cloned().expect("block");
    let err = h
        .engine
        .apply(&IndexerEvent::BlockDisconnected {
            height: b.height,
            hash: b.hash,
        })
        .expect_err("no journal");
    assert!(matches!(err, StateMachineError::JournalMissing { .. }));
    assert!(err.to_string().contains("deeper than the finality depth"));
}

#[test]
fn redelivered_events_are_recognised_and_foreign_ones_ignored() {
    let mut h = Harness::new(config(3));
    let b1 = h.connect(&[BitaiTx::CreateChain(chain_a().create.clone())]);
    let b2 = h.connect(&[]);
    let before = h.dump();
    let again = h
        .engine
        .apply(&IndexerEvent::BlockConnected(b1.clone()))
        .expect("apply");
    assert_eq!(again, Delivery::AlreadyApplied);
    let sibling = crate::testing::connected_block(b2.height + 5, b2.hash, 77, &[]);
    assert_eq!(
        h.engine
            .apply(&IndexerEvent::BlockConnected(sibling))
            .expect("apply"),
        Delivery::OutOfOrder
    );
    assert_eq!(h.dump(), before);
}

#[derive(Debug, Clone)]
enum Op {
    Connect(Vec<usize>),
    Disconnect(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => proptest::collection::vec(0usize..7, 0..3).prop_map(Op::Connect),
        1 => (1usize..=3).prop_map(Op::Disconnect),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_connect_disconnect_sequence_equals_a_fresh_replay(ops in proptest::collection::vec(op(), 1..14)) {
        let txs = pool();
        let mut h = Harness::new(config(3));
        for op in ops {
            match op {
                Op::Connect(picks) => {
                    let block: Vec<BitaiTx> = picks.iter().map(|i| txs[*i].clone()).collect();
                    h.connect(&block);
                }
                Op::Disconnect(k) => {
                    let k = k.min(h.undoable());
                    h.disconnect(k);
                }
            }
        }
        let fresh = h.replay(config(3));
        prop_assert_eq!(state_of(&h), state_of(&fresh));
        prop_assert_eq!(h.dump(), fresh.dump());
        prop_assert_eq!(h.engine.state_digest().expect("digest"), fresh.engine.state_digest().expect("digest"));
    }
}
