//! The sequencer's persisted state, in keyspace [`SEQ_KEYSPACE`], every key prefixed by the
//! chain id so all sequencers of a node share one keyspace:
//!
//! | tag | key after the tag   | value                                             |
//! |-----|---------------------|---------------------------------------------------|
//! | `g` |                     | the genesis blob's DA commitment                  |
//! | `a` | account index (BE)  | packed key, balance, nonce: the state after head  |
//! | `b` | block number (BE)   | [`BlockRecord`] (postcard)                        |
//! | `t` | transaction hash    | block number (BE)                                 |
//! | `p` | arrival number (BE) | a pending transfer's bytes                        |
//! | `c` | block number (BE)   | the block's encoded circuit, until handed         |
//! | `h` |                     | `handed_through` (BE)                             |
//! | `o` | object position (BE)| a Proof-of-Compute record (`ObjectValue::to_bytes`)|
//! | `l` | list slot (BE)      | the active neuron's account (BE)                  |
//! | `n` |                     | the counters: neurons, models, requests (BE u32)  |
//! | `i` | request id (BE)     | the request's input bytes                         |
//! | `r` | request id, seat    | the seat's revealed output bytes                  |
//!
//! A block's record, its transaction index entries, the removal of its pending entries, the
//! accounts it changed and its circuit are written in one batch, so after a crash the store
//! holds the block entirely or not at all.

use bitai_chain::babyjubjub::{pack_point, unpack_point};
use bitai_chain::poc::ObjectValue;
use bitai_chain::stf::{Account, Counters};
use bitai_protocol::{ChainId, Hash32};
use bitai_storage::{Batch, Entry, SharedStore, StoreError};
use serde::{Deserialize, Serialize};

/// The keyspace of every sequencer of a node.
pub const SEQ_KEYSPACE: &str = "seq";
/// Most entries one scan reads.
const SCAN_LIMIT: usize = 1 << 30;

/// A block as persisted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRecord {
    /// Its number.
    pub number: u64,
    /// State root before.
    pub prev_state_root: Hash32,
    /// State root after.
    pub new_state_root: Hash32,
    /// Its DA commitment.
    pub da_commitment: Hash32,
    /// Its transactions' hashes.
    pub tx_hashes: Vec<Hash32>,
    /// When it was cut.
    pub created_ms: u64,
    /// Fees its transfers and signed ops paid (burned).
    pub fees: u64,
    /// Transfers in blocks `1..=number`.
    pub txs_total: u64,
    /// Proof-of-Compute ops (settlement parts included) in blocks `1..=number`.
    pub ops_total: u64,
    /// Signed ops (every op but settlement parts) in blocks `1..=number`.
    pub signed_ops_total: u64,
    /// Stake slashed (burned) by blocks `1..=number`.
    pub slashed_total: u64,
    /// Fees burned by blocks `1..=number`.
    pub fees_total: u64,
}

/// One chain's view of the store.
#[derive(Clone)]
pub struct SeqStore {
    store: SharedStore,
    chain: ChainId,
}

fn corrupt(key: &[u8], reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        keyspace: SEQ_KEYSPACE.to_owned(),
        key: key.iter().map(|b| format!("{b:02x}")).collect(),
        reason: reason.to_string(),
    }
}

fn be_u64(key: &[u8], bytes: &[u8]) -> Result<u64, StoreError> {
    let b: [u8; 8] = bytes
        .try_into()
        .map_err(|_| corrupt(key, "not an 8-byte number"))?;
    Ok(u64::from_be_bytes(b))
}

impl SeqStore {
    /// The view of `chain` in `store`.
    pub fn new(store: SharedStore, chain: ChainId) -> Self {
        SeqStore { store, chain }
    }

    fn key(&self, tag: u8, rest: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(33 + rest.len());
        k.extend_from_slice(self.chain.0.as_bytes());
        k.push(tag);
        k.extend_from_slice(rest);
        k
    }

    fn scan(&self, tag: u8) -> Result<Vec<Entry>, StoreError> {
        let prefix = self.key(tag, &[]);
        let entries = self.store.scan_prefix(SEQ_KEYSPACE, &prefix, SCAN_LIMIT)?;
        Ok(entries
            .into_iter()
            .map(|(k, v)| (k[prefix.len()..].to_vec(), v))
            .collect())
    }

    /// Writes `batch`.
    pub fn write(&self, batch: Batch) -> Result<(), StoreError> {
        self.store.write(batch)
    }

    /// The genesis commitment, once the chain was started.
    pub fn genesis(&self) -> Result<Option<Hash32>, StoreError> {
        let key = self.key(b'g', &[]);
        match self.store.get(SEQ_KEYSPACE, &key)? {
            None => Ok(None),
            Some(v) => Ok(Some(Hash32(
                v.as_slice()
                    .try_into()
                    .map_err(|_| corrupt(&key, "not a 32-byte hash"))?,
            ))),
        }
    }

