//! Tending a batch: making sure its active transactions are in the mempool or a block
//! (first broadcast, rebroadcast after an eviction or a reorg), and bumping what stays
//! unconfirmed for `bump_after_blocks`: the commit by replacement (with a new reveal bound to
//! the same envelopes), the reveal by replacement while its output can pay, else by a CPFP
//! child spending the reveal's output and a wallet coin. Every new version is stored before
//! it is broadcast.
//!
//! A send the node refuses as a conflict (something else spends the same coin: an older
//! version of ours, or a transaction from another holder of the wallet's key) is not an
//! error: the version found in the mempool becomes the active one, the batch counts as
//! broadcast so that it is bumped, the refused version is sent again only after a new block,
//! and each bump steps up from the highest rate any version was offered at. A bump that the
//! node's replacement rules refuse (Bitcoin Core 31's feerate diagram among them) therefore
//! climbs to the next rate after `bump_after_blocks` and stops at the ceiling; it is never
//! re-sent on every poll, and never rebuilt at the same rate.

use super::{InscriberEngine, LiveBatch};
use crate::fault::CrashPoint;
use crate::records::{encode_tx, ChildVersion, PairVersion, VersionKind};
use crate::wallet::{build_child, build_commit, build_reveal, fee_for};
use crate::InscriberError;
use bitai_bitcoin::{BroadcastReject, PortError};
use bitai_messages::inscriber::BatchStage;
use bitcoin::{OutPoint, Transaction};

/// Incremental relay fee rate assumed for replacements (Bitcoin Core's default), sat/kvB.
const INCREMENTAL_SAT_PER_KVB: u64 = 1_000;

/// What a send found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    /// In the mempool (or already known).
    Ok,
    /// Conflicts with something else in the mempool (another version of ours).
    Conflict,
    /// Anything else (missing inputs for now, chain limits, a node failure): try later.
    Later,
}

