//! Reorgs of every depth from 1 to 100 injected into SimBitcoin while the indexer follows it:
//! after each one settles, the blocks the consumer applied net of disconnections are exactly
//! the best chain, and the BitAI envelopes it received net of disconnections are exactly those
//! in the best chain's blocks. A reorg one block deeper than `reorg_depth_max` stops the
//! indexer with an error naming the depth.

use bitai_bitcoin::BitcoinPort;
use bitai_indexer::IndexerConfig;
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, SubmitProof};
use bitai_runtime::TokioClock;
use bitai_simulation::bitcoin::{ReorgMempool, SimBitcoin, SimBitcoinConfig};
use bitai_storage::{MemoryStore, SharedStore};
use bitai_tests::support::canonical::Ledger;
use bitai_tests::support::inscribe::TestInscriber;
use bitai_tests::support::recording_consumer::{effect_log, net_chain};
use bitai_tests::support::world::IndexerWorld;
use std::sync::Arc;
use std::time::Duration;

fn payload(n: u64) -> Vec<u8> {
    encode_tx(&BitaiTx::SubmitProof(SubmitProof {
        chain_id: ChainId(Hash32([n as u8; 32])),
        block_number: n,
        prev_state_root: Hash32::sha256(&n.to_le_bytes()),
        new_state_root: Hash32::sha256(&(n + 1).to_le_bytes()),
        da_commitment: Hash32::default(),
        proof: vec![n as u8; 128 + (n as usize % 300)],
    }))
    .expect("encodes")
}

async fn wait_caught_up(world: &IndexerWorld, sim: &SimBitcoin) {
    let tip = sim.tip().expect("tip");
    for _ in 0..10_000 {
        if let Some(status) = world.status().await {
            if status.acked_tip == Some((tip.height, tip.hash)) && status.in_flight == 0 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("indexer did not catch up with {tip:?}");
}

fn check(store: &SharedStore, ledger: &Ledger, sim: &SimBitcoin, start: u64, what: &str) {
    let applied = net_chain(&effect_log(store));
    let expected = ledger.canonical(sim, start);
    assert_eq!(applied.len(), expected.len(), "{what}: chain length");
    for (a, e) in applied.iter().zip(&expected) {
        assert_eq!((a.0, a.1), (e.0, e.1), "{what}: block at height {}", e.0);
        assert_eq!(a.2, e.2, "{what}: BitAI envelopes of block {}", e.0);
    }
}

#[tokio::test(start_paused = true)]
async fn reorgs_of_depth_1_to_100_leave_exactly_the_canonical_chain() {
    let clock = Arc::new(TokioClock::starting_at(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(7), clock.clone()).expect("sim");
    let mut inscriber = TestInscriber::fund(&sim, 70, 400, 110);
    let start = 1;
    let store: SharedStore = Arc::new(MemoryStore::new());
    let config = IndexerConfig {
        start_height: start,
        poll_interval_ms: 100,
        ..Default::default()
    };
    let world = IndexerWorld::start(Arc::new(sim.clone()), store.clone(), config, clock).await;
    let mut ledger = Ledger::default();
    let mut n = 0;
    for depth in 1..=100u64 {
        // Two reveals into the mempool and a block on top, so the reorged blocks hold envelopes.
        for _ in 0..2 {
            n += 1;
            ledger.record(&inscriber.inscribe(&sim, vec![payload(n), payload(n + 1000)]));
        }
        sim.mine_block();
        wait_caught_up(&world, &sim).await;
        // Vary what the new branch holds: the same transactions again, none of them (they
        // wait in the mempool and confirm in the next round), or not at all (dropped).
        let mode = match depth % 3 {
            0 => ReorgMempool::Include,
            1 => ReorgMempool::Keep,
            _ => ReorgMempool::Drop,
        };
        let report = sim.reorg_with(depth, depth + 1, mode).expect("reorg");
        assert_eq!(report.disconnected.len() as u64, depth);
        wait_caught_up(&world, &sim).await;
        check(
            &store,
            &ledger,
            &sim,
            start,
            &format!("after reorg of depth {depth}"),
        );
    }
    let status = world.status().await.expect("status");
    assert!(
        status.disconnected_total >= (1..=100).sum::<u64>(),
        "every reorg was unwound"
    );
    assert!(!ledger.is_empty());
    world.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_reorg_deeper_than_the_limit_stops_the_indexer_with_a_clear_error() {
    let clock = Arc::new(TokioClock::starting_at(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(8), clock.clone()).expect("sim");
    sim.mine_blocks(30);
    let store: SharedStore = Arc::new(MemoryStore::new());
    let config = IndexerConfig {
        start_height: 0,
        poll_interval_ms: 100,
        reorg_depth_max: 10,
        ..Default::default()
    };
    let world = IndexerWorld::start(Arc::new(sim.clone()), store.clone(), config, clock).await;
    wait_caught_up(&world, &sim).await;
    sim.reorg(10, 11).expect("reorg at the limit");
    wait_caught_up(&world, &sim).await;
    sim.reorg(11, 12).expect("reorg past the limit");
    // The supervisor stops with the indexer's reason; it does not restart it.
    let halt = world.halt.clone();
    tokio::time::timeout(Duration::from_secs(3600), world.handle)
        .await
        .expect("supervisor stops")
        .expect("joins");
    let reason = halt.borrow().clone().expect("a reason is given");
    assert!(
        reason.starts_with("indexer stopped: reorg") && reason.contains("reorg_depth_max = 10"),
        "{reason}"
    );
    let applied = net_chain(&effect_log(&store));
    assert_eq!(applied.len(), 31 + 1, "nothing was unwound past the limit");
}