    /// Adds the genesis commitment to `batch`.
    pub fn put_genesis(&self, batch: &mut Batch, commitment: &Hash32) {
        batch.put(SEQ_KEYSPACE, &self.key(b'g', &[]), commitment.as_bytes());
    }

    /// Adds an account to `batch`.
    pub fn put_account(&self, batch: &mut Batch, index: u32, a: &Account) {
        let mut v = Vec::with_capacity(48);
        v.extend_from_slice(&pack_point(&a.public_key));
        v.extend_from_slice(&a.balance.to_be_bytes());
        v.extend_from_slice(&a.nonce.to_be_bytes());
        batch.put(SEQ_KEYSPACE, &self.key(b'a', &index.to_be_bytes()), &v);
    }

    /// Every persisted account, by index.
    pub fn accounts(&self) -> Result<Vec<(u32, Account)>, StoreError> {
        self.scan(b'a')?
            .into_iter()
            .map(|(k, v)| {
                let index: [u8; 4] = k.as_slice().try_into().map_err(|_| corrupt(&k, "index"))?;
                if v.len() != 48 {
                    return Err(corrupt(&k, "account is not 48 bytes"));
                }
                let mut key = [0u8; 32];
                key.copy_from_slice(&v[..32]);
                let public_key = unpack_point(&key).map_err(|e| corrupt(&k, e))?;
                Ok((
                    u32::from_be_bytes(index),
                    Account {
                        public_key,
                        balance: be_u64(&k, &v[32..40])?,
                        nonce: be_u64(&k, &v[40..48])?,
                    },
                ))
            })
            .collect()
    }

    /// Adds a block record to `batch`.
    pub fn put_block(&self, batch: &mut Batch, record: &BlockRecord) -> Result<(), StoreError> {
        let key = self.key(b'b', &record.number.to_be_bytes());
        let value = postcard::to_stdvec(record).map_err(|e| corrupt(&key, e))?;
        batch.put(SEQ_KEYSPACE, &key, &value);
        Ok(())
    }

    /// Block `number`'s record.
    pub fn block(&self, number: u64) -> Result<Option<BlockRecord>, StoreError> {
        let key = self.key(b'b', &number.to_be_bytes());
        self.store
            .get(SEQ_KEYSPACE, &key)?
            .map(|v| postcard::from_bytes(&v).map_err(|e| corrupt(&key, e)))
            .transpose()
    }

    /// The newest block's record.
    pub fn last_block(&self) -> Result<Option<BlockRecord>, StoreError> {
        let from = self.key(b'b', &[]);
        let to = self.key(b'c', &[]);
        self.store
            .last_in_range(SEQ_KEYSPACE, &from, Some(&to))?
            .map(|(k, v)| postcard::from_bytes(&v).map_err(|e| corrupt(&k, e)))
            .transpose()
    }

    /// Adds a transaction index entry to `batch`.
    pub fn put_tx_block(&self, batch: &mut Batch, hash: &Hash32, number: u64) {
        batch.put(
            SEQ_KEYSPACE,
            &self.key(b't', hash.as_bytes()),
            &number.to_be_bytes(),
        );
    }

    /// The block holding transaction `hash`.
    pub fn tx_block(&self, hash: &Hash32) -> Result<Option<u64>, StoreError> {
        let key = self.key(b't', hash.as_bytes());
        self.store
            .get(SEQ_KEYSPACE, &key)?
            .map(|v| be_u64(&key, &v))
            .transpose()
    }

    /// Adds a pending transfer to `batch`.
    pub fn put_pending(&self, batch: &mut Batch, seq: u64, bytes: &[u8]) {
        batch.put(SEQ_KEYSPACE, &self.key(b'p', &seq.to_be_bytes()), bytes);
    }

    /// Adds the removal of a pending transfer to `batch`.
    pub fn delete_pending(&self, batch: &mut Batch, seq: u64) {
        batch.delete(SEQ_KEYSPACE, &self.key(b'p', &seq.to_be_bytes()));
    }

    /// Every pending transfer's bytes, by arrival number.
    pub fn pending(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.scan(b'p')?
            .into_iter()
            .map(|(k, v)| Ok((be_u64(&k, &k)?, v)))
            .collect()
    }

    /// Adds a block's circuit to `batch`.
    pub fn put_circuit(&self, batch: &mut Batch, number: u64, circuit: &[u8]) {
        batch.put(
            SEQ_KEYSPACE,
            &self.key(b'c', &number.to_be_bytes()),
            circuit,
        );
    }

