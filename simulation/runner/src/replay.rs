//! Playing a recorded chain ([`crate::recording`]) into SimBitcoin: the premine's blocks are in
//! place before the node starts; every later block is connected when the simulated clock
//! reaches its header time, a `reorg N` together with the block after it; SimBitcoin's own
//! miner stays paused until the recording ends, then mines on from its tip.

use crate::recording::{Recording, Step};
use crate::trace::Trace;
use crate::world::{World, START_UNIX_MS};

/// A recording being played.
pub struct Player {
    premine: Vec<bitcoin::Block>,
    steps: std::collections::VecDeque<Step>,
    done: bool,
}

impl Player {
    /// A player of `r`: its first `start` steps must be blocks (the premine).
    pub fn new(r: Recording) -> anyhow::Result<Player> {
        let mut steps: std::collections::VecDeque<Step> = r.steps.into();
        let mut premine = Vec::new();
        for h in 1..=r.start {
            match steps.pop_front() {
                Some(Step::Block(b)) => premine.push(b),
                _ => anyhow::bail!(
                    "the recording's premine (heights 1..={}) lacks block {h}",
                    r.start
                ),
            }
        }
        Ok(Player {
            premine,
            steps,
            done: false,
        })
    }

    /// The premine's blocks.
    pub fn premine(&self) -> Vec<bitcoin::Block> {
        self.premine.clone()
    }

    /// Pauses SimBitcoin's own mining while the recording plays.
    pub fn pause_mining(&self, w: &World, trace: &Trace) {
        w.sim().set_mining_paused(true);
        trace.record(
            "replay",
            format_args!(
                "{} steps to play; SimBitcoin's miner paused",
                self.steps.len()
            ),
        );
    }

    /// When the next block is due, in simulated ms since the run started.
    pub fn next_due_ms(&self) -> Option<u64> {
        if self.done {
            return None;
        }
        let block = self.steps.iter().find_map(|s| match s {
            Step::Block(b) => Some(b),
            Step::Reorg(_) => None,
        });
        Some(block.map_or(0, |b| {
            (u64::from(b.header.time) * 1_000).saturating_sub(START_UNIX_MS)
        }))
    }

    /// Plays every step due by `now_ms` (simulated ms since the start); when the recording
    /// ends, SimBitcoin mines on.
    pub fn play_due(&mut self, now_ms: u64, w: &World, trace: &Trace) -> anyhow::Result<()> {
        while self.next_due_ms().is_some_and(|t| t <= now_ms) {
            let mut disconnect = 0;
            while let Some(Step::Reorg(n)) = self.steps.front() {
                disconnect += n;
                self.steps.pop_front();
            }
            let Some(Step::Block(block)) = self.steps.pop_front() else {
                break;
            };
            let hashes = w
                .sim()
                .apply_recorded(disconnect, vec![block])
                .map_err(|e| anyhow::anyhow!("playing the recording: {e}"))?;
            trace.record(
                "replay",
                format_args!(
                    "reorg {disconnect}, block {}",
                    hashes.first().map(|h| h.to_string()).unwrap_or_default()
                ),
            );
        }
        if self.steps.iter().all(|s| matches!(s, Step::Reorg(_))) && !self.done {
            self.done = true;
            w.sim().set_mining_paused(false);
            trace.record(
                "replay",
                "the recording ended; SimBitcoin mines on from its tip",
            );
        }
        Ok(())
    }
}
