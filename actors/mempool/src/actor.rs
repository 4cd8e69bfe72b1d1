//! The mempool actor: answers submissions (from RPC, with a reply) and proofs (from the prover
//! pool, without one), watches the state machine's view, and hands accepted entries to the
//! inscriber in acceptance order from a task of its own (`bitai_runtime::HandOff`, never
//! waiting inside a handler), recording each hand-off after the inscriber's acknowledgement
//! when the task's report comes back ([`MempoolMsg::HandedOff`]). Proofs refused for a transient reason (fee rate, room, storage) wait in
//! order, persisted, and are retried on every tick, so a fee spike delays a chain's proofs
//! rather than losing them.

use crate::config::MempoolConfig;
use crate::deferred::Deferred;
use crate::metrics::MempoolMetrics;
use crate::pool::{Evict, Pool};
use bitai_bitcoin::SharedBitcoin;
use bitai_messages::inscriber::InscriberMsg;
use bitai_messages::mempool::MempoolMsg;
use bitai_messages::prover::ProofEmitted;
use bitai_messages::statemachine::StateView;
use bitai_protocol::BitaiTx;
use bitai_runtime::{HandOff, HandOffItem, RoleRef};
use bitai_storage::SharedStore;
use ractor::concurrency::{Duration, JoinHandle};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::Arc;
use tokio::sync::watch;

/// Everything the mempool is given at (re)start.
#[derive(Clone)]
pub struct MempoolArgs {
    /// Configuration.
    pub config: MempoolConfig,
    /// The node's store.
    pub store: SharedStore,
    /// The state machine's published view.
    pub view: watch::Receiver<Arc<StateView>>,
    /// The inscriber role.
    pub inscriber: RoleRef<InscriberMsg>,
    /// The Bitcoin node (fee estimates).
    pub bitcoin: SharedBitcoin,
    /// Metrics, shared by every incarnation.
    pub metrics: MempoolMetrics,
}

/// The BitAI mempool actor.
#[derive(Default)]
pub struct BitaiMempool;

/// Its state.
pub struct MempoolState {
    pool: Pool,
    config: MempoolConfig,
    view: watch::Receiver<Arc<StateView>>,
    inscriber: RoleRef<InscriberMsg>,
    bitcoin: SharedBitcoin,
    metrics: MempoolMetrics,
    deferred: Deferred,
    watcher: Option<JoinHandle<()>>,
    /// Set when a hand-off failed: further ones wait for the next tick, so a slow or absent
    /// inscriber is not asked again at every submission.
    hand_paused: bool,
    /// The hand-off in flight (entries by sequence number), if any.
    handoff: Option<HandOff<u64>>,
    myself: ActorRef<MempoolMsg>,
}

/// Most entries one hand-off task carries.
const HAND_BATCH: usize = 64;

impl MempoolState {
    /// Starts handing the unhanded entries to the inscriber in order, unless a hand-off is in
    /// flight or paused; the task stops at the first that is not acknowledged (retried on
    /// the next tick), so order is kept.
    fn hand_off(&mut self) {
        if self.hand_paused || self.handoff.is_some() {
            return;
        }
        let items: Vec<HandOffItem<u64, InscriberMsg, _, String>> = self
            .pool
            .unhanded(HAND_BATCH)
            .into_iter()
            .map(|(seq, id, payload)| {
                let ask: Box<dyn FnOnce(_) -> InscriberMsg + Send> =
                    Box::new(move |reply| InscriberMsg::Inscribe {
                        id: id.0,
                        payload,
                        reply: Some(reply),
                    });
                (seq, ask)
            })
            .collect();
        if items.is_empty() {
            return;
        }
        let me = self.myself.clone();
        self.handoff = Some(HandOff::start(
            self.inscriber.clone(),
            items,
            self.config.hand_timeout_ms,
            move |_| {
                let _ = me.cast(MempoolMsg::HandedOff);
            },
        ));
    }