    /// Block `number`'s circuit, until it is handed.
    pub fn circuit(&self, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.store
            .get(SEQ_KEYSPACE, &self.key(b'c', &number.to_be_bytes()))
    }

    /// Adds `handed_through = number` and the removal of circuits `from..=number` to `batch`.
    pub fn put_handed(&self, batch: &mut Batch, from: u64, number: u64) {
        for n in from..=number {
            batch.delete(SEQ_KEYSPACE, &self.key(b'c', &n.to_be_bytes()));
        }
        batch.put(SEQ_KEYSPACE, &self.key(b'h', &[]), &number.to_be_bytes());
    }

    /// Blocks `1..=handed_through` were acknowledged by the prover pool.
    pub fn handed_through(&self) -> Result<u64, StoreError> {
        let key = self.key(b'h', &[]);
        Ok(self
            .store
            .get(SEQ_KEYSPACE, &key)?
            .map(|v| be_u64(&key, &v))
            .transpose()?
            .unwrap_or(0))
    }

    /// Adds a Proof-of-Compute record (or its removal) to `batch`.
    pub fn put_object(&self, batch: &mut Batch, index: u64, value: &ObjectValue) {
        let key = self.key(b'o', &index.to_be_bytes());
        match value {
            ObjectValue::Empty => batch.delete(SEQ_KEYSPACE, &key),
            v => batch.put(SEQ_KEYSPACE, &key, &v.to_bytes()),
        };
    }

    /// Adds an active-list slot (or its clearing) to `batch`.
    pub fn put_slot(&self, batch: &mut Batch, slot: u64, account: Option<u32>) {
        let key = self.key(b'l', &slot.to_be_bytes());
        match account {
            None => batch.delete(SEQ_KEYSPACE, &key),
            Some(a) => batch.put(SEQ_KEYSPACE, &key, &a.to_be_bytes()),
        };
    }

    /// Adds the counters to `batch`.
    pub fn put_counters(&self, batch: &mut Batch, c: &Counters) {
        let mut v = Vec::with_capacity(12);
        for n in [c.neurons, c.models, c.requests] {
            v.extend_from_slice(&n.to_be_bytes());
        }
        batch.put(SEQ_KEYSPACE, &self.key(b'n', &[]), &v);
    }

    /// Every persisted Proof-of-Compute entry: records, active list, counters.
    #[allow(clippy::type_complexity)] // Three plain lists, named in the doc.
    pub fn poc(&self) -> Result<(Vec<(u64, ObjectValue)>, Vec<(u64, u32)>, Counters), StoreError> {
        let objects = self
            .scan(b'o')?
            .into_iter()
            .map(|(k, v)| {
                let index = be_u64(&k, &k)?;
                Ok((
                    index,
                    ObjectValue::from_bytes(&v).map_err(|e| corrupt(&k, e))?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let active = self
            .scan(b'l')?
            .into_iter()
            .map(|(k, v)| {
                let a: [u8; 4] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| corrupt(&k, "account"))?;
                Ok((be_u64(&k, &k)?, u32::from_be_bytes(a)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let key = self.key(b'n', &[]);
        let counters = match self.store.get(SEQ_KEYSPACE, &key)? {
            None => Counters::default(),
            Some(v) if v.len() == 12 => {
                let n = |i: usize| u32::from_be_bytes(v[i..i + 4].try_into().expect("4 bytes"));
                Counters {
                    neurons: n(0),
                    models: n(4),
                    requests: n(8),
                }
            }
            Some(_) => return Err(corrupt(&key, "counters are not 12 bytes")),
        };
        Ok((objects, active, counters))
    }

    /// Adds a request's input bytes to `batch`.
    pub fn put_input(&self, batch: &mut Batch, request: u32, bytes: &[u8]) {
        batch.put(SEQ_KEYSPACE, &self.key(b'i', &request.to_be_bytes()), bytes);
    }

    /// A request's input bytes.
    pub fn input(&self, request: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.store
            .get(SEQ_KEYSPACE, &self.key(b'i', &request.to_be_bytes()))
    }

    fn output_key(&self, request: u32, seat: u8) -> Vec<u8> {
        let mut rest = request.to_be_bytes().to_vec();
        rest.push(seat);
        self.key(b'r', &rest)
    }

    /// Adds a seat's revealed output bytes to `batch`.
    pub fn put_output(&self, batch: &mut Batch, request: u32, seat: u8, bytes: &[u8]) {
        batch.put(SEQ_KEYSPACE, &self.output_key(request, seat), bytes);
    }

    /// A seat's revealed output bytes.
    pub fn output(&self, request: u32, seat: u8) -> Result<Option<Vec<u8>>, StoreError> {
        self.store
            .get(SEQ_KEYSPACE, &self.output_key(request, seat))
    }
}
