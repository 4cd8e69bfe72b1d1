//! The terminal check of the `deep_reorg` fault: after every other oracle has passed, SimBitcoin
//! reorganises one block deeper than the nodes can roll back (`indexer.reorg_depth_max + 1`).
//! Both BitAI nodes must stop loudly (their supervisors halt with a reason) and leave their
//! state as it was: no chain's verified or final root may change.

use crate::world::World;
use bitai_bitcoin::BitcoinPort;
use std::time::Duration;

/// Longest simulated time the nodes may take to stop.
const HALT_BOUND: Duration = Duration::from_secs(3600);

fn roots(v: &bitai_messages::statemachine::StateView) -> Vec<String> {
    v.chains
        .iter()
        .map(|(id, c)| {
            format!(
                "{id} {} {} {} {}",
                c.verified_block, c.verified_root, c.final_block, c.final_root
            )
        })
        .collect()
}

/// Strikes the deep reorg and checks that both nodes halt with their state intact.
pub async fn check(w: &World) -> Result<String, String> {
    let depth = u64::from(w.config.indexer.reorg_depth_max) + 1;
    let tip = w.sim().tip().map_err(|e| e.to_string())?.height;
    if tip <= depth {
        return Ok(format!(
            "skipped: the chain ({tip} blocks) is not deeper than {depth}"
        ));
    }
    let before_a = roots(&w.devnet.pipeline.view.borrow());
    let before_b = roots(&w.follower.view.borrow());
    w.sim()
        .reorg(depth, depth + 1)
        .map_err(|e| format!("SimBitcoin could not reorg {depth} blocks: {e}"))?;
    let mut waited = Duration::ZERO;
    let step = Duration::from_secs(5);
    loop {
        let a = w.devnet.pipeline.halt.borrow().clone();
        let b = w.follower.halt.borrow().clone();
        if let (Some(a), Some(b)) = (a, b) {
            if roots(&w.devnet.pipeline.view.borrow()) != before_a
                || roots(&w.follower.view.borrow()) != before_b
            {
                return Err(
                    "a node changed its chains' roots while refusing a reorg it cannot roll back"
                        .into(),
                );
            }
            return Ok(format!(
                "a reorg of {depth} blocks stopped both nodes loudly, state intact (coordinator: {a}; second node: {b})"
            ));
        }
        if waited >= HALT_BOUND {
            return Err(format!(
                "a reorg of {depth} blocks, deeper than the nodes can roll back, did not stop them within {}s",
                HALT_BOUND.as_secs()
            ));
        }
        tokio::time::sleep(step).await;
        waited += step;
    }
}
