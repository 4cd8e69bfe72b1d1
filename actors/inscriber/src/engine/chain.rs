//! Applying the inscriber's indexer events: a connected block's watched transactions update
//! the wallet's coins and confirm the legs of batches; a disconnected block is undone from
//! the undo record stored with it. Effects, the undo record and the consumer cursor are
//! written in one batch, so a redelivered event is recognised and only acknowledged.

use super::{InscriberEngine, LiveBatch};
use crate::fault::CrashPoint;
use crate::records::{
    decode, encode, key, outpoint_from, outpoint_key, BatchRecord, Leg, UndoRecord, WalletCoin,
};
use crate::InscriberError;
use bitai_messages::indexer::{ConnectedBlock, ConsumerCursor, Delivery, IndexerEvent};
use bitai_messages::inscriber::BatchStage;
use bitai_storage::Batch;
use bitcoin::OutPoint;
use std::collections::BTreeSet;

impl InscriberEngine {
    /// Applies `event` unless it was applied before; returns whether to acknowledge it.
    pub fn apply_event(
        &mut self,
        cursor: &ConsumerCursor,
        event: &IndexerEvent,
    ) -> Result<bool, InscriberError> {
        match cursor.classify(self.store.as_ref(), event)? {
            Delivery::OutOfOrder => Ok(false),
            Delivery::AlreadyApplied => Ok(true),
            Delivery::Apply => {
                let mut batch = Batch::default();
                let confirmed_reveal = match event {
                    IndexerEvent::BlockConnected(b) => self.connect(b, &mut batch)?,
                    IndexerEvent::BlockDisconnected { height, .. } => {
                        self.disconnect(*height, &mut batch)?;
                        false
                    }
                };
                cursor.record(event, &mut batch);
                self.store.write(batch)?;
                if confirmed_reveal {
                    self.fault(CrashPoint::Confirmed)?;
                }
                Ok(true)
            }
        }
    }

    fn put_batch(&self, rec: &BatchRecord, out: &mut Batch) {
        out.put(&self.keyspace, &key::batch(rec.id), &encode(rec));
    }

    fn connect(&mut self, block: &ConnectedBlock, out: &mut Batch) -> Result<bool, InscriberError> {
        let h = block.height;
        let mut undo = UndoRecord::default();
        let mut touched = BTreeSet::new();
        let mut confirmed_reveal = false;
        let wallet = self.keys.script_pubkey().clone();
        for w in &block.watched_txs {
            for input in &w.tx.input {
                if let Some(coin) = self.coins.remove(&input.previous_output) {
                    undo.spent
                        .push((outpoint_key(&input.previous_output), coin));
                    out.delete(&self.keyspace, &key::coin(&input.previous_output));
                }
            }
            for (vout, o) in w.tx.output.iter().enumerate() {
                if o.script_pubkey == wallet {
                    let op = OutPoint::new(w.txid, vout as u32);
                    let coin = WalletCoin {
                        value_sat: o.value.to_sat(),
                        height: h,
                        coinbase: w.tx.is_coinbase(),
                    };
                    self.coins.insert(op, coin);
                    undo.created.push(outpoint_key(&op));
                    out.put(&self.keyspace, &key::coin(&op), &encode(&coin));
                }
            }
            for b in self.batches.values_mut() {
                let before = (b.rec.stage, b.rec.active);
                let mut leg = None;
                for (v, (commit, reveal)) in b.pairs.iter().enumerate() {
                    if commit.compute_txid() == w.txid {
                        b.rec.commit_height = Some(h);
                        b.rec.active = v as u32;
                        leg = Some(Leg::Commit);
                    } else if reveal.compute_txid() == w.txid {
                        b.rec.reveal_height = Some(h);
                        b.rec.active = v as u32;
                        b.rec.stage = BatchStage::Confirmed;
                        leg = Some(Leg::Reveal);
                        confirmed_reveal = true;
                    }
                }
                if b.children.last().map(|c| c.compute_txid()) == Some(w.txid) {
                    b.rec.child_height = Some(h);
                    leg = Some(Leg::Child);
                }
                if let Some(leg) = leg {
                    undo.legs.push((b.rec.id, leg, before.0, before.1));
                    touched.insert(b.rec.id);
                }
            }
        }
        let depth = self.cfg.finality_depth.max(1);
        let mut finalized = Vec::new();
        for b in self.batches.values_mut() {
            if let Some(r) = b.rec.reveal_height {
                let settled = b.children.is_empty() || b.rec.child_height.is_some();
                if h + 1 >= r + depth && settled && b.rec.stage != BatchStage::Final {
                    b.rec.stage = BatchStage::Final;
                    if !b.rec.fees_counted {
                        b.rec.fees_counted = true;
                        let v = b.active_version();
                        let fees = v.commit_fee_sat
                            + v.reveal_fee_sat
                            + b.rec.children.last().map_or(0, |c| c.fee_sat);
                        self.metrics.fees_paid_sat.inc_by(fees);
                    }
                    finalized.push(b.rec.id);
                    touched.insert(b.rec.id);
                }
            }
        }
        for id in &touched {
            self.put_batch(&self.batches[id].rec, out);
        }
        for id in &finalized {
            if let Some(b) = self.batches.remove(id) {
                self.finalize(&b);
            }
        }
        undo.finalized = finalized;
        out.put(&self.keyspace, &key::undo(h), &encode(&undo));
        if let Some(old) = h.checked_sub(self.cfg.cursor_keep_blocks) {
            out.delete(&self.keyspace, &key::undo(old));
        }
        self.tip_height = h;
        Ok(confirmed_reveal)
    }

