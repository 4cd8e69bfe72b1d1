//! The indexer actor: a loop of "look at the node, emit the next event, wait for its
//! acknowledgement", driven by polls (when caught up) and by acknowledgements (when behind).
//!
//! Its view of the chain is the acknowledged window ([`AckedChain`], persisted) plus the
//! events in flight. A connect is emitted only on top of the view's tip, after checking the
//! new block's parent; when the view's tip is no longer on the node's best chain, the
//! indexer waits for the in-flight events to be acknowledged, finds the fork point within
//! the window, and disconnects one block at a time down to it. A fork deeper than
//! `reorg_depth_max` stops the actor with an error that names it.

use crate::config::IndexerConfig;
use crate::cursor::AckedChain;
use crate::extract::index_block_watching;
use crate::metrics::IndexerMetrics;
use bitai_bitcoin::{ChainTip, PortError, SharedBitcoin};
use bitai_messages::indexer::{Ack, IndexerEvent, IndexerMsg, IndexerStatus, WatchFilter};
use bitai_runtime::{SharedClock, Sink};
use bitai_storage::SharedStore;
use bitcoin::BlockHash;
use ractor::concurrency::Duration;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::VecDeque;
use std::sync::Arc;

/// The indexer actor.
#[derive(Default)]
pub struct Indexer;

/// Everything the indexer is given at (re)start.
#[derive(Clone)]
pub struct IndexerArgs {
    /// Configuration.
    pub config: IndexerConfig,
    /// The Bitcoin node.
    pub bitcoin: SharedBitcoin,
    /// The node's store.
    pub store: SharedStore,
    /// The keyspace of its cursor ([`crate::DEFAULT_KEYSPACE`] for the node's indexer; each
    /// other instance on the same store needs its own).
    pub keyspace: String,
    /// Transactions to deliver whole in [`crate::ConnectedBlock::watched_txs`]; `None` for
    /// none.
    pub watch: Option<WatchFilter>,
    /// The consumer of events.
    pub sink: Arc<dyn Sink<IndexerEvent>>,
    /// The injected clock.
    pub clock: SharedClock,
    /// Metrics, created once per process and shared by every incarnation.
    pub metrics: IndexerMetrics,
}

/// The indexer's state.
pub struct IndexerState {
    args: IndexerArgs,
    acked: AckedChain,
    in_flight: VecDeque<IndexerEvent>,
    last_progress_ms: u64,
    poll_scheduled: bool,
    connected_total: u64,
    disconnected_total: u64,
}

/// What one step found.
enum Step {
    /// An event was emitted; more may follow at once.
    Emitted,
    /// Nothing to do until an acknowledgement or the next poll.
    Wait,
    /// A reorg deeper than the limit: stop with this reason.
    Fatal(String),
}

impl IndexerState {
    /// The tip the consumer will have once everything in flight is acknowledged.
    fn view_tip(&self) -> Option<(u64, BlockHash)> {
        match self.in_flight.back() {
            Some(IndexerEvent::BlockConnected(b)) => Some((b.height, b.hash)),
            Some(IndexerEvent::BlockDisconnected { .. }) => self.acked.below_tip(),
            None => self.acked.tip(),
        }
    }

    fn emit(&mut self, event: IndexerEvent, now_ms: u64) {
        if self.in_flight.is_empty() {
            self.last_progress_ms = now_ms;
        }
        match &event {
            IndexerEvent::BlockConnected(b) => {
                self.connected_total += 1;
                self.args.metrics.blocks_connected.inc();
                self.args.metrics.bitai_txs.inc_by(b.bitai_txs.len() as u64);
            }
            IndexerEvent::BlockDisconnected { .. } => {
                self.disconnected_total += 1;
                self.args.metrics.blocks_disconnected.inc();
            }
        }
        if self.args.sink.send(event.clone()).is_err() {
            tracing::warn!("indexer consumer is gone; the event will be redelivered");
        }
        self.in_flight.push_back(event);
    }

