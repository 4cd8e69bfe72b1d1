//! The indexer (and its consumer) killed at random points of a 1,000-block run, over fjall
//! on disk: after every restart each resumes from what it persisted, and at the end the
//! consumer has applied every block of the best chain exactly once net of disconnections,
//! with exactly the BitAI envelopes those blocks hold.

use bitai_bitcoin::BitcoinPort;
use bitai_indexer::IndexerConfig;
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, SubmitProof};
use bitai_runtime::{seeded_rng, SupervisorMsg, TokioClock};
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig};
use bitai_storage::{Durability, FjallStore, SharedStore};
use bitai_tests::support::canonical::Ledger;
use bitai_tests::support::inscribe::TestInscriber;
use bitai_tests::support::recording_consumer::{effect_log, net_chain};
use bitai_tests::support::world::IndexerWorld;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

fn payload(n: u64) -> Vec<u8> {
    encode_tx(&BitaiTx::SubmitProof(SubmitProof {
        chain_id: ChainId(Hash32([7; 32])),
        block_number: n,
        prev_state_root: Hash32::sha256(&n.to_le_bytes()),
        new_state_root: Hash32::sha256(&(n + 1).to_le_bytes()),
        da_commitment: Hash32::default(),
        proof: vec![1; 128],
    }))
    .expect("encodes")
}

#[tokio::test(start_paused = true)]
async fn every_canonical_block_exactly_once_across_random_kills() {
    let seed = 2026;
    let mut rng = seeded_rng(seed, "scenario");
    let clock = Arc::new(TokioClock::starting_at(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(seed), clock.clone()).expect("sim");
    let mut inscriber = TestInscriber::fund(&sim, 71, 300, 10);
    let dir = tempfile::tempdir().expect("tempdir");
    let store: SharedStore =
        Arc::new(FjallStore::open(dir.path(), Durability::Process).expect("fjall opens"));
    let start = sim.tip().expect("tip").height + 1;
    let config = IndexerConfig {
        start_height: start,
        poll_interval_ms: 200,
        redeliver_after_ms: 2_000,
        max_in_flight: 8,
        ..Default::default()
    };
    let world = IndexerWorld::start(Arc::new(sim.clone()), store.clone(), config, clock).await;
    let mut ledger = Ledger::default();
    let (mut kills, mut reorgs, mut n) = (0u32, 0u32, 0u64);
    let target = start + 1_000;
    while sim.tip().expect("tip").height < target {
        if rng.gen_bool(0.2) && inscriber.coins_left() > 0 {
            n += 1;
            ledger.record(&inscriber.inscribe(&sim, vec![payload(n)]));
        }
        sim.mine_blocks(rng.gen_range(1..=5));
        if rng.gen_bool(0.05) {
            let depth = rng.gen_range(1..=3);
            sim.reorg(depth, depth + 1).expect("reorg");
            reorgs += 1;
        }
        // Let the actors run a random while, then kill one of them at that point.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..400))).await;
        if rng.gen_bool(0.3) {
            let victim = if rng.gen_bool(0.7) {
                "indexer"
            } else {
                "consumer"
            };
            world
                .supervisor
                .send_message(SupervisorMsg::Crash(victim.into()))
                .expect("send");
            kills += 1;
        }
    }
    let tip = sim.tip().expect("tip");
    let mut caught_up = false;
    for _ in 0..20_000 {
        if let Some(s) = world.status().await {
            if s.acked_tip == Some((tip.height, tip.hash)) && s.in_flight == 0 {
                caught_up = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(caught_up, "indexer caught up with {tip:?} (seed {seed})");
    let applied = net_chain(&effect_log(&store));
    let expected = ledger.canonical(&sim, start);
    assert_eq!(applied.len(), expected.len(), "seed {seed}");
    for (a, e) in applied.iter().zip(&expected) {
        assert_eq!(a, e, "block at height {} (seed {seed})", e.0);
    }
    assert!(kills >= 50, "the run killed actors {kills} times");
    let children = ractor::call!(world.supervisor, SupervisorMsg::Status).expect("status");
    let restarts: u64 = children.iter().map(|c| c.restarts).sum();
    assert_eq!(
        restarts,
        u64::from(kills),
        "every kill was a real crash and restart"
    );
    assert!(reorgs >= 5, "the run made {reorgs} reorgs");
    assert!(
        ledger.len() >= 50,
        "the run inscribed {} reveals",
        ledger.len()
    );
    world.stop().await;
}
