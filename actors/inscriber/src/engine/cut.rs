//! Cutting a batch: the queue's next requests, in arrival order, packed into one reveal
//! within the weight limit, funded by the previous batch's last output (the anchor that
//! orders batches on chain) and more confirmed coins, signed, and stored before anything is
//! broadcast.

use super::{InscriberEngine, LiveBatch};
use crate::fault::CrashPoint;
use crate::records::{
    decode, decode_tx, encode, encode_tx, key, BatchRecord, PairVersion, VersionKind,
};
use crate::wallet::{build_commit, build_reveal, fee_for, reveal_weight_wu};
use crate::InscriberError;
use bitai_messages::inscriber::BatchStage;
use bitai_storage::Batch;
use bitcoin::OutPoint;

impl InscriberEngine {
    /// Batch `id`'s record, live or stored (`None` when there is no such batch).
    pub(crate) fn record_of(&self, id: u64) -> Result<Option<BatchRecord>, InscriberError> {
        Ok(match self.batches.get(&id) {
            Some(b) => Some(b.rec.clone()),
            None => match self.store.get(&self.keyspace, &key::batch(id))? {
                Some(bytes) => Some(decode("batch", &bytes)?),
                None => None,
            },
        })
    }

    /// The output batch `prev + 1`'s commit must spend: batch `prev`'s last wallet output,
    /// when it is a confirmed coin.
    pub(crate) fn anchor_after(
        &self,
        prev: u64,
    ) -> Result<Option<(OutPoint, u64)>, InscriberError> {
        let Some(rec) = self.record_of(prev)? else {
            return Ok(None);
        };
        let last = match rec.children.last() {
            Some(c) => decode_tx(&c.tx)?,
            None => decode_tx(
                &rec.versions
                    .get(rec.active as usize)
                    .ok_or(InscriberError::Corrupt {
                        what: "batch",
                        reason: "active version out of range".into(),
                    })?
                    .reveal,
            )?,
        };
        let op = OutPoint::new(last.compute_txid(), 0);
        Ok(self.coins.get(&op).map(|c| (op, c.value_sat)))
    }

    /// A signed commit paying `commit_value` to `reveal`'s output, spending `inputs` first
    /// (an anchor, coins to keep) and then spendable wallet coins, largest first, until it
    /// pays; `inputs` ends as the coins spent.
    pub(crate) fn fund_commit(
        &self,
        reveal: &bitai_protocol::envelope::Reveal,
        inputs: &mut Vec<(OutPoint, u64)>,
        commit_value: u64,
        rate: u64,
    ) -> Result<(bitcoin::Transaction, u64), InscriberError> {
        let taken: Vec<OutPoint> = inputs.iter().map(|(op, _)| *op).collect();
        let mut candidates = self
            .spendable()
            .into_iter()
            .filter(|(op, _)| !taken.contains(op));
        loop {
            if !inputs.is_empty() {
                match build_commit(&self.keys, reveal, inputs, commit_value, rate, |_| 0) {
                    Ok(done) => return Ok(done),
                    Err(InscriberError::InsufficientFunds { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            match candidates.next() {
                Some(c) => inputs.push(c),
                None => {
                    self.metrics.funds_low.inc();
                    return Err(InscriberError::InsufficientFunds {
                        needed_sat: commit_value,
                        available_sat: inputs.iter().map(|(_, v)| v).sum(),
                    });
                }
            }
        }
    }

    /// Cuts the next batch from the queue when the previous one is confirmed: packs requests
    /// in order into one reveal within the weight limit, signs the pair, stores it.
    pub(crate) fn cut(&mut self) -> Result<Option<u64>, InscriberError> {
        if self.queue.is_empty() || self.batches.values().any(LiveBatch::open) {
            return Ok(None);
        }
        let mut ids = Vec::new();
        let mut lens = Vec::new();
        for id in self.queue.values() {
            let len = self.requests.get(id).map_or(0, |r| r.payload.len());
            lens.push(len);
            if reveal_weight_wu(&lens) > self.cfg.max_reveal_weight_wu && !ids.is_empty() {
                lens.pop();
                break;
            }
            ids.push(*id);
        }
        let payloads: Vec<Vec<u8>> = ids
            .iter()
            .map(|id| {
                self.requests
                    .get(id)
                    .map(|r| r.payload.clone())
                    .unwrap_or_default()
            })
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let reveal = self.keys.reveal_of(&refs)?;
        let rate = self.fee_rate_sat_per_kvb();
        let reveal_fee = fee_for(crate::wallet::reveal_vsize(&lens), rate);
        let commit_value = reveal_fee + self.cfg.reveal_output_sat;
        let anchor = match self.next_batch.checked_sub(1) {
            Some(prev) => self.anchor_after(prev)?,
            None => None,
        };
        let mut inputs: Vec<(OutPoint, u64)> = anchor.into_iter().collect();
        let (commit, commit_fee) = self.fund_commit(&reveal, &mut inputs, commit_value, rate)?;
        let (reveal_tx, reveal_fee) =
            build_reveal(&self.keys, &reveal, &commit, |vsize| fee_for(vsize, rate))?
                .ok_or_else(|| InscriberError::Build("reveal cannot pay its own fee".into()))?;
        self.fault(CrashPoint::SignedNotPersisted)?;
        let id = self.next_batch;
        let rec = BatchRecord {
            id,
            requests: ids.clone(),
            stage: BatchStage::Signed,
            versions: vec![PairVersion {
                commit: encode_tx(&commit),
                reveal: encode_tx(&reveal_tx),
                fee_rate_sat_per_kvb: rate,
                commit_input_values: inputs.iter().map(|(_, v)| *v).collect(),
                commit_fee_sat: commit_fee,
                reveal_fee_sat: reveal_fee,
                kind: VersionKind::Original,
            }],
            active: 0,
            children: Vec::new(),
            commit_height: None,
            reveal_height: None,
            child_height: None,
            last_bump_height: self.tip_height,
            fees_counted: false,
        };
        self.watch.add_script(reveal.commit_script_pubkey());
        let mut batch = Batch::default();
        batch.put(&self.keyspace, &key::batch(id), &encode(&rec));
        for rid in &ids {
            if let Some(r) = self.requests.get_mut(rid) {
                r.batch = Some(id);
                batch.put(&self.keyspace, &key::request(rid), &encode(&*r));
                batch.delete(&self.keyspace, &key::queue(r.seq));
            }
        }
        self.store.write(batch)?;
        self.queue.retain(|_, rid| !ids.contains(rid));
        self.next_batch += 1;
        self.metrics.batches_cut.inc();
        tracing::info!(batch = id, envelopes = ids.len(), rate, commit = %commit.compute_txid(),
            reveal = %reveal_tx.compute_txid(), "batch signed and stored");
        self.batches.insert(
            id,
            LiveBatch {
                rec,
                pairs: vec![(commit, reveal_tx)],
                children: Vec::new(),
                refused_at: None,
            },
        );
        self.fault(CrashPoint::PersistedNotBroadcast)?;
        Ok(Some(id))
    }
}
