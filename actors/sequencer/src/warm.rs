//! The warm hand-over of a hot swap: the sequencer's in-memory state passed from the version
//! that drains to the version that starts, so the new one need not reload the chain's
//! accounts from the store and recompute their root (tens of milliseconds for a devnet chain,
//! more for a large one), which was most of a sequencer swap's pause.
//!
//! The supervisor arms the slot just before a swap detaches the role
//! (`ChildSpec::before_swap`); the draining actor's `post_stop` fills it only when armed (so
//! a crash or an ordinary stop leaves nothing behind); the next `pre_start` takes it,
//! checks it against the store (the same head block and root, or it is dropped and the
//! state reloaded), applies its own config (the new version's block policy), and goes on.

use crate::core::SequencerCore;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Slot {
    armed: bool,
    core: Option<SequencerCore>,
}

/// Where a draining sequencer leaves its state for the version that follows it.
#[derive(Clone, Default)]
pub struct WarmSlot(Arc<Mutex<Slot>>);

impl std::fmt::Debug for WarmSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WarmSlot")
    }
}

impl WarmSlot {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A swap begins: the actor that stops next leaves its state here.
    pub fn arm(&self) {
        let mut slot = self.slot();
        slot.armed = true;
        slot.core = None;
    }

    /// Called by a stopping actor: keeps `core` when a swap armed the slot.
    pub(crate) fn fill(&self, core: &SequencerCore) {
        let mut slot = self.slot();
        if slot.armed {
            slot.core = Some(core.clone());
        }
    }

    /// Whether a state waits in the slot.
    pub fn is_filled(&self) -> bool {
        self.slot().core.is_some()
    }

    /// Called by a starting actor: the state left for it, if any (and disarms).
    pub(crate) fn take(&self) -> Option<SequencerCore> {
        let mut slot = self.slot();
        slot.armed = false;
        slot.core.take()
    }
}
