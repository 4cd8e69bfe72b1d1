//! Re-anchoring. A batch's commit spends the previous batch's last output (its anchor, which
//! orders batches on chain). A reorg can leave the previous batch confirmed under another
//! version than the one whose output this commit spends: a replacement mined in one branch,
//! the original in the branch that won. That commit can never confirm (its input does not
//! exist on the chain that won), and rebroadcasting it is refused forever as missing inputs.
//! Found against a real Bitcoin Core with reorgs of depth 1, 3 and 6 under a running devnet
//! (`cluster/cli/tests/devnet_against_bitcoin_core.rs`).
//!
//! Such a batch gets a new version (`VersionKind::Reanchored`) with the same envelopes,
//! spending the winner's output as its anchor plus the old commit's inputs that are still
//! wallet coins (and more coins if needed). The new version conflicts with the old one
//! wherever both could confirm (they share an input, or spend the two competing versions'
//! outputs), so the envelopes are never inscribed twice.

use super::InscriberEngine;
use crate::records::{decode_tx, encode_tx, PairVersion, VersionKind};
use crate::wallet::{build_reveal, fee_for};
use crate::InscriberError;
use bitai_messages::inscriber::BatchStage;
use bitcoin::{OutPoint, Txid};
use std::collections::BTreeSet;

impl InscriberEngine {
    /// The transactions of batch `prev`'s versions that lost to its active one.
    fn lost_txids(&self, prev: u64) -> Result<BTreeSet<Txid>, InscriberError> {
        let Some(rec) = self.record_of(prev)? else {
            return Ok(BTreeSet::new());
        };
        let confirmed = rec.reveal_height.is_some() || rec.stage == BatchStage::Final;
        if !confirmed {
            return Ok(BTreeSet::new()); // Nothing has won yet.
        }
        let mut lost = BTreeSet::new();
        let mut kept = BTreeSet::new();
        for (v, pair) in rec.versions.iter().enumerate() {
            let txids = [
                decode_tx(&pair.commit)?.compute_txid(),
                decode_tx(&pair.reveal)?.compute_txid(),
            ];
            if v == rec.active as usize {
                kept.extend(txids);
            } else {
                lost.extend(txids);
            }
        }
        let children = rec.children.len();
        for (i, child) in rec.children.iter().enumerate() {
            let txid = decode_tx(&child.tx)?.compute_txid();
            if i + 1 == children {
                kept.insert(txid);
            } else {
                lost.insert(txid);
            }
        }
        Ok(lost.difference(&kept).copied().collect())
    }

    /// Whether batch `id`'s unconfirmed commit spends an output of a version of the previous
    /// batch that lost.
    pub(crate) fn orphaned(&self, id: u64) -> Result<bool, InscriberError> {
        let (Some(b), Some(prev)) = (self.batches.get(&id), id.checked_sub(1)) else {
            return Ok(false);
        };
        if b.rec.commit_height.is_some() {
            return Ok(false);
        }
        let lost = self.lost_txids(prev)?;
        Ok(b.active()
            .0
            .input
            .iter()
            .any(|i| lost.contains(&i.previous_output.txid)))
    }

    /// Gives orphaned batch `id` a new version anchored on the previous batch's winner.
    pub(crate) fn reanchor(&mut self, id: u64) -> Result<(), InscriberError> {
        let b = &self.batches[&id];
        let payloads = self.payloads_of(&b.rec)?;
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let reveal_info = self.keys.reveal_of(&refs)?;
        let rate = self
            .fee_rate_sat_per_kvb()
            .max(b.active_version().fee_rate_sat_per_kvb);
        let reveal_fee = fee_for(b.active().1.vsize() as u64, rate);
        let commit_value = reveal_fee + self.cfg.reveal_output_sat;
        let anchor = self.anchor_after(id - 1)?;
        let old_inputs: Vec<OutPoint> = b
            .active()
            .0
            .input
            .iter()
            .map(|i| i.previous_output)
            .collect();
        // The old commit's inputs that are still coins keep the two versions in conflict.
        let mut inputs: Vec<(OutPoint, u64)> = anchor.into_iter().collect();
        inputs.extend(
            old_inputs
                .iter()
                .filter_map(|op| self.coins.get(op).map(|c| (*op, c.value_sat)))
                .filter(|c| Some(*c) != anchor),
        );
        let (commit, commit_fee) =
            self.fund_commit(&reveal_info, &mut inputs, commit_value, rate)?;
        let (reveal, reveal_fee) = build_reveal(&self.keys, &reveal_info, &commit, |vsize| {
            fee_for(vsize, rate)
        })?
        .ok_or_else(|| InscriberError::Build("reveal cannot pay its own fee".into()))?;
        tracing::warn!(batch = id, anchor = ?anchor.map(|a| a.0),
            "the previous batch confirmed under another version: re-anchoring this one");
        let v = PairVersion {
            commit: encode_tx(&commit),
            reveal: encode_tx(&reveal),
            fee_rate_sat_per_kvb: rate,
            commit_input_values: inputs.iter().map(|(_, v)| *v).collect(),
            commit_fee_sat: commit_fee,
            reveal_fee_sat: reveal_fee,
            kind: VersionKind::Reanchored,
        };
        self.watch.add_script(reveal_info.commit_script_pubkey());
        self.store_version(id, v, commit, reveal, "reanchor")
    }
}
