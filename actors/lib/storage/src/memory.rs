//! The in-memory store for simulation and tests: ordered maps behind one mutex, so a batch
//! is atomic by construction. Cloning shares the same data, which is how a simulated node
//! "restarts from disk": the actors die, the store lives on.

use crate::{check_batch, check_key, check_keyspace, Batch, Entry, Op, Store, StoreError};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

type Keyspaces = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An in-memory [`Store`].
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Keyspaces>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Keyspaces> {
        // A panic while holding the lock cannot leave a half-applied batch (batches are
        // applied to a copy-free map in one go after validation), so a poisoned lock is safe.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn bounds<'a>(from: &'a [u8], to: Option<&'a [u8]>) -> (Bound<&'a [u8]>, Bound<&'a [u8]>) {
    (
        Bound::Included(from),
        to.map_or(Bound::Unbounded, Bound::Excluded),
    )
}

impl Store for MemoryStore {
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        check_keyspace(keyspace)?;
        check_key(key)?;
        Ok(self
            .lock()
            .get(keyspace)
            .and_then(|ks| ks.get(key).cloned()))
    }

    fn write(&self, batch: Batch) -> Result<(), StoreError> {
        check_batch(&batch)?;
        let mut guard = self.lock();
        for op in batch.ops {
            match op {
                Op::Put {
                    keyspace,
                    key,
                    value,
                } => {
                    guard.entry(keyspace).or_default().insert(key, value);
                }
                Op::Delete { keyspace, key } => {
                    if let Some(ks) = guard.get_mut(&keyspace) {
                        ks.remove(&key);
                    }
                }
            }
        }
        Ok(())
    }

    fn range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        check_keyspace(keyspace)?;
        if to.is_some_and(|to| to <= from) {
            return Ok(Vec::new());
        }
        let guard = self.lock();
        let Some(ks) = guard.get(keyspace) else {
            return Ok(Vec::new());
        };
        Ok(ks
            .range::<[u8], _>(bounds(from, to))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn last_in_range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
    ) -> Result<Option<Entry>, StoreError> {
        check_keyspace(keyspace)?;
        if to.is_some_and(|to| to <= from) {
            return Ok(None);
        }
        let guard = self.lock();
        let Some(ks) = guard.get(keyspace) else {
            return Ok(None);
        };
        Ok(ks
            .range::<[u8], _>(bounds(from, to))
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }
}
