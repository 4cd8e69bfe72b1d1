//! The blobs a sequencer writes to DA: one genesis blob per chain, then one blob per block
//! naming its parent's commitment, so the blobs form a hash chain from any head back to
//! genesis that `bitai_da::rederive_state` can walk.
//!
//! Wire format: one format-version byte, then the postcard encoding of [`DaBlob`]. Decoding
//! checks the total size before postcard reads a byte, then the version, then every length
//! limit, and refuses trailing bytes and non-canonical encodings (re-encoding must give the
//! input back), so a blob has exactly one byte string and one commitment.

use bitai_chain::babyjubjub::unpack_point;
use bitai_chain::poc::{PocOp, PocParams};
use bitai_chain::stf::{Account, State, StfError};
use bitai_chain::tx::{SignedTransfer, SIGNED_TRANSFER_BYTES};
use bitai_protocol::{ChainId, Hash32};
use serde::{Deserialize, Serialize};

/// The current blob format; the first byte of every encoded blob. Version 2: genesis blobs
/// carry op slots and Proof-of-Compute parameters, block blobs carry ops after transfers.
pub const BLOB_FORMAT_VERSION: u8 = 2;
/// Largest encoded blob.
pub const MAX_BLOB_BYTES: usize = 8 * 1024 * 1024;
/// Most accounts in a genesis blob.
pub const MAX_GENESIS_ACCOUNTS: usize = 100_000;
/// Most transfer slots (and, separately, op slots) of a circuit.
pub const MAX_BLOCK_TXS: usize = 1024;
/// Most transactions (transfers and ops) in a block blob.
pub const MAX_BLOCK_ENTRIES: usize = 2 * MAX_BLOCK_TXS;
/// Largest encoded transaction inside a block blob (an op with the largest payload).
pub const MAX_TX_BYTES: usize =
    bitai_chain::poc::codec::SIGNED_POC_HEADER_BYTES + bitai_chain::poc::MAX_PAYLOAD_BYTES;
/// Deepest account tree (16 levels of arity four hold 2^32 accounts).
pub const MAX_TREE_DEPTH: u32 = 16;

/// A blob the sequencer writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DaBlob {
    /// A chain's genesis: the first link of its hash chain.
    Genesis(GenesisData),
    /// One block's data.
    Block(BlockData),
}

/// What a chain starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisData {
    /// The chain.
    pub chain_id: ChainId,
    /// Levels of the account tree (1 to [`MAX_TREE_DEPTH`]).
    pub tree_depth: u32,
    /// Most transfers per block (the circuit's transfer slots, 1 to [`MAX_BLOCK_TXS`]).
    pub max_block_txs: u32,
    /// Most Proof-of-Compute ops per block (the circuit's op slots, 0 to [`MAX_BLOCK_TXS`]).
    pub max_block_ops: u32,
    /// The chain's Proof-of-Compute parameters.
    pub poc: PocParams,
    /// The accounts at genesis, by strictly increasing index.
    pub accounts: Vec<GenesisAccount>,
}

/// One account at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    /// Its leaf position.
    pub index: u32,
    /// Its key, packed as circomlib's `packPoint`.
    pub public_key: [u8; 32],
    /// Its balance.
    pub balance: u64,
}

/// One block's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockData {
    /// The chain.
    pub chain_id: ChainId,
    /// Block number (1 is the first block after genesis).
    pub number: u64,
    /// The previous blob's commitment (the genesis blob's for block 1).
    pub parent: Hash32,
    /// State root before the block.
    pub prev_state_root: Hash32,
    /// State root after the block.
    pub new_state_root: Hash32,
    /// The transfers, each as `bitai_chain::tx::SignedTransfer::to_bytes` writes it (128
    /// bytes), then the ops, each as `bitai_chain::poc::PocOp::to_bytes` writes it (never 128
    /// bytes), in execution order.
    pub txs: Vec<Vec<u8>>,
}

/// Why bytes are not a blob, or a blob is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlobCodecError {
    /// No bytes at all.
    #[error("empty blob")]
    Empty,
    /// Over [`MAX_BLOB_BYTES`].
    #[error("blob is {len} bytes, over the limit of {max}")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A format version this build does not read.
    #[error("unknown blob format version {0} (this build reads {BLOB_FORMAT_VERSION})")]
    UnknownVersion(u8),
    /// postcard could not read the body.
    #[error("malformed blob: {0}")]
    Malformed(String),
    /// Bytes after a complete blob.
    #[error("{0} trailing bytes after the blob")]
    TrailingBytes(usize),
    /// Decodes, but is not the canonical encoding.
    #[error("not the canonical encoding of the blob")]
    NonCanonical,
    /// A field is outside its limits.
    #[error("{field} is {value}, outside {limit}")]
    OutOfLimits {
        /// The field.
        field: &'static str,
        /// Its value (a length or a number).
        value: u64,
        /// The allowed range, in words.
        limit: &'static str,
    },
    /// Genesis accounts are not in strictly increasing index order.
    #[error("genesis account indices are not strictly increasing at position {0}")]
    UnorderedAccounts(usize),
}

