//! The state machine actor: an indexer consumer that applies each event through the
//! [`StateMachineEngine`] (one batch with the cursor), publishes the new [`StateView`], then acknowledges.
//! A redelivered event is recognised by the cursor and only re-acknowledged. A store failure
//! or a reorg beyond the journals stops the actor; its supervisor restarts it from the store.

use crate::config::StateMachineConfig;
use crate::engine::StateMachineEngine;
use crate::metrics::StateMachineMetrics;
use bitai_messages::indexer::{Delivery, IndexerMsg};
use bitai_messages::statemachine::{StateMachineMsg, StateView};
use bitai_runtime::RoleRef;
use bitai_storage::SharedStore;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::Arc;
use tokio::sync::watch;

/// Everything the state machine is given at (re)start.
#[derive(Clone)]
pub struct StateMachineArgs {
    /// Configuration.
    pub config: StateMachineConfig,
    /// The node's store.
    pub store: SharedStore,
    /// The indexer feeding it (acknowledgements go there).
    pub indexer: RoleRef<IndexerMsg>,
    /// Where the view is published after every applied event and at start.
    pub view: watch::Sender<Arc<StateView>>,
    /// Metrics, shared by every incarnation.
    pub metrics: StateMachineMetrics,
}

/// The state machine actor.
#[derive(Default)]
pub struct StateMachine;

/// Its state.
pub struct StateMachineState {
    engine: StateMachineEngine,
    indexer: RoleRef<IndexerMsg>,
    view: watch::Sender<Arc<StateView>>,
}

impl Actor for StateMachine {
    type Msg = StateMachineMsg;
    type State = StateMachineState;
    type Arguments = StateMachineArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: StateMachineArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let engine = StateMachineEngine::load(args.config, args.store, args.metrics)?;
        args.view.send_replace(Arc::new(engine.view()));
        tracing::info!(tip = ?engine.tip(), "state machine started");
        Ok(StateMachineState {
            engine,
            indexer: args.indexer,
            view: args.view,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            StateMachineMsg::Chain(event) => {
                match state.engine.apply(&event)? {
                    Delivery::OutOfOrder => return Ok(()),
                    Delivery::AlreadyApplied => {}
                    Delivery::Apply => {
                        state.view.send_replace(Arc::new(state.engine.view()));
                    }
                }
                let _ = state.indexer.send(IndexerMsg::Acked(event.ack()));
            }
            StateMachineMsg::VerifiedBlock {
                chain,
                number,
                reply,
            } => {
                let found = match state.engine.verified_block(&chain, number) {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::error!(error = %e, "verified block lookup failed");
                        None
                    }
                };
                let _ = reply.send(found);
            }
            StateMachineMsg::StateDigest { reply } => {
                let digest = state.engine.state_digest();
                if let Err(e) = &digest {
                    tracing::error!(error = %e, "state digest failed");
                }
                let _ = reply.send(digest.ok());
            }
        }
        Ok(())
    }
}
