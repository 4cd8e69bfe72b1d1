//! Oracle (e): after every reorg, the state equals a fresh replay of the canonical chain. At
//! the end of the run a third BitAI node starts on an empty store and follows SimBitcoin's
//! best chain; once it stands on the coordinator's tip, every chain's verified and final
//! blocks and roots must be the coordinator's (and, at the same tip, the second node's).

use crate::follower::Follower;
use crate::world::World;
use std::time::Duration;

/// Longest simulated time the fresh replay may take to reach the live tip.
const REPLAY_BOUND: Duration = Duration::from_secs(6 * 3600);

/// Replays the canonical chain on a fresh node and compares.
pub async fn check(w: &World) -> Result<String, String> {
    let sim = std::sync::Arc::new(w.sim().clone());
    let fresh = Follower::start(&w.config, sim, w.clock.clone(), "replay")
        .await
        .map_err(|e| e.to_string())?;
    let deadline = w.clock.now_ms() + REPLAY_BOUND.as_millis() as u64;
    let outcome = loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let live = w.devnet.pipeline.view.borrow().clone();
        let replayed = fresh.view.borrow().clone();
        if live.tip.is_some() && live.tip == replayed.tip {
            break compare(&live, &replayed).map(|n| {
                format!(
                    "fresh replay equals the live state at Bitcoin height {} ({n} chains)",
                    live.tip.map_or(0, |t| t.0)
                )
            });
        }
        if w.clock.now_ms() > deadline {
            break Err(format!(
                "the fresh replay did not reach the live tip {:?} (it stands at {:?})",
                live.tip, replayed.tip
            ));
        }
    };
    fresh.stop().await;
    outcome
}

fn compare(
    live: &bitai_messages::statemachine::StateView,
    fresh: &bitai_messages::statemachine::StateView,
) -> Result<usize, String> {
    if live.chains.len() != fresh.chains.len() {
        return Err(format!(
            "the live node knows {} chains, a fresh replay {}",
            live.chains.len(),
            fresh.chains.len()
        ));
    }
    for (id, l) in &live.chains {
        let f = fresh
            .chains
            .get(id)
            .ok_or_else(|| format!("chain {id} missing from the replay"))?;
        let a = (
            l.verified_block,
            l.verified_root,
            l.final_block,
            l.final_root,
        );
        let b = (
            f.verified_block,
            f.verified_root,
            f.final_block,
            f.final_root,
        );
        if a != b {
            return Err(format!("chain {id}: live {a:?}, fresh replay {b:?}"));
        }
    }
    Ok(live.chains.len())
}
