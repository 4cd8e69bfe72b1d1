//! The inscriber's state and the work it does on it, apart from the actor plumbing: requests
//! in, batches cut in arrival order, each batch's persisted state machine driven against the
//! node's mempool and the indexer's blocks.
//!
//! Ordering is enforced by Bitcoin itself: batch `k + 1` is cut only once batch `k` is
//! confirmed, and its commit spends batch `k`'s last wallet output (the reveal's, or its CPFP
//! child's), so no reorg can put batch `k + 1`'s envelopes before batch `k`'s. Every version
//! of a batch's commit spends the same inputs and every version of its reveal spends its
//! commit's output, so at most one reveal per batch can ever confirm.

mod chain;
mod cut;
mod reanchor;
mod tend;
#[cfg(test)]
mod tests;

use crate::config::InscriberConfig;
use crate::fault::{CrashPoint, SharedFaults};
use crate::metrics::InscriberMetrics;
use crate::records::{
    decode, decode_tx, encode, key, BatchRecord, InscriptionRequest, PairVersion, WalletCoin,
};
use crate::wallet::WalletKeys;
use crate::InscriberError;
use bitai_bitcoin::SharedBitcoin;
use bitai_messages::indexer::WatchFilter;
use bitai_messages::inscriber::{
    BatchStage, BatchStatus, Carrier, InscribeOutcome, InscriberStatus, RequestId,
};
use bitai_protocol::limits::MAX_TX_BYTES;
use bitai_storage::{Batch, SharedStore};
use bitcoin::{OutPoint, Transaction, Txid};
use std::collections::{BTreeMap, BTreeSet};

/// A batch that is not final, with its transactions decoded.
pub(crate) struct LiveBatch {
    pub(crate) rec: BatchRecord,
    pub(crate) pairs: Vec<(Transaction, Transaction)>,
    pub(crate) children: Vec<Transaction>,
    /// The tip height at which the node last refused this batch's active commit as a
    /// conflict: it is sent again only once a block has come (not on every poll).
    pub(crate) refused_at: Option<u64>,
}

impl LiveBatch {
    pub(crate) fn from_record(rec: BatchRecord) -> Result<Self, InscriberError> {
        if rec.active as usize >= rec.versions.len() || rec.requests.is_empty() {
            return Err(InscriberError::Corrupt {
                what: "batch",
                reason: format!(
                    "batch {} has {} versions, active {}, {} requests",
                    rec.id,
                    rec.versions.len(),
                    rec.active,
                    rec.requests.len()
                ),
            });
        }
        let pairs = rec
            .versions
            .iter()
            .map(|v| Ok((decode_tx(&v.commit)?, decode_tx(&v.reveal)?)))
            .collect::<Result<Vec<_>, InscriberError>>()?;
        let children = rec
            .children
            .iter()
            .map(|c| decode_tx(&c.tx))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            rec,
            pairs,
            children,
            refused_at: None,
        })
    }

    pub(crate) fn active(&self) -> &(Transaction, Transaction) {
        &self.pairs[self.rec.active as usize]
    }

    pub(crate) fn active_version(&self) -> &PairVersion {
        &self.rec.versions[self.rec.active as usize]
    }

    /// Open: something of it is not yet in a block.
    pub(crate) fn open(&self) -> bool {
        self.rec.stage < BatchStage::Confirmed
            || (!self.children.is_empty() && self.rec.child_height.is_none())
    }
}

/// Everything the inscriber knows and the ports it acts through.
pub struct InscriberEngine {
    pub(crate) cfg: InscriberConfig,
    pub(crate) keyspace: String,
    pub(crate) store: SharedStore,
    pub(crate) bitcoin: SharedBitcoin,
    pub(crate) keys: WalletKeys,
    pub(crate) watch: WatchFilter,
    pub(crate) metrics: InscriberMetrics,
    pub(crate) faults: Option<SharedFaults>,
    pub(crate) requests: BTreeMap<RequestId, InscriptionRequest>,
    pub(crate) queue: BTreeMap<u64, RequestId>,
    pub(crate) batches: BTreeMap<u64, LiveBatch>,
    pub(crate) coins: BTreeMap<OutPoint, WalletCoin>,
    pub(crate) tip_height: u64,
    pub(crate) caught_up: bool,
    next_seq: u64,
    pub(crate) next_batch: u64,
    final_batches: u64,
}

