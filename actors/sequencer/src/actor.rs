//! The `Sequencer` actor: one per AI chain. It owns a [`SequencerCore`] and a hand-off in
//! flight; `Submit` checks and persists a transfer, then cuts a block if a full one is
//! pending; `Tick` (every `tick_interval_ms`) collects the hand-off's report, cuts a block if
//! the interval passed, and starts the next hand-off. Queries read the core.
//!
//! Nothing in a handler waits on another actor: the pool is asked from the hand-off task.
//! A failure to cut a block (DA or store down) is logged and retried on the next tick; the
//! transfers stay pending.

use crate::config::SequencerArgs;
use crate::core::SequencerCore;
use crate::handoff::{self, HANDOFF_BATCH};
use bitai_messages::prover::{BlockStatement, PoolMsg};
use bitai_messages::sequencer::SequencerMsg;
use bitai_runtime::{HandOff, RoleRef};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::time::Duration;

/// The sequencer actor.
pub struct Sequencer;

/// The sequencer's state: its core, the pool's address and the hand-off in flight.
pub struct SequencerState {
    core: SequencerCore,
    warm: crate::WarmSlot,
    pool: RoleRef<PoolMsg>,
    handoff: Option<HandOff<u64>>,
    /// No new hand-off before this instant (ms): set when persisting the hand-off cursor
    /// failed, so a store that is down is retried at the tick's pace, not in a loop at one
    /// instant (a finished hand-off asks for the next at once).
    handoff_hold_until_ms: u64,
}

impl Actor for Sequencer {
    type Msg = SequencerMsg;
    type State = SequencerState;
    type Arguments = SequencerArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<SequencerMsg>,
        args: SequencerArgs,
    ) -> Result<SequencerState, ActorProcessingErr> {
        let tick_ms = args.config.tick_interval_ms.max(1);
        let warm = match args.warm.take() {
            Some(core) => core.resume(args.config.clone())?,
            None => None,
        };
        let core = match warm {
            Some(core) => core,
            None => SequencerCore::open(
                args.spec,
                args.config,
                args.store,
                args.da,
                args.clock,
                args.metrics,
            )?,
        };
        myself.send_interval(Duration::from_millis(tick_ms), || SequencerMsg::Tick);
        let mut state = SequencerState {
            core,
            warm: args.warm,
            pool: args.pool,
            handoff: None,
            handoff_hold_until_ms: 0,
        };
        // Blocks left unhanded by a previous run go first.
        state.start_handoff(&myself)?;
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<SequencerMsg>,
        msg: SequencerMsg,
        state: &mut SequencerState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SequencerMsg::Submit { tx, reply } => {
                let outcome = state.core.submit(&tx);
                match &outcome {
                    Ok(_) => state.core.metrics.txs_accepted.inc(),
                    Err(e) => {
                        tracing::debug!(chain = %state.core.chain_id, error = %e, "transfer refused");
                        state
                            .core
                            .metrics
                            .txs_refused
                            .with_label_values(&[e.reason()])
                            .inc();
                    }
                }
                let _ = reply.send(outcome);
                state.cut_due_blocks(&myself)?;
            }
            SequencerMsg::Tick => {
                state.collect_handoff();
                state.cut_due_blocks(&myself)?;
                state.start_handoff(&myself)?;
            }
            SequencerMsg::TxStatus { hash, reply } => {
                let _ = reply.send(state.core.tx_status(&hash)?);
            }
            SequencerMsg::Account { index, reply } => {
                let _ = reply.send(state.core.account(index));
            }
            SequencerMsg::Block { number, reply } => {
                let _ = reply.send(state.core.block(number)?);
            }
            SequencerMsg::Head { reply } => {
                let _ = reply.send(state.core.head());
            }
            SequencerMsg::SubmitOp { op, reply } => {
                let outcome = state.core.submit_op(&op);
                match &outcome {
                    Ok(_) => state.core.metrics.txs_accepted.inc(),
                    Err(e) => {
                        tracing::debug!(chain = %state.core.chain_id, error = %e, kind = op.kind().name(),
                            "op refused");
                        state
                            .core
                            .metrics
                            .txs_refused
                            .with_label_values(&[e.reason()])
                            .inc();
                    }
                }
                let _ = reply.send(outcome);
                state.cut_due_blocks(&myself)?;
            }
            SequencerMsg::PutModel { bytes, reply } => {
                let _ = reply.send(state.core.put_model(&bytes));
            }
            SequencerMsg::Assignments { account, reply } => {
                let _ = reply.send(state.core.assignments(account));
            }
            SequencerMsg::Request { id, reply } => {
                let _ = reply.send(state.core.request(id)?);
            }
            SequencerMsg::RequestInput { id, reply } => {
                let _ = reply.send(state.core.request_input(id)?);
            }
            SequencerMsg::Model { id, reply } => {
                let _ = reply.send(state.core.model(id));
            }
            SequencerMsg::Nonce { account, reply } => {
                let _ = reply.send(state.core.next_nonce(account));
            }
            SequencerMsg::Neurons { reply } => {
                let _ = reply.send(state.core.neurons());
            }
            SequencerMsg::Poc { reply } => {
                let _ = reply.send(state.core.poc_summary());
            }
            SequencerMsg::Supply { reply } => {
                let _ = reply.send(state.core.supply());
            }
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<SequencerMsg>,
        state: &mut SequencerState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(h) = state.handoff.take() {
            h.abort();
        }
        // A hot swap armed the slot: the next version starts from this state.
        state.warm.fill(&state.core);
        Ok(())
    }
}

