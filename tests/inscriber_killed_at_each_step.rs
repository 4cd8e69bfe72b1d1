//! The inscriber killed at each step of a batch's life (signed but not stored, stored but
//! not broadcast, commit broadcast, reveal broadcast, confirmed but not acknowledged, a bump
//! stored but not broadcast, a bump half broadcast) and restarted by its supervisor: the
//! final chain holds every payload once, in order, and the node never accepted a
//! transaction of the inscriber's conflicting with an earlier one except a deliberate bump
//! (same inputs, more fee). Signing is deterministic, so re-signing after a crash yields the
//! very same transaction.

use bitai_bitcoin::BitcoinPort;
use bitai_inscriber::{wallet_keys, CrashPoint, FaultInjector, InscriberConfig};
use bitai_messages::inscriber::InscribeOutcome;
use bitai_runtime::TokioClock;
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig};
use bitai_storage::{MemoryStore, SharedStore};
use bitai_tests::support::inscriber_world::{chain_envelopes, fund, InscriberWorld};
use bitai_tests::support::payloads::{create_chain, id};
use bitcoin::FeeRate;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Crashes the first `times` times the inscriber reaches `point`.
struct CrashAt {
    point: CrashPoint,
    left: AtomicU32,
    fired: AtomicU32,
}

impl FaultInjector for CrashAt {
    fn crash_at(&self, point: CrashPoint) -> bool {
        if point != self.point {
            return false;
        }
        let fire = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fire {
            self.fired.fetch_add(1, Ordering::SeqCst);
        }
        fire
    }
}

async fn killed_at(point: CrashPoint, seed: u64) {
    let clock = Arc::new(TokioClock::starting_at(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(seed), clock.clone()).expect("sim");
    let store: SharedStore = Arc::new(MemoryStore::new());
    let config = InscriberConfig {
        poll_interval_ms: 100,
        fee_rate_ceiling_sat_per_vb: 20,
        bump_after_blocks: 1,
        ..Default::default()
    };
    let keys = wallet_keys(&config, &store, seed).expect("wallet");
    fund(&sim, keys.address(), 10, 50_000_000, 10);
    let start_height = sim.tip().expect("tip").height + 1;
    let bumping = matches!(point, CrashPoint::BumpPersisted | CrashPoint::BumpBroadcast);
    if bumping {
        // Miners want more than the floor the inscriber starts at: it has to bump.
        sim.set_miner_min_fee_rate(FeeRate::from_sat_per_vb(3).expect("rate"));
    }
    let faults = Arc::new(CrashAt {
        point,
        left: AtomicU32::new(2),
        fired: AtomicU32::new(0),
    });
    let world = InscriberWorld::start(&sim, store, config, seed, clock, Some(faults.clone())).await;
    let sizes = [100usize, 150_000, 200, 180_000, 5_000, 300_000, 10, 1_000];
    let payloads: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            if i % 2 == 0 {
                create_chain(i as u64, len)
            } else {
                vec![i as u8; len]
            }
        })
        .collect();
    for (i, p) in payloads.iter().enumerate() {
        assert_eq!(
            world.inscribe(id(i), p.clone()).await,
            InscribeOutcome::Accepted
        );
    }
    for round in 0.. {
        assert!(round < 400, "{point:?}: not done");
        tokio::time::sleep(Duration::from_millis(500)).await;
        if bumping && round == 12 {
            sim.set_miner_min_fee_rate(FeeRate::from_sat_per_vb(1).expect("rate"));
        }
        sim.mine_block();
        let status = world.status().await;
        if status.queued == 0 && status.batches.is_empty() && round > 12 {
            break;
        }
    }
    assert!(
        faults.fired.load(Ordering::SeqCst) >= 1,
        "{point:?}: the crash happened"
    );
    let (bodies, _) = chain_envelopes(&sim, start_height);
    let got: Vec<&Vec<u8>> = bodies.iter().map(|(_, b)| b).collect();
    let want: Vec<&Vec<u8>> = payloads.iter().collect();
    assert!(got == want, "{point:?}: every payload once, in order");
    let conflicts = world.port.self_conflicts();
    assert!(
        conflicts.is_empty(),
        "{point:?}: self-conflicts {conflicts:?}"
    );
    if !bumping {
        assert_eq!(
            world.metrics.bumps.with_label_values(&["commit_rbf"]).get(),
            0
        );
    }
    println!(
        "{point:?}: crashes {}, distinct transactions accepted {}, batches {}",
        faults.fired.load(Ordering::SeqCst),
        world.port.distinct_accepted(),
        world.metrics.batches_final.get()
    );
    world.stop().await;
}

#[tokio::test(start_paused = true)]
async fn killed_after_signing_before_storing() {
    killed_at(CrashPoint::SignedNotPersisted, 21).await;
}

#[tokio::test(start_paused = true)]
async fn killed_after_storing_before_broadcasting() {
    killed_at(CrashPoint::PersistedNotBroadcast, 22).await;
}

#[tokio::test(start_paused = true)]
async fn killed_after_broadcasting_the_commit() {
    killed_at(CrashPoint::CommitBroadcast, 23).await;
}

#[tokio::test(start_paused = true)]
async fn killed_after_broadcasting_the_reveal() {
    killed_at(CrashPoint::RevealBroadcast, 24).await;
}

#[tokio::test(start_paused = true)]
async fn killed_after_a_confirmation_before_acknowledging_it() {
    killed_at(CrashPoint::Confirmed, 25).await;
}

#[tokio::test(start_paused = true)]
async fn killed_after_storing_a_bump() {
    killed_at(CrashPoint::BumpPersisted, 26).await;
}

#[tokio::test(start_paused = true)]
async fn killed_half_way_through_broadcasting_a_bump() {
    killed_at(CrashPoint::BumpBroadcast, 27).await;
}
