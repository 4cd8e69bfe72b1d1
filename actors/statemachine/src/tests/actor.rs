//! The actor on fjall: it applies events, publishes the view, acknowledges each event to the
//! indexer role (redeliveries too), answers verified-block queries, and after a stop and a
//! reopen of the database resumes from its cursor.

use super::harness::{chain_a, config};
use crate::testing::connected_block;
use crate::{StateMachine, StateMachineArgs, StateMachineMetrics};
use bitai_messages::indexer::{Ack, IndexerEvent, IndexerMsg};
use bitai_messages::statemachine::{StateMachineMsg, StateView};
use bitai_protocol::BitaiTx;
use bitai_runtime::RoleRef;
use bitai_storage::{Durability, FjallStore, SharedStore};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Stands in for the indexer: records the acknowledgements it gets.
struct AckRecorder;

impl Actor for AckRecorder {
    type Msg = IndexerMsg;
    type State = mpsc::UnboundedSender<Ack>;
    type Arguments = mpsc::UnboundedSender<Ack>;

    async fn pre_start(
        &self,
        _myself: ActorRef<IndexerMsg>,
        tx: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(tx)
    }

    async fn handle(
        &self,
        _myself: ActorRef<IndexerMsg>,
        msg: IndexerMsg,
        tx: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let IndexerMsg::Acked(ack) = msg {
            let _ = tx.send(ack);
        }
        Ok(())
    }
}

async fn start(
    store: SharedStore,
    indexer: RoleRef<IndexerMsg>,
    view: watch::Sender<Arc<StateView>>,
) -> ActorRef<StateMachineMsg> {
    let args = StateMachineArgs {
        config: config(6),
        store,
        indexer,
        view,
        metrics: StateMachineMetrics::new(&prometheus::Registry::new()).expect("metrics"),
    };
    let (actor, _) = Actor::spawn(None, StateMachine, args).await.expect("spawn");
    actor
}

#[tokio::test]
async fn the_actor_applies_acknowledges_and_resumes_from_its_cursor_on_fjall() {
    let a = chain_a();
    let dir = tempfile::tempdir().expect("tempdir");
    let (ack_tx, mut acks) = mpsc::unbounded_channel();
    let indexer = RoleRef::<IndexerMsg>::spawn(None, "indexer", 64)
        .await
        .expect("proxy");
    let (recorder, _) = Actor::spawn(None, AckRecorder, ack_tx)
        .await
        .expect("spawn");
    indexer.attach(recorder).expect("attach");
    let (view_tx, mut view_rx) = watch::channel(Arc::new(StateView::default()));

    let b1 = connected_block(
        200,
        BlockHash::all_zeros(),
        1,
        &[BitaiTx::CreateChain(a.create.clone())],
    );
    let b2 = connected_block(
        201,
        b1.hash,
        1,
        &[BitaiTx::SubmitProof(a.proofs[0].clone())],
    );
    let b3 = connected_block(
        202,
        b2.hash,
        1,
        &[BitaiTx::SubmitProof(a.proofs[1].clone())],
    );
    {
        let store: SharedStore =
            Arc::new(FjallStore::open(dir.path(), Durability::Process).expect("open"));
        let sm = start(store, indexer.clone(), view_tx.clone()).await;
        for b in [&b1, &b2] {
            sm.send_message(StateMachineMsg::Chain(IndexerEvent::BlockConnected(
                b.clone(),
            )))
            .expect("send");
            let ack = acks.recv().await.expect("ack");
            assert_eq!((ack.height, ack.hash), (b.height, b.hash));
        }
        view_rx.changed().await.expect("view");
        let view = view_rx.borrow_and_update().clone();
        assert_eq!(view.tip, Some((b2.height, b2.hash)));
        assert_eq!(view.chain(&a.id).expect("A").verified_block, 1);
        let vb = ractor::call!(sm, |reply| StateMachineMsg::VerifiedBlock {
            chain: a.id,
            number: 1,
            reply
        })
        .expect("call")
        .expect("verified");
        assert_eq!(vb.new_root, a.proofs[0].new_state_root);
        sm.stop_and_wait(None, None).await.expect("stop");
    }

    // Reopen the database: the view at start comes from the store; the indexer redelivers
    // block 2 (unacknowledged as far as it knows), which is only acknowledged, then block 3.
    let store: SharedStore =
        Arc::new(FjallStore::open(dir.path(), Durability::Process).expect("reopen"));
    let (view_tx2, view_rx2) = watch::channel(Arc::new(StateView::default()));
    let sm = start(store, indexer.clone(), view_tx2).await;
    let view = view_rx2.borrow().clone();
    assert_eq!(view.tip, Some((b2.height, b2.hash)));
    assert_eq!(view.chain(&a.id).expect("A").verified_block, 1);
    for b in [&b2, &b3] {
        sm.send_message(StateMachineMsg::Chain(IndexerEvent::BlockConnected(
            b.clone(),
        )))
        .expect("send");
        let ack = acks.recv().await.expect("ack");
        assert_eq!((ack.height, ack.hash), (b.height, b.hash));
    }
    let view = view_rx2.borrow().clone();
    assert_eq!(view.chain(&a.id).expect("A").verified_block, 2);
    assert_eq!(view.tip, Some((b3.height, b3.hash)));
    assert!(
        view.rejected.is_empty(),
        "the redelivery was not re-executed"
    );
    // The digest equals a fresh replay of the same three blocks.
    let digest = ractor::call!(sm, |reply| StateMachineMsg::StateDigest { reply })
        .expect("call")
        .expect("digest");
    let mut fresh = crate::StateMachineEngine::load(
        config(6),
        Arc::new(bitai_storage::MemoryStore::new()),
        StateMachineMetrics::new(&prometheus::Registry::new()).expect("metrics"),
    )
    .expect("load");
    for b in [&b1, &b2, &b3] {
        fresh
            .apply(&IndexerEvent::BlockConnected(b.clone()))
            .expect("apply");
    }
    assert_eq!(fresh.state_digest().expect("digest"), digest);
    sm.stop_and_wait(None, None).await.expect("stop");
}

