//! The mempool and the state machine never disagree: for random submission orders of valid,
//! invalid and duplicate transactions, the state machine, executing every submission in the
//! order the mempool answered it (a duplicate of a pending entry once), executes exactly
//! those the mempool accepted and rejects exactly those it refused (with the same reason).

use super::harness::chain_a;
use crate::pool::Pool;
use crate::{MempoolConfig, MempoolMetrics};
use bitai_messages::indexer::IndexerEvent;
use bitai_messages::mempool::MempoolReject;
use bitai_protocol::{encode_tx, BitaiTx, ChainId, Hash32, ProofSystem};
use bitai_runtime::ManualClock;
use bitai_simulation::{SimBitcoin, SimBitcoinConfig};
use bitai_statemachine::testing::connected_block;
use bitai_statemachine::{StateMachineConfig, StateMachineEngine, StateMachineMetrics};
use bitai_storage::{MemoryStore, SharedStore};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::Arc;

fn candidates() -> Vec<BitaiTx> {
    let a = chain_a();
    let mut txs = vec![BitaiTx::CreateChain(a.create.clone())];
    txs.extend(a.proofs.iter().cloned().map(BitaiTx::SubmitProof));
    let mut bad = a.proofs[1].clone();
    bad.proof[12] ^= 4;
    txs.push(BitaiTx::SubmitProof(bad));
    let mut wrong_prev = a.proofs[2].clone();
    wrong_prev.prev_state_root = a.proofs[0].new_state_root;
    txs.push(BitaiTx::SubmitProof(wrong_prev));
    let mut sim = a.create.clone();
    sim.proof_system = ProofSystem::SimulationOnly;
    txs.push(BitaiTx::CreateChain(sim));
    let mut elsewhere = a.proofs[0].clone();
    elsewhere.chain_id = ChainId(Hash32::sha256(b"elsewhere"));
    txs.push(BitaiTx::SubmitProof(elsewhere));
    txs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn the_state_machine_executes_exactly_what_the_mempool_accepted(
        picks in proptest::collection::vec(0usize..9, 1..12)
    ) {
        let txs = candidates();
        let sm_store: SharedStore = Arc::new(MemoryStore::new());
        let sm_metrics = StateMachineMetrics::new(&prometheus::Registry::new()).expect("metrics");
        let mut engine =
            StateMachineEngine::load(StateMachineConfig::default(), sm_store, sm_metrics).expect("load");
        let mp_store: SharedStore = Arc::new(MemoryStore::new());
        let mp_metrics = MempoolMetrics::new(&prometheus::Registry::new()).expect("metrics");
        let config = MempoolConfig { max_pending: 64, ..MempoolConfig::default() };
        let mut pool = Pool::load(config, mp_store, mp_metrics, &engine.view()).expect("load");
        let sim = SimBitcoin::new(SimBitcoinConfig::with_seed(1), Arc::new(ManualClock::new(0)))
            .expect("sim");

        // What Bitcoin would see if every submission were inscribed as it was answered: the
        // refused ones (which the state machine must reject too) and the accepted ones; a
        // duplicate of a pending entry is not queued twice.
        let mut accepted = BTreeSet::new();
        let mut distinct = Vec::new();
        let mut verdicts: Vec<Result<(), String>> = Vec::new();
        for i in picks {
            let tx = txs[i].clone();
            let id = Hash32::sha256(&encode_tx(&tx).expect("encodes"));
            match pool.submit(tx.clone(), &sim) {
                Ok(answer) => {
                    prop_assert_eq!(answer, id);
                    if accepted.insert(id) {
                        distinct.push(tx);
                        verdicts.push(Ok(()));
                    }
                }
                Err(e) => {
                    prop_assert!(!e.is_transient(), "{}", e);
                    distinct.push(tx);
                    verdicts.push(Err(match e {
                        MempoolReject::Invalid(r) => r.label().to_owned(),
                        other => other.label().to_owned(),
                    }));
                }
            }
        }
        // Confirm them, in that order, in one block.
        let block = connected_block(1, BlockHash::all_zeros(), 1, &distinct);
        engine.apply(&IndexerEvent::BlockConnected(block.clone())).expect("apply");
        let view = engine.view();
        let rejected: Vec<_> = view.rejected.iter().map(|r| (r.txid, r.label)).collect();
        for (i, verdict) in verdicts.iter().enumerate() {
            let txid = block.bitai_txs[i].txid;
            let sm = rejected.iter().find(|(t, _)| *t == txid).map(|(_, l)| l.to_string());
            match verdict {
                Ok(()) => prop_assert_eq!(sm, None, "mempool accepted #{}", i),
                Err(label) => prop_assert_eq!(sm.as_deref(), Some(label.as_str()), "#{}", i),
            }
        }
    }
}
