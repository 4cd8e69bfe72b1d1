//! Handing blocks to the prover pool without blocking the sequencer, through the runtime's
//! one hand-off ([`bitai_runtime::HandOff`]): a task asks the pool (`PoolMsg::ProveBlock`,
//! through its role proxy) for each unhanded block in order, stops at the first refusal or
//! timeout, and reports the blocks the pool acknowledged; on success it sends the sequencer
//! a `Tick` so the next blocks follow at once, on failure the next periodic `Tick` retries.
//! The sequencer persists its `handed_through` cursor only from these reports, so a block
//! counts as handed only after the pool's Ok; the pool ignores a block it already has, so
//! re-handing after a crash is harmless.

use bitai_messages::prover::{BlockStatement, PoolError, PoolMsg};
use bitai_messages::sequencer::SequencerMsg;
use bitai_runtime::{HandOff, HandOffItem, RoleRef};
use ractor::ActorRef;

/// How long the pool may take to acknowledge one block (it persists, then replies).
pub const HANDOFF_TIMEOUT_MS: u64 = 10_000;
/// Most blocks one hand-off task carries.
pub const HANDOFF_BATCH: usize = 16;

/// Starts handing `blocks` (statement, encoded circuit), in order, to the pool; the report
/// names each acknowledged block by number.
pub fn start(
    pool: RoleRef<PoolMsg>,
    blocks: Vec<(BlockStatement, Vec<u8>)>,
    myself: ActorRef<SequencerMsg>,
) -> HandOff<u64> {
    let items: Vec<HandOffItem<u64, PoolMsg, (), PoolError>> = blocks
        .into_iter()
        .map(|(statement, circuit)| {
            let ask: Box<dyn FnOnce(_) -> PoolMsg + Send> =
                Box::new(move |reply| PoolMsg::ProveBlock {
                    statement,
                    circuit,
                    reply,
                });
            (statement.block_number, ask)
        })
        .collect();
    HandOff::start(pool, items, HANDOFF_TIMEOUT_MS, move |ok| {
        if ok {
            // Wake the sequencer so the next blocks follow without waiting for a tick.
            let _ = myself.cast(SequencerMsg::Tick);
        }
    })
}
