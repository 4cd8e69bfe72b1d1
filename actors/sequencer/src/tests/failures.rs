//! Failures: a DA layer that fails leaves the transfers pending and the state as it was, and
//! the next tick cuts the block; a spec whose parts disagree is refused.

use super::harness::*;
use super::replay::replay_from_da;
use crate::SpecError;
use bitai_da::EmbeddedDa;
use bitai_messages::da::{DaError, DaPort};
use bitai_messages::sequencer::SequencerMsg;
use bitai_protocol::Hash32;
use bitai_storage::MemoryStore;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A DA backend that fails its next `put` when armed.
struct FlakyDa {
    inner: EmbeddedDa,
    fail_next: AtomicBool,
}

impl DaPort for FlakyDa {
    fn put(&self, blob: &[u8]) -> Result<Hash32, DaError> {
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(DaError::Missing(Hash32::sha256(blob)));
        }
        self.inner.put(blob)
    }
    fn get(&self, commitment: &Hash32) -> Result<Option<Vec<u8>>, DaError> {
        self.inner.get(commitment)
    }
}

#[tokio::test]
async fn a_da_failure_keeps_the_transfers_pending_until_the_next_tick() {
    let (pool, _seen) = recording_pool(0).await;
    let store = Arc::new(MemoryStore::new());
    let flaky = Arc::new(FlakyDa {
        inner: EmbeddedDa::new(store.clone(), 1 << 20),
        fail_next: AtomicBool::new(false),
    });
    let mut world = World::new(spec(), store, pool);
    world.da = flaky.clone();
    let seq = world.start(config()).await;
    let genesis_root = head(&seq).await.state_root;
    flaky.fail_next.store(true, Ordering::SeqCst);
    for nonce in 0..MAX_TXS as u64 {
        submit(&seq, transfer(&world.spec, 0, 1, 5, nonce))
            .await
            .expect("accepted");
    }
    let h = head(&seq).await;
    assert_eq!(
        (h.number, h.pending, h.state_root),
        (0, MAX_TXS, genesis_root)
    );
    assert_eq!(block(&seq, 1).await, None);
    seq.cast(SequencerMsg::Tick).expect("alive");
    let h = head(&seq).await;
    assert_eq!((h.number, h.pending), (1, 0));
    replay_from_da(&world, &seq).await;
    stop(seq).await;
}

#[test]
fn a_spec_whose_parts_disagree_is_refused() {
    let mut s = spec();
    s.genesis.accounts[0].balance += 1;
    assert!(matches!(s.check(), Err(SpecError::GenesisRoot { .. })));
    let mut s = spec();
    s.circuit.max_txs += 1;
    assert!(matches!(s.check(), Err(SpecError::Shape(_))));
    let mut s = spec();
    s.create.salt += 1;
    assert!(matches!(s.check(), Err(SpecError::ChainMismatch { .. })));
}

/// Stored accounts that do not give the newest block's recorded root (a corrupted or edited
/// store) stop the sequencer from starting, rather than sequencing on a wrong state.
#[tokio::test]
async fn stored_accounts_that_disagree_with_the_head_are_refused_at_start() {
    let (world, _seen) = World::memory().await;
    let seq = world.start(config()).await;
    for nonce in 0..MAX_TXS as u64 {
        submit(&seq, transfer(&world.spec, 0, 1, 5, nonce))
            .await
            .expect("accepted");
    }
    assert_eq!(head(&seq).await.number, 1);
    stop(seq).await;
    // Give account 1 a balance the blocks never gave it.
    let store = crate::store::SeqStore::new(world.store.clone(), world.spec.chain_id());
    let mut batch = bitai_storage::Batch::default();
    let mut account = bitai_chain::stf::Account {
        public_key: key(1).public_key(),
        balance: BALANCE + 21,
        nonce: 0,
    };
    store.put_account(&mut batch, 1, &account);
    store.write(batch).expect("edit");
    let open = |store| {
        crate::SequencerCore::open(
            world.spec.clone(),
            config(),
            store,
            world.da.clone(),
            Arc::new(world.clock.clone()),
            crate::SequencerMetrics::new(&prometheus::Registry::new(), &world.spec.chain_id())
                .expect("metrics"),
        )
    };
    assert!(matches!(
        open(world.store.clone()),
        Err(crate::SequencerError::Inconsistent(_))
    ));
    // The true balance (+20 from block 1) opens again.
    account.balance = BALANCE + 4 * 5;
    let mut batch = bitai_storage::Batch::default();
    store.put_account(&mut batch, 1, &account);
    store.write(batch).expect("repair");
    let core = open(world.store.clone()).expect("consistent again");
    assert_eq!(core.head_number(), 1);
}
