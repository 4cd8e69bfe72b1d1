//! The mempool's core, without the actor: the accepted entries in acceptance order, their
//! projection over the latest state view, and the store that keeps them.
//!
//! A submission is checked (size, duplicate, room, the shared rules against the projection,
//! Bitcoin's fee rate, then the proof), persisted, and only then applied to the projection and
//! answered. A new view drops the entries whose effect landed and re-checks the rest in order
//! against a fresh projection, evicting those that can no longer land.

use crate::config::MempoolConfig;
use crate::metrics::MempoolMetrics;
use crate::projection::{final_in, landed, Depth, Projection};
use crate::records::{self, entry_key, EntryRecord, ENTRY, KEYSPACE, NEXT_SEQ};
use bitai_bitcoin::BitcoinPort;
use bitai_contract::{block_of, chain_of};
use bitai_messages::mempool::{
    MempoolReject, MempoolRejection, MempoolStatus, PendingEntry, REJECTIONS_KEPT,
};
use bitai_messages::statemachine::StateView;
use bitai_protocol::{decode_tx, encode_tx, BitaiTx, DecodeError, EncodeError, Hash32};
use bitai_storage::{Batch, SharedStore, StoreError};
use std::collections::{BTreeMap, VecDeque};

/// Whether [`Pool::reconcile`] may evict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Evict {
    /// Evict entries that can no longer land (a view the state machine published).
    Yes,
    /// Do not: at start the view may still be the placeholder the state machine has not yet
    /// replaced with its stored state, and evicting against it would delete every entry.
    No,
}

/// An accepted entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: Hash32,
    pub(crate) tx: BitaiTx,
    pub(crate) payload: Vec<u8>,
    pub(crate) handed: bool,
}

/// The pool of accepted entries.
pub(crate) struct Pool {
    config: MempoolConfig,
    store: SharedStore,
    metrics: MempoolMetrics,
    entries: BTreeMap<u64, Entry>,
    by_id: BTreeMap<Hash32, u64>,
    next_seq: u64,
    projection: Projection,
    rejected: VecDeque<MempoolRejection>,
}

impl Pool {
    /// Loads the entries from the store, then reconciles them with `view`.
    pub(crate) fn load(
        config: MempoolConfig,
        store: SharedStore,
        metrics: MempoolMetrics,
        view: &StateView,
    ) -> Result<Self, StoreError> {
        let mut entries = BTreeMap::new();
        let mut by_id = BTreeMap::new();
        for (k, v) in store.scan_prefix(KEYSPACE, &[ENTRY], usize::MAX)? {
            let seq = records::seq_of(&k)?;
            let rec: EntryRecord = records::decode(&k, &v)?;
            let tx = decode_tx(&rec.payload).map_err(|e| records::corrupt_payload(&k, e))?;
            by_id.insert(rec.id, seq);
            entries.insert(
                seq,
                Entry {
                    id: rec.id,
                    tx,
                    payload: rec.payload,
                    handed: rec.handed,
                },
            );
        }
        let stored_next = match store.get(KEYSPACE, NEXT_SEQ)? {
            Some(v) => records::decode::<u64>(NEXT_SEQ, &v)?,
            None => 0,
        };
        let next_seq = entries
            .keys()
            .next_back()
            .map_or(stored_next, |s| stored_next.max(s + 1));
        let mut pool = Self {
            config,
            store,
            metrics,
            entries,
            by_id,
            next_seq,
            projection: Projection::default(),
            rejected: VecDeque::new(),
        };
        pool.reconcile(view, Evict::No)?;
        Ok(pool)
    }

    fn note_rejection(&mut self, r: MempoolRejection) {
        if self.rejected.len() >= REJECTIONS_KEPT {
            self.rejected.pop_front();
        }
        self.rejected.push_back(r);
    }

    /// Checks, persists and accepts `tx`; answers its id. A transaction already pending is
    /// answered with its id and not queued twice.
    pub(crate) fn submit(
        &mut self,
        tx: BitaiTx,
        bitcoin: &dyn BitcoinPort,
    ) -> Result<Hash32, MempoolReject> {
        let kind = tx.kind();
        let outcome = self.try_submit(tx.clone(), bitcoin);
        match &outcome {
            Ok(_) => {}
            Err(e) => {
                self.metrics
                    .rejected
                    .with_label_values(&[kind, e.label()])
                    .inc();
                tracing::warn!(kind, chain = ?chain_of(&tx), block = ?block_of(&tx),
                    reason = %e, "BitAI transaction refused by the mempool");
                let id = encode_tx(&tx).ok().map(|p| Hash32::sha256(&p));
                self.note_rejection(MempoolRejection {
                    id,
                    kind,
                    chain: chain_of(&tx),
                    block: block_of(&tx),
                    reason: e.to_string(),
                    label: e.label(),
                    evicted: false,
                });
            }
        }
        outcome
    }

