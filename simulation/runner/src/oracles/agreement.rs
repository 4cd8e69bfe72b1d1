//! Oracle (d): the two BitAI nodes agree. At every tick each node's applied Bitcoin tip and
//! its chains' verified and final roots are recorded; whenever both nodes have been seen at
//! the same Bitcoin block (height and hash), what they hold there must be equal.

use crate::world::World;
use bitai_messages::statemachine::StateView;
use bitcoin::BlockHash;
use std::collections::BTreeMap;

type Tip = (u64, BlockHash);

/// What each node held at each tip seen.
#[derive(Default)]
pub struct Agreement {
    a: BTreeMap<Tip, String>,
    b: BTreeMap<Tip, String>,
    compared: u64,
}

fn digest(v: &StateView) -> Option<(Tip, String)> {
    let tip = v.tip?;
    let chains: Vec<String> = v
        .chains
        .iter()
        .map(|(id, c)| {
            format!(
                "{id}: verified {} {} final {} {}",
                c.verified_block, c.verified_root, c.final_block, c.final_root
            )
        })
        .collect();
    Some((tip, chains.join("; ")))
}

impl Agreement {
    /// Records both nodes' current state and compares every tip both have been seen at.
    /// The coordinator's state goes into the trace as `state <height> <hash> <sha256>` (a
    /// replayed recording must show the same line at the same block).
    pub fn record(&mut self, w: &World, trace: &crate::trace::Trace) -> Result<(), String> {
        if let Some((tip, d)) = digest(&w.devnet.pipeline.view.borrow()) {
            use sha2::Digest as _;
            let hash = hex::encode(sha2::Sha256::digest(d.as_bytes()));
            trace.record("state", format_args!("{} {} {hash}", tip.0, tip.1));
            self.a.insert(tip, d);
        }
        if let Some((tip, d)) = digest(&w.follower.view.borrow()) {
            self.b.insert(tip, d);
        }
        let both: Vec<Tip> = self
            .a
            .keys()
            .filter(|t| self.b.contains_key(t))
            .copied()
            .collect();
        for tip in both {
            let (a, b) = (&self.a[&tip], &self.b[&tip]);
            if a != b {
                return Err(format!(
                    "at Bitcoin block {} ({}) the coordinator holds [{a}] and the second node [{b}]",
                    tip.0, tip.1
                ));
            }
            self.compared += 1;
            self.a.remove(&tip);
            self.b.remove(&tip);
        }
        // Keep memory bounded: a tip only one node saw long ago will not be matched.
        for m in [&mut self.a, &mut self.b] {
            while m.len() > 256 {
                m.pop_first();
            }
        }
        Ok(())
    }

    /// How many tips were compared.
    pub fn describe(&self) -> String {
        format!("{} tips compared", self.compared)
    }
}
