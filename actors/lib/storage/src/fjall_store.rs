//! The on-disk store: one fjall database per process, shared by every actor in it. Keyspaces
//! are opened on first use and their handles cached; a [`Batch`] becomes one fjall
//! `WriteBatch`, which fjall applies atomically across keyspaces.

use crate::{check_batch, check_key, check_keyspace, Batch, Entry, Op, Store, StoreError};
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;

/// How far a write is pushed before [`Store::write`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Into the operating system's buffers: survives a crash of the process (SIGKILL), not a
    /// power loss. The default: the persist-then-acknowledge contract is about actor and
    /// process crashes.
    #[default]
    Process,
    /// `fdatasync` on every batch: survives a power loss, at the cost of a disk flush.
    Power,
}

/// A fjall-backed [`Store`].
pub struct FjallStore {
    db: Database,
    durability: Durability,
    keyspaces: Mutex<BTreeMap<String, Keyspace>>,
}

fn engine(e: impl std::fmt::Display) -> StoreError {
    StoreError::Engine(e.to_string())
}

impl FjallStore {
    /// Opens (or creates) the database in `path`.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StoreError> {
        let db = Database::builder(path.as_ref()).open().map_err(engine)?;
        Ok(Self {
            db,
            durability,
            keyspaces: Mutex::new(BTreeMap::new()),
        })
    }

    fn keyspace(&self, name: &str) -> Result<Keyspace, StoreError> {
        check_keyspace(name)?;
        let mut cache = self.keyspaces.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ks) = cache.get(name) {
            return Ok(ks.clone());
        }
        let ks = self
            .db
            .keyspace(name, KeyspaceCreateOptions::default)
            .map_err(engine)?;
        cache.insert(name.to_owned(), ks.clone());
        Ok(ks)
    }

    fn persist_mode(&self) -> PersistMode {
        match self.durability {
            Durability::Process => PersistMode::Buffer,
            Durability::Power => PersistMode::SyncData,
        }
    }

    fn collect(iter: fjall::Iter, limit: usize) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for guard in iter.take(limit) {
            let (k, v) = guard.into_inner().map_err(engine)?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }
}

fn bounds(from: &[u8], to: Option<&[u8]>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (
        Bound::Included(from.to_vec()),
        to.map_or(Bound::Unbounded, |t| Bound::Excluded(t.to_vec())),
    )
}

impl Store for FjallStore {
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        let ks = self.keyspace(keyspace)?;
        Ok(ks.get(key).map_err(engine)?.map(|v| v.to_vec()))
    }

    fn write(&self, batch: Batch) -> Result<(), StoreError> {
        check_batch(&batch)?;
        if batch.is_empty() {
            return Ok(());
        }
        let mut wb = self.db.batch().durability(Some(self.persist_mode()));
        for op in batch.ops {
            match op {
                Op::Put {
                    keyspace,
                    key,
                    value,
                } => {
                    let ks = self.keyspace(&keyspace)?;
                    wb.insert(&ks, key, value);
                }
                Op::Delete { keyspace, key } => {
                    let ks = self.keyspace(&keyspace)?;
                    wb.remove(&ks, key);
                }
            }
        }
        wb.commit().map_err(engine)
    }

    fn range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        if to.is_some_and(|to| to <= from) {
            return Ok(Vec::new());
        }
        let ks = self.keyspace(keyspace)?;
        Self::collect(ks.range(bounds(from, to)), limit)
    }

    fn last_in_range(
        &self,
        keyspace: &str,
        from: &[u8],
        to: Option<&[u8]>,
    ) -> Result<Option<Entry>, StoreError> {
        if to.is_some_and(|to| to <= from) {
            return Ok(None);
        }
        let ks = self.keyspace(keyspace)?;
        match ks.range(bounds(from, to)).next_back() {
            None => Ok(None),
            Some(guard) => {
                let (k, v) = guard.into_inner().map_err(engine)?;
                Ok(Some((k.to_vec(), v.to_vec())))
            }
        }
    }
}
