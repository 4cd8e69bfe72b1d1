//! Reorgs: the new branch becomes the best chain, disconnected transactions go back to the
//! mempool (or not, as asked), stale blocks stay readable.

use super::helpers::{output_of, rate, Fixture};
use crate::bitcoin::{ReorgMempool, SimBitcoinError};
use bitai_bitcoin::BitcoinPort;
use bitcoin::Transaction;
use std::collections::BTreeSet;

/// A fixture with `tx` confirmed two blocks below the tip.
fn confirmed_two_deep() -> (Fixture, Transaction) {
    let f = Fixture::new();
    let tx = f.pay(&f.coin(), 10_000, 2);
    f.accept(&tx);
    f.sim.mine_blocks(3);
    (f, tx)
}

fn confirmed(f: &Fixture, tx: &Transaction) -> bool {
    f.sim.confirmed_utxo(&output_of(tx, 0).outpoint).is_some()
}

#[test]
fn a_reorg_returns_transactions_to_the_mempool_and_the_new_branch_wins() {
    let (f, tx) = confirmed_two_deep();
    let old_tip = f.tip();
    let old: Vec<_> = (102..=104).map(|h| f.hash_at(h)).collect();
    let report = f
        .sim
        .reorg_with(3, 4, ReorgMempool::Keep)
        .expect("a valid reorg");
    assert_eq!(report.fork_height, 101);
    assert_eq!(report.disconnected, old);
    assert_eq!(report.returned_to_mempool, vec![tx.compute_txid()]);
    assert!(report.dropped.is_empty());
    let tip = f.tip();
    assert_eq!(tip.height, old_tip.height + 1);
    assert_eq!(tip.hash, *report.connected.last().expect("not empty"));
    for (i, hash) in report.connected.iter().enumerate() {
        assert_eq!(
            f.sim.block_hash(102 + i as u64).expect("the sim answers"),
            Some(*hash)
        );
        let block = f.block(hash);
        assert_eq!(block.txdata.len(), 1, "Keep: coinbase only");
        assert!(block.check_merkle_root() && block.check_witness_commitment());
    }
    assert_eq!(
        f.block(&report.connected[0]).header.prev_blockhash,
        f.hash_at(101)
    );
    // The stale blocks are still served by hash.
    assert!(f.sim.block(&old[0]).is_ok());
    assert!(f.in_mempool(&tx.compute_txid()));
    assert!(!confirmed(&f, &tx));
    f.sim.node().mempool.check_invariants();
}

#[test]
fn include_confirms_the_returned_transactions_again() {
    let (f, tx) = confirmed_two_deep();
    let report = f.sim.reorg(3, 4).expect("a valid reorg");
    assert_eq!(report.returned_to_mempool, vec![tx.compute_txid()]);
    let first = f.block(&report.connected[0]);
    assert_eq!(first.txdata[1], tx);
    assert!(confirmed(&f, &tx));
    assert!(f.sim.mempool_txids().is_empty());
}

#[test]
fn drop_loses_the_transactions_and_their_descendants() {
    let (f, tx) = confirmed_two_deep();
    let child = f
        .wallet
        .spend(&[output_of(&tx, 0)], vec![], rate(2))
        .expect("the test funds its spends");
    f.accept(&child);
    let report = f
        .sim
        .reorg_with(3, 4, ReorgMempool::Drop)
        .expect("a valid reorg");
    assert_eq!(report.dropped, vec![tx.compute_txid()]);
    assert!(
        f.sim.mempool_txids().is_empty(),
        "the child went with its parent"
    );
    assert!(!confirmed(&f, &tx));
    assert!(!confirmed(&f, &child));
}

#[test]
fn exclude_leaves_the_given_transactions_unconfirmed() {
    let (f, tx) = confirmed_two_deep();
    // A coinbase that stays mature after the reorg (heights 1 and 2).
    let spare = f
        .coins()
        .into_iter()
        .find(|u| u.outpoint.txid != tx.compute_txid() && u.confirmations >= 103)
        .expect("present");
    let other = f.pay(&spare, 7_000, 3);
    f.accept(&other);
    let report = f
        .sim
        .reorg_with(
            3,
            4,
            ReorgMempool::Exclude(BTreeSet::from([tx.compute_txid()])),
        )
        .expect("a valid reorg");
    assert!(report.returned_to_mempool.contains(&tx.compute_txid()));
    assert_eq!(f.sim.mempool_txids(), vec![tx.compute_txid()]);
    assert!(confirmed(&f, &other));
}

#[test]
fn spends_of_coinbases_that_become_immature_are_dropped() {
    let f = Fixture::new();
    // The coinbase at height 2 is mature at tip 101; after disconnecting one block it is not.
    let coinbase = f.block_at(2).txdata[0].clone();
    let tx = f.pay(&output_of(&coinbase, 0), 10_000, 2);
    f.accept(&tx);
    let report = f
        .sim
        .reorg_with(1, 2, ReorgMempool::Keep)
        .expect("a valid reorg");
    assert!(report.returned_to_mempool.is_empty());
    assert!(!f.in_mempool(&tx.compute_txid()));
}

#[test]
fn impossible_reorgs_are_refused() {
    let f = Fixture::new();
    for (depth, new_blocks) in [(0, 1), (102, 103), (3, 3), (3, 2)] {
        assert_eq!(
            f.sim.reorg(depth, new_blocks),
            Err(SimBitcoinError::InvalidReorg {
                depth,
                new_blocks,
                tip_height: 101
            })
        );
    }
    assert!(f.sim.reorg(101, 102).is_ok(), "back to genesis");
}
