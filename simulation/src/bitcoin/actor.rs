//! [`SimMiner`], the actor that owns the mining schedule: it sleeps on a tokio timer until the
//! next block is due (`SimBitcoin::next_block_due_ms`, by the injected clock), mines every
//! block due, and sleeps again. Under a paused tokio runtime with a `TokioClock`, time jumps
//! straight to each block, so a simulation advances block by block, deterministically. It also
//! takes commands: mine a block now, or reorg. On a durable network (`SimBitcoin::open`) a
//! store that refuses a block fails the actor, and a miner spawned on a reopened network
//! resumes the stored schedule.

use super::{ReorgMempool, ReorgReport, SimBitcoin, SimBitcoinError};
use bitai_runtime::SharedClock;
use bitcoin::BlockHash;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::time::Duration;

/// The mining actor.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimMiner;

/// What [`SimMiner`] is spawned with.
pub struct SimMinerArguments {
    /// The network it mines.
    pub bitcoin: SimBitcoin,
    /// The clock its schedule is read against.
    pub clock: SharedClock,
}

/// [`SimMiner`]'s state.
pub struct SimMinerState {
    bitcoin: SimBitcoin,
    clock: SharedClock,
}

/// Messages [`SimMiner`] handles.
#[derive(Debug)]
pub enum SimMinerMsg {
    /// Timer: mine every block due now, then wait for the next one.
    Tick,
    /// Mine one block now (outside the schedule) and reply with its hash.
    MineNow(RpcReplyPort<BlockHash>),
    /// Reorg `depth` blocks, mining `new_blocks` on the fork point, and reply with the report.
    Reorg {
        /// Blocks disconnected (at least 1, at most the tip height).
        depth: u64,
        /// Blocks mined on the fork point (more than `depth`).
        new_blocks: u64,
        /// What the new blocks take from the mempool.
        mempool: ReorgMempool,
        /// Where the report goes.
        reply: RpcReplyPort<Result<ReorgReport, SimBitcoinError>>,
    },
}

impl ractor::Message for SimMinerMsg {}

impl SimMinerState {
    fn schedule_tick(&self, myself: &ActorRef<SimMinerMsg>) {
        let wait_ms = self
            .bitcoin
            .next_block_due_ms()
            .saturating_sub(self.clock.now_ms());
        // Dropping the handle detaches the timer; a stopped actor just misses the tick.
        drop(myself.send_after(Duration::from_millis(wait_ms), || SimMinerMsg::Tick));
    }
}

impl Actor for SimMiner {
    type Msg = SimMinerMsg;
    type State = SimMinerState;
    type Arguments = SimMinerArguments;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(SimMinerState {
            bitcoin: args.bitcoin,
            clock: args.clock,
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        state.schedule_tick(&myself);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SimMinerMsg::Tick => {
                // A durable network that cannot write its store fails the actor (its
                // supervisor decides); the store still holds every block mined before.
                let mined = state.bitcoin.try_mine_due(state.clock.now_ms())?;
                for hash in &mined {
                    tracing::debug!(%hash, "simbitcoin: block mined on schedule");
                }
                state.schedule_tick(&myself);
            }
            SimMinerMsg::MineNow(reply) => {
                let hash = state.bitcoin.try_mine_block()?;
                // The caller may have given up waiting; the block is mined either way.
                let _ = reply.send(hash);
            }
            SimMinerMsg::Reorg {
                depth,
                new_blocks,
                mempool,
                reply,
            } => {
                let report = state.bitcoin.reorg_with(depth, new_blocks, mempool);
                let _ = reply.send(report);
            }
        }
        Ok(())
    }
}
