//! A hot swap's warm hand-over (`WarmSlot`): a drained version leaves its state for the next
//! only when a swap armed the slot; the next takes it (its own block policy applies) and
//! serves the same head, pending transfers and root; a left state the store has moved past
//! is dropped and the chain reloaded.

use super::harness::*;
use crate::{BlockPolicy, SequencerConfig, WarmSlot};
use bitai_messages::sequencer::SequencerMsg;

#[tokio::test]
async fn a_drained_sequencer_hands_its_state_to_the_next_version_only_when_armed() {
    let (world, _seen) = World::memory().await;
    let warm = WarmSlot::default();
    let seq = world.start_warm(config(), warm.clone()).await;
    submit(&seq, transfer(&world.spec, 0, 1, 5, 0))
        .await
        .expect("accepted");
    world.clock.advance(config().block_interval_ms);
    seq.cast(SequencerMsg::Tick).expect("alive");
    submit(&seq, transfer(&world.spec, 2, 3, 5, 0))
        .await
        .expect("accepted");
    let before = head(&seq).await;
    assert_eq!((before.number, before.pending), (1, 1));

    // A swap: armed, drained; the state waits for the next version.
    warm.arm();
    seq.drain_and_wait(None).await.expect("drains");
    assert!(warm.is_filled());
    let full = SequencerConfig {
        block_policy: BlockPolicy::FullBlocks,
        ..config()
    };
    let next = world.start_warm(full, warm.clone()).await;
    assert!(!warm.is_filled(), "taken");
    let after = head(&next).await;
    assert_eq!(
        (after.number, after.pending, after.state_root),
        (before.number, before.pending, before.state_root)
    );
    // The new version's policy applies: one interval is not enough for a partial block.
    world.clock.advance(config().block_interval_ms);
    next.cast(SequencerMsg::Tick).expect("alive");
    assert_eq!(head(&next).await.number, 1, "full-blocks waits longer");

    // An ordinary stop (not armed) leaves nothing behind.
    stop(next).await;
    assert!(!warm.is_filled());
}

#[tokio::test]
async fn a_left_state_the_store_has_moved_past_is_dropped() {
    let (world, _seen) = World::memory().await;
    let warm = WarmSlot::default();
    let seq = world.start_warm(config(), warm.clone()).await;
    warm.arm();
    seq.drain_and_wait(None).await.expect("drains");
    assert!(warm.is_filled(), "a state at head 0 waits");
    // Meanwhile another incarnation cuts block 1 on the same store.
    let other = world.start(config()).await;
    submit(&other, transfer(&world.spec, 0, 1, 5, 0))
        .await
        .expect("accepted");
    world.clock.advance(config().block_interval_ms);
    other.cast(SequencerMsg::Tick).expect("alive");
    assert_eq!(head(&other).await.number, 1);
    stop(other).await;
    // The left state is at head 0, the store at 1: reloaded, not trusted.
    let next = world.start_warm(config(), warm.clone()).await;
    assert_eq!(head(&next).await.number, 1);
    stop(next).await;
}
