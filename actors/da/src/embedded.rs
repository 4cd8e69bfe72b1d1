//! The embedded DA backend: blobs in the node's own store, keyspace [`DA_KEYSPACE`], keyed by
//! their commitment (SHA-256). Content addressing makes `put` idempotent and lets `get` check
//! what it read: a stored blob that no longer hashes to its key is refused, so a corrupted or
//! tampered store cannot serve wrong data under a commitment a proof binds.

use bitai_messages::da::{DaError, DaPort};
use bitai_protocol::Hash32;
use bitai_storage::SharedStore;

/// The keyspace of the embedded DA store.
pub const DA_KEYSPACE: &str = "da";

/// A DA backend on a [`bitai_storage::Store`].
#[derive(Clone)]
pub struct EmbeddedDa {
    store: SharedStore,
    max_blob_bytes: usize,
}

impl EmbeddedDa {
    /// A backend on `store` that refuses blobs over `max_blob_bytes`.
    pub fn new(store: SharedStore, max_blob_bytes: usize) -> Self {
        EmbeddedDa {
            store,
            max_blob_bytes,
        }
    }

    /// The largest blob this backend accepts.
    pub fn max_blob_bytes(&self) -> usize {
        self.max_blob_bytes
    }
}

impl std::fmt::Debug for EmbeddedDa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedDa")
            .field("max_blob_bytes", &self.max_blob_bytes)
            .finish_non_exhaustive()
    }
}

impl DaPort for EmbeddedDa {
    fn put(&self, blob: &[u8]) -> Result<Hash32, DaError> {
        if blob.len() > self.max_blob_bytes {
            return Err(DaError::BlobTooLarge {
                len: blob.len(),
                max: self.max_blob_bytes,
            });
        }
        let commitment = Hash32::sha256(blob);
        // Content-addressed: a blob already stored under its hash is this blob (or the store
        // was tampered with, which `get` reports); either way nothing to write.
        if self
            .store
            .get(DA_KEYSPACE, commitment.as_bytes())?
            .is_none()
        {
            self.store.put(DA_KEYSPACE, commitment.as_bytes(), blob)?;
        }
        Ok(commitment)
    }

    fn get(&self, commitment: &Hash32) -> Result<Option<Vec<u8>>, DaError> {
        let Some(blob) = self.store.get(DA_KEYSPACE, commitment.as_bytes())? else {
            return Ok(None);
        };
        if Hash32::sha256(&blob) != *commitment {
            tracing::error!(%commitment, "DA blob does not match its commitment");
            return Err(DaError::CommitmentMismatch {
                commitment: *commitment,
            });
        }
        Ok(Some(blob))
    }
}

#[cfg(test)]
mod tests;
