//! The whole node stopped mid-flight (batches signed, broadcast, half confirmed) and started
//! again over the same fjall directory, with actor kills (`SupervisorMsg::Crash`) before and
//! after: every payload ends on the final chain once and in order, and no transaction the
//! node accepted from either incarnation conflicts with another except a deliberate bump.

use bitai_bitcoin::BitcoinPort;
use bitai_inscriber::{wallet_keys, InscriberConfig};
use bitai_messages::inscriber::InscribeOutcome;
use bitai_runtime::{SupervisorMsg, TokioClock};
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig};
use bitai_storage::{Durability, FjallStore, SharedStore};
use bitai_tests::support::inscriber_world::{chain_envelopes, fund, InscriberWorld};
use bitai_tests::support::payloads::{id, payloads};
use std::sync::Arc;
use std::time::Duration;

fn open(dir: &std::path::Path) -> SharedStore {
    Arc::new(FjallStore::open(dir, Durability::Process).expect("fjall opens"))
}

#[tokio::test(start_paused = true)]
async fn a_full_restart_over_fjall_loses_nothing_and_repeats_nothing() {
    let seed = 41;
    let clock = Arc::new(TokioClock::starting_at(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(seed), clock.clone()).expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = InscriberConfig {
        poll_interval_ms: 100,
        ..Default::default()
    };
    let store = open(dir.path());
    let keys = wallet_keys(&config, &store, seed).expect("wallet");
    fund(&sim, keys.address(), 10, 50_000_000, 10);
    let start = sim.tip().expect("tip").height + 1;
    let payloads = payloads(seed, 60, 200_000);
    let world = InscriberWorld::start(&sim, store, config.clone(), seed, clock.clone(), None).await;
    for (i, p) in payloads.iter().enumerate() {
        assert_eq!(
            world.inscribe(id(i), p.clone()).await,
            InscribeOutcome::Accepted
        );
    }
    for round in 0..5 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if round == 2 {
            let _ = world
                .supervisor
                .send_message(SupervisorMsg::Crash("inscriber".into()));
        }
        sim.mine_block();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = world.status().await;
    assert!(
        before.final_batches < 5 && !before.batches.is_empty(),
        "stopped mid-flight"
    );
    let first_accepted = world.port.accepted.lock().expect("not poisoned").clone();
    world.stop().await;

    // A new process: the store reopened from disk, new actors, a new watch filter.
    let store = open(dir.path());
    let world = InscriberWorld::start(&sim, store, config, seed, clock, None).await;
    // Resending every request after the restart changes nothing.
    for (i, p) in payloads.iter().enumerate() {
        assert_eq!(
            world.inscribe(id(i), p.clone()).await,
            InscribeOutcome::Duplicate
        );
    }
    for round in 0.. {
        assert!(round < 500, "not done");
        tokio::time::sleep(Duration::from_millis(500)).await;
        if round == 3 {
            let _ = world
                .supervisor
                .send_message(SupervisorMsg::Crash("inscriber_indexer".into()));
        }
        sim.mine_block();
        let status = world.status().await;
        if status.queued == 0 && status.batches.is_empty() {
            break;
        }
    }
    let (bodies, _) = chain_envelopes(&sim, start);
    let got: Vec<&Vec<u8>> = bodies.iter().map(|(_, b)| b).collect();
    let want: Vec<&Vec<u8>> = payloads.iter().collect();
    assert!(got == want, "every payload once, in order");
    world
        .port
        .accepted
        .lock()
        .expect("not poisoned")
        .splice(0..0, first_accepted);
    let conflicts = world.port.self_conflicts();
    assert!(
        conflicts.is_empty(),
        "self-conflicts across the restart: {conflicts:?}"
    );
    world.stop().await;
}
