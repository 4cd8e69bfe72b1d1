//! The wiring every indexer scenario uses: proxies for the indexer and the consumer, both
//! children of one supervisor, over a given Bitcoin port and store.

use super::recording_consumer::{ConsumerArgs, ConsumerMsg, RecordingConsumer};
use bitai_bitcoin::SharedBitcoin;
use bitai_indexer::{Indexer, IndexerArgs, IndexerConfig, IndexerMetrics};
use bitai_messages::indexer::{IndexerMsg, IndexerStatus};
use bitai_runtime::{
    ChildSpec, RestartPolicy, RoleRef, SharedClock, Supervisor, SupervisorArgs, SupervisorMsg,
};
use bitai_storage::SharedStore;
use ractor::concurrency::JoinHandle;
use ractor::{Actor, ActorRef};
use std::sync::Arc;

/// A running indexer and consumer.
pub struct IndexerWorld {
    /// The indexer's stable address.
    pub indexer: RoleRef<IndexerMsg>,
    /// The consumer's stable address.
    pub consumer: RoleRef<ConsumerMsg>,
    /// Their supervisor.
    pub supervisor: ActorRef<SupervisorMsg>,
    /// Completes when the supervisor stops.
    pub handle: JoinHandle<()>,
    /// The indexer's metrics.
    pub metrics: IndexerMetrics,
    /// Why the supervisor stopped on its own, once it has.
    pub halt: tokio::sync::watch::Receiver<Option<String>>,
}

impl IndexerWorld {
    /// Starts the world.
    pub async fn start(
        bitcoin: SharedBitcoin,
        store: SharedStore,
        config: IndexerConfig,
        clock: SharedClock,
    ) -> Self {
        let indexer = RoleRef::<IndexerMsg>::spawn(None, "indexer", 10_000)
            .await
            .expect("proxy");
        let consumer = RoleRef::<ConsumerMsg>::spawn(None, "consumer", 10_000)
            .await
            .expect("proxy");
        let keep = u64::from(config.reorg_depth_max) + 1;
        let consumer_args = ConsumerArgs {
            store: store.clone(),
            indexer: indexer.clone(),
            keep,
        };
        let metrics = IndexerMetrics::new(&prometheus::Registry::new());
        let indexer_args = IndexerArgs {
            config,
            bitcoin,
            store,
            keyspace: bitai_indexer::DEFAULT_KEYSPACE.to_owned(),
            watch: None,
            sink: Arc::new(consumer.clone()),
            clock: clock.clone(),
            metrics: metrics.clone(),
        };
        let children = vec![
            ChildSpec::role("consumer", consumer.clone(), move || {
                (RecordingConsumer, consumer_args.clone())
            }),
            ChildSpec::role("indexer", indexer.clone(), move || {
                (Indexer, indexer_args.clone())
            }),
        ];
        let (halt_tx, halt) = tokio::sync::watch::channel(None);
        let args = SupervisorArgs {
            children,
            policy: RestartPolicy {
                max_restarts: 1_000_000,
                window_ms: 1,
            },
            clock,
            halt: Some(halt_tx),
        };
        let (supervisor, handle) = Actor::spawn(None, Supervisor, args).await.expect("spawns");
        Self {
            indexer,
            consumer,
            supervisor,
            handle,
            metrics,
            halt,
        }
    }

    /// The indexer's status (None if it did not answer in time, e.g. while restarting).
    pub async fn status(&self) -> Option<IndexerStatus> {
        self.indexer.ask(IndexerMsg::Status, 5_000).await
    }

    /// Stops everything.
    pub async fn stop(self) {
        self.supervisor.stop(None);
        let _ = self.handle.await;
    }
}
