//! The inscriber actor: takes requests through its role, blocks from its own indexer
//! instance (the one with the wallet's watch filter), and drives its batches on every block
//! and on a timer. A handler error (a store failure, an injected fault) stops the actor; its
//! supervisor restarts it and it resumes from the store.

use crate::config::InscriberConfig;
use crate::engine::{EngineParts, InscriberEngine};
use crate::fault::SharedFaults;
use crate::metrics::InscriberMetrics;
use crate::wallet::WalletKeys;
use crate::InscriberError;
use bitai_bitcoin::SharedBitcoin;
use bitai_messages::indexer::{ConsumerCursor, IndexerMsg, WatchFilter};
use bitai_messages::inscriber::InscriberMsg;
use bitai_runtime::{seeded_rng, RoleRef};
use bitai_storage::SharedStore;
use ractor::concurrency::Duration;
use ractor::{Actor, ActorProcessingErr, ActorRef};

/// The inscriber actor.
#[derive(Default)]
pub struct Inscriber;

/// The keyspace of the inscriber's own records.
pub const KEYSPACE: &str = "inscriber";
/// The keyspace of its consumer cursor.
pub const CURSOR_KEYSPACE: &str = "inscriber_cursor";
/// The keyspace its indexer instance should use.
pub const INDEXER_KEYSPACE: &str = "inscriber_indexer";

/// Everything the inscriber is given at (re)start.
#[derive(Clone)]
pub struct InscriberArgs {
    /// Configuration.
    pub config: InscriberConfig,
    /// The Bitcoin node.
    pub bitcoin: SharedBitcoin,
    /// The node's store.
    pub store: SharedStore,
    /// The inscriber's indexer (to acknowledge its events).
    pub indexer: RoleRef<IndexerMsg>,
    /// That indexer's watch filter.
    pub watch: WatchFilter,
    /// Seed of the world's rng (the wallet key is drawn from it once).
    pub seed: u64,
    /// Metrics, shared by every incarnation.
    pub metrics: InscriberMetrics,
    /// Fault injection (tests); `None` in production.
    pub faults: Option<SharedFaults>,
}

/// The inscriber's state.
pub struct InscriberState {
    engine: InscriberEngine,
    cursor: ConsumerCursor,
    indexer: RoleRef<IndexerMsg>,
    poll_interval_ms: u64,
}

/// The wallet of an inscriber over `store` (created and stored on first use): what a node
/// needs before starting, to fund the wallet and to seed its indexer's watch filter.
pub fn wallet_keys(
    config: &InscriberConfig,
    store: &SharedStore,
    seed: u64,
) -> Result<WalletKeys, InscriberError> {
    let mut rng = seeded_rng(seed, "inscriber-wallet");
    WalletKeys::load_or_create(
        store.as_ref(),
        KEYSPACE,
        config.secret_key_hex.as_deref(),
        config.network()?,
        &mut rng,
    )
}

impl Actor for Inscriber {
    type Msg = InscriberMsg;
    type State = InscriberState;
    type Arguments = InscriberArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: InscriberArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let keys = wallet_keys(&args.config, &args.store, args.seed)?;
        let cursor = ConsumerCursor::new(CURSOR_KEYSPACE, args.config.cursor_keep_blocks);
        let tip_height = cursor.tip(args.store.as_ref())?.map_or(0, |(h, _)| h);
        let engine = InscriberEngine::load(EngineParts {
            cfg: args.config.clone(),
            keyspace: KEYSPACE.to_owned(),
            store: args.store,
            bitcoin: args.bitcoin,
            keys,
            watch: args.watch,
            metrics: args.metrics,
            faults: args.faults,
            tip_height,
        })?;
        let _ = myself.send_message(InscriberMsg::Tick);
        Ok(InscriberState {
            engine,
            cursor,
            indexer: args.indexer,
            poll_interval_ms: args.config.poll_interval_ms,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            InscriberMsg::Inscribe { id, payload, reply } => {
                let outcome = state.engine.inscribe(id, payload);
                let answer = match &outcome {
                    Ok(o) => Ok(*o),
                    Err(e) => Err(e.to_string()),
                };
                if let Some(reply) = reply {
                    let _ = reply.send(answer);
                }
                if let Err(e @ InscriberError::Store(_)) = outcome {
                    return Err(e.into());
                }
            }
            InscriberMsg::Chain(event) => {
                if state.engine.apply_event(&state.cursor, &event)? {
                    let _ = state.indexer.send(IndexerMsg::Acked(event.ack()));
                }
                state.engine.drive()?;
            }
            InscriberMsg::Tick => {
                state.engine.drive()?;
                myself.send_after(Duration::from_millis(state.poll_interval_ms), || {
                    InscriberMsg::Tick
                });
            }
            InscriberMsg::Status(reply) => {
                let _ = reply.send(state.engine.status());
            }
            InscriberMsg::Carrier { id, reply } => {
                let _ = reply.send(state.engine.carrier(&id));
            }
        }
        Ok(())
    }
}
