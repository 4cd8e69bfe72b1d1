//! A sequencer stopped mid-way and started again on the same store loses and duplicates
//! nothing: its head, pending transfers and hand-off cursor come back, and the run ends with
//! every transfer in exactly one block; on memory and on fjall (closed and reopened).

use super::harness::*;
use super::replay::{replay_from_da, two_hundred};
use bitai_storage::{Durability, FjallStore, MemoryStore, SharedStore};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Runs 101 transfers, stops, restarts on `world()` (a fresh handle on the same data), runs
/// 99 more.
async fn run_with_restart(world: impl Fn() -> World) {
    let mut nonces = [0u64; 10];
    let (mut hashes, before) = {
        let world = world();
        let seq = world.start(config()).await;
        // 101 transfers: 25 full blocks and one pending.
        let hashes = two_hundred(&world, &seq, 0..101, &mut nonces).await;
        let before = wait_handed(&seq).await;
        assert_eq!((before.number, before.pending), (25, 1));
        stop(seq).await;
        (hashes, before)
    };
    let world = world();
    let seq = world.start(config()).await;
    let after = head(&seq).await;
    assert_eq!(
        after, before,
        "head, pending and cursor survive the restart"
    );
    // The same transfers again: same hashes, nothing queued.
    let again = two_hundred(&world, &seq, 0..101, &mut [0u64; 10]).await;
    assert_eq!(again, hashes);
    assert_eq!(head(&seq).await.pending, 1);
    hashes.extend(two_hundred(&world, &seq, 101..200, &mut nonces).await);
    flush(&world, &seq).await;
    let in_blocks = replay_from_da(&world, &seq).await;
    assert_eq!(in_blocks, hashes);
    assert_eq!(
        in_blocks.iter().collect::<BTreeSet<_>>().len(),
        200,
        "no duplicates"
    );
    wait_handed(&seq).await;
    stop(seq).await;
}

#[tokio::test]
async fn a_restart_on_memory_loses_and_duplicates_nothing() {
    let (pool, mut seen) = recording_pool(0).await;
    let store: SharedStore = Arc::new(MemoryStore::new());
    run_with_restart(|| World::new(spec(), store.clone(), pool.clone())).await;
    let mut handed = BTreeSet::new();
    while let Ok(n) = seen.try_recv() {
        assert!(handed.insert(n), "block {n} handed twice");
    }
    assert_eq!(handed, (1..=50).collect());
}

#[tokio::test]
async fn a_restart_on_fjall_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pool, _seen) = recording_pool(0).await;
    run_with_restart(|| {
        let store = FjallStore::open(dir.path(), Durability::Process).expect("open");
        World::new(spec(), Arc::new(store), pool.clone())
    })
    .await;
}

/// Pending transfers are re-checked at start: with a higher fee floor after the restart, the
/// ones below it are dropped (logged) rather than sequenced; the rest stay pending.
#[tokio::test]
async fn pending_transfers_are_rechecked_at_start() {
    let (world, _seen) = World::memory().await;
    let seq = world.start(config()).await;
    let cheap = submit(&seq, transfer(&world.spec, 0, 1, 5, 0))
        .await
        .expect("accepted");
    let paid = bitai_chain::tx::Transfer {
        from: 2,
        to: 3,
        to_public_key: key(3).public_key(),
        amount: 5,
        fee: FEE + 1,
        nonce: 0,
    }
    .sign(&world.spec.chain_id(), &key(2));
    let paid = submit(&seq, paid).await.expect("accepted");
    assert_eq!(head(&seq).await.pending, 2);
    stop(seq).await;
    let seq = world
        .start(crate::SequencerConfig {
            min_fee: FEE + 1,
            ..config()
        })
        .await;
    assert_eq!(head(&seq).await.pending, 1);
    assert_eq!(status(&seq, cheap).await, None, "dropped");
    assert_eq!(
        status(&seq, paid).await,
        Some(bitai_messages::sequencer::L2TxStatus::Pending)
    );
    // Account 0's nonce 0 is free again.
    let again = transfer(&world.spec, 0, 1, 5, 0);
    assert_eq!(
        submit(&seq, again).await,
        Err(bitai_messages::sequencer::SubmitError::FeeBelowMinimum {
            fee: FEE,
            min_fee: FEE + 1
        })
    );
    stop(seq).await;
}