/// What [`InscriberEngine::load`] needs.
pub struct EngineParts {
    /// Configuration.
    pub cfg: InscriberConfig,
    /// The inscriber's keyspace.
    pub keyspace: String,
    /// The store.
    pub store: SharedStore,
    /// The node.
    pub bitcoin: SharedBitcoin,
    /// The wallet.
    pub keys: WalletKeys,
    /// The inscriber's indexer's watch filter.
    pub watch: WatchFilter,
    /// Metrics.
    pub metrics: InscriberMetrics,
    /// Fault injection (tests).
    pub faults: Option<SharedFaults>,
    /// Height of the last block applied (from the consumer cursor).
    pub tip_height: u64,
}

impl InscriberEngine {
    /// Loads the state from the store and makes sure the watch filter covers it.
    pub fn load(parts: EngineParts) -> Result<Self, InscriberError> {
        let EngineParts {
            cfg,
            keyspace,
            store,
            bitcoin,
            keys,
            watch,
            metrics,
            faults,
            tip_height,
        } = parts;
        let ks = keyspace.as_str();
        let mut requests = BTreeMap::new();
        let mut next_seq = 0;
        for (k, v) in store.scan_prefix(ks, &[key::REQUEST], usize::MAX)? {
            let rec: InscriptionRequest = decode("request", &v)?;
            let id: RequestId =
                k.get(1..33)
                    .and_then(|s| s.try_into().ok())
                    .ok_or(InscriberError::Corrupt {
                        what: "request key",
                        reason: format!("{} bytes", k.len()),
                    })?;
            next_seq = next_seq.max(rec.seq + 1);
            requests.insert(id, rec);
        }
        let mut queue = BTreeMap::new();
        for (_, v) in store.scan_prefix(ks, &[key::QUEUE], usize::MAX)? {
            let id: RequestId = v
                .as_slice()
                .try_into()
                .map_err(|_| InscriberError::Corrupt {
                    what: "queue entry",
                    reason: "not a request id".into(),
                })?;
            let seq = requests
                .get(&id)
                .map(|r| r.seq)
                .ok_or(InscriberError::Corrupt {
                    what: "queue entry",
                    reason: "names an unknown request".into(),
                })?;
            queue.insert(seq, id);
        }
        let mut batches = BTreeMap::new();
        let mut next_batch = 0;
        let mut final_batches = 0;
        for (_, v) in store.scan_prefix(ks, &[key::BATCH], usize::MAX)? {
            let rec: BatchRecord = decode("batch", &v)?;
            next_batch = next_batch.max(rec.id + 1);
            if rec.stage == BatchStage::Final {
                final_batches += 1;
                for id in &rec.requests {
                    requests.remove(id);
                }
                continue;
            }
            #[cfg(feature = "planted-bugs")]
            if bitai_runtime::planted::on("batch_inscribed_twice_after_crash")
                && rec.reveal_height.is_some()
            {
                // The bug: a restart forgets a batch already on Bitcoin and queues its
                // requests again, so they are inscribed a second time.
                for id in &rec.requests {
                    if let Some(r) = requests.get_mut(id) {
                        r.batch = None;
                        queue.insert(r.seq, *id);
                    }
                }
                continue;
            }
            batches.insert(rec.id, LiveBatch::from_record(rec)?);
        }
        let mut coins = BTreeMap::new();
        for (k, v) in store.scan_prefix(ks, &[key::COIN], usize::MAX)? {
            let coin: WalletCoin = decode("coin", &v)?;
            let txid: [u8; 32] =
                k.get(1..33)
                    .and_then(|s| s.try_into().ok())
                    .ok_or(InscriberError::Corrupt {
                        what: "coin key",
                        reason: format!("{} bytes", k.len()),
                    })?;
            let vout: [u8; 4] =
                k.get(33..37)
                    .and_then(|s| s.try_into().ok())
                    .ok_or(InscriberError::Corrupt {
                        what: "coin key",
                        reason: format!("{} bytes", k.len()),
                    })?;
            coins.insert(
                crate::records::outpoint_from(&(txid, u32::from_be_bytes(vout))),
                coin,
            );
        }
        watch.add_script(keys.script_pubkey().clone());
        let engine = Self {
            cfg,
            keyspace,
            store,
            bitcoin,
            keys,
            watch,
            metrics,
            faults,
            requests,
            queue,
            batches,
            coins,
            tip_height,
            caught_up: false,
            next_seq,
            next_batch,
            final_batches,
        };
        for b in engine.batches.values() {
            for (commit, _) in &b.pairs {
                engine
                    .watch
                    .add_script(commit.output[0].script_pubkey.clone());
            }
        }
        engine.update_gauges();
        Ok(engine)
    }

