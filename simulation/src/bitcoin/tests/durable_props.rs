//! Property: a durable network restarted at random points (its mempool broadcast again in
//! arrival order, as senders do) makes the same chain, byte for byte, as an in-memory
//! network of the same seed given the same calls without a restart: same blocks, same stale
//! branches, same UTXOs, same schedule.

use super::durable::{image, Disk};
use super::helpers::rate;
use crate::bitcoin::{ReorgMempool, SimBitcoin};
use bitai_bitcoin::BitcoinPort;
use bitai_runtime::Clock;
use bitcoin::Transaction;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Spend up to `n` confirmed coins at `sat_per_vb`, mine a block a minute later.
    SpendAndMine { n: usize, sat_per_vb: u64 },
    /// Spend up to `n` coins and leave the spends in the mempool.
    Spend { n: usize },
    /// Advance the clock and mine what the schedule says is due.
    Due { advance_ms: u64 },
    /// Reorg `depth` blocks (one more new block), keeping or dropping their transactions.
    Reorg { depth: u64, drop: bool },
    /// Set or clear a fee spike.
    Spike(Option<u64>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..4, 1u64..6).prop_map(|(n, sat_per_vb)| Op::SpendAndMine { n, sat_per_vb }),
        1 => (1usize..3).prop_map(|n| Op::Spend { n }),
        2 => (1u64..200_000).prop_map(|advance_ms| Op::Due { advance_ms }),
        1 => (1u64..5, any::<bool>()).prop_map(|(depth, drop)| Op::Reorg { depth, drop }),
        1 => proptest::option::of(2u64..30).prop_map(Op::Spike),
    ]
}

/// The mempool's transactions in arrival order.
fn mempool_in_arrival_order(sim: &SimBitcoin) -> Vec<Transaction> {
    let node = sim.node();
    let mut entries: Vec<_> = node.mempool.entries.values().collect();
    entries.sort_by_key(|e| e.seq);
    entries.into_iter().map(|e| e.tx.clone()).collect()
}

/// Runs `op` on both networks; returns the blocks it made stale.
fn apply(disk: &Disk, a: &SimBitcoin, b: &SimBitcoin, op: &Op) -> Vec<bitcoin::BlockHash> {
    match op {
        Op::SpendAndMine { n, sat_per_vb } => {
            spend(disk, a, b, *n, *sat_per_vb);
            disk.clock.advance(60_000);
            assert_eq!(a.mine_block(), b.mine_block());
        }
        Op::Spend { n } => spend(disk, a, b, *n, 3),
        Op::Due { advance_ms } => {
            disk.clock.advance(*advance_ms);
            let now = disk.clock.now_ms();
            assert_eq!(a.mine_due(now), b.mine_due(now));
        }
        Op::Reorg { depth, drop } => {
            let depth = (*depth).min(a.tip().expect("answers").height);
            let mode = if *drop {
                ReorgMempool::Drop
            } else {
                ReorgMempool::Include
            };
            if depth > 0 {
                disk.clock.advance(1_000);
                let ra = a.reorg_with(depth, depth + 1, mode.clone());
                let rb = b.reorg_with(depth, depth + 1, mode);
                assert_eq!(ra, rb);
                return ra.expect("a valid reorg").disconnected;
            }
        }
        Op::Spike(sat_per_vb) => {
            let spike = sat_per_vb.map(rate);
            a.set_fee_spike(spike);
            b.set_fee_spike(spike);
        }
    }
    Vec::new()
}

fn spend(disk: &Disk, a: &SimBitcoin, b: &SimBitcoin, n: usize, sat_per_vb: u64) {
    let coins = disk.confirmed(a);
    assert_eq!(coins, disk.confirmed(b));
    for coin in coins.iter().filter(|c| c.value.to_sat() > 10_000).take(n) {
        let tx = disk.split(coin, sat_per_vb);
        let (ra, rb) = (a.broadcast(&tx), b.broadcast(&tx));
        assert_eq!(ra.is_ok(), rb.is_ok(), "{ra:?} / {rb:?}");
    }
}

/// Drops `b` and opens its store again, broadcasting its mempool back in arrival order.
fn restart(disk: &Disk, b: SimBitcoin) -> SimBitcoin {
    let mempool = mempool_in_arrival_order(&b);
    drop(b);
    let b = disk.open();
    for tx in &mempool {
        b.broadcast(tx).expect("a rebroadcast is accepted again");
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn restarts_at_random_points_change_nothing(
        seed in 0u64..1_000,
        ops in proptest::collection::vec((op(), any::<bool>()), 1..30),
    ) {
        let disk = Disk::new(seed);
        let a = disk.twin();
        let mut b = disk.open();
        assert_eq!(a.mine_blocks(3), b.mine_blocks(3));
        let mut stale = Vec::new();
        for (op, restart_after) in &ops {
            stale.extend(apply(&disk, &a, &b, op));
            if *restart_after {
                b = restart(&disk, b);
            }
        }
        prop_assert_eq!(a.mempool_txids(), b.mempool_txids());
        prop_assert_eq!(image(&a, &stale), image(&b, &stale));
        // And the store holds all of it.
        b = restart(&disk, b);
        prop_assert_eq!(image(&a, &stale), image(&b, &stale));
    }
}
