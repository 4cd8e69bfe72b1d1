//! Durable SimBitcoin when things go wrong: a store that refuses writes (a crash before the
//! batch) leaves the network and the store as they were, a reorg's batch is all or nothing,
//! damaged data is a typed error on open, and the miner actor resumes after a restart.

use super::durable::{image, Disk};
use super::helpers::START_MS;
use crate::bitcoin::store::{block_key, KEYSPACE};
use crate::bitcoin::{SimBitcoin, SimBitcoinConfig, SimBitcoinError, SimMiner, SimMinerArguments};
use bitai_bitcoin::BitcoinPort;
use bitai_runtime::{ManualClock, SharedClock, TokioClock};
use bitai_storage::{Batch, Entry, MemoryStore, SharedStore, Store, StoreError};
use ractor::Actor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A store that refuses every write while `fail` is set: the process "dies" before the
/// batch reaches the store.
struct Flaky {
    inner: SharedStore,
    fail: AtomicBool,
}

impl Store for Flaky {
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(keyspace, key)
    }

    fn write(&self, batch: Batch) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Engine("injected write failure".into()));
        }
        self.inner.write(batch)
    }

    fn range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        self.inner.range(keyspace, from, to, limit)
    }

    fn last_in_range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
    ) -> Result<Option<Entry>, StoreError> {
        self.inner.last_in_range(keyspace, from, to)
    }
}

#[test]
fn a_failed_reorg_or_block_write_changes_nothing_and_a_later_one_lands_whole() {
    let disk = Disk::new(12);
    let flaky = Arc::new(Flaky {
        inner: disk.store(),
        fail: AtomicBool::new(false),
    });
    let sim = disk.open_on(flaky.clone());
    // A twin that never fails, given the same successful calls, for the determinism check.
    let twin = disk.twin();
    sim.mine_blocks(3);
    twin.mine_blocks(3);
    for _ in 0..8 {
        let spends = disk.block_with_spends(&sim, 2);
        for tx in &spends {
            twin.broadcast(tx)
                .expect("the twin accepts the same spends");
        }
        twin.mine_block();
    }
    assert_eq!(image(&sim, &[]), image(&twin, &[]));
    let pending = disk.split(&disk.confirmed(&sim)[0], 2);
    sim.broadcast(&pending).expect("accepted");
    twin.broadcast(&pending).expect("accepted");
    let before = image(&sim, &[]);
    let mempool_before = sim.mempool_txids();

    flaky.fail.store(true, Ordering::SeqCst);
    disk.clock.advance(60_000);
    assert!(matches!(sim.reorg(6, 7), Err(SimBitcoinError::Store(_))));
    assert!(matches!(
        sim.try_mine_block(),
        Err(SimBitcoinError::Store(_))
    ));
    let due = sim.next_block_due_ms();
    assert!(matches!(
        sim.try_mine_due(due + 600_000),
        Err(SimBitcoinError::Store(_))
    ));
    assert_eq!(
        image(&sim, &[]),
        before,
        "the failed changes are not visible"
    );
    assert_eq!(sim.mempool_txids(), mempool_before);
    sim.node().mempool.check_invariants();
    // What the store holds is the state before the failed batches.
    assert_eq!(image(&disk.open_on(flaky.inner.clone()), &[]), before);

    flaky.fail.store(false, Ordering::SeqCst);
    let report = sim.reorg(6, 7).expect("the store works again");
    let twin_report = twin.reorg(6, 7).expect("a valid reorg");
    assert_eq!(report, twin_report, "the failed attempts left no trace");
    let after = image(&sim, &report.disconnected);
    assert_eq!(after, image(&twin, &report.disconnected));
    drop(sim);
    drop(flaky);
    assert_eq!(image(&disk.open(), &report.disconnected), after);
}

#[test]
fn damaged_data_is_a_typed_error_on_open() {
    let config = SimBitcoinConfig {
        coinbase_maturity: 2,
        ..SimBitcoinConfig::with_seed(13)
    };
    let clock: SharedClock = Arc::new(ManualClock::new(START_MS));
    let memory = MemoryStore::new();
    let sim = SimBitcoin::open(config.clone(), clock.clone(), Arc::new(memory.clone()))
        .expect("an empty store opens");
    let hashes = sim.mine_blocks(4);
    drop(sim);
    let reopen = || SimBitcoin::open(config.clone(), clock.clone(), Arc::new(memory.clone()));
    assert!(reopen().is_ok());

    // A block whose bytes no longer match its hash.
    let bytes = memory
        .get(KEYSPACE, &block_key(&hashes[1]))
        .expect("reads")
        .expect("stored");
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    memory
        .put(KEYSPACE, &block_key(&hashes[1]), &flipped)
        .expect("writes");
    assert!(matches!(reopen(), Err(SimBitcoinError::CorruptStore(_))));
    // Garbage, then a missing block.
    memory
        .put(KEYSPACE, &block_key(&hashes[1]), b"junk")
        .expect("writes");
    assert!(matches!(reopen(), Err(SimBitcoinError::CorruptStore(_))));
    let mut batch = Batch::default();
    batch.delete(KEYSPACE, &block_key(&hashes[1]));
    memory.write(batch).expect("writes");
    assert!(matches!(reopen(), Err(SimBitcoinError::CorruptStore(_))));
    // A meta record that does not decode.
    memory
        .put(KEYSPACE, &block_key(&hashes[1]), &bytes)
        .expect("writes");
    assert!(reopen().is_ok(), "repaired");
    memory.put(KEYSPACE, b"m", b"\x01short").expect("writes");
    assert!(matches!(reopen(), Err(SimBitcoinError::CorruptStore(_))));
}

#[tokio::test(start_paused = true)]
async fn the_miner_resumes_its_schedule_after_a_restart() {
    let disk = Disk::new(14);
    let hour_ms = 3_600_000;
    // What a network that never stopped mines in four hours.
    let twin = SimBitcoin::new(disk.config.clone(), Arc::new(ManualClock::new(START_MS)))
        .expect("a valid config");
    let expected = twin.mine_due(START_MS + 4 * hour_ms);
    assert!(expected.len() > 100, "a block a minute");

    let mut now_ms = START_MS;
    for _ in 0..2 {
        let clock: SharedClock = Arc::new(TokioClock::starting_at(now_ms));
        let sim = SimBitcoin::open(disk.config.clone(), clock.clone(), disk.store())
            .expect("the store opens");
        let args = SimMinerArguments {
            bitcoin: sim.clone(),
            clock: clock.clone(),
        };
        let (miner, handle) = Actor::spawn(None, SimMiner, args)
            .await
            .expect("the miner spawns");
        tokio::time::sleep(Duration::from_millis(2 * hour_ms)).await;
        now_ms = clock.now_ms();
        miner.stop(None);
        handle.await.expect("the miner stops cleanly");
        assert!(sim.tip().expect("answers").height > 0);
    }
    let sim = disk.open();
    let tip = sim.tip().expect("answers");
    assert_eq!(tip.height, expected.len() as u64);
    assert_eq!(tip.hash, *expected.last().expect("not empty"));
}
