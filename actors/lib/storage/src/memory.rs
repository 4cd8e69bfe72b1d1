//! The in-memory store for simulation and tests: ordered maps behind one mutex, so a batch
//! is atomic by construction. Cloning shares the same data, which is how a simulated node
//! "restarts from disk": the actors die, the store lives on.
//!
//! Two faults for the simulation, both counted in writes so a seed strikes the same write
//! every run: a single failed write ([`MemoryStore::fail_write_in`]: the batch is refused
//! with an engine error and nothing of it applied, the writes after it succeed), and a
//! crash ([`MemoryStore::crash_in`]: from that write on every write is refused until
//! [`MemoryStore::recover`], as the restarted node finds it; the committed batches, every
//! write that returned `Ok`, are all kept, and nothing after the crash point is).

use crate::{check_batch, check_key, check_keyspace, Batch, Entry, Op, Store, StoreError};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

type Keyspaces = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An in-memory [`Store`].
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Keyspaces>>,
    faults: Arc<Mutex<Faults>>,
}

/// Armed store faults: countdowns in writes.
#[derive(Debug, Default)]
struct Faults {
    /// Keyspaces of another system sharing the store: a batch touching only these is never
    /// refused nor counted.
    spared: Vec<String>,
    fail_in: Option<u64>,
    crash_in: Option<u64>,
    crashed: bool,
}

impl Faults {
    /// Whether a write can be refused now.
    fn armed(&self) -> bool {
        self.crashed || self.fail_in.is_some() || self.crash_in.is_some()
    }

    /// Counts one write; whether it is refused, and why.
    fn refuse(&mut self) -> Option<&'static str> {
        if self.crashed {
            return Some("simulated crash: the store is down");
        }
        if let Some(n) = self.crash_in.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.crash_in = None;
                self.crashed = true;
                return Some("simulated crash: the store is down");
            }
        }
        if let Some(n) = self.fail_in.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.fail_in = None;
                return Some("simulated write failure");
            }
        }
        None
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `n`-th write from now (1: the next) fails once, applying nothing.
    pub fn fail_write_in(&self, n: u64) {
        self.faults_lock().fail_in = Some(n.max(1));
    }

    /// The store crashes at the `n`-th write from now (1: the next): that write and every
    /// later one fail until [`MemoryStore::recover`].
    pub fn crash_in(&self, n: u64) {
        self.faults_lock().crash_in = Some(n.max(1));
    }

    /// Whether an armed crash has struck.
    pub fn crashed(&self) -> bool {
        self.faults_lock().crashed
    }

    /// Brings a crashed store back (as a restarted process opens it) and disarms every fault.
    pub fn recover(&self) {
        let mut f = self.faults_lock();
        *f = Faults {
            spared: std::mem::take(&mut f.spared),
            ..Faults::default()
        };
    }

    /// Keeps the faults off `keyspace`: another system's data sharing this store (the
    /// simulation's Bitcoin network shares the coordinator's).
    pub fn spare_keyspace(&self, keyspace: &str) {
        self.faults_lock().spared.push(keyspace.to_owned());
    }

    fn faults_lock(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
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
        let mut faults = self.faults_lock();
        // Nothing armed (every write outside a simulation): no keyspace scan, no count.
        if faults.armed() {
            let spared = batch
                .ops
                .iter()
                .all(|op| faults.spared.iter().any(|k| k == op.keyspace()));
            if let Some(why) = (!spared).then(|| faults.refuse()).flatten() {
                return Err(StoreError::Engine(why.into()));
            }
        }
        drop(faults);
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