    fn port<T>(&self, r: Result<T, PortError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.args.metrics.port_errors.inc();
                tracing::warn!(error = %e, "bitcoin node call failed; retrying at the next poll");
                None
            }
        }
    }

    /// One step: emit the next event if there is one to emit now.
    fn step(&mut self, tip: ChainTip) -> Step {
        if self.in_flight.len() >= self.args.config.max_in_flight as usize {
            return Step::Wait;
        }
        let next_height = match self.view_tip() {
            None => self.args.config.start_height,
            Some((h, hash)) if tip.height <= h => {
                // Caught up: a reorg can only show as our tip leaving the best chain.
                let Some(canonical) = self.port(self.args.bitcoin.block_hash(h)) else {
                    return Step::Wait;
                };
                if canonical != Some(hash) {
                    return self.unwind();
                }
                return Step::Wait;
            }
            // Behind: the next block's parent hash tells whether our tip is still on the best
            // chain, so no extra call is needed per block.
            Some((h, _)) => h + 1,
        };
        if next_height > tip.height {
            return Step::Wait;
        }
        let Some(Some(hash)) = self.port(self.args.bitcoin.block_hash(next_height)) else {
            return Step::Wait;
        };
        let Some(bytes) = self.port(self.args.bitcoin.block(&hash)) else {
            return Step::Wait;
        };
        let cfg = &self.args.config;
        let (block, rejected) = match index_block_watching(
            next_height,
            &hash,
            &bytes,
            cfg.max_block_bytes,
            cfg.check_merkle_root,
            self.args.watch.as_ref(),
        ) {
            Ok(b) => b,
            Err(e) => {
                self.args.metrics.bad_blocks.inc();
                tracing::error!(height = next_height, %hash, error = %e, "bad block from node");
                return Step::Wait;
            }
        };
        if let Some((_, view_hash)) = self.view_tip() {
            if block.prev_hash != view_hash {
                // The best chain's block at our tip's height is another one: unwind.
                return self.unwind();
            }
        }
        for r in &rejected {
            self.args.metrics.envelopes_rejected.inc();
            tracing::info!(txid = %r.txid, input = r.input, offset = r.offset, reason = %r.reason,
                "BitAI envelope rejected");
        }
        tracing::debug!(height = next_height, %hash, bytes = bytes.len(),
            bitai_txs = block.bitai_txs.len(), "block indexed");
        let event = IndexerEvent::BlockConnected(block);
        self.emit(event, self.args.clock.now_ms());
        Step::Emitted
    }

    /// The view's tip left the best chain: disconnect it, after checking the fork depth.
    fn unwind(&mut self) -> Step {
        if !self.in_flight.is_empty() {
            // Settle what is in flight first; acknowledgements bring us back here.
            return Step::Wait;
        }
        let Some((tip_height, tip_hash)) = self.acked.tip() else {
            return Step::Wait;
        };
        let mut fork: Option<u64> = None;
        for &(h, hash) in self.acked.iter_down() {
            match self.port(self.args.bitcoin.block_hash(h)) {
                None => return Step::Wait,
                Some(Some(canonical)) if canonical == hash => {
                    fork = Some(h);
                    break;
                }
                Some(_) => {}
            }
        }
        let max = self.args.config.reorg_depth_max as u64;
        let depth = match fork {
            Some(f) => tip_height - f,
            None => {
                let window_complete = self.acked.first().map(|(h, _)| h)
                    == Some(self.args.config.start_height)
                    && (self.acked.len() as u64) <= max;
                if !window_complete {
                    return Step::Fatal(format!(
                        "reorg deeper than reorg_depth_max = {max}: no block of the last {} \
                         acknowledged (heights {}..={tip_height}) is on the best chain",
                        self.acked.len(),
                        self.acked.first().map_or(0, |(h, _)| h),
                    ));
                }
                self.acked.len() as u64
            }
        };
        if depth > max {
            return Step::Fatal(format!(
                "reorg of depth {depth} at height {tip_height} exceeds reorg_depth_max = {max}"
            ));
        }
        tracing::warn!(height = tip_height, hash = %tip_hash, depth, "reorg: disconnecting");
        let event = IndexerEvent::BlockDisconnected {
            height: tip_height,
            hash: tip_hash,
        };
        self.emit(event, self.args.clock.now_ms());
        Step::Emitted
    }

    fn on_ack(&mut self, ack: Ack) -> Result<(), ActorProcessingErr> {
        let Some(front) = self.in_flight.front() else {
            return Ok(());
        };
        if front.ack() != ack {
            tracing::debug!(height = ack.height, "stale acknowledgement ignored");
            return Ok(());
        }
        match front {
            IndexerEvent::BlockConnected(b) => self.acked.connect(b.height, b.hash)?,
            IndexerEvent::BlockDisconnected { height, .. } => self.acked.disconnect(*height)?,
        }
        self.in_flight.pop_front();
        self.last_progress_ms = self.args.clock.now_ms();
        self.args
            .metrics
            .acked_height
            .set(self.acked.tip().map_or(0, |(h, _)| h) as i64);
        Ok(())
    }

    fn redeliver_if_silent(&mut self) {
        let now = self.args.clock.now_ms();
        if !self.in_flight.is_empty()
            && now.saturating_sub(self.last_progress_ms) >= self.args.config.redeliver_after_ms
        {
            tracing::warn!(
                events = self.in_flight.len(),
                "no acknowledgement; redelivering"
            );
            for event in &self.in_flight {
                let _ = self.args.sink.send(event.clone());
            }
            self.last_progress_ms = now;
        }
    }
}

