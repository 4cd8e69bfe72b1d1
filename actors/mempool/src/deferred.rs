//! Proofs from the prover pool that were refused for a transient reason (fee rate above the
//! limit, mempool full, storage failure), kept in arrival order and retried on every tick.
//! The pool emits each proof once and forgets it, so they are persisted (keyspace `mempool`,
//! `d` + sequence number) and survive a restart: a fee spike delays a chain's proofs rather
//! than losing them.

use crate::records::{self, KEYSPACE};
use bitai_protocol::{decode_tx, encode_tx, BitaiTx};
use bitai_storage::{SharedStore, StoreError};
use std::collections::VecDeque;

const DEFERRED: u8 = b'd';

fn key(seq: u64) -> Vec<u8> {
    let mut k = vec![DEFERRED];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The deferred proofs, oldest first.
pub(crate) struct Deferred {
    store: SharedStore,
    items: VecDeque<(u64, BitaiTx)>,
    next_seq: u64,
    max: usize,
}

impl Deferred {
    /// Loads the deferred proofs from the store; at most `max` are kept.
    pub(crate) fn load(store: SharedStore, max: usize) -> Result<Self, StoreError> {
        let mut items = VecDeque::new();
        for (k, v) in store.scan_prefix(KEYSPACE, &[DEFERRED], usize::MAX)? {
            let seq = records::seq_of(&k)?;
            let payload: Vec<u8> = records::decode(&k, &v)?;
            let tx = decode_tx(&payload).map_err(|e| records::corrupt_payload(&k, e))?;
            items.push_back((seq, tx));
        }
        let next_seq = items.back().map_or(0, |(s, _)| s + 1);
        Ok(Self {
            store,
            items,
            next_seq,
            max,
        })
    }

    /// Number of deferred proofs.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether none is deferred.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The oldest deferred proof.
    pub(crate) fn front(&self) -> Option<&BitaiTx> {
        self.items.front().map(|(_, tx)| tx)
    }

    /// Persists `tx` at the back; false (and nothing stored) when at the bound.
    pub(crate) fn push(&mut self, tx: BitaiTx) -> Result<bool, StoreError> {
        if self.items.len() >= self.max {
            return Ok(false);
        }
        let Ok(payload) = encode_tx(&tx) else {
            // Not encodable: the mempool refuses it for good, nothing to retry.
            return Ok(false);
        };
        let seq = self.next_seq;
        self.store
            .put(KEYSPACE, &key(seq), &records::encode(&payload))?;
        self.next_seq = seq + 1;
        self.items.push_back((seq, tx));
        Ok(true)
    }

    /// Removes the oldest deferred proof (retried: accepted or refused for good).
    pub(crate) fn pop(&mut self) -> Result<(), StoreError> {
        if let Some((seq, _)) = self.items.front() {
            self.store.write({
                let mut b = bitai_storage::Batch::default();
                b.delete(KEYSPACE, &key(*seq));
                b
            })?;
            self.items.pop_front();
        }
        Ok(())
    }
}
