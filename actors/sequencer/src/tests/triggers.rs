//! Blocks are cut when a full block is pending, or when the interval passed with something
//! pending; never empty.

use super::harness::*;
use crate::SequencerConfig;
use bitai_messages::sequencer::{L2TxStatus, SequencerMsg};

#[tokio::test]
async fn a_full_block_is_cut_at_once() {
    let (world, mut seen) = World::memory().await;
    let seq = world.start(config()).await;
    let mut hashes = Vec::new();
    for nonce in 0..MAX_TXS as u64 - 1 {
        hashes.push(
            submit(&seq, transfer(&world.spec, 0, 1, 5, nonce))
                .await
                .expect("accepted"),
        );
    }
    let h = head(&seq).await;
    assert_eq!((h.number, h.pending), (0, MAX_TXS - 1));
    hashes.push(
        submit(&seq, transfer(&world.spec, 0, 1, 5, MAX_TXS as u64 - 1))
            .await
            .expect("accepted"),
    );
    let h = head(&seq).await;
    assert_eq!((h.number, h.pending), (1, 0));
    for hash in &hashes {
        assert_eq!(status(&seq, *hash).await, Some(L2TxStatus::InBlock(1)));
    }
    let b = block(&seq, 1).await.expect("block 1");
    assert_eq!(b.tx_hashes, hashes);
    assert_eq!(b.prev_state_root, world.spec.create.genesis_state_root);
    assert_eq!(b.new_state_root, h.state_root);
    assert_eq!(seen.recv().await, Some(1), "block 1 handed to the pool");
    let h = wait_handed(&seq).await;
    assert_eq!(h.handed_through, 1);
    assert!(block(&seq, 1).await.expect("block 1").handed_to_prover);
    stop(seq).await;
}

#[tokio::test]
async fn a_partial_block_waits_for_the_interval_and_no_block_is_empty() {
    let (world, _seen) = World::memory().await;
    let seq = world.start(config()).await;
    let hash = submit(&seq, transfer(&world.spec, 2, 3, 7, 0))
        .await
        .expect("accepted");
    world.clock.advance(config().block_interval_ms - 1);
    seq.cast(SequencerMsg::Tick).expect("alive");
    assert_eq!(head(&seq).await.number, 0, "interval not yet passed");
    assert_eq!(status(&seq, hash).await, Some(L2TxStatus::Pending));
    world.clock.advance(1);
    seq.cast(SequencerMsg::Tick).expect("alive");
    let h = head(&seq).await;
    assert_eq!((h.number, h.pending), (1, 0));
    assert_eq!(status(&seq, hash).await, Some(L2TxStatus::InBlock(1)));
    // Nothing pending: time passing makes no block.
    world.clock.advance(10 * config().block_interval_ms);
    seq.cast(SequencerMsg::Tick).expect("alive");
    assert_eq!(head(&seq).await.number, 1);
    assert_eq!(block(&seq, 2).await, None);
    stop(seq).await;
}

/// The `full-blocks` version waits four intervals for a block to fill before it cuts a
/// partial one; a full block is cut at once as with `interval`.
#[tokio::test]
async fn the_full_blocks_policy_waits_four_intervals_for_a_partial_block() {
    let (world, _seen) = World::memory().await;
    let config = SequencerConfig {
        block_policy: crate::BlockPolicy::FullBlocks,
        ..config()
    };
    let seq = world.start(config.clone()).await;
    submit(&seq, transfer(&world.spec, 2, 3, 7, 0))
        .await
        .expect("accepted");
    world
        .clock
        .advance(crate::config::FULL_BLOCKS_WAIT_FACTOR * config.block_interval_ms - 1);
    seq.cast(SequencerMsg::Tick).expect("alive");
    assert_eq!(
        head(&seq).await.number,
        0,
        "still waiting for the block to fill"
    );
    world.clock.advance(1);
    seq.cast(SequencerMsg::Tick).expect("alive");
    assert_eq!(head(&seq).await.number, 1, "cut after four intervals");
    for nonce in 0..MAX_TXS as u64 {
        submit(&seq, transfer(&world.spec, 0, 1, 5, nonce))
            .await
            .expect("accepted");
    }
    assert_eq!(head(&seq).await.number, 2, "a full block at once");
    stop(seq).await;
}

/// Under paused tokio time with the tokio clock, as the simulation runs it: the sequencer's
/// own tick cuts the block once the interval has passed, with no tick sent by the test.
#[tokio::test(start_paused = true)]
async fn the_self_scheduled_tick_cuts_a_block_after_the_interval() {
    let (world, mut seen) = World::memory().await;
    let config = crate::SequencerConfig {
        block_interval_ms: 1_000,
        tick_interval_ms: 100,
        ..config()
    };
    let clock = std::sync::Arc::new(bitai_runtime::TokioClock::starting_at(0));
    let seq = world.start_with_clock(config, clock).await;
    submit(&seq, transfer(&world.spec, 0, 1, 5, 0))
        .await
        .expect("accepted");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(head(&seq).await.number, 0);
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(head(&seq).await.number, 1);
    assert_eq!(seen.recv().await, Some(1));
    stop(seq).await;
}