impl InscriberEngine {
    fn present(&self, tx: &Transaction) -> bool {
        self.bitcoin
            .in_mempool(&tx.compute_txid())
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "in_mempool failed");
                false
            })
    }

    fn send(&self, tx: &Transaction) -> Sent {
        match self.bitcoin.broadcast(tx) {
            Ok(_) | Err(PortError::Rejected(BroadcastReject::AlreadyKnown)) => Sent::Ok,
            Err(PortError::Rejected(
                r @ (BroadcastReject::Conflict | BroadcastReject::Replacement(_)),
            )) => {
                tracing::info!(txid = %tx.compute_txid(), reason = %r, "broadcast conflicts");
                self.metrics.broadcast_rejects.inc();
                Sent::Conflict
            }
            Err(e) => {
                tracing::info!(txid = %tx.compute_txid(), error = %e, "broadcast refused for now");
                self.metrics.broadcast_rejects.inc();
                Sent::Later
            }
        }
    }

    /// After a conflict: makes the version whose commit (or, once the commit is confirmed,
    /// whose reveal) is in the mempool the active one, if another is, and holds the refused
    /// version back until the next block.
    fn adopt_present_version(&mut self, id: u64) -> Result<(), InscriberError> {
        let tip = self.tip_height;
        let Some(b) = self.batches.get_mut(&id) else {
            return Ok(());
        };
        b.refused_at = Some(tip);
        let b = &self.batches[&id];
        let leg = |v: usize| {
            let (commit, reveal) = &b.pairs[v];
            if b.rec.commit_height.is_none() {
                commit
            } else {
                reveal
            }
        };
        let found = (0..b.pairs.len())
            .rev()
            .find(|&v| v != b.rec.active as usize && self.present(leg(v)));
        if let Some(v) = found {
            tracing::warn!(
                batch = id,
                version = v,
                "adopting the version in the mempool"
            );
            if let Some(b) = self.batches.get_mut(&id) {
                b.rec.active = v as u32;
            }
            self.persist(id)?;
        }
        Ok(())
    }

    /// Brings one batch forward.
    pub(crate) fn tend(&mut self, id: u64) -> Result<(), InscriberError> {
        let Some(b) = self.batches.get(&id) else {
            return Ok(());
        };
        if b.rec.stage == BatchStage::Final {
            return Ok(());
        }
        let first = b.rec.stage == BatchStage::Signed;
        let (commit, reveal) = b.active().clone();
        let child = b.children.last().cloned();
        let (commit_done, reveal_done, child_done) = (
            b.rec.commit_height.is_some(),
            b.rec.reveal_height.is_some(),
            b.rec.child_height.is_some(),
        );
        let held = b.refused_at == Some(self.tip_height);
        let mut commit_ok = commit_done;
        if !commit_done {
            commit_ok = self.present(&commit);
            if !commit_ok && !held {
                // Only a commit out of the mempool can be orphaned (its input is gone): the
                // check reads the previous batch, so healthy batches skip it.
                if self.orphaned(id)? {
                    self.reanchor(id)?;
                    return self.tend(id);
                }
                if !first {
                    self.metrics.rebroadcasts.inc();
                }
                match self.send(&commit) {
                    Sent::Ok => commit_ok = true,
                    Sent::Conflict => self.adopt_present_version(id)?,
                    Sent::Later => {}
                }
            }
            if first {
                self.fault(CrashPoint::CommitBroadcast)?;
            }
        }
        let mut reveal_ok = reveal_done;
        if !reveal_done && commit_ok {
            reveal_ok = self.present(&reveal);
            if !reveal_ok && !held {
                if !first {
                    self.metrics.rebroadcasts.inc();
                }
                match self.send(&reveal) {
                    Sent::Ok => reveal_ok = true,
                    Sent::Conflict if commit_done => self.adopt_present_version(id)?,
                    Sent::Conflict | Sent::Later => {}
                }
            }
            if first {
                self.fault(CrashPoint::RevealBroadcast)?;
            }
        }
        if let (Some(child), false, true) = (&child, child_done, reveal_ok) {
            if !self.present(child) {
                self.metrics.rebroadcasts.inc();
                let _ = self.send(child);
            }
        }
        let stage = if reveal_done {
            BatchStage::Confirmed
        } else if commit_ok && reveal_ok {
            BatchStage::InMempool
        } else {
            BatchStage::Broadcast
        };
        let Some(b) = self.batches.get_mut(&id) else {
            return Ok(());
        };
        if b.rec.stage != stage && b.rec.stage != BatchStage::Final {
            if b.rec.stage == BatchStage::Signed {
                b.rec.last_bump_height = self.tip_height;
            }
            b.rec.stage = stage;
            self.persist(id)?;
        }
        let b = &self.batches[&id];
        let due = self.tip_height >= b.rec.last_bump_height + self.cfg.effective_bump_after();
        // A batch whose successor is cut (it went back to the mempool in a reorg or an
        // eviction after the successor's commit spent its last output) is only rebroadcast:
        // replacing any of its legs would change the output that commit spends.
        let last = self.next_batch == id + 1;
        if due && last && self.caught_up && !reveal_done && b.rec.stage >= BatchStage::Broadcast {
            self.bump(id)?;
        }
        Ok(())
    }

    /// The rate of the next bump: a step above the highest rate any version or child of the
    /// batch was offered at (a refused bump included), capped by the ceiling.
    fn next_rate(&self, b: &LiveBatch) -> Option<u64> {
        let versions = b.rec.versions.iter().map(|v| v.fee_rate_sat_per_kvb);
        let children = b.rec.children.iter().map(|c| c.fee_rate_sat_per_kvb);
        let old = versions.chain(children).max().unwrap_or(0);
        let ceiling = self.cfg.fee_rate_ceiling_sat_per_vb * 1000;
        let stepped = (old * (100 + self.cfg.bump_step_percent) / 100).max(old + 1000);
        let new = stepped.max(self.fee_rate_sat_per_kvb()).min(ceiling);
        (new > old).then_some(new)
    }

    /// Replaces or accelerates a batch's unconfirmed legs at a higher fee rate.
    fn bump(&mut self, id: u64) -> Result<(), InscriberError> {
        let b = &self.batches[&id];
        let Some(rate) = self.next_rate(b) else {
            self.metrics.bumps_at_ceiling.inc();
            tracing::warn!(
                batch = id,
                "unconfirmed at the fee-rate ceiling; not bumping"
            );
            if let Some(b) = self.batches.get_mut(&id) {
                b.rec.last_bump_height = self.tip_height;
            }
            return Ok(());
        };
        let payloads = self.payloads_of(&b.rec)?;
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let reveal_info = self.keys.reveal_of(&refs)?;
        let (commit, reveal) = b.active().clone();
        let version = b.active_version().clone();
        let result = if b.rec.commit_height.is_none() {
            self.replace_commit(id, &reveal_info, &commit, &version, rate)
        } else {
            let reveal_vsize = reveal.vsize() as u64;
            let reveal_fee = version.reveal_fee_sat;
            let rbf = if b.children.is_empty() {
                build_reveal(&self.keys, &reveal_info, &commit, |vsize| {
                    fee_for(vsize, rate).max(reveal_fee + fee_for(vsize, INCREMENTAL_SAT_PER_KVB))
                })?
            } else {
                None
            };
            match rbf {
                Some((new_reveal, fee)) => {
                    let v = PairVersion {
                        reveal: encode_tx(&new_reveal),
                        fee_rate_sat_per_kvb: rate,
                        reveal_fee_sat: fee,
                        kind: VersionKind::RevealReplaced,
                        ..version.clone()
                    };
                    self.store_version(id, v, commit.clone(), new_reveal, "reveal_rbf")
                }
                None => self.cpfp(id, &reveal, reveal_vsize, reveal_fee, rate),
            }
        };
        match result {
            Ok(()) => {}
            Err(InscriberError::InsufficientFunds {
                needed_sat,
                available_sat,
            }) => {
                self.metrics.funds_low.inc();
                tracing::warn!(
                    batch = id,
                    needed_sat,
                    available_sat,
                    "cannot pay for a bump"
                );
                if let Some(b) = self.batches.get_mut(&id) {
                    b.rec.last_bump_height = self.tip_height;
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        self.fault(CrashPoint::BumpPersisted)?;
        let b = &self.batches[&id];
        let (commit, reveal) = b.active().clone();
        let sent = if b.rec.commit_height.is_none() {
            let sent = self.send(&commit);
            self.fault(CrashPoint::BumpBroadcast)?;
            if sent == Sent::Ok {
                let _ = self.send(&reveal);
            }
            sent
        } else if b.rec.children.is_empty()
            || b.active_version().kind == VersionKind::RevealReplaced
        {
            let sent = self.send(&reveal);
            self.fault(CrashPoint::BumpBroadcast)?;
            sent
        } else {
            Sent::Ok
        };
        if sent == Sent::Conflict {
            self.metrics.bumps_refused.inc();
            tracing::warn!(
                batch = id,
                rate,
                "bump refused as a conflict by the node's replacement rules; the next bump \
                 steps up from this rate"
            );
            self.adopt_present_version(id)?;
        }
        if let Some(child) = self.batches[&id].children.last().cloned() {
            if self.batches[&id].rec.child_height.is_none() {
                let _ = self.send(&child);
            }
        }
        Ok(())
    }

    fn replace_commit(
        &mut self,
        id: u64,
        reveal_info: &bitai_protocol::envelope::Reveal,
        commit: &Transaction,
        version: &PairVersion,
        rate: u64,
    ) -> Result<(), InscriberError> {
        let b = &self.batches[&id];
        let reveal_vsize = b.active().1.vsize() as u64;
        let new_reveal_fee = fee_for(reveal_vsize, rate);
        let commit_value = new_reveal_fee + self.cfg.reveal_output_sat;
        let evicted = version.commit_fee_sat
            + version.reveal_fee_sat
            + match (b.rec.children.last(), b.rec.child_height) {
                (Some(c), None) => c.fee_sat,
                _ => 0,
            };
        let inputs: Vec<(OutPoint, u64)> = commit
            .input
            .iter()
            .map(|i| i.previous_output)
            .zip(version.commit_input_values.iter().copied())
            .collect();
        let (new_commit, commit_fee) = build_commit(
            &self.keys,
            reveal_info,
            &inputs,
            commit_value,
            rate,
            |vsize| evicted + fee_for(vsize, INCREMENTAL_SAT_PER_KVB) + 1,
        )?;
        let (new_reveal, reveal_fee) =
            build_reveal(&self.keys, reveal_info, &new_commit, |vsize| {
                fee_for(vsize, rate)
            })?
            .ok_or_else(|| InscriberError::Build("reveal cannot pay its fee".into()))?;
        let v = PairVersion {
            commit: encode_tx(&new_commit),
            reveal: encode_tx(&new_reveal),
            fee_rate_sat_per_kvb: rate,
            commit_input_values: version.commit_input_values.clone(),
            commit_fee_sat: commit_fee,
            reveal_fee_sat: reveal_fee,
            kind: VersionKind::CommitReplaced,
        };
        self.store_version(id, v, new_commit, new_reveal, "commit_rbf")
    }

    pub(super) fn store_version(
        &mut self,
        id: u64,
        v: PairVersion,
        commit: Transaction,
        reveal: Transaction,
        kind: &str,
    ) -> Result<(), InscriberError> {
        let tip = self.tip_height;
        let b = self.batches.get_mut(&id).expect("bumped batches are live");
        tracing::info!(batch = id, kind, rate = v.fee_rate_sat_per_kvb,
            commit = %commit.compute_txid(), reveal = %reveal.compute_txid(), "bump");
        b.rec.versions.push(v);
        b.pairs.push((commit, reveal));
        b.rec.active = (b.pairs.len() - 1) as u32;
        b.rec.last_bump_height = tip;
        self.persist(id)?;
        self.metrics.bumps.with_label_values(&[kind]).inc();
        Ok(())
    }

    fn cpfp(
        &mut self,
        id: u64,
        reveal: &Transaction,
        reveal_vsize: u64,
        reveal_fee: u64,
        rate: u64,
    ) -> Result<(), InscriberError> {
        let b = &self.batches[&id];
        let parent = (
            OutPoint::new(reveal.compute_txid(), 0),
            reveal.output[0].value.to_sat(),
        );
        let previous = b.children.last().cloned();
        let old_fee = b.rec.children.last().map_or(0, |c| c.fee_sat);
        let coin =
            match &previous {
                Some(prev) if prev.input[0].previous_output == parent.0 => {
                    let op = prev.input[1].previous_output;
                    let value = prev.output[0].value.to_sat() + old_fee - parent.1;
                    (op, value)
                }
                _ => self.spendable().into_iter().next().ok_or(
                    InscriberError::InsufficientFunds {
                        needed_sat: fee_for(reveal_vsize, rate),
                        available_sat: 0,
                    },
                )?,
            };
        let (child, fee) = build_child(&self.keys, parent, coin, |vsize| {
            let package = fee_for(reveal_vsize + vsize, rate).saturating_sub(reveal_fee);
            package.max(old_fee + fee_for(vsize, INCREMENTAL_SAT_PER_KVB))
        })?;
        let tip = self.tip_height;
        let b = self.batches.get_mut(&id).expect("bumped batches are live");
        tracing::info!(batch = id, rate, child = %child.compute_txid(), fee, "cpfp");
        b.rec.children.push(ChildVersion {
            tx: encode_tx(&child),
            fee_sat: fee,
            fee_rate_sat_per_kvb: rate,
        });
        b.children.push(child);
        b.rec.child_height = None;
        b.rec.last_bump_height = tip;
        self.persist(id)?;
        self.metrics.bumps.with_label_values(&["cpfp"]).inc();
        Ok(())
    }
}
