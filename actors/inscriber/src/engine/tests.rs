use super::*;
use bitai_messages::indexer::{ConnectedBlock, ConsumerCursor, IndexerEvent, WatchedTx};
use bitai_messages::inscriber::BatchStage;
use bitai_runtime::ManualClock;
use bitai_simulation::bitcoin::{SimBitcoin, SimBitcoinConfig};
use bitai_storage::MemoryStore;
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::SecretKey;
use bitcoin::transaction::Version;
use bitcoin::{Amount, BlockHash, Network, TxOut};
use std::sync::Arc;

fn engine(store: &SharedStore) -> InscriberEngine {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(1), clock).expect("sim");
    InscriberEngine::load(EngineParts {
        cfg: InscriberConfig::default(),
        keyspace: "inscriber".into(),
        store: store.clone(),
        bitcoin: Arc::new(sim),
        keys: WalletKeys::from_secret(
            SecretKey::from_slice(&[9; 32]).expect("key"),
            Network::Regtest,
        ),
        watch: WatchFilter::new(),
        metrics: InscriberMetrics::new(&prometheus::Registry::new()),
        faults: None,
        tip_height: 0,
    })
    .expect("loads")
}

#[test]
fn requests_are_stored_before_the_answer_and_idempotent_on_id() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let mut e = engine(&store);
    assert_eq!(
        e.inscribe([1; 32], vec![1, 2]).expect("ok"),
        InscribeOutcome::Accepted
    );
    assert_eq!(
        e.inscribe([1; 32], vec![3]).expect("ok"),
        InscribeOutcome::Duplicate
    );
    assert_eq!(
        e.inscribe([2; 32], vec![4]).expect("ok"),
        InscribeOutcome::Accepted
    );
    assert!(matches!(
        e.inscribe([3; 32], vec![]),
        Err(InscriberError::PayloadTooLarge { .. })
    ));
    assert!(matches!(
        e.inscribe([3; 32], vec![0; MAX_TX_BYTES + 1]),
        Err(InscriberError::PayloadTooLarge { .. })
    ));
    // A new incarnation over the same store has the queue, in order, and the ids.
    let mut again = engine(&store);
    let queued: Vec<RequestId> = again.queue.values().copied().collect();
    assert_eq!(queued, vec![[1; 32], [2; 32]]);
    assert_eq!(
        again.inscribe([2; 32], vec![4]).expect("ok"),
        InscribeOutcome::Duplicate
    );
    assert_eq!(
        again.inscribe([5; 32], vec![5]).expect("ok"),
        InscribeOutcome::Accepted
    );
    assert_eq!(again.requests[&[5; 32]].seq, 2);
}

fn funding(e: &InscriberEngine, coins: usize) -> IndexerEvent {
    let tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![],
        output: (0..coins)
            .map(|_| TxOut {
                value: Amount::from_sat(50_000_000),
                script_pubkey: e.keys.script_pubkey().clone(),
            })
            .collect(),
    };
    IndexerEvent::BlockConnected(ConnectedBlock {
        height: 0,
        hash: BlockHash::from_byte_array([1; 32]),
        prev_hash: BlockHash::all_zeros(),
        time: 0,
        bitai_txs: vec![],
        watched_txs: vec![WatchedTx {
            txid: tx.compute_txid(),
            tx_index: 1,
            tx,
        }],
    })
}

#[test]
fn batches_fill_reveals_up_to_the_standard_weight_in_arrival_order() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let mut e = engine(&store);
    let cursor = ConsumerCursor::new("inscriber_cursor", 10);
    let event = funding(&e, 3);
    assert!(e.apply_event(&cursor, &event).expect("applies"));
    // Redelivered: recognised, not applied twice.
    assert!(e.apply_event(&cursor, &event).expect("acknowledged"));
    assert_eq!(e.coins.len(), 3);
    for (i, len) in [300_000usize, 50_000, 60_000, 10].into_iter().enumerate() {
        e.inscribe([i as u8; 32], vec![i as u8; len])
            .expect("accepted");
    }
    let id = e.cut().expect("cuts").expect("a batch");
    let b = &e.batches[&id];
    // 300 KB and 50 KB fit in 400,000 WU; 60 KB more would not.
    assert_eq!(b.rec.requests, vec![[0; 32], [1; 32]]);
    assert_eq!(b.rec.stage, BatchStage::Signed);
    assert!(b.active().1.weight().to_wu() <= 400_000);
    // The next batch waits for this one to confirm.
    assert!(e.cut().expect("no error").is_none());
    // The stored record is what a restart sees.
    let again = engine(&store);
    assert_eq!(again.batches[&id].rec, e.batches[&id].rec);
    assert_eq!(again.queue.len(), 2);
    assert_eq!(again.coins.len(), 3);
}
