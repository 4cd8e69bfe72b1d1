//! The mempool's store layout (keyspace `mempool`): `e` + sequence number (BE) holds each
//! accepted entry in acceptance order; `n` holds the next sequence number; `d` + sequence
//! number holds the deferred proofs of the prover pool (see `deferred.rs`). Values are a
//! version byte then postcard; the entry's transaction is kept as its encoded bytes and
//! decoded with the protocol's limits on load.

use bitai_protocol::Hash32;
use bitai_storage::StoreError;
use serde::{Deserialize, Serialize};

/// The mempool's keyspace.
pub const KEYSPACE: &str = "mempool";

const VERSION: u8 = 1;
pub(crate) const ENTRY: u8 = b'e';
pub(crate) const NEXT_SEQ: &[u8] = b"n";

pub(crate) fn entry_key(seq: u64) -> Vec<u8> {
    let mut k = vec![ENTRY];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// An accepted entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRecord {
    /// SHA-256 of the encoded transaction (its id).
    pub id: Hash32,
    /// The encoded transaction (`encode_tx`).
    pub payload: Vec<u8>,
    /// Whether the inscriber acknowledged it.
    pub handed: bool,
}

fn corrupt(key: &[u8], reason: String) -> StoreError {
    StoreError::Corrupt {
        keyspace: KEYSPACE.into(),
        key: format!("{key:02x?}"),
        reason,
    }
}

/// Encodes a record.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![VERSION];
    out.extend_from_slice(&postcard::to_stdvec(value).expect("postcard encodes plain records"));
    out
}

/// Decodes a record read at `key`.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| corrupt(key, e.to_string()))
        }
        Some((v, _)) => Err(corrupt(key, format!("unknown record version {v}"))),
        None => Err(corrupt(key, "empty record".into())),
    }
}

/// The sequence number of an entry key.
pub(crate) fn seq_of(key: &[u8]) -> Result<u64, StoreError> {
    key.get(1..9)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| corrupt(key, "entry key without a sequence number".into()))
}

/// A payload that no longer decodes is corrupt storage.
pub(crate) fn corrupt_payload(key: &[u8], e: impl std::fmt::Display) -> StoreError {
    corrupt(key, format!("stored transaction: {e}"))
}