    pub(crate) fn fault(&self, point: CrashPoint) -> Result<(), InscriberError> {
        match &self.faults {
            Some(f) if f.crash_at(point) => {
                tracing::warn!(?point, "injected crash");
                Err(InscriberError::Injected(point))
            }
            _ => Ok(()),
        }
    }

    /// Accepts a request: stored before this returns; idempotent on `id`.
    pub fn inscribe(
        &mut self,
        id: RequestId,
        payload: Vec<u8>,
    ) -> Result<InscribeOutcome, InscriberError> {
        if payload.is_empty() || payload.len() > MAX_TX_BYTES {
            return Err(InscriberError::PayloadTooLarge {
                len: payload.len(),
                max: MAX_TX_BYTES,
            });
        }
        if self.requests.contains_key(&id)
            || self
                .store
                .get(&self.keyspace, &key::request(&id))?
                .is_some()
        {
            return Ok(InscribeOutcome::Duplicate);
        }
        let seq = self.next_seq;
        let rec = InscriptionRequest {
            seq,
            payload,
            batch: None,
        };
        let mut batch = Batch::default();
        batch.put(&self.keyspace, &key::request(&id), &encode(&rec));
        batch.put(&self.keyspace, &key::queue(seq), &id);
        self.store.write(batch)?;
        self.next_seq += 1;
        self.requests.insert(id, rec);
        self.queue.insert(seq, id);
        self.metrics.requests_accepted.inc();
        self.update_gauges();
        Ok(InscribeOutcome::Accepted)
    }

    /// The fee rate to pay now: the node's estimate clamped to the floor and ceiling, sat/kvB.
    pub(crate) fn fee_rate_sat_per_kvb(&self) -> u64 {
        let floor = self.cfg.fee_rate_floor_sat_per_vb * 1000;
        let ceiling = self.cfg.fee_rate_ceiling_sat_per_vb * 1000;
        let estimate = match self
            .bitcoin
            .estimate_fee_rate(self.cfg.effective_confirm_target())
        {
            Ok(rate) => rate.to_sat_per_kwu() * 4,
            Err(e) => {
                tracing::warn!(error = %e, "fee estimate failed; using the floor");
                floor
            }
        };
        estimate.clamp(floor, ceiling.max(floor))
    }

    /// Coins spent by transactions of ours that are not yet confirmed.
    pub(crate) fn locked(&self) -> BTreeSet<OutPoint> {
        let mut locked = BTreeSet::new();
        for b in self.batches.values() {
            if b.rec.commit_height.is_none() {
                locked.extend(b.active().0.input.iter().map(|i| i.previous_output));
            }
            if let (Some(child), None) = (b.children.last(), b.rec.child_height) {
                locked.extend(child.input.iter().map(|i| i.previous_output));
            }
        }
        locked
    }

    /// Spendable coins (unlocked, and mature in the next block), largest first.
    pub(crate) fn spendable(&self) -> Vec<(OutPoint, u64)> {
        let locked = self.locked();
        let next = self.tip_height + 1;
        let mut coins: Vec<(OutPoint, u64)> = self
            .coins
            .iter()
            .filter(|(op, _)| !locked.contains(op))
            .filter(|(_, c)| !c.coinbase || next >= c.height + crate::records::COINBASE_MATURITY)
            .map(|(op, c)| (*op, c.value_sat))
            .collect();
        coins.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        coins
    }

    pub(crate) fn update_gauges(&self) {
        let balance: u64 = self.spendable().iter().map(|(_, v)| v).sum();
        self.metrics.balance_sat.set(balance as i64);
        let low = balance < self.cfg.low_funds_sat;
        self.metrics.funds_below_threshold.set(i64::from(low));
        let queued: u64 = self
            .queue
            .values()
            .filter_map(|id| self.requests.get(id))
            .map(|r| r.payload.len() as u64)
            .sum();
        let unconfirmed: u64 = self
            .batches
            .values()
            .filter(|b| b.rec.stage < BatchStage::Confirmed)
            .map(|b| b.active().1.weight().to_wu())
            .sum();
        self.metrics
            .pending_weight_wu
            .set((queued + unconfirmed) as i64);
    }