    fn finalize(&mut self, b: &LiveBatch) {
        self.metrics.batches_final.inc();
        self.final_batches += 1;
        for id in &b.rec.requests {
            self.requests.remove(id);
        }
        for (commit, _) in &b.pairs {
            self.watch.remove_script(&commit.output[0].script_pubkey);
        }
        tracing::info!(batch = b.rec.id, "batch final");
    }

    fn disconnect(&mut self, h: u64, out: &mut Batch) -> Result<(), InscriberError> {
        let undo: UndoRecord = match self.store.get(&self.keyspace, &key::undo(h))? {
            Some(bytes) => decode("undo record", &bytes)?,
            None => UndoRecord::default(),
        };
        for id in &undo.finalized {
            if let Some(bytes) = self.store.get(&self.keyspace, &key::batch(*id))? {
                let mut rec: BatchRecord = decode("batch", &bytes)?;
                rec.stage = BatchStage::Confirmed;
                let live = LiveBatch::from_record(rec)?;
                for (commit, _) in &live.pairs {
                    self.watch
                        .add_script(commit.output[0].script_pubkey.clone());
                }
                self.final_batches = self.final_batches.saturating_sub(1);
                self.batches.insert(*id, live);
            }
        }
        for op in &undo.created {
            let op = outpoint_from(op);
            self.coins.remove(&op);
            out.delete(&self.keyspace, &key::coin(&op));
        }
        for (op, coin) in &undo.spent {
            let op = outpoint_from(op);
            self.coins.insert(op, *coin);
            out.put(&self.keyspace, &key::coin(&op), &encode(coin));
        }
        let mut touched = BTreeSet::new();
        for (id, leg, stage, active) in undo.legs.iter().rev() {
            if let Some(b) = self.batches.get_mut(id) {
                match leg {
                    Leg::Commit => b.rec.commit_height = None,
                    Leg::Reveal => b.rec.reveal_height = None,
                    Leg::Child => b.rec.child_height = None,
                }
                b.rec.stage = *stage;
                b.rec.active = *active;
                touched.insert(*id);
            }
        }
        for id in &undo.finalized {
            touched.insert(*id);
        }
        for id in &touched {
            if let Some(b) = self.batches.get(id) {
                tracing::warn!(batch = id, height = h, "reorg took a leg of the batch out");
                self.put_batch(&b.rec, out);
            }
        }
        out.delete(&self.keyspace, &key::undo(h));
        self.tip_height = h.saturating_sub(1);
        Ok(())
    }
}
