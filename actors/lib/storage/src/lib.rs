//! The storage port. Every actor persists through [`Store`]: named keyspaces of ordered
//! byte keys, reads, prefix and range scans, and atomic write batches that may span
//! keyspaces (an actor writes its state and its cursor in one batch, or neither).
//!
//! Two implementations: [`FjallStore`] (one fjall database per process, shared by all its
//! actors) and [`MemoryStore`] (a `BTreeMap` behind a mutex, for simulation; it outlives the
//! actors that use it, so a simulated crash loses the mailbox but not what was written).

mod batch;
mod fjall_store;
mod memory;

pub use batch::{Batch, Op};
pub use fjall_store::{Durability, FjallStore};
pub use memory::MemoryStore;

use std::sync::Arc;
use thiserror::Error;

/// A key-value pair read from a store.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Why a storage operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The keyspace name is not allowed (letters, digits, `_`, `-`, `.`, `#`; 1 to 64 bytes).
    #[error("invalid keyspace name {0:?}")]
    InvalidKeyspace(String),
    /// The key is empty or longer than [`MAX_KEY_BYTES`].
    #[error("invalid key of {len} bytes (1 to {MAX_KEY_BYTES} allowed)")]
    InvalidKey {
        /// The key's length.
        len: usize,
    },
    /// The engine failed (I/O, corruption).
    #[error("storage engine: {0}")]
    Engine(String),
    /// A stored value did not decode: the store holds something this build cannot read.
    #[error("corrupt value in {keyspace} at key {key}: {reason}")]
    Corrupt {
        /// Keyspace of the value.
        keyspace: String,
        /// Key, hex.
        key: String,
        /// What was wrong.
        reason: String,
    },
}

/// The storage port every actor receives. Implementations are cheap to clone behind an
/// `Arc` and safe to share across actors and threads.
pub trait Store: Send + Sync + 'static {
    /// Reads one value. Keys are 1 to [`MAX_KEY_BYTES`] bytes; scans and ranges take any
    /// bounds.
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Applies every operation of `batch` atomically: after a crash either all are visible or
    /// none is. Returns once the batch is durable to the configured level.
    fn write(&self, batch: Batch) -> Result<(), StoreError>;

    /// Up to `limit` entries with keys in `[from, to)` in ascending key order (`to = None`:
    /// no upper bound).
    fn range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError>;

    /// The entry with the largest key in `[from, to)`, if any.
    fn last_in_range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
    ) -> Result<Option<Entry>, StoreError>;

    /// Writes one value (a batch of one).
    fn put(&self, keyspace: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.put(keyspace, key, value);
        self.write(batch)
    }

    /// Up to `limit` entries whose key starts with `prefix`, ascending.
    fn scan_prefix(
        &self,
        keyspace: &str,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let end = prefix_end(prefix);
        self.range(keyspace, prefix, end.as_deref(), limit)
    }
}

/// A shared store handle, as actors receive it.
pub type SharedStore = Arc<dyn Store>;

/// The smallest key greater than every key starting with `prefix` (None: no such key).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Longest key a store accepts (fjall's limit is 65,536 bytes; ours leaves a margin).
pub const MAX_KEY_BYTES: usize = 4096;

/// Checks a key against the rules both implementations share.
pub(crate) fn check_key(key: &[u8]) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        Err(StoreError::InvalidKey { len: key.len() })
    } else {
        Ok(())
    }
}

/// Checks every key and keyspace of a batch before anything is applied.
pub(crate) fn check_batch(batch: &Batch) -> Result<(), StoreError> {
    for op in &batch.ops {
        check_keyspace(op.keyspace())?;
        match op {
            Op::Put { key, .. } | Op::Delete { key, .. } => check_key(key)?,
        }
    }
    Ok(())
}

/// Checks a keyspace name against the rules both implementations share.
pub(crate) fn check_keyspace(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'#'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidKeyspace(name.to_owned()))
    }
}

#[cfg(test)]
mod tests;
