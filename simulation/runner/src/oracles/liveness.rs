//! Oracle (h): liveness. The runner heals every fault and stops new load for the quiet
//! phase ([`crate::scenario::QUIET_BLOCKS`] Bitcoin blocks, about four simulated hours); by
//! its end every chain is registered, has no pending transaction, and its head is final on
//! the BitAI side, and every inference request has settled. The bound is the quiet phase.

use crate::users::Users;
use crate::world::World;
use bitai_rpc::NodeApi;

/// Checks every chain at the end of the quiet phase.
pub async fn check(w: &World, users: &Users) -> Result<String, String> {
    let s = bitai_node::pipeline::progress::snapshot(&w.devnet.pipeline).await;
    let mut finals = 0;
    for c in &w.chains {
        let p = s
            .chain(&c.id)
            .ok_or_else(|| format!("{} is not hosted", c.name))?;
        if !p.registered {
            return Err(format!("{} never registered on the BitAI side", c.name));
        }
        if p.pending > 0 || p.final_block < p.head {
            return Err(format!(
                "{}: head {} with {} pending, final only through {} after the quiet phase",
                c.name, p.head, p.pending, p.final_block
            ));
        }
        finals += p.final_block;
        let poc = w.api.poc_summary(c.id).await.map_err(|e| e.to_string())?;
        if poc.open_requests > 0 {
            return Err(format!(
                "{}: {} inference requests still open after the quiet phase",
                c.name, poc.open_requests
            ));
        }
    }
    Ok(format!(
        "{} chains final at their heads ({finals} L2 blocks), {} requests settled",
        w.chains.len(),
        users.requests.len()
    ))
}