#[tokio::test]
async fn a_reorg_below_the_journals_stops_the_actor_unacknowledged() {
    let (ack_tx, mut acks) = mpsc::unbounded_channel();
    let indexer = RoleRef::<IndexerMsg>::spawn(None, "indexer", 64)
        .await
        .expect("proxy");
    let (recorder, _) = Actor::spawn(None, AckRecorder, ack_tx)
        .await
        .expect("spawn");
    indexer.attach(recorder).expect("attach");
    let (view_tx, view_rx) = watch::channel(Arc::new(StateView::default()));
    let store: SharedStore = Arc::new(bitai_storage::MemoryStore::new());
    let args = StateMachineArgs {
        config: config(2),
        store,
        indexer,
        view: view_tx,
        metrics: StateMachineMetrics::new(&prometheus::Registry::new()).expect("metrics"),
    };
    let (sm, handle) = Actor::spawn(None, StateMachine, args).await.expect("spawn");
    let mut blocks = vec![];
    let mut prev = BlockHash::all_zeros();
    for h in 0..4 {
        let b = connected_block(300 + h, prev, 1, &[]);
        prev = b.hash;
        sm.send_message(StateMachineMsg::Chain(IndexerEvent::BlockConnected(
            b.clone(),
        )))
        .expect("send");
        acks.recv().await.expect("ack");
        blocks.push(b);
    }
    for b in blocks.iter().rev().take(3) {
        let _ = sm.send_message(StateMachineMsg::Chain(IndexerEvent::BlockDisconnected {
            height: b.height,
            hash: b.hash,
        }));
    }
    handle.await.expect("the actor stopped");
    let mut acked = vec![];
    for _ in 0..2 {
        acked.push(acks.recv().await.expect("ack").height);
    }
    assert_eq!(acked, vec![303, 302]);
    // The acknowledgements travel through the proxy: give a third one time to show up.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        acks.try_recv().is_err(),
        "the third disconnect was not acknowledged"
    );
    assert_eq!(view_rx.borrow().tip, Some((301, blocks[1].hash)));
}
