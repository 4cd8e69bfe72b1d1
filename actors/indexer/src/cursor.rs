//! The indexer's persisted cursor: the hashes of the last acknowledged blocks, one key per
//! height, enough of them to find the fork point of any reorg up to `reorg_depth_max`.

use bitai_storage::{Batch, SharedStore, StoreError};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use std::collections::VecDeque;

/// The keyspace of the node's main indexer; another instance (the inscriber's) is given its own.
pub const DEFAULT_KEYSPACE: &str = "indexer";
const CHAIN_PREFIX: u8 = b'c';

fn key(height: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = CHAIN_PREFIX;
    k[1..].copy_from_slice(&height.to_be_bytes());
    k
}

/// The acknowledged chain window, in memory and in the store.
pub(crate) struct AckedChain {
    store: SharedStore,
    keyspace: String,
    /// Ascending by height, contiguous.
    blocks: VecDeque<(u64, BlockHash)>,
    keep: usize,
}

impl AckedChain {
    /// Loads the window from the store.
    pub(crate) fn load(
        store: SharedStore,
        keyspace: &str,
        keep: usize,
    ) -> Result<Self, StoreError> {
        let entries = store.range(
            keyspace,
            &[CHAIN_PREFIX],
            Some(&[CHAIN_PREFIX + 1]),
            usize::MAX,
        )?;
        let mut blocks = VecDeque::with_capacity(entries.len());
        for (k, v) in entries {
            let corrupt = |reason: &str| StoreError::Corrupt {
                keyspace: keyspace.into(),
                key: format!("{k:02x?}"),
                reason: reason.into(),
            };
            let height = u64::from_be_bytes(
                k.get(1..9)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(|| corrupt("bad key"))?,
            );
            let hash = BlockHash::from_slice(&v).map_err(|_| corrupt("bad hash"))?;
            if let Some((prev, _)) = blocks.back() {
                if height != prev + 1 {
                    return Err(corrupt("gap in the acknowledged chain"));
                }
            }
            blocks.push_back((height, hash));
        }
        Ok(Self {
            store,
            keyspace: keyspace.to_owned(),
            blocks,
            keep,
        })
    }

    pub(crate) fn tip(&self) -> Option<(u64, BlockHash)> {
        self.blocks.back().copied()
    }

    pub(crate) fn first(&self) -> Option<(u64, BlockHash)> {
        self.blocks.front().copied()
    }

    /// The stored blocks, highest first.
    pub(crate) fn iter_down(&self) -> impl Iterator<Item = &(u64, BlockHash)> {
        self.blocks.iter().rev()
    }

    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }

    pub(crate) fn below_tip(&self) -> Option<(u64, BlockHash)> {
        self.blocks
            .len()
            .checked_sub(2)
            .and_then(|i| self.blocks.get(i).copied())
    }

    /// Persists that `(height, hash)` is connected on top of the tip, pruning the window.
    pub(crate) fn connect(&mut self, height: u64, hash: BlockHash) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.put(&self.keyspace, &key(height), hash.as_byte_array());
        let mut pruned = 0;
        while self.blocks.len() + 1 - pruned > self.keep {
            let (h, _) = self.blocks[pruned];
            batch.delete(&self.keyspace, &key(h));
            pruned += 1;
        }
        self.store.write(batch)?;
        self.blocks.drain(..pruned);
        self.blocks.push_back((height, hash));
        Ok(())
    }

    /// Persists that the tip `(height, _)` is disconnected.
    pub(crate) fn disconnect(&mut self, height: u64) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.delete(&self.keyspace, &key(height));
        self.store.write(batch)?;
        self.blocks.pop_back();
        Ok(())
    }
}
