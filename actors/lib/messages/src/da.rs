//! The DA layer's interface: the port every DA backend implements ([`DaPort`]: `put` returns
//! the commitment, SHA-256 of the blob, so the same blob always gets the same commitment and
//! a second put is a no-op; `get` serves the blob back by commitment, checked against it), its
//! errors, and what a sequencer writes to it ([`blob`]: a genesis blob per chain and one blob
//! per block, each naming its parent, in a versioned postcard format with limits on every
//! length). The embedded backend and re-deriving a chain from DA are `bitai-da`.

pub mod blob;

pub use blob::{BlobCodecError, BlockData, DaBlob, GenesisAccount, GenesisData, GenesisError};

use bitai_protocol::Hash32;
use std::sync::Arc;

/// The port a DA backend implements.
pub trait DaPort: Send + Sync {
    /// Stores `blob` and returns its commitment, SHA-256(`blob`). Idempotent: putting the
    /// same blob again returns the same commitment and changes nothing.
    fn put(&self, blob: &[u8]) -> Result<Hash32, DaError>;

    /// The blob committed to by `commitment`, if this backend has it. A stored blob that no
    /// longer hashes to its commitment is a [`DaError::CommitmentMismatch`], never returned.
    fn get(&self, commitment: &Hash32) -> Result<Option<Vec<u8>>, DaError>;
}

/// A shared DA handle, as actors receive it.
pub type SharedDa = Arc<dyn DaPort>;

/// Why a DA operation, or re-deriving a chain from DA, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaError {
    /// The blob is over the backend's size limit.
    #[error("blob of {len} bytes is over the limit of {max}")]
    BlobTooLarge {
        /// The blob's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The storage under the backend failed.
    #[error("storage: {0}")]
    Store(#[from] bitai_storage::StoreError),
    /// The bytes stored under a commitment do not hash to it (corruption or tampering).
    #[error("blob stored under {commitment} does not match its commitment")]
    CommitmentMismatch {
        /// The commitment asked for.
        commitment: Hash32,
    },
    /// A blob the walk needs is not available.
    #[error("blob {0} is not available")]
    Missing(Hash32),
    /// A blob does not decode.
    #[error("blob {commitment}: {source}")]
    Codec {
        /// The blob's commitment.
        commitment: Hash32,
        /// Why it does not decode.
        source: BlobCodecError,
    },
    /// A blob decodes but does not fit where the walk found it.
    #[error("blob {commitment}: {reason}")]
    BadLink {
        /// The blob's commitment.
        commitment: Hash32,
        /// What is wrong (wrong chain, wrong number, unexpected genesis).
        reason: String,
    },
    /// The genesis blob does not give a valid state.
    #[error("genesis {commitment}: {reason}")]
    BadGenesis {
        /// The genesis blob's commitment.
        commitment: Hash32,
        /// Why.
        reason: String,
    },
    /// A block's transactions do not execute under the state transition function.
    #[error("block {number} ({commitment}) does not execute: {reason}")]
    BlockInvalid {
        /// The block number.
        number: u64,
        /// Its blob's commitment.
        commitment: Hash32,
        /// Why (a transaction that does not decode, or the STF's refusal).
        reason: String,
    },
    /// A block's recorded state root disagrees with re-execution.
    #[error("block {number} ({commitment}): recorded {which} state root {recorded} but re-execution gives {computed}")]
    RootMismatch {
        /// The block number.
        number: u64,
        /// Its blob's commitment.
        commitment: Hash32,
        /// `"previous"` or `"new"`.
        which: &'static str,
        /// The root the blob records.
        recorded: Hash32,
        /// The root re-execution gives.
        computed: Hash32,
    },
}
