//! Oracle (g): Proof-of-Compute pays only agreeing neurons. A cheating neuron (one per
//! chain at most, so it can never be part of a quorum) is never paid; the chain's rules slash
//! it for a wrong reveal. Refunds on timeouts are covered by the supply oracle (escrow left
//! behind by a timed-out request would break conservation once the request settles) and by
//! liveness (every request settles).

use crate::world::World;
use bitai_rpc::NodeApi;

/// Checks every chain with a cheat.
pub async fn check(w: &World) -> Result<(), String> {
    for c in &w.chains {
        let Some(cheat) = c.cheat() else { continue };
        let Ok(neurons) = w.api.neurons(c.id).await else {
            continue;
        };
        if let Some(n) = neurons.iter().find(|n| n.account == cheat && n.rewards > 0) {
            return Err(format!(
                "{}: cheating neuron {cheat} was paid {} (slashed {})",
                c.name, n.rewards, n.slashed
            ));
        }
    }
    Ok(())
}
