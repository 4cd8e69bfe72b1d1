//! The consumer's side of the delivery contract. A consumer keeps a [`ConsumerCursor`] in
//! its own keyspace, asks it what to do with each event ([`Delivery`]), writes its effects and
//! the cursor's update in one batch, and only then acknowledges. Redelivered events are
//! recognised and only acknowledged, so every block is applied exactly once net of
//! disconnections, whatever crashed when.

use super::IndexerEvent;
use bitai_storage::{Batch, Store, StoreError};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

/// What a consumer should do with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// New: apply it (and record it in the same batch), then acknowledge.
    Apply,
    /// Already applied before a crash or a redelivery: only acknowledge.
    AlreadyApplied,
    /// Does not follow the consumer's chain: neither apply nor acknowledge (the indexer will
    /// redeliver in order).
    OutOfOrder,
}

/// A consumer's record of the blocks it applied: height to hash, in its own keyspace.
pub struct ConsumerCursor {
    keyspace: String,
    keep: u64,
}

fn key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

impl ConsumerCursor {
    /// A cursor in `keyspace`, remembering the last `keep` blocks (at least the indexer's
    /// `reorg_depth_max + 1`).
    pub fn new(keyspace: &str, keep: u64) -> Self {
        Self {
            keyspace: keyspace.to_owned(),
            keep: keep.max(2),
        }
    }

    /// The last applied block.
    pub fn tip(&self, store: &dyn Store) -> Result<Option<(u64, BlockHash)>, StoreError> {
        match store.last_in_range(&self.keyspace, &[], None)? {
            None => Ok(None),
            Some((k, v)) => Ok(Some((
                decode_height(&self.keyspace, &k)?,
                decode_hash(&self.keyspace, &v)?,
            ))),
        }
    }

    fn hash_at(&self, store: &dyn Store, height: u64) -> Result<Option<BlockHash>, StoreError> {
        store
            .get(&self.keyspace, &key(height))?
            .map(|v| decode_hash(&self.keyspace, &v))
            .transpose()
    }

    /// Classifies `event` against what was applied.
    pub fn classify(
        &self,
        store: &dyn Store,
        event: &IndexerEvent,
    ) -> Result<Delivery, StoreError> {
        let tip = self.tip(store)?;
        Ok(match event {
            IndexerEvent::BlockConnected(b) => match tip {
                None => Delivery::Apply,
                Some((h, hash)) if h + 1 == b.height && hash == b.prev_hash => Delivery::Apply,
                Some((h, _)) if b.height <= h => {
                    if self.hash_at(store, b.height)? == Some(b.hash) {
                        Delivery::AlreadyApplied
                    } else {
                        Delivery::OutOfOrder
                    }
                }
                Some(_) => Delivery::OutOfOrder,
            },
            IndexerEvent::BlockDisconnected { height, hash } => match tip {
                Some((h, tip_hash)) if h == *height && tip_hash == *hash => Delivery::Apply,
                Some((h, _)) if h < *height => Delivery::AlreadyApplied,
                None => Delivery::AlreadyApplied,
                Some(_) => match self.hash_at(store, *height)? {
                    Some(stored) if stored == *hash => Delivery::OutOfOrder,
                    _ => Delivery::AlreadyApplied,
                },
            },
        })
    }

    /// Adds the cursor's update for an applied `event` to `batch`.
    pub fn record(&self, event: &IndexerEvent, batch: &mut Batch) {
        match event {
            IndexerEvent::BlockConnected(b) => {
                batch.put(&self.keyspace, &key(b.height), b.hash.as_byte_array());
                if let Some(old) = b.height.checked_sub(self.keep) {
                    batch.delete(&self.keyspace, &key(old));
                }
            }
            IndexerEvent::BlockDisconnected { height, .. } => {
                batch.delete(&self.keyspace, &key(*height));
            }
        }
    }
}

fn decode_height(keyspace: &str, k: &[u8]) -> Result<u64, StoreError> {
    k.try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Corrupt {
            keyspace: keyspace.into(),
            key: format!("{k:02x?}"),
            reason: "cursor key is not a height".into(),
        })
}

fn decode_hash(keyspace: &str, v: &[u8]) -> Result<BlockHash, StoreError> {
    BlockHash::from_slice(v).map_err(|_| StoreError::Corrupt {
        keyspace: keyspace.into(),
        key: String::new(),
        reason: "cursor value is not a block hash".into(),
    })
}
