//! Entries over time: a reorg that removes their chain evicts them with a reason; a fee
//! spike defers the prover pool's proofs (persisted, across a restart), which go through in
//! order once it passes; a restart on fjall reloads the entries in order and re-hands those
//! the inscriber never acknowledged.

use super::harness::{chain_a, config, memory, status, submit, until, World};
use bitai_messages::mempool::MempoolMsg;
use bitai_messages::prover::ProofEmitted;
use bitai_messages::statemachine::StateView;
use bitai_protocol::BitaiTx;
use bitai_storage::{Durability, FjallStore, SharedStore};
use bitcoin::FeeRate;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[tokio::test]
async fn a_reorg_that_removes_the_chain_evicts_its_proofs() {
    let a = chain_a();
    let mut w = World::new().await;
    w.confirm(&[BitaiTx::CreateChain(a.create.clone())]);
    let m = w.mempool(memory(), config()).await;
    for p in &a.proofs[..2] {
        submit(&m, BitaiTx::SubmitProof(p.clone()))
            .await
            .expect("accepted");
    }
    w.unconfirm();
    let s = until(&m, |s| s.pending.is_empty()).await;
    let evicted: Vec<_> = s.rejected.iter().filter(|r| r.evicted).collect();
    assert_eq!(evicted.len(), 2);
    assert!(evicted.iter().all(|r| r.label == "unknown_chain"));
    assert_eq!(
        evicted.iter().map(|r| r.block).collect::<Vec<_>>(),
        vec![Some(1), Some(2)]
    );
}

#[tokio::test]
async fn a_fee_spike_defers_the_pools_proofs_in_order() {
    let a = chain_a();
    let mut w = World::new().await;
    w.confirm(&[BitaiTx::CreateChain(a.create.clone())]);
    let store = memory();
    let m = w.mempool(store.clone(), config()).await;
    w.sim
        .set_fee_spike(Some(FeeRate::from_sat_per_vb(400).expect("rate")));
    for p in &a.proofs[..3] {
        m.send_message(MempoolMsg::from(ProofEmitted(p.clone())))
            .expect("send");
    }
    let s = status(&m).await;
    assert_eq!((s.pending.len(), s.deferred), (0, 3));
    m.send_message(MempoolMsg::Tick).expect("tick");
    assert_eq!(status(&m).await.deferred, 3, "still above the limit");
    // The deferred proofs survive a restart (the pool emitted them once and forgot them).
    m.stop_and_wait(None, None).await.expect("stop");
    let m = w.mempool(store, config()).await;
    assert_eq!(status(&m).await.deferred, 3);
    w.sim.set_fee_spike(None);
    m.send_message(MempoolMsg::Tick).expect("tick");
    let s = until(&m, |s| {
        s.pending.len() == 3 && s.pending.iter().all(|p| p.handed)
    })
    .await;
    assert_eq!(s.deferred, 0);
    assert_eq!(
        s.pending.iter().map(|p| p.block).collect::<Vec<_>>(),
        vec![Some(1), Some(2), Some(3)]
    );
    assert_eq!(
        w.inscriptions.ids(),
        s.pending.iter().map(|p| p.id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_restart_on_fjall_reloads_in_order_and_re_hands_the_unacknowledged() {
    let a = chain_a();
    let mut w = World::new().await;
    w.confirm(&[BitaiTx::CreateChain(a.create.clone())]);
    let dir = tempfile::tempdir().expect("tempdir");
    w.inscriptions.refuse.store(true, Ordering::SeqCst);
    let ids = {
        let store: SharedStore =
            Arc::new(FjallStore::open(dir.path(), Durability::Process).expect("open"));
        let m = w.mempool(store, config()).await;
        let mut ids = vec![];
        for p in &a.proofs[..3] {
            ids.push(
                submit(&m, BitaiTx::SubmitProof(p.clone()))
                    .await
                    .expect("accepted"),
            );
        }
        let s = status(&m).await;
        assert!(s.pending.iter().all(|p| !p.handed), "the inscriber refused");
        m.stop_and_wait(None, None).await.expect("stop");
        ids
    };
    // Block 1 lands while the mempool is down.
    w.confirm(&[BitaiTx::SubmitProof(a.proofs[0].clone())]);
    w.inscriptions.refuse.store(false, Ordering::SeqCst);
    let store: SharedStore =
        Arc::new(FjallStore::open(dir.path(), Durability::Process).expect("reopen"));
    let m = w.mempool(store, config()).await;
    let s = until(&m, |s| s.pending.iter().all(|p| p.handed)).await;
    assert_eq!(
        s.pending.iter().map(|p| p.id).collect::<Vec<_>>(),
        ids[1..].to_vec()
    );
    assert_eq!(
        s.pending.iter().map(|p| p.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        w.inscriptions.ids(),
        ids[1..].to_vec(),
        "re-handed in order"
    );
    assert_eq!(s.accepted_through.get(&a.id), Some(&3));
    // Submitting an entry again after the restart is a duplicate, not a second entry.
    assert_eq!(
        submit(&m, BitaiTx::SubmitProof(a.proofs[2].clone())).await,
        Ok(ids[2])
    );
    // New entries continue the sequence.
    submit(&m, BitaiTx::SubmitProof(a.proofs[3].clone()))
        .await
        .expect("block 4");
    let s = status(&m).await;
    assert_eq!(s.pending.last().map(|p| p.seq), Some(3));
}

#[tokio::test]
async fn a_restart_before_the_state_machine_publishes_keeps_the_entries() {
    let a = chain_a();
    let mut w = World::new().await;
    w.confirm(&[BitaiTx::CreateChain(a.create.clone())]);
    let store = memory();
    let m = w.mempool(store.clone(), config()).await;
    let id = submit(&m, BitaiTx::SubmitProof(a.proofs[0].clone()))
        .await
        .expect("accepted");
    m.stop_and_wait(None, None).await.expect("stop");

    // The node restarts: the view is still the placeholder when the mempool starts.
    let (placeholder, rx) = tokio::sync::watch::channel(Arc::new(StateView::default()));
    let m = w.mempool_with_view(store, config(), rx).await;
    let s = status(&m).await;
    assert_eq!(s.pending.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id]);
    assert!(
        s.rejected.is_empty(),
        "nothing evicted against the placeholder"
    );
    // The state machine publishes its stored state: the entry still fits and stays.
    placeholder.send_replace(Arc::new(w.engine.view()));
    let s = until(&m, |s| s.accepted_through.get(&a.id) == Some(&1)).await;
    assert_eq!(s.pending.len(), 1);
    assert!(s.rejected.is_empty());
}

#[tokio::test]
async fn an_unavailable_inscriber_is_retried_on_tick_in_order() {
    let a = chain_a();
    let mut w = World::new().await;
    w.confirm(&[BitaiTx::CreateChain(a.create.clone())]);
    let m = w.mempool(memory(), config()).await;
    w.inscriptions.refuse.store(true, Ordering::SeqCst);
    let mut ids = vec![];
    for p in &a.proofs[..3] {
        ids.push(
            submit(&m, BitaiTx::SubmitProof(p.clone()))
                .await
                .expect("accepted before the hand-off"),
        );
    }
    assert!(status(&m).await.pending.iter().all(|p| !p.handed));
    w.inscriptions.refuse.store(false, Ordering::SeqCst);
    m.send_message(MempoolMsg::Tick).expect("tick");
    until(&m, |s| s.pending.iter().all(|p| p.handed)).await;
    assert_eq!(w.inscriptions.ids(), ids);
}
