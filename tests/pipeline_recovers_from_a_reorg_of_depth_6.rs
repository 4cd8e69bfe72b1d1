//! A reorg of depth 6 in the middle of a run: SimBitcoin replaces its last six blocks (which
//! hold inscribed proofs) with seven others. The state machine rolls back exactly through its
//! undo journals, the inscriber puts what the reorg dropped back on Bitcoin, and the run
//! still ends with every transfer final. Afterwards the live state machine's state equals a
//! fresh replay of the canonical chain by a new indexer and state machine.

use bitai_bitcoin::BitcoinPort;
use bitai_indexer::{Indexer, IndexerArgs, IndexerMetrics};
use bitai_messages::indexer::IndexerMsg;
use bitai_messages::statemachine::{StateMachineMsg, StateView};
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::progress;
use bitai_runtime::{ChildSpec, RestartPolicy, RoleRef, Supervisor, SupervisorArgs};
use bitai_statemachine::{StateMachine, StateMachineArgs, StateMachineConfig, StateMachineMetrics};
use bitai_tests::support::devnet_world::{config, DevnetWorld};
use bitcoin::BlockHash;
use ractor::Actor;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_depth_6_reorg_mid_run_rolls_back_exactly_and_the_run_finishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path(), 62, ProofSystemName::Simulation, 8);
    // Final means deeper than any reorg the node is meant to survive: a block with exactly
    // six confirmations is undone by a reorg of depth 6.
    c.statemachine.finality_depth = 7;
    let world = DevnetWorld::start(c).await;
    let chain = world.devnet.chain;
    let load = world.load(240, 60.0);
    // Let some L2 blocks be verified on Bitcoin, then replace the last six Bitcoin blocks.
    world
        .wait_until(Duration::from_secs(120), |s| {
            s.chain(&chain).is_some_and(|c| c.verified >= 4)
        })
        .await;
    let before = world.devnet.pipeline.view.borrow().clone();
    let report = world
        .devnet
        .sim
        .as_ref()
        .expect("SimBitcoin")
        .reorg(6, 7)
        .expect("SimBitcoin reorgs");
    assert_eq!(report.disconnected.len(), 6, "{report:?}");
    load.await.expect("joins").expect("load generator runs");
    let s = world.wait_all_final(240, Duration::from_secs(240)).await;
    assert!(s.chain(&chain).expect("chain").verified >= before.chains[&chain].verified_block);
    progress::check_roots(&world.devnet.pipeline)
        .await
        .expect("roots agree");

    // Stop everything (the miner too); SimBitcoin stays at its tip. The live state machine's
    // persisted state, caught up to that tip, must equal a fresh replay of the same chain.
    let sim = world.devnet.sim.clone().expect("SimBitcoin");
    let live_store = world.store.clone();
    let indexer_config = world.config.indexer.clone();
    let sm_config = StateMachineConfig {
        journal_depth: u64::from(world.config.indexer.reorg_depth_max),
        ..world.config.statemachine.clone()
    };
    world.stop().await;
    let tip = sim.tip().expect("tip");
    let tip = (tip.height, tip.hash);
    let live = replay(
        sim.clone(),
        live_store,
        indexer_config.clone(),
        sm_config.clone(),
        tip,
    )
    .await;
    let fresh = replay(
        sim,
        Arc::new(bitai_storage::MemoryStore::new()),
        indexer_config,
        sm_config,
        tip,
    )
    .await;
    assert_eq!(live.chains.len(), fresh.chains.len());
    assert!(live.chains[&chain].final_block >= 240 / 8);
    for (id, l) in &live.chains {
        let f = &fresh.chains[id];
        assert_eq!(
            (
                l.verified_block,
                l.verified_root,
                l.final_block,
                l.final_root
            ),
            (
                f.verified_block,
                f.verified_root,
                f.final_block,
                f.final_root
            ),
            "chain {id}: live state differs from a fresh replay of the canonical chain"
        );
    }
}

/// An indexer and a state machine over `store` (resuming from its cursors, or from nothing),
/// following SimBitcoin's best chain up to `tip`, which must be its last block.
async fn replay(
    sim: bitai_simulation::bitcoin::SimBitcoin,
    store: bitai_storage::SharedStore,
    indexer_config: bitai_indexer::IndexerConfig,
    config: StateMachineConfig,
    tip: (u64, BlockHash),
) -> Arc<StateView> {
    let clock: bitai_runtime::SharedClock = Arc::new(bitai_runtime::TokioClock::real());
    let (view_tx, mut view) = tokio::sync::watch::channel(Arc::new(StateView::default()));
    let indexer = RoleRef::<IndexerMsg>::spawn(None, "replay_indexer", 10_000)
        .await
        .expect("proxy");
    let sm = RoleRef::<StateMachineMsg>::spawn(None, "replay_sm", 10_000)
        .await
        .expect("proxy");
    let registry = prometheus::Registry::new();
    let sm_args = StateMachineArgs {
        config,
        store: store.clone(),
        indexer: indexer.clone(),
        view: view_tx,
        metrics: StateMachineMetrics::new(&registry).expect("metrics"),
    };
    let indexer_args = IndexerArgs {
        config: indexer_config,
        bitcoin: Arc::new(sim),
        store,
        keyspace: bitai_indexer::DEFAULT_KEYSPACE.to_owned(),
        watch: None,
        sink: Arc::new(sm.clone()),
        clock: clock.clone(),
        metrics: IndexerMetrics::new(&registry),
    };
    let children = vec![
        ChildSpec::role("replay_sm", sm, move || (StateMachine, sm_args.clone())),
        ChildSpec::role("replay_indexer", indexer, move || {
            (Indexer, indexer_args.clone())
        }),
    ];
    let (supervisor, handle) = Actor::spawn(
        None,
        Supervisor,
        SupervisorArgs {
            children,
            policy: RestartPolicy::default(),
            clock,
            halt: None,
        },
    )
    .await
    .expect("supervisor");
    let replayed = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            if view.borrow().tip.is_some_and(|t| t.0 >= tip.0) {
                return view.borrow().clone();
            }
            view.changed().await.expect("state machine alive");
        }
    })
    .await
    .expect("the replay reaches the tip");
    supervisor.stop(None);
    let _ = handle.await;
    assert_eq!(
        replayed.tip,
        Some(tip),
        "the replay stopped on SimBitcoin's tip"
    );
    replayed
}
