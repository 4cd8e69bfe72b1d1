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

/// A block at `height` on top of `prev` carrying `txs` (watched), with a hash drawn from
/// `tag`.
fn block(height: u64, tag: u8, prev: BlockHash, txs: &[&Transaction]) -> IndexerEvent {
    IndexerEvent::BlockConnected(ConnectedBlock {
        height,
        hash: BlockHash::from_byte_array([tag; 32]),
        prev_hash: prev,
        time: 0,
        bitai_txs: vec![],
        watched_txs: txs
            .iter()
            .enumerate()
            .map(|(i, tx)| WatchedTx {
                txid: tx.compute_txid(),
                tx_index: i as u32 + 1,
                tx: (*tx).clone(),
            })
            .collect(),
    })
}

/// Found against a real Bitcoin Core with reorgs under a running devnet: batch 0 confirmed
/// under its replacement, batch 1 was cut on the replacement's reveal output, then a reorg
/// confirmed batch 0's original instead. Batch 1's commit spent an output that no longer
/// exists, and was rebroadcast (refused as missing inputs) forever. Now it is re-anchored on
/// the original's output, in conflict with its old version, and goes on.
#[test]
fn a_batch_anchored_on_a_version_that_lost_a_reorg_is_reanchored_on_the_winner() {
    use crate::records::{PairVersion, VersionKind};
    use crate::wallet::{build_commit, build_reveal, fee_for};
    let store: SharedStore = Arc::new(MemoryStore::new());
    let mut e = engine(&store);
    let cursor = ConsumerCursor::new("inscriber_cursor", 10);
    let genesis = funding(&e, 3);
    assert!(e.apply_event(&cursor, &genesis).expect("funded"));
    e.inscribe([1; 32], vec![1; 100]).expect("accepted");
    let first = e.cut().expect("cuts").expect("batch 0");

    // Batch 0's replacement (what a bump signs), at twice the rate.
    let (original_commit, original_reveal) = e.batches[&first].active().clone();
    let version = e.batches[&first].active_version().clone();
    let payloads = e.payloads_of(&e.batches[&first].rec).expect("payloads");
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let reveal_info = e.keys.reveal_of(&refs).expect("reveal");
    let rate = version.fee_rate_sat_per_kvb * 2;
    let inputs: Vec<(OutPoint, u64)> = original_commit
        .input
        .iter()
        .map(|i| i.previous_output)
        .zip(version.commit_input_values.iter().copied())
        .collect();
    let value = fee_for(original_reveal.vsize() as u64, rate) + e.cfg.reveal_output_sat;
    let evicted = version.commit_fee_sat + version.reveal_fee_sat;
    let (commit, commit_fee) = build_commit(&e.keys, &reveal_info, &inputs, value, rate, |v| {
        evicted + v + 1
    })
    .expect("commit");
    let (reveal, reveal_fee) = build_reveal(&e.keys, &reveal_info, &commit, |v| fee_for(v, rate))
        .expect("reveal")
        .expect("pays");
    e.store_version(
        first,
        PairVersion {
            commit: crate::records::encode_tx(&commit),
            reveal: crate::records::encode_tx(&reveal),
            fee_rate_sat_per_kvb: rate,
            commit_input_values: version.commit_input_values.clone(),
            commit_fee_sat: commit_fee,
            reveal_fee_sat: reveal_fee,
            kind: VersionKind::CommitReplaced,
        },
        commit.clone(),
        reveal.clone(),
        "commit_rbf",
    )
    .expect("stored");

    // The replacement confirms at height 1; batch 1 is cut on its reveal's output.
    let genesis_hash = genesis.id().1;
    let b1 = block(1, 2, genesis_hash, &[&commit, &reveal]);
    assert!(e.apply_event(&cursor, &b1).expect("applies"));
    e.inscribe([2; 32], vec![2; 100]).expect("accepted");
    let second = e.cut().expect("cuts").expect("batch 1");
    let lost_anchor = OutPoint::new(reveal.compute_txid(), 0);
    let old_commit = e.batches[&second].active().0.clone();
    assert_eq!(old_commit.input[0].previous_output, lost_anchor);
    assert!(!e.orphaned(second).expect("checks"), "nothing lost yet");

    // A reorg: block 1 goes, and a block 1' confirms batch 0's original instead.
    let undo = IndexerEvent::BlockDisconnected {
        height: 1,
        hash: b1.id().1,
    };
    assert!(e.apply_event(&cursor, &undo).expect("undone"));
    let b1x = block(1, 3, genesis_hash, &[&original_commit, &original_reveal]);
    assert!(e.apply_event(&cursor, &b1x).expect("applies"));
    assert!(e.orphaned(second).expect("checks"), "its anchor lost");

    e.tend(second).expect("tends");
    let b = &e.batches[&second];
    assert_eq!(b.active_version().kind, VersionKind::Reanchored);
    let new_inputs: Vec<OutPoint> = b
        .active()
        .0
        .input
        .iter()
        .map(|i| i.previous_output)
        .collect();
    assert_eq!(
        new_inputs[0],
        OutPoint::new(original_reveal.compute_txid(), 0),
        "anchored on the winner's output"
    );
    assert!(!new_inputs.contains(&lost_anchor));
    // The old version's other inputs (wallet coins) are spent again: the two conflict.
    for op in old_commit.input.iter().skip(1).map(|i| i.previous_output) {
        assert!(new_inputs.contains(&op), "{op} kept");
    }
    assert!(!e.orphaned(second).expect("checks"));
    // Stored: a restart sees the re-anchored version.
    let again = engine(&store);
    assert_eq!(
        again.batches[&second].active_version().kind,
        VersionKind::Reanchored
    );
}
