//! The prover pool's persisted job queue, on the storage port.
//!
//! One record per block to prove, keyed `chain id || block number (big-endian)` so a scan
//! lists each chain's blocks in order: a state byte, the attempts made so far, the block's
//! public statement (as the sequencer handed it: the pool never decodes a circuit for it),
//! then the encoded circuit (pending) or the gnark proof (proved). Records written before
//! statements were stored (state bytes 0 to 2) are read by decoding their circuit once. Per chain, the next block to emit
//! is the stored cursor once something was emitted, before that the chain's lowest queued
//! block; a proved block is emitted and deleted, and the cursor advanced, in one atomic
//! batch, only once every earlier block of its chain has been emitted. A block below the
//! cursor was emitted already and is not queued again. An emitted proof the BitAI side has
//! not yet verified stays in its own keyspace (written in the emission's batch) until it is
//! seen verified, so a restarted pool still sends it again: a proof the mempool refused as
//! out of order, or lost with a crashed node's mailboxes, is never forgotten.

use bitai_messages::prover::{BlockStatement, JobId};
use bitai_protocol::{decode_tx, encode_tx, BitaiTx, ChainId, SubmitProof};
use bitai_storage::{Batch, SharedStore, StoreError};

/// Keyspace of the job records.
pub const JOBS: &str = "prover_pool.jobs";
/// Keyspace of the per-chain emission cursors.
pub const CURSORS: &str = "prover_pool.cursors";
/// Keyspace of the emitted proofs not yet seen verified: the encoded `SubmitProof`.
pub const UNCONFIRMED: &str = "prover_pool.unconfirmed";
/// Most records one scan reads (the queue bound keeps the queue far below this).
const SCAN_LIMIT: usize = 1 << 20;

/// Where a job stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for (or leased to) a prover; the encoded circuit.
    Pending(Vec<u8>),
    /// Proved; the proof in gnark's format (the statement it proves is the record's).
    Proved {
        /// The proof.
        proof: Vec<u8>,
    },
    /// Given up after too many attempts; the encoded circuit, kept for an operator.
    Failed(Vec<u8>),
}

/// State bytes of records with a statement (0 to 2: the same states, written before).
const TAG_PENDING: u8 = 3;
const TAG_PROVED: u8 = 4;
const TAG_FAILED: u8 = 5;

/// State bytes of records written before statements were stored, whose statement is read
/// from the head of their circuit (a proved one kept its circuit then).
const LEGACY_PENDING: u8 = 0;
const LEGACY_PROVED: u8 = 1;
const LEGACY_FAILED: u8 = 2;

/// The statement of a record written before statements were stored, from its circuit.
fn legacy_statement(circuit: &[u8]) -> Option<BlockStatement> {
    let (_, public) = bitai_proofs::circuit::BlockCircuit::peek_statement(circuit).ok()?;
    Some(crate::statement_of(&public))
}

/// A stored job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// Attempts made.
    pub attempts: u32,
    /// The block's public statement.
    pub statement: BlockStatement,
    /// State.
    pub state: JobState,
}

fn corrupt(key: &[u8], reason: &str) -> StoreError {
    StoreError::Corrupt {
        keyspace: JOBS.into(),
        key: format!("{key:02x?}"),
        reason: reason.into(),
    }
}

