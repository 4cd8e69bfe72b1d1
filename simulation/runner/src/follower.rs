//! A BitAI node of its own: an indexer and a state machine on their own in-memory store,
//! under their own supervisor, reading the same simulated Bitcoin as the coordinator. The
//! run keeps one beside the coordinator for the whole run (the agreement oracle) and starts
//! a fresh one at the end on an empty store (the replay oracle: the live state must equal a
//! fresh replay of the canonical chain).

use bitai_bitcoin::SharedBitcoin;
use bitai_indexer::{Indexer, IndexerArgs, IndexerMetrics};
use bitai_messages::indexer::IndexerMsg;
use bitai_messages::statemachine::{StateMachineMsg, StateView};
use bitai_node::config::NodeConfig;
use bitai_runtime::{ChildSpec, RestartPolicy, RoleRef, SharedClock, Supervisor, SupervisorArgs};
use bitai_statemachine::{StateMachine, StateMachineArgs, StateMachineConfig, StateMachineMetrics};
use bitai_storage::SharedStore;
use ractor::{Actor, ActorRef};
use std::sync::Arc;
use tokio::sync::watch;

/// A running BitAI node of indexer and state machine.
pub struct Follower {
    /// Its published state.
    pub view: watch::Receiver<Arc<StateView>>,
    /// Why its supervisor stopped on its own, when it does.
    pub halt: watch::Receiver<Option<String>>,
    /// Its store.
    pub store: SharedStore,
    supervisor: ActorRef<bitai_runtime::SupervisorMsg>,
    handle: ractor::concurrency::JoinHandle<()>,
}

impl Follower {
    /// Starts one on a fresh in-memory store, with the coordinator's indexer and state
    /// machine settings. `name` prefixes its roles' logical names.
    pub async fn start(
        config: &NodeConfig,
        bitcoin: SharedBitcoin,
        clock: SharedClock,
        name: &str,
    ) -> anyhow::Result<Follower> {
        let store: SharedStore = Arc::new(bitai_storage::MemoryStore::new());
        let (view_tx, view) = watch::channel(Arc::new(StateView::default()));
        let (indexer_name, sm_name) = (format!("{name}/indexer"), format!("{name}/statemachine"));
        let indexer = RoleRef::<IndexerMsg>::spawn(None, &indexer_name, 10_000).await?;
        let sm = RoleRef::<StateMachineMsg>::spawn(None, &sm_name, 10_000).await?;
        let registry = prometheus::Registry::new();
        let sm_args = StateMachineArgs {
            config: StateMachineConfig {
                journal_depth: config
                    .statemachine
                    .journal_depth
                    .max(u64::from(config.indexer.reorg_depth_max)),
                ..config.statemachine.clone()
            },
            store: store.clone(),
            indexer: indexer.clone(),
            view: view_tx,
            metrics: StateMachineMetrics::new(&registry)?,
        };
        let indexer_args = IndexerArgs {
            config: config.indexer.clone(),
            bitcoin,
            store: store.clone(),
            keyspace: bitai_indexer::DEFAULT_KEYSPACE.to_owned(),
            watch: None,
            sink: Arc::new(sm.clone()),
            clock: clock.clone(),
            metrics: IndexerMetrics::new(&registry),
        };
        let children = vec![
            ChildSpec::role(&sm_name, sm, move || (StateMachine, sm_args.clone())),
            ChildSpec::role(&indexer_name, indexer, move || {
                (Indexer, indexer_args.clone())
            }),
        ];
        let (halt_tx, halt) = watch::channel(None);
        let (supervisor, handle) = Actor::spawn(
            None,
            Supervisor,
            SupervisorArgs {
                children,
                policy: RestartPolicy::default(),
                clock,
                halt: Some(halt_tx),
            },
        )
        .await?;
        Ok(Follower {
            view,
            halt,
            store,
            supervisor,
            handle,
        })
    }

    /// Stops it and waits.
    pub async fn stop(self) {
        self.supervisor.stop(None);
        let _ = self.handle.await;
    }
}