    fn payloads_of(&self, rec: &BatchRecord) -> Result<Vec<Vec<u8>>, InscriberError> {
        rec.requests
            .iter()
            .map(|id| match self.requests.get(id) {
                Some(r) => Ok(r.payload.clone()),
                None => {
                    let bytes = self.store.get(&self.keyspace, &key::request(id))?.ok_or(
                        InscriberError::Corrupt {
                            what: "batch",
                            reason: "names an unknown request".into(),
                        },
                    )?;
                    Ok(decode::<InscriptionRequest>("request", &bytes)?.payload)
                }
            })
            .collect()
    }

    pub(crate) fn persist(&self, id: u64) -> Result<(), InscriberError> {
        if let Some(b) = self.batches.get(&id) {
            self.store
                .put(&self.keyspace, &key::batch(id), &encode(&b.rec))?;
        }
        Ok(())
    }

    /// Whether the applied blocks reach the node's tip: only then are the wallet's coins and
    /// the batches' confirmations current enough to cut or bump on.
    fn caught_up(&self) -> bool {
        match self.bitcoin.tip() {
            Ok(tip) => self.tip_height >= tip.height,
            Err(e) => {
                tracing::warn!(error = %e, "tip unknown");
                false
            }
        }
    }

    /// One round of work: tend every live batch (bumping only on a caught-up view), then cut
    /// the next batch if it is due.
    pub fn drive(&mut self) -> Result<(), InscriberError> {
        self.caught_up = self.caught_up();
        let ids: Vec<u64> = self.batches.keys().copied().collect();
        for id in ids {
            self.tend(id)?;
        }
        if !self.caught_up {
            return Ok(());
        }
        match self.cut() {
            Ok(Some(id)) => self.tend(id)?,
            Ok(None) => {}
            Err(InscriberError::InsufficientFunds {
                needed_sat,
                available_sat,
            }) => {
                tracing::warn!(
                    needed_sat,
                    available_sat,
                    "inscriber wallet cannot fund a batch"
                );
            }
            Err(e) => return Err(e),
        }
        self.update_gauges();
        Ok(())
    }

    /// The batches and the queue, for operators.
    pub fn status(&self) -> InscriberStatus {
        InscriberStatus {
            address: self.keys.address().to_string(),
            tip_height: self.tip_height,
            queued: self.queue.len(),
            final_batches: self.final_batches,
            spendable_sat: self.spendable().iter().map(|(_, v)| v).sum(),
            batches: self
                .batches
                .values()
                .map(|b| BatchStatus {
                    id: b.rec.id,
                    stage: b.rec.stage,
                    envelopes: b.rec.requests.len(),
                    versions: b.rec.versions.len(),
                    children: b.rec.children.len(),
                    commit_txid: b.active().0.compute_txid(),
                    reveal_txid: b.active().1.compute_txid(),
                    fee_rate_sat_per_kvb: b.active_version().fee_rate_sat_per_kvb,
                    reveal_height: b.rec.reveal_height,
                })
                .collect(),
        }
    }

    /// The live batch carrying request `id`, with its active reveal.
    pub fn carrier(&self, id: &RequestId) -> Option<Carrier> {
        self.batches
            .values()
            .find(|b| b.rec.requests.contains(id))
            .map(|b| Carrier {
                batch_id: b.rec.id,
                stage: b.rec.stage,
                reveal_txid: b.active().1.compute_txid(),
                reveal_height: b.rec.reveal_height,
            })
    }

    /// The active commit and reveal of a live batch (tests and status).
    pub fn active_pair(&self, id: u64) -> Option<(Transaction, Transaction)> {
        self.batches.get(&id).map(|b| b.active().clone())
    }

    /// Txids of every version of a live batch (tests and status).
    pub fn batch_txids(&self, id: u64) -> Vec<Txid> {
        self.batches.get(&id).map_or_else(Vec::new, |b| {
            b.pairs
                .iter()
                .flat_map(|(c, r)| [c.compute_txid(), r.compute_txid()])
                .chain(b.children.iter().map(Transaction::compute_txid))
                .collect()
        })
    }
}
