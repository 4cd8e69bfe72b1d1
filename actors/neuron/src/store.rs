//! A neuron's persisted record: one [`SeatRecord`] per request it works on, in keyspace
//! [`NEURON_KEYSPACE`] under `chain id (32) | account (u32 BE) | request id (u32 BE)`, so
//! every neuron of every chain of a node shares the keyspace.
//!
//! A record is written **before** the commit op is submitted and updated with each op's id
//! once the sequencer accepted it; it holds the result digest, the salt and the output
//! bytes, so after a restart the neuron reveals exactly what it committed to without
//! recomputing anything. Records of requests that are fully settled are deleted.

use bitai_chain::field::{fr_from_be_bytes, fr_to_be_bytes, Fr};
use bitai_chain::poc::MAX_PAYLOAD_BYTES;
use bitai_protocol::{ChainId, Hash32};
use bitai_storage::{Batch, SharedStore, StoreError};
use serde::{Deserialize, Serialize};

/// The keyspace of every neuron of a node.
pub const NEURON_KEYSPACE: &str = "neuron";

/// Largest encoded record: the output plus room for the fixed fields.
pub const MAX_RECORD_BYTES: usize = MAX_PAYLOAD_BYTES + 512;

/// Most records one scan reads (more than any neuron holds: one per open assignment).
const SCAN_LIMIT: usize = 1 << 20;

/// What a neuron keeps about one request it is assigned to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatRecord {
    /// The request id.
    pub request: u32,
    /// The neuron's seat (0..=2).
    pub seat: u8,
    /// The result digest committed to ([`bitai_chain::poc::output_digest`] of `output`).
    pub result: Fr,
    /// The salt of the commitment.
    pub salt: Fr,
    /// The canonical output bytes (the reveal's payload).
    pub output: Vec<u8>,
    /// The commit op's id, once the sequencer accepted it (or the chain showed the seat
    /// committed).
    pub commit_op: Option<Hash32>,
    /// The reveal op's id, once the sequencer accepted it (or the chain showed the seat
    /// revealed).
    pub reveal_op: Option<Hash32>,
    /// The head block when the latest op was submitted (when to submit it again if the
    /// chain still does not show it).
    pub submitted_at: u64,
}

/// The stored form: field elements as canonical big-endian bytes.
#[derive(Serialize, Deserialize)]
struct Stored {
    request: u32,
    seat: u8,
    result: [u8; 32],
    salt: [u8; 32],
    output: Vec<u8>,
    commit_op: Option<Hash32>,
    reveal_op: Option<Hash32>,
    submitted_at: u64,
}

/// Why stored bytes are not a record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Larger than [`MAX_RECORD_BYTES`].
    #[error("record of {0} bytes is over the limit of {max}", max = MAX_RECORD_BYTES)]
    TooLarge(usize),
    /// Not a postcard record, or trailing bytes.
    #[error("malformed record: {0}")]
    Decode(String),
    /// A field element is not canonical, the seat is not 0..=2 or the output is too large.
    #[error("invalid record: {0}")]
    Invalid(&'static str),
}

impl SeatRecord {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        let stored = Stored {
            request: self.request,
            seat: self.seat,
            result: fr_to_be_bytes(&self.result),
            salt: fr_to_be_bytes(&self.salt),
            output: self.output.clone(),
            commit_op: self.commit_op,
            reveal_op: self.reveal_op,
            submitted_at: self.submitted_at,
        };
        postcard::to_allocvec(&stored).expect("postcard encodes plain data into a Vec")
    }

    /// Decodes [`SeatRecord::encode`], with limits.
    pub fn decode(bytes: &[u8]) -> Result<SeatRecord, RecordError> {
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge(bytes.len()));
        }
        let (s, rest): (Stored, _) =
            postcard::take_from_bytes(bytes).map_err(|e| RecordError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(RecordError::Decode(format!(
                "{} trailing bytes",
                rest.len()
            )));
        }
        if s.seat > 2 {
            return Err(RecordError::Invalid("seat"));
        }
        if s.output.len() > MAX_PAYLOAD_BYTES {
            return Err(RecordError::Invalid("output size"));
        }
        let result = fr_from_be_bytes(&s.result).map_err(|_| RecordError::Invalid("result"))?;
        let salt = fr_from_be_bytes(&s.salt).map_err(|_| RecordError::Invalid("salt"))?;
        Ok(SeatRecord {
            request: s.request,
            seat: s.seat,
            result,
            salt,
            output: s.output,
            commit_op: s.commit_op,
            reveal_op: s.reveal_op,
            submitted_at: s.submitted_at,
        })
    }
}

/// One neuron's view of the store.
#[derive(Clone)]
pub struct NeuronStore {
    store: SharedStore,
    prefix: Vec<u8>,
}

impl NeuronStore {
    /// The records of `account` on `chain` in `store`.
    pub fn new(store: SharedStore, chain: &ChainId, account: u32) -> Self {
        let mut prefix = chain.0.as_bytes().to_vec();
        prefix.extend_from_slice(&account.to_be_bytes());
        NeuronStore { store, prefix }
    }

    fn key(&self, request: u32) -> Vec<u8> {
        let mut key = self.prefix.clone();
        key.extend_from_slice(&request.to_be_bytes());
        key
    }

    fn corrupt(&self, key: &[u8], e: RecordError) -> StoreError {
        StoreError::Corrupt {
            keyspace: NEURON_KEYSPACE.to_owned(),
            key: key.iter().map(|b| format!("{b:02x}")).collect(),
            reason: e.to_string(),
        }
    }

    /// The record of `request`, if any.
    pub fn get(&self, request: u32) -> Result<Option<SeatRecord>, StoreError> {
        let key = self.key(request);
        match self.store.get(NEURON_KEYSPACE, &key)? {
            None => Ok(None),
            Some(v) => SeatRecord::decode(&v)
                .map(Some)
                .map_err(|e| self.corrupt(&key, e)),
        }
    }

    /// Writes `record` (durably, before the caller acts on it).
    pub fn put(&self, record: &SeatRecord) -> Result<(), StoreError> {
        self.store
            .put(NEURON_KEYSPACE, &self.key(record.request), &record.encode())
    }

    /// Every record, by request id.
    pub fn all(&self) -> Result<Vec<SeatRecord>, StoreError> {
        let entries = self
            .store
            .scan_prefix(NEURON_KEYSPACE, &self.prefix, SCAN_LIMIT)?;
        entries
            .into_iter()
            .map(|(k, v)| SeatRecord::decode(&v).map_err(|e| self.corrupt(&k, e)))
            .collect()
    }

    /// Deletes the records of `requests` in one batch.
    pub fn forget(&self, requests: &[u32]) -> Result<(), StoreError> {
        if requests.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::default();
        for r in requests {
            batch.delete(NEURON_KEYSPACE, &self.key(*r));
        }
        self.store.write(batch)
    }
}

#[cfg(test)]
mod tests;
