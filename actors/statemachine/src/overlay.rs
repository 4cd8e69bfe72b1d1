//! A block's pending writes over the store, recording each changed key's prior value the
//! first time it is touched: what a connected block writes becomes one batch, and the priors
//! become its undo journal.

use crate::records::{Journal, KEYSPACE};
use bitai_storage::{Batch, Store, StoreError};
use std::collections::BTreeMap;

/// Pending writes of one block over `store`'s [`KEYSPACE`].
pub(crate) struct Overlay<'a> {
    store: &'a dyn Store,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    priors: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl<'a> Overlay<'a> {
    pub(crate) fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            writes: BTreeMap::new(),
            priors: Vec::new(),
        }
    }

    /// The value at `key` as the block sees it (its own writes first).
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.writes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.store.get(KEYSPACE, key),
        }
    }

    fn note_prior(&mut self, key: &[u8]) -> Result<(), StoreError> {
        if !self.writes.contains_key(key) {
            let prior = self.store.get(KEYSPACE, key)?;
            self.priors.push((key.to_vec(), prior));
        }
        Ok(())
    }

    pub(crate) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
        self.note_prior(&key)?;
        self.writes.insert(key, Some(value));
        Ok(())
    }

    pub(crate) fn delete(&mut self, key: Vec<u8>) -> Result<(), StoreError> {
        self.note_prior(&key)?;
        self.writes.insert(key, None);
        Ok(())
    }

    /// Adds the writes to `batch` and returns the undo journal.
    pub(crate) fn finish(self, batch: &mut Batch) -> Journal {
        for (key, value) in &self.writes {
            match value {
                Some(v) => batch.put(KEYSPACE, key, v),
                None => batch.delete(KEYSPACE, key),
            };
        }
        #[allow(unused_mut)]
        let mut priors = self.priors;
        #[cfg(feature = "planted-bugs")]
        if bitai_runtime::planted::on("undo_entry_skipped") && priors.len() > 1 {
            priors.pop();
        }
        Journal { priors }
    }
}