    fn try_submit(
        &mut self,
        tx: BitaiTx,
        bitcoin: &dyn BitcoinPort,
    ) -> Result<Hash32, MempoolReject> {
        let payload = encode_tx(&tx).map_err(|e| match e {
            EncodeError::OverLimit(DecodeError::TooLarge { len, max }) => {
                MempoolReject::TooLarge { len, max }
            }
            other => MempoolReject::Malformed(other.to_string()),
        })?;
        let id = Hash32::sha256(&payload);
        if self.by_id.contains_key(&id) {
            return Ok(id);
        }
        if self.entries.len() >= self.config.max_pending {
            return Err(MempoolReject::Full {
                max: self.config.max_pending,
            });
        }
        let rules = self.config.registry_rules();
        self.projection
            .check(&tx, &rules, Depth::Sequence)
            .map_err(MempoolReject::Invalid)?;
        let fee_rate = bitcoin
            .estimate_fee_rate(self.config.fee_target_blocks)
            .map_err(|e| MempoolReject::FeeRateUnavailable(e.to_string()))?
            .to_sat_per_vb_ceil();
        if fee_rate > self.config.max_fee_rate_sat_per_vb {
            return Err(MempoolReject::FeeRateTooHigh {
                fee_rate_sat_per_vb: fee_rate,
                max: self.config.max_fee_rate_sat_per_vb,
            });
        }
        self.projection
            .check(&tx, &rules, Depth::Full)
            .map_err(MempoolReject::Invalid)?;

        let seq = self.next_seq;
        let rec = EntryRecord {
            id,
            payload: payload.clone(),
            handed: false,
        };
        let mut batch = Batch::default();
        batch.put(KEYSPACE, &entry_key(seq), &records::encode(&rec));
        batch.put(KEYSPACE, NEXT_SEQ, &records::encode(&(seq + 1)));
        self.store
            .write(batch)
            .map_err(|e| MempoolReject::Store(e.to_string()))?;

        self.next_seq = seq + 1;
        self.projection.apply(&tx);
        self.metrics.accepted.with_label_values(&[tx.kind()]).inc();
        tracing::info!(%id, kind = tx.kind(), chain = ?chain_of(&tx), block = ?block_of(&tx),
            "BitAI transaction accepted");
        self.by_id.insert(id, seq);
        self.entries.insert(
            seq,
            Entry {
                id,
                tx,
                payload,
                handed: false,
            },
        );
        self.metrics.pending.set(self.entries.len() as i64);
        Ok(id)
    }

    /// Drops the entries whose effect is final in `view`, keeps those that landed but are not
    /// final (a reorg may take them out again; the view already counts them), re-checks the
    /// others in order against a fresh projection of `view`, and evicts those that can no
    /// longer land (with [`Evict::No`], keeps them out of the projection but stored, until a
    /// later view).
    pub(crate) fn reconcile(&mut self, view: &StateView, evict: Evict) -> Result<(), StoreError> {
        let rules = self.config.registry_rules();
        let mut projection = Projection::from_view(view);
        let mut batch = Batch::default();
        let mut gone = Vec::new();
        let mut evictions = Vec::new();
        for (seq, e) in &self.entries {
            if final_in(view, &e.tx, self.config.finality_depth) {
                batch.delete(KEYSPACE, &entry_key(*seq));
                gone.push(*seq);
                self.metrics.landed.inc();
                continue;
            }
            if landed(view, &e.tx) {
                continue;
            }
            match projection.check(&e.tx, &rules, Depth::Sequence) {
                Ok(()) => projection.apply(&e.tx),
                Err(err) if evict == Evict::No => {
                    tracing::info!(id = %e.id, reason = %err,
                        "mempool entry does not fit the view at start; kept until the next view");
                }
                Err(err) => {
                    tracing::warn!(id = %e.id, kind = e.tx.kind(), chain = ?chain_of(&e.tx),
                        block = ?block_of(&e.tx), handed = e.handed, reason = %err,
                        "mempool entry evicted: it can no longer land");
                    self.metrics.evicted.with_label_values(&[err.label()]).inc();
                    batch.delete(KEYSPACE, &entry_key(*seq));
                    gone.push(*seq);
                    evictions.push(MempoolRejection {
                        id: Some(e.id),
                        kind: e.tx.kind(),
                        chain: chain_of(&e.tx),
                        block: block_of(&e.tx),
                        reason: err.to_string(),
                        label: err.label(),
                        evicted: true,
                    });
                }
            }
        }
        if !batch.is_empty() {
            self.store.write(batch)?;
        }
        for seq in gone {
            if let Some(e) = self.entries.remove(&seq) {
                self.by_id.remove(&e.id);
            }
        }
        for r in evictions {
            self.note_rejection(r);
        }
        self.projection = projection;
        self.metrics.pending.set(self.entries.len() as i64);
        Ok(())
    }

    /// The first `limit` entries not yet acknowledged by the inscriber, in acceptance order.
    pub(crate) fn unhanded(&self, limit: usize) -> Vec<(u64, Hash32, Vec<u8>)> {
        self.entries
            .iter()
            .filter(|(_, e)| !e.handed)
            .take(limit)
            .map(|(seq, e)| (*seq, e.id, e.payload.clone()))
            .collect()
    }

    /// Records that the inscriber acknowledged entry `seq`.
    pub(crate) fn mark_handed(&mut self, seq: u64) -> Result<(), StoreError> {
        let Some(e) = self.entries.get_mut(&seq) else {
            return Ok(());
        };
        let rec = EntryRecord {
            id: e.id,
            payload: e.payload.clone(),
            handed: true,
        };
        self.store
            .put(KEYSPACE, &entry_key(seq), &records::encode(&rec))?;
        e.handed = true;
        self.metrics.handed.inc();
        Ok(())
    }

    /// The store the pool writes to.
    pub(crate) fn store(&self) -> SharedStore {
        self.store.clone()
    }

    /// The status report (without the deferred count, which the actor adds).
    pub(crate) fn status(&self) -> MempoolStatus {
        MempoolStatus {
            pending: self
                .entries
                .iter()
                .map(|(seq, e)| PendingEntry {
                    seq: *seq,
                    id: e.id,
                    kind: e.tx.kind(),
                    chain: chain_of(&e.tx).unwrap_or_default(),
                    block: block_of(&e.tx),
                    handed: e.handed,
                })
                .collect(),
            accepted_through: self
                .projection
                .chains
                .iter()
                .map(|(id, c)| (*id, c.verified_block))
                .collect(),
            rejected: self.rejected.clone(),
            deferred: 0,
        }
    }
}