impl Indexer {
    /// Emits as much as the window allows, then schedules the next poll if needed.
    fn advance(myself: &ActorRef<IndexerMsg>, state: &mut IndexerState) {
        // One tip query per round; the blocks up to it are then fetched two calls each.
        if let Some(tip) = state.port(state.args.bitcoin.tip()) {
            loop {
                match state.step(tip) {
                    Step::Emitted => continue,
                    Step::Wait => break,
                    Step::Fatal(reason) => {
                        tracing::error!(%reason, "indexer stopping");
                        myself.stop(Some(reason));
                        return;
                    }
                }
            }
        }
        if !state.poll_scheduled {
            state.poll_scheduled = true;
            let interval = Duration::from_millis(state.args.config.poll_interval_ms);
            myself.send_after(interval, || IndexerMsg::Poll);
        }
    }
}

impl Actor for Indexer {
    type Msg = IndexerMsg;
    type State = IndexerState;
    type Arguments = IndexerArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: IndexerArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let keep = args.config.reorg_depth_max as usize + 1;
        let acked = AckedChain::load(args.store.clone(), &args.keyspace, keep)?;
        if let Some((h, hash)) = acked.tip() {
            tracing::info!(height = h, %hash, "indexer resuming after the last acknowledged block");
        }
        let now = args.clock.now_ms();
        let _ = myself.send_message(IndexerMsg::Poll);
        Ok(IndexerState {
            args,
            acked,
            in_flight: VecDeque::new(),
            last_progress_ms: now,
            poll_scheduled: true,
            connected_total: 0,
            disconnected_total: 0,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            IndexerMsg::Poll => {
                state.poll_scheduled = false;
                state.redeliver_if_silent();
                Self::advance(&myself, state);
            }
            IndexerMsg::Acked(ack) => {
                state.on_ack(ack)?;
                Self::advance(&myself, state);
            }
            IndexerMsg::Status(reply) => {
                let _ = reply.send(IndexerStatus {
                    acked_tip: state.acked.tip(),
                    in_flight: state.in_flight.len(),
                    connected_total: state.connected_total,
                    disconnected_total: state.disconnected_total,
                });
            }
        }
        Ok(())
    }
}