impl SequencerState {
    /// Cuts blocks while one is due; a failure is logged and retried on the next tick.
    fn cut_due_blocks(
        &mut self,
        myself: &ActorRef<SequencerMsg>,
    ) -> Result<(), ActorProcessingErr> {
        let mut cut = false;
        while self.core.block_due() {
            match self.core.cut_block() {
                Ok(Some(_)) => cut = true,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(chain = %self.core.chain_id, error = %e,
                        "cutting a block failed; retrying on the next tick");
                    break;
                }
            }
        }
        if cut {
            self.start_handoff(myself)?;
        }
        Ok(())
    }

    /// Takes the finished hand-off's report and advances the persisted cursor.
    fn collect_handoff(&mut self) {
        let Some(outcome) = self.handoff.as_mut().and_then(HandOff::poll) else {
            return;
        };
        self.handoff = None;
        if let Some(&through) = outcome.acknowledged.last() {
            if let Err(e) = self.core.handed(through) {
                // The pool has the blocks; they are re-handed (and ignored) after a restart.
                tracing::error!(chain = %self.core.chain_id, error = %e, "persisting the hand-off cursor failed");
                self.handoff_hold_until_ms =
                    self.core.clock.now_ms() + self.core.config.tick_interval_ms.max(1);
            }
        }
        if let Some(reason) = outcome.error {
            self.core.metrics.handoff_failures.inc();
            tracing::warn!(chain = %self.core.chain_id, %reason, "hand-off to the prover pool stopped; retrying on the next tick");
        }
    }

    /// Starts handing the next unhanded blocks, unless a hand-off is in flight.
    fn start_handoff(&mut self, myself: &ActorRef<SequencerMsg>) -> Result<(), ActorProcessingErr> {
        if self.handoff.is_some()
            || self.core.handed_through >= self.core.head_number()
            || self.core.clock.now_ms() < self.handoff_hold_until_ms
        {
            return Ok(());
        }
        let first = self.core.handed_through + 1;
        let last = self
            .core
            .head_number()
            .min(first + HANDOFF_BATCH as u64 - 1);
        let mut blocks = Vec::new();
        for number in first..=last {
            let stored = (
                self.core.store.block(number)?,
                self.core.store.circuit(number)?,
            );
            match stored {
                (Some(record), Some(circuit)) => {
                    let statement = BlockStatement {
                        chain_id: self.core.chain_id,
                        block_number: number,
                        prev_state_root: record.prev_state_root,
                        new_state_root: record.new_state_root,
                        da_commitment: record.da_commitment,
                    };
                    blocks.push((statement, circuit));
                }
                _ => {
                    tracing::error!(chain = %self.core.chain_id, number, "unhanded block has no stored record or circuit");
                    break;
                }
            }
        }
        if !blocks.is_empty() {
            self.handoff = Some(handoff::start(self.pool.clone(), blocks, myself.clone()));
        }
        Ok(())
    }
}
