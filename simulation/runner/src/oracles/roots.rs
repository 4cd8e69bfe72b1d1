//! Oracle (c): every chain's verified root on the BitAI side equals the root its sequencer
//! had after that block. A chain not yet registered (its `CreateChain` not yet on Bitcoin)
//! has nothing verified and is skipped; liveness requires it registered by the end.

use crate::world::World;
use bitai_messages::sequencer::SequencerMsg;

/// Checks every chain against its sequencer.
pub async fn check(w: &World) -> Result<(), String> {
    let view = w.devnet.pipeline.view.borrow().clone();
    for (i, c) in w.chains.iter().enumerate() {
        let Some(v) = view.chain(&c.id) else { continue };
        let n = v.verified_block;
        if n == 0 {
            continue;
        }
        let seq = w.sequencer(i).await.map_err(|e| e.to_string())?;
        let Some(block) = seq
            .ask(|reply| SequencerMsg::Block { number: n, reply }, 60_000)
            .await
        else {
            continue; // restarting; the next tick checks
        };
        let block = block.ok_or_else(|| {
            format!(
                "{}: the BitAI side verified block {n}, which its sequencer never made",
                c.name
            )
        })?;
        if block.new_state_root != v.verified_root {
            return Err(format!(
                "{}: verified root at block {n} is {}, the sequencer's is {}",
                c.name, v.verified_root, block.new_state_root
            ));
        }
    }
    Ok(())
}
