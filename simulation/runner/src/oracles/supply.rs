//! Oracle (f): each chain's supply is conserved. Balances, stakes, escrow, burned fees and
//! slashed stake add up to the genesis supply, and the accounts' nonces count exactly the
//! signed transactions in blocks (nothing made twice, nothing lost).

use crate::world::World;
use bitai_messages::sequencer::SequencerMsg;

/// Checks every chain as of its sequencer's newest block.
pub async fn check(w: &World) -> Result<(), String> {
    for (i, c) in w.chains.iter().enumerate() {
        let seq = w.sequencer(i).await.map_err(|e| e.to_string())?;
        let Some(s) = seq
            .ask(|reply| SequencerMsg::Supply { reply }, 60_000)
            .await
        else {
            // A sequencer being restarted answers after its restart; the next tick checks.
            continue;
        };
        if s.total() != c.supply {
            return Err(format!(
                "{}: balances {} + stakes {} + escrow {} + burned {} + slashed {} = {} != genesis supply {}",
                c.name, s.balances, s.stakes, s.escrow, s.fees_burned, s.slashed, s.total(), c.supply
            ));
        }
        if s.nonces != s.transfers + s.signed_ops {
            return Err(format!(
                "{}: nonces sum to {} but blocks hold {} transfers and {} signed ops",
                c.name, s.nonces, s.transfers, s.signed_ops
            ));
        }
    }
    Ok(())
}
