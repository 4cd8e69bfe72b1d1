//! Oracle (a): no acknowledged transaction is lost. Every transfer a sequencer acknowledged
//! must stay known to the node (pending, in a block, proven, inscribed, verified) and end
//! final, or rejected with a reason; every acknowledged inference request must exist on its
//! chain. As the run goes, the oldest unresolved transfers are followed a few per tick; at
//! the end, all of them.

use crate::users::Users;
use crate::world::World;
use bitai_rpc::{NodeApi, Stage};

/// How far the checker has followed the users' acknowledged transfers.
#[derive(Default)]
pub struct Pending {
    /// Index of the first transfer not yet seen final.
    next: usize,
    /// Transfers seen final.
    pub finals: u64,
}

impl Pending {
    /// Follows up to `budget` transfers from the oldest unresolved one.
    pub async fn follow(&mut self, w: &World, users: &Users, budget: usize) -> Result<(), String> {
        let mut looked = 0;
        while self.next < users.transfers.len() && looked < budget {
            let t = &users.transfers[self.next];
            let status = w
                .api
                .transaction_status(t.hash)
                .await
                .map_err(|e| format!("status of {}: {e}", t.hash))?;
            looked += 1;
            match status.stage {
                Stage::Final => {
                    self.finals += 1;
                    self.next += 1;
                }
                Stage::Rejected => {
                    if status.reason.as_deref().unwrap_or("").is_empty() {
                        return Err(format!("{} {} rejected without a reason", t.what, t.hash));
                    }
                    self.next += 1;
                }
                Stage::Unknown => {
                    return Err(format!(
                        "{} {} on chain {} was acknowledged and the node no longer knows it",
                        t.what, t.hash, w.chains[t.chain].name
                    ))
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// Every acknowledged transfer is final or rejected, and every acknowledged request exists.
    pub async fn finish(&mut self, w: &World, users: &Users) -> Result<String, String> {
        self.follow(w, users, usize::MAX).await?;
        if let Some(t) = users.transfers.get(self.next) {
            let status = w
                .api
                .transaction_status(t.hash)
                .await
                .map_err(|e| e.to_string())?;
            return Err(format!(
                "{} {} on chain {} is still {:?} at the end of the quiet phase",
                t.what, t.hash, w.chains[t.chain].name, status.stage
            ));
        }
        for (i, c) in w.chains.iter().enumerate() {
            let acked = users.requests.iter().filter(|r| r.chain == i).count() as u32;
            for id in 0..acked {
                if w.api
                    .request(c.id, id)
                    .await
                    .map_err(|e| e.to_string())?
                    .is_none()
                {
                    return Err(format!(
                        "{}: {acked} requests acknowledged, request {id} does not exist",
                        c.name
                    ));
                }
            }
        }
        Ok(format!(
            "{} transfers final, {} requests found",
            self.finals,
            users.requests.len()
        ))
    }
}
