//! Handing blocks to the prover pool without blocking the sequencer. A hand-off is a tokio
//! task that asks the pool (`PoolMsg::ProveBlock`, through its role proxy) for each unhanded
//! block in order, stops at the first refusal or timeout, and reports the newest block the
//! pool acknowledged; on success it sends the sequencer a `Tick` so the next blocks follow at
//! once, on failure the next periodic `Tick` retries. The sequencer persists its
//! `handed_through` cursor only from these reports, so a block counts as handed only after
//! the pool's Ok; the pool ignores a block it already has, so re-handing after a crash is
//! harmless.

use bitai_messages::prover::{PoolError, PoolMsg};
use bitai_messages::sequencer::SequencerMsg;
use bitai_runtime::RoleRef;
use ractor::ActorRef;
use tokio::sync::oneshot;

/// How long the pool may take to acknowledge one block (it persists, then replies).
pub const HANDOFF_TIMEOUT_MS: u64 = 10_000;
/// Most blocks one hand-off task carries.
pub const HANDOFF_BATCH: usize = 16;

/// What a hand-off task reports.
#[derive(Debug)]
pub struct HandOffOutcome {
    /// The newest block the pool acknowledged (None: none).
    pub through: Option<u64>,
    /// Why the task stopped early.
    pub error: Option<String>,
}

/// A hand-off in flight.
pub struct HandOff {
    outcome: oneshot::Receiver<HandOffOutcome>,
    task: tokio::task::JoinHandle<()>,
}

impl HandOff {
    /// Starts handing `blocks` (number, encoded circuit), in order.
    pub fn start(
        pool: RoleRef<PoolMsg>,
        blocks: Vec<(u64, Vec<u8>)>,
        myself: ActorRef<SequencerMsg>,
    ) -> Self {
        let (tx, outcome) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut through = None;
            let mut error = None;
            for (number, circuit) in blocks {
                let answer = pool
                    .ask(
                        |reply| PoolMsg::ProveBlock { circuit, reply },
                        HANDOFF_TIMEOUT_MS,
                    )
                    .await;
                match answer {
                    Some(Ok(())) => through = Some(number),
                    Some(Err(e)) => {
                        error = Some(describe(number, &e));
                        break;
                    }
                    None => {
                        error = Some(format!("block {number}: no answer from the prover pool"));
                        break;
                    }
                }
            }
            let ok = error.is_none();
            if tx.send(HandOffOutcome { through, error }).is_ok() && ok {
                // Wake the sequencer so the next blocks follow without waiting for a tick.
                let _ = myself.cast(SequencerMsg::Tick);
            }
        });
        HandOff { outcome, task }
    }

    /// The outcome, once the task finished (Some), or None while it runs.
    pub fn poll(&mut self) -> Option<HandOffOutcome> {
        match self.outcome.try_recv() {
            Ok(o) => Some(o),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(HandOffOutcome {
                through: None,
                error: Some("hand-off task ended without a report".into()),
            }),
        }
    }

    /// Stops the task (the sequencer is stopping; unacknowledged blocks are re-handed).
    pub fn abort(&self) {
        self.task.abort();
    }
}

fn describe(number: u64, e: &PoolError) -> String {
    format!("block {number}: {e}")
}