    /// Records what the finished hand-off's report says the inscriber acknowledged, then
    /// hands the next entries (or pauses until the next tick after a failure).
    fn collect_hand_off(&mut self) -> Result<(), ActorProcessingErr> {
        let Some(outcome) = self.handoff.as_mut().and_then(HandOff::poll) else {
            return Ok(());
        };
        self.handoff = None;
        for seq in &outcome.acknowledged {
            self.pool.mark_handed(*seq)?;
        }
        tracing::debug!(
            handed = outcome.acknowledged.len(),
            "handed to the inscriber"
        );
        if let Some(reason) = outcome.error {
            tracing::warn!(%reason, "inscriber refused or did not answer; retrying on tick");
            self.hand_paused = true;
        }
        self.hand_off();
        Ok(())
    }

    /// Retries deferred proofs in order until one is refused for a transient reason again.
    fn retry_deferred(&mut self) -> Result<(), ActorProcessingErr> {
        while let Some(tx) = self.deferred.front().cloned() {
            match self.pool.submit(tx, self.bitcoin.as_ref()) {
                Err(e) if e.is_transient() => break,
                _ => self.deferred.pop()?,
            }
        }
        self.metrics.deferred.set(self.deferred.len() as i64);
        Ok(())
    }

    fn proof(&mut self, p: ProofEmitted) -> Result<(), ActorProcessingErr> {
        let tx = BitaiTx::SubmitProof(p.0);
        let defer = if self.deferred.is_empty() {
            matches!(
                self.pool.submit(tx.clone(), self.bitcoin.as_ref()),
                Err(e) if e.is_transient()
            )
        } else {
            // Behind earlier deferred proofs, to keep each chain's order.
            true
        };
        if defer && !self.deferred.push(tx)? {
            tracing::error!(
                max = self.config.max_pending,
                "deferred proofs at their bound: proof dropped; the prover pool must re-emit it"
            );
        }
        self.metrics.deferred.set(self.deferred.len() as i64);
        Ok(())
    }
}

impl Actor for BitaiMempool {
    type Msg = MempoolMsg;
    type State = MempoolState;
    type Arguments = MempoolArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: MempoolArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let mut view = args.view;
        let current = view.borrow_and_update().clone();
        let pool = Pool::load(
            args.config.clone(),
            args.store,
            args.metrics.clone(),
            &current,
        )?;
        let deferred = Deferred::load(pool.store(), args.config.max_pending)?;
        let mut watch = view.clone();
        let me = myself.clone();
        let watcher = ractor::concurrency::spawn(async move {
            while watch.changed().await.is_ok() {
                if me.send_message(MempoolMsg::ViewChanged).is_err() {
                    break;
                }
            }
        });
        if args.config.tick_interval_ms > 0 {
            myself.send_interval(Duration::from_millis(args.config.tick_interval_ms), || {
                MempoolMsg::Tick
            });
        }
        let _ = myself.send_message(MempoolMsg::Tick);
        Ok(MempoolState {
            pool,
            config: args.config,
            view,
            inscriber: args.inscriber,
            bitcoin: args.bitcoin,
            metrics: args.metrics,
            deferred,
            watcher: Some(watcher),
            hand_paused: false,
            handoff: None,
            myself,
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(w) = state.watcher.take() {
            w.abort();
        }
        if let Some(h) = state.handoff.take() {
            h.abort();
        }
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            MempoolMsg::Submit { tx, reply } => {
                let outcome = state.pool.submit(tx, state.bitcoin.as_ref());
                let accepted = outcome.is_ok();
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
                if accepted {
                    state.hand_off();
                }
            }
            MempoolMsg::Proof(p) => {
                state.proof(p)?;
                state.hand_off();
            }
            MempoolMsg::ViewChanged => {
                let view = state.view.borrow_and_update().clone();
                state.pool.reconcile(&view, Evict::Yes)?;
                state.retry_deferred()?;
                state.hand_off();
            }
            MempoolMsg::Tick => {
                state.hand_paused = false;
                state.retry_deferred()?;
                state.hand_off();
            }
            MempoolMsg::HandedOff => state.collect_hand_off()?,
            MempoolMsg::Status { reply } => {
                let mut status = state.pool.status();
                status.deferred = state.deferred.len();
                let _ = reply.send(status);
            }
        }
        Ok(())
    }
}