/// Why a genesis blob does not give a state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenesisError {
    /// An account key does not unpack to a valid subgroup point.
    #[error("account {index}: key: {reason}")]
    BadKey {
        /// The account.
        index: u32,
        /// Why.
        reason: String,
    },
    /// The state transition function refused the accounts.
    #[error("state: {0}")]
    Stf(#[from] StfError),
    /// The blob's limits are not respected.
    #[error("{0}")]
    Limits(#[from] BlobCodecError),
}

impl GenesisData {
    /// The genesis state these accounts give.
    pub fn state(&self) -> Result<State, GenesisError> {
        self.check()?;
        let mut accounts = Vec::with_capacity(self.accounts.len());
        for a in &self.accounts {
            let public_key = unpack_point(&a.public_key).map_err(|e| GenesisError::BadKey {
                index: a.index,
                reason: e.to_string(),
            })?;
            accounts.push((
                a.index,
                Account {
                    public_key,
                    balance: a.balance,
                    nonce: 0,
                },
            ));
        }
        Ok(State::genesis_with(
            self.tree_depth as usize,
            self.poc,
            accounts,
        )?)
    }

    fn check(&self) -> Result<(), BlobCodecError> {
        limit(
            "tree_depth",
            self.tree_depth.into(),
            1,
            MAX_TREE_DEPTH.into(),
            "1..=16",
        )?;
        limit(
            "max_block_txs",
            self.max_block_txs.into(),
            1,
            MAX_BLOCK_TXS as u64,
            "1..=1024",
        )?;
        limit(
            "max_block_ops",
            self.max_block_ops.into(),
            0,
            MAX_BLOCK_TXS as u64,
            "0..=1024",
        )?;
        self.poc.check().map_err(|_| BlobCodecError::OutOfLimits {
            field: "poc parameters",
            value: 0,
            limit: "PocParams::check",
        })?;
        limit(
            "genesis accounts",
            self.accounts.len() as u64,
            0,
            MAX_GENESIS_ACCOUNTS as u64,
            "0..=100000",
        )?;
        if let Some(i) = self
            .accounts
            .windows(2)
            .position(|w| w[0].index >= w[1].index)
        {
            return Err(BlobCodecError::UnorderedAccounts(i + 1));
        }
        Ok(())
    }
}

impl BlockData {
    fn check(&self) -> Result<(), BlobCodecError> {
        limit("block number", self.number, 1, u64::MAX, "1..")?;
        limit(
            "block txs",
            self.txs.len() as u64,
            0,
            MAX_BLOCK_ENTRIES as u64,
            "0..=2048",
        )?;
        for tx in &self.txs {
            limit(
                "tx bytes",
                tx.len() as u64,
                1,
                MAX_TX_BYTES as u64,
                "1..=65701",
            )?;
        }
        Ok(())
    }

    /// The block's transfers and ops, decoded (an entry of 128 bytes is a transfer, any other
    /// an op; every transfer must come before every op). Err: the position and why.
    pub fn decode_txs(&self) -> Result<(Vec<SignedTransfer>, Vec<PocOp>), (usize, String)> {
        let mut txs = Vec::new();
        let mut ops = Vec::new();
        for (i, bytes) in self.txs.iter().enumerate() {
            if bytes.len() == SIGNED_TRANSFER_BYTES {
                if !ops.is_empty() {
                    return Err((i, "a transfer after an op".into()));
                }
                txs.push(SignedTransfer::from_bytes(bytes).map_err(|e| (i, e.to_string()))?);
            } else {
                ops.push(PocOp::from_bytes(bytes).map_err(|e| (i, e.to_string()))?);
            }
        }
        Ok((txs, ops))
    }
}

fn limit(
    field: &'static str,
    value: u64,
    min: u64,
    max: u64,
    words: &'static str,
) -> Result<(), BlobCodecError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(BlobCodecError::OutOfLimits {
            field,
            value,
            limit: words,
        })
    }
}

impl DaBlob {
    fn check(&self) -> Result<(), BlobCodecError> {
        match self {
            DaBlob::Genesis(g) => g.check(),
            DaBlob::Block(b) => b.check(),
        }
    }

    /// Encodes the blob after checking every limit.
    pub fn encode(&self) -> Result<Vec<u8>, BlobCodecError> {
        self.check()?;
        let mut out = vec![BLOB_FORMAT_VERSION];
        let body =
            postcard::to_stdvec(self).map_err(|e| BlobCodecError::Malformed(e.to_string()))?;
        out.extend_from_slice(&body);
        if out.len() > MAX_BLOB_BYTES {
            return Err(BlobCodecError::TooLarge {
                len: out.len(),
                max: MAX_BLOB_BYTES,
            });
        }
        Ok(out)
    }

    /// Decodes exactly one blob from `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self, BlobCodecError> {
        let (&version, body) = bytes.split_first().ok_or(BlobCodecError::Empty)?;
        if bytes.len() > MAX_BLOB_BYTES {
            return Err(BlobCodecError::TooLarge {
                len: bytes.len(),
                max: MAX_BLOB_BYTES,
            });
        }
        if version != BLOB_FORMAT_VERSION {
            return Err(BlobCodecError::UnknownVersion(version));
        }
        let (blob, rest): (DaBlob, &[u8]) = postcard::take_from_bytes(body)
            .map_err(|e| BlobCodecError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(BlobCodecError::TrailingBytes(rest.len()));
        }
        blob.check()?;
        let canonical =
            postcard::to_stdvec(&blob).map_err(|e| BlobCodecError::Malformed(e.to_string()))?;
        if canonical != body {
            return Err(BlobCodecError::NonCanonical);
        }
        Ok(blob)
    }
}

#[cfg(test)]
mod tests;