impl JobRecord {
    fn encode(&self) -> Vec<u8> {
        let statement = self.statement.to_bytes();
        let (tag, parts): (u8, Vec<&[u8]>) = match &self.state {
            JobState::Pending(c) => (TAG_PENDING, vec![&statement, c]),
            JobState::Proved { proof } => (TAG_PROVED, vec![&statement, proof]),
            JobState::Failed(c) => (TAG_FAILED, vec![&statement, c]),
        };
        let mut out = vec![tag];
        out.extend_from_slice(&self.attempts.to_be_bytes());
        for part in parts {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    fn decode(key: &[u8], bytes: &[u8]) -> Result<Self, StoreError> {
        let take = |r: &mut &[u8]| -> Result<Vec<u8>, StoreError> {
            if r.len() < 4 {
                return Err(corrupt(key, "truncated length"));
            }
            let n = u32::from_be_bytes([r[0], r[1], r[2], r[3]]) as usize;
            if r.len() < 4 + n {
                return Err(corrupt(key, "truncated part"));
            }
            let part = r[4..4 + n].to_vec();
            *r = &r[4 + n..];
            Ok(part)
        };
        if bytes.len() < 5 {
            return Err(corrupt(key, "truncated header"));
        }
        let attempts = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let mut r = &bytes[5..];
        let statement = |r: &mut &[u8]| {
            BlockStatement::from_bytes(&take(r)?).ok_or_else(|| corrupt(key, "statement"))
        };
        let legacy =
            |circuit: &[u8]| legacy_statement(circuit).ok_or_else(|| corrupt(key, "circuit"));
        let (statement, state) = match bytes[0] {
            TAG_PENDING => (statement(&mut r)?, JobState::Pending(take(&mut r)?)),
            TAG_PROVED => (
                statement(&mut r)?,
                JobState::Proved {
                    proof: take(&mut r)?,
                },
            ),
            TAG_FAILED => (statement(&mut r)?, JobState::Failed(take(&mut r)?)),
            LEGACY_PENDING => {
                let circuit = take(&mut r)?;
                (legacy(&circuit)?, JobState::Pending(circuit))
            }
            LEGACY_PROVED => {
                let circuit = take(&mut r)?;
                let proof = take(&mut r)?;
                (legacy(&circuit)?, JobState::Proved { proof })
            }
            LEGACY_FAILED => {
                let circuit = take(&mut r)?;
                (legacy(&circuit)?, JobState::Failed(circuit))
            }
            _ => return Err(corrupt(key, "unknown state")),
        };
        if !r.is_empty() {
            return Err(corrupt(key, "trailing bytes"));
        }
        Ok(JobRecord {
            attempts,
            statement,
            state,
        })
    }
}

/// The queue.
#[derive(Clone)]
pub struct JobQueue {
    store: SharedStore,
}

impl JobQueue {
    /// A queue on `store`.
    pub fn new(store: SharedStore) -> Self {
        JobQueue { store }
    }

    /// Every job, in key order (chain, then block number).
    pub fn all(&self) -> Result<Vec<(JobId, JobRecord)>, StoreError> {
        self.store
            .range(JOBS, &[], None, SCAN_LIMIT)?
            .into_iter()
            .map(|(k, v)| {
                let id = JobId::from_key(&k).ok_or_else(|| corrupt(&k, "bad key"))?;
                Ok((id, JobRecord::decode(&k, &v)?))
            })
            .collect()
    }

    /// One job.
    pub fn get(&self, id: &JobId) -> Result<Option<JobRecord>, StoreError> {
        let key = id.key();
        self.store
            .get(JOBS, &key)?
            .map(|v| JobRecord::decode(&key, &v))
            .transpose()
    }

    /// Writes one job.
    pub fn put(&self, id: &JobId, record: &JobRecord) -> Result<(), StoreError> {
        self.store.put(JOBS, &id.key(), &record.encode())
    }

    /// The next block number to emit for `chain` (None: nothing queued or emitted yet).
    pub fn cursor(&self, chain: &ChainId) -> Result<Option<u64>, StoreError> {
        match self.store.get(CURSORS, chain.0.as_bytes())? {
            None => {
                let lowest = self.store.scan_prefix(JOBS, chain.0.as_bytes(), 1)?;
                Ok(lowest
                    .first()
                    .and_then(|(k, _)| JobId::from_key(k))
                    .map(|id| id.block_number))
            }
            Some(v) => {
                let bytes: [u8; 8] = v.as_slice().try_into().map_err(|_| StoreError::Corrupt {
                    keyspace: CURSORS.into(),
                    key: chain.to_string(),
                    reason: "cursor is not 8 bytes".into(),
                })?;
                Ok(Some(u64::from_be_bytes(bytes)))
            }
        }
    }

    /// Adds a pending job. Returns false, writing nothing, if the job exists or its block
    /// was already emitted.
    pub fn insert(&self, statement: &BlockStatement, circuit: Vec<u8>) -> Result<bool, StoreError> {
        let id = &statement.job();
        let emitted = self.store.get(CURSORS, id.chain_id.0.as_bytes())?.is_some()
            && self
                .cursor(&id.chain_id)?
                .is_some_and(|c| id.block_number < c);
        if emitted || self.get(id)?.is_some() {
            return Ok(false);
        }
        self.put(
            id,
            &JobRecord {
                attempts: 0,
                statement: *statement,
                state: JobState::Pending(circuit),
            },
        )?;
        Ok(true)
    }

    /// Removes the emitted job and advances the chain's cursor past it, atomically; with
    /// `unconfirmed`, keeps the emitted proof until [`JobQueue::confirmed`] drops it.
    pub fn emitted(&self, id: &JobId, unconfirmed: Option<&SubmitProof>) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.delete(JOBS, &id.key());
        batch.put(
            CURSORS,
            id.chain_id.0.as_bytes(),
            &(id.block_number + 1).to_be_bytes(),
        );
        if let Some(tx) = unconfirmed {
            let bytes = encode_tx(&BitaiTx::SubmitProof(tx.clone()))
                .map_err(|e| corrupt(&id.key(), &format!("proof does not encode: {e}")))?;
            batch.put(UNCONFIRMED, &id.key(), &bytes);
        }
        self.store.write(batch)
    }

    /// Drops emitted proofs now seen verified.
    pub fn confirmed(&self, ids: &[JobId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::default();
        for id in ids {
            batch.delete(UNCONFIRMED, &id.key());
        }
        self.store.write(batch)
    }

    /// Every emitted proof not yet seen verified, in job order.
    pub fn unconfirmed(&self) -> Result<Vec<(JobId, SubmitProof)>, StoreError> {
        self.store
            .range(UNCONFIRMED, &[], None, SCAN_LIMIT)?
            .into_iter()
            .map(|(k, v)| {
                let id = JobId::from_key(&k).ok_or_else(|| corrupt(&k, "bad key"))?;
                match decode_tx(&v) {
                    Ok(BitaiTx::SubmitProof(tx)) => Ok((id, tx)),
                    Ok(_) => Err(corrupt(&k, "not a SubmitProof")),
                    Err(e) => Err(corrupt(&k, &format!("undecodable proof: {e}"))),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitai_protocol::Hash32;
    use bitai_storage::MemoryStore;
    use std::sync::Arc;

    fn id(n: u64) -> JobId {
        JobId {
            chain_id: ChainId(Hash32::sha256(b"c")),
            block_number: n,
        }
    }

    fn statement(n: u64) -> BlockStatement {
        BlockStatement {
            chain_id: id(n).chain_id,
            block_number: n,
            prev_state_root: Hash32::sha256(&n.to_be_bytes()),
            new_state_root: Hash32::sha256(&(n + 1).to_be_bytes()),
            da_commitment: Hash32::sha256(b"da"),
        }
    }

    #[test]
    fn jobs_persist_in_block_order_and_emission_advances_the_cursor() {
        let q = JobQueue::new(Arc::new(MemoryStore::new()));
        assert!(q.insert(&statement(5), vec![5]).expect("store"));
        assert!(q.insert(&statement(3), vec![3]).expect("store"));
        assert!(
            !q.insert(&statement(5), vec![9]).expect("store"),
            "idempotent"
        );
        assert_eq!(
            q.cursor(&id(0).chain_id).expect("store"),
            Some(3),
            "lowest queued"
        );
        let order: Vec<u64> = q
            .all()
            .expect("store")
            .iter()
            .map(|(i, _)| i.block_number)
            .collect();
        assert_eq!(order, vec![3, 5]);
        q.put(
            &id(5),
            &JobRecord {
                attempts: 2,
                statement: statement(5),
                state: JobState::Proved { proof: vec![1, 2] },
            },
        )
        .expect("store");
        assert_eq!(q.get(&id(5)).expect("store").expect("exists").attempts, 2);
        q.emitted(&id(3), None).expect("store");
        q.emitted(&id(4), None).expect("store");
        q.emitted(&id(5), None).expect("store");
        assert_eq!(q.cursor(&id(0).chain_id).expect("store"), Some(6));
        assert!(
            !q.insert(&statement(5), vec![5]).expect("store"),
            "already emitted"
        );
        assert!(q.insert(&statement(6), vec![6]).expect("store"));
    }

    #[test]
    fn corrupt_records_are_typed_errors() {
        let store: SharedStore = Arc::new(MemoryStore::new());
        store
            .put(JOBS, &id(1).key(), &[7, 0, 0, 0, 0])
            .expect("store");
        assert!(JobQueue::new(store.clone()).all().is_err());
        store
            .put(JOBS, &id(1).key(), &[0, 0, 0, 0, 0, 0, 0, 0, 9])
            .expect("store");
        assert!(JobQueue::new(store).get(&id(1)).is_err());
    }

    #[test]
    fn a_record_written_before_statements_is_read_from_its_circuits_head() {
        let circuit = crate::tests::blocks(1).remove(0);
        let (_, public) =
            bitai_proofs::circuit::BlockCircuit::peek_statement(&circuit).expect("a circuit");
        let mut legacy = vec![LEGACY_PROVED];
        legacy.extend_from_slice(&3u32.to_be_bytes());
        for part in [&circuit[..], &[7, 7][..]] {
            legacy.extend_from_slice(&(part.len() as u32).to_be_bytes());
            legacy.extend_from_slice(part);
        }
        let record = JobRecord::decode(b"k", &legacy).expect("a legacy record decodes");
        assert_eq!(record.statement, crate::statement_of(&public));
        assert_eq!(record.attempts, 3);
        assert_eq!(record.state, JobState::Proved { proof: vec![7, 7] });
        let again = JobRecord::decode(b"k", &record.encode()).expect("re-encoded");
        assert_eq!(again, record, "written back in today's format");
    }
}
