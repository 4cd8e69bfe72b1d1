//! A stuck pair: the inscriber pays the floor (1 sat/vB, the node's estimate) while the
//! simulated miners take nothing under 5 sat/vB. Unconfirmed after `bump_after_blocks`, it
//! bumps step by step within the 20 sat/vB ceiling until the pair confirms: by replacing the
//! commit (with a new reveal bound to the same envelopes) while the commit is unconfirmed,
//! and by a CPFP child from the reveal's output when the commit is confirmed and the reveal's
//! output cannot pay a replacement. The test prints the fees paid.

use bitai_bitcoin::BitcoinPort;
use bitai_inscriber::{wallet_keys, InscriberConfig};
use bitai_messages::inscriber::BatchStage;
use bitai_runtime::TokioClock;
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig};
use bitai_storage::{MemoryStore, SharedStore};
use bitai_tests::support::inscriber_world::{chain_envelopes, fund, InscriberWorld};
use bitai_tests::support::payloads::{create_chain, id};
use bitcoin::FeeRate;
use std::sync::Arc;
use std::time::Duration;

const CEILING_SAT_PER_VB: u64 = 20;
const MINER_MIN_SAT_PER_VB: u64 = 5;

async fn setup(seed: u64) -> (SimBitcoin, InscriberWorld, u64) {
    let clock = Arc::new(TokioClock::starting_at(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(seed), clock.clone()).expect("sim");
    let store: SharedStore = Arc::new(MemoryStore::new());
    let config = InscriberConfig {
        poll_interval_ms: 100,
        fee_rate_ceiling_sat_per_vb: CEILING_SAT_PER_VB,
        bump_after_blocks: 1,
        ..Default::default()
    };
    let keys = wallet_keys(&config, &store, seed).expect("wallet");
    fund(&sim, keys.address(), 4, 50_000_000, 10);
    let start = sim.tip().expect("tip").height + 1;
    sim.set_miner_min_fee_rate(FeeRate::from_sat_per_vb(MINER_MIN_SAT_PER_VB).expect("rate"));
    let world = InscriberWorld::start(&sim, store, config, seed, clock, None).await;
    (sim, world, start)
}

async fn until_final(sim: &SimBitcoin, world: &InscriberWorld) -> u64 {
    for round in 1..200 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        sim.mine_block();
        let status = world.status().await;
        if status.queued == 0 && status.batches.is_empty() {
            return round;
        }
        for b in &status.batches {
            assert!(
                b.fee_rate_sat_per_kvb <= CEILING_SAT_PER_VB * 1000,
                "fee rate within the ceiling"
            );
        }
    }
    panic!("the stuck pair never confirmed");
}

#[tokio::test(start_paused = true)]
async fn a_stuck_pair_confirms_after_replacing_its_commit() {
    let (sim, world, start) = setup(31).await;
    let payload = create_chain(1, 1_000);
    world.inscribe(id(0), payload.clone()).await;
    let blocks = until_final(&sim, &world).await;
    let (bodies, _) = chain_envelopes(&sim, start);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].1, payload);
    let m = &world.metrics;
    let commit_rbf = m.bumps.with_label_values(&["commit_rbf"]).get();
    assert!(commit_rbf >= 2, "stepped up by replacing the commit");
    assert!(world.port.self_conflicts().is_empty());
    println!(
        "stuck pair (1 KB) confirmed after {commit_rbf} commit replacements, final {blocks} \
         blocks later; fees paid {} sat",
        m.fees_paid_sat.get()
    );
    world.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_stuck_reveal_over_a_confirmed_commit_confirms_by_cpfp() {
    let (sim, world, start) = setup(32).await;
    let payload = vec![7u8; 100_000];
    world.inscribe(id(0), payload.clone()).await;
    // Wait until the pair is in the mempool, then mine the commit alone, as a miner paid out
    // of band would: the reveal (1 sat/vB, 25 kvB, 10,000 sat output) stays stuck.
    let commit = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let status = world.status().await;
        if let Some(b) = status.batches.first() {
            if b.stage == BatchStage::InMempool {
                break sim
                    .mempool_tx(&b.commit_txid)
                    .expect("commit in the mempool");
            }
        }
    };
    sim.mine_block_with(vec![commit]).expect("commit mined");
    let blocks = until_final(&sim, &world).await;
    let (bodies, _) = chain_envelopes(&sim, start);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0].1, payload);
    let m = &world.metrics;
    let cpfp = m.bumps.with_label_values(&["cpfp"]).get();
    assert!(cpfp >= 1, "the reveal was accelerated by a child");
    assert_eq!(m.bumps.with_label_values(&["commit_rbf"]).get(), 0);
    assert!(world.port.self_conflicts().is_empty());
    println!(
        "stuck reveal (100 KB) confirmed after {cpfp} CPFP children, final {blocks} blocks \
         later; fees paid {} sat",
        m.fees_paid_sat.get()
    );
    world.stop().await;
}
