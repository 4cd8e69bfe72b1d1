//! Oracle (g): Proof-of-Compute pays only agreeing neurons. A cheating neuron and a neuron
//! that copies another's reveal (one of each per chain at most, each wrong in its own way, so
//! neither can be part of a quorum) are never paid; the chain's rules slash the cheat for a
//! wrong reveal and the copier for a reveal that never opens its commitment. Refunds on timeouts are covered by the supply oracle (escrow left
//! behind by a timed-out request would break conservation once the request settles) and by
//! liveness (every request settles).

use crate::world::World;
use bitai_rpc::NodeApi;

/// Checks every chain with a cheat or a copier.
pub async fn check(w: &World) -> Result<(), String> {
    for c in &w.chains {
        let cheats = c.cheats();
        if cheats.is_empty() {
            continue;
        }
        let Ok(neurons) = w.api.neurons(c.id).await else {
            continue;
        };
        if let Some(n) = neurons
            .iter()
            .find(|n| cheats.contains(&n.account) && n.rewards > 0)
        {
            return Err(format!(
                "{}: cheating neuron {} was paid {} (slashed {})",
                c.name, n.account, n.rewards, n.slashed
            ));
        }
    }
    Ok(())
}
