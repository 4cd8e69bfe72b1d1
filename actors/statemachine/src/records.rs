//! The state machine's store layout (keyspace `statemachine`) and its record types.
//!
//! | key | value |
//! | --- | --- |
//! | `c` chain id | [`ChainRecord`]: registration, verified and final heads |
//! | `v` chain id, number (BE) | [`VerifiedRecord`]: one verified L2 block |
//! | `b` height (BE) | [`FinalityMarks`]: the L2 blocks verified in that Bitcoin block |
//! | `j` height (BE) | [`Journal`]: the prior values of every key that block changed |
//! | `r` seq (BE) | [`RejectionRecord`]: the last rejected transactions (a log) |
//!
//! Values are a version byte then postcard; a value that does not decode is a
//! `StoreError::Corrupt`, never a panic.

use bitai_messages::statemachine::{ChainView, Rejection, VerifiedBlock};
use bitai_protocol::{ChainId, CreateChain, Hash32};
use bitai_storage::StoreError;
use bitcoin::hashes::Hash;
use bitcoin::Txid;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The state machine's keyspace.
pub const KEYSPACE: &str = "statemachine";
/// The keyspace of its consumer cursor.
pub const CURSOR_KEYSPACE: &str = "statemachine_cursor";

const VERSION: u8 = 1;
pub(crate) const CHAIN: u8 = b'c';
pub(crate) const VERIFIED: u8 = b'v';
pub(crate) const MARKS: u8 = b'b';
pub(crate) const JOURNAL: u8 = b'j';
pub(crate) const REJECTED: u8 = b'r';
pub(crate) const PROOF: u8 = b'p';

/// Key of a chain record.
pub fn chain_key(id: &ChainId) -> Vec<u8> {
    let mut k = vec![CHAIN];
    k.extend_from_slice(id.0.as_bytes());
    k
}

/// Key of a verified block.
pub fn verified_key(id: &ChainId, number: u64) -> Vec<u8> {
    let mut k = vec![VERIFIED];
    k.extend_from_slice(id.0.as_bytes());
    k.extend_from_slice(&number.to_be_bytes());
    k
}

/// Key of a verified block's proof bytes (as its `SubmitProof` carried them), kept beside
/// its [`VerifiedRecord`] so that anyone can fetch and check it (`bitai_getBlockProof`).
pub fn proof_key(id: &ChainId, number: u64) -> Vec<u8> {
    let mut k = vec![PROOF];
    k.extend_from_slice(id.0.as_bytes());
    k.extend_from_slice(&number.to_be_bytes());
    k
}

pub(crate) fn height_key(tag: u8, height: u64) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(&height.to_be_bytes());
    k
}

/// A registered chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRecord {
    /// Its registration.
    pub create: CreateChain,
    /// Height of the registering Bitcoin block.
    pub created_height: u64,
    /// Registering reveal transaction.
    pub created_txid: [u8; 32],
    /// Last verified L2 block.
    pub verified_block: u64,
    /// Verified root.
    pub verified_root: Hash32,
    /// Last final L2 block.
    pub final_block: u64,
    /// Final root.
    pub final_root: Hash32,
}

impl ChainRecord {
    /// The view of this record.
    pub fn view(&self) -> ChainView {
        ChainView {
            create: self.create.clone(),
            created_height: self.created_height,
            created_txid: Txid::from_byte_array(self.created_txid),
            verified_block: self.verified_block,
            verified_root: self.verified_root,
            final_block: self.final_block,
            final_root: self.final_root,
        }
    }
}

/// A verified L2 block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedRecord {
    /// See [`VerifiedBlock`].
    pub number: u64,
    /// See [`VerifiedBlock`].
    pub prev_root: Hash32,
    /// See [`VerifiedBlock`].
    pub new_root: Hash32,
    /// See [`VerifiedBlock`].
    pub da_commitment: Hash32,
    /// See [`VerifiedBlock`].
    pub bitcoin_height: u64,
    /// See [`VerifiedBlock`].
    pub bitcoin_txid: [u8; 32],
}

impl VerifiedRecord {
    /// The public form.
    pub fn view(&self) -> VerifiedBlock {
        VerifiedBlock {
            number: self.number,
            prev_root: self.prev_root,
            new_root: self.new_root,
            da_commitment: self.da_commitment,
            bitcoin_height: self.bitcoin_height,
            bitcoin_txid: Txid::from_byte_array(self.bitcoin_txid),
            proof: Vec::new(),
        }
    }
}

/// One L2 block verified in a Bitcoin block: it becomes final when that block is buried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalityMark {
    /// The chain.
    pub chain: ChainId,
    /// The L2 block.
    pub number: u64,
    /// Its new root.
    pub root: Hash32,
}

/// The L2 blocks verified in one Bitcoin block, in transaction order.
pub type FinalityMarks = Vec<FinalityMark>;

/// The undo journal of one Bitcoin block: every key of [`KEYSPACE`] it changed, with the value
/// before (None: absent), in the order first changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// (key, prior value).
    pub priors: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// A persisted rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionRecord {
    /// See [`Rejection`].
    pub bitcoin_height: u64,
    /// See [`Rejection`].
    pub txid: [u8; 32],
    /// See [`Rejection`].
    pub kind: String,
    /// See [`Rejection`].
    pub chain: Option<ChainId>,
    /// See [`Rejection`].
    pub reason: String,
    /// See [`Rejection`].
    pub label: String,
}

/// Interns a stored kind or label among the names this build produces.
fn intern(s: &str, known: &[&'static str]) -> &'static str {
    known.iter().copied().find(|k| *k == s).unwrap_or("other")
}

const KINDS: &[&str] = &["create_chain", "submit_proof"];
const LABELS: &[&str] = &[
    "over_limit",
    "simulation_only",
    "duplicate_chain",
    "too_many_chains",
    "bad_key",
    "unknown_chain",
    "wrong_block_number",
    "wrong_prev_root",
    "proof_too_large",
    "proof_invalid",
    "unsupported_kind",
];

impl RejectionRecord {
    /// The record of `r`.
    pub fn from_view(r: &Rejection) -> Self {
        Self {
            bitcoin_height: r.bitcoin_height,
            txid: r.txid.to_byte_array(),
            kind: r.kind.to_owned(),
            chain: r.chain,
            reason: r.reason.clone(),
            label: r.label.to_owned(),
        }
    }

    /// The public form.
    pub fn view(&self) -> Rejection {
        Rejection {
            bitcoin_height: self.bitcoin_height,
            txid: Txid::from_byte_array(self.txid),
            kind: intern(&self.kind, KINDS),
            chain: self.chain,
            reason: self.reason.clone(),
            label: intern(&self.label, LABELS),
        }
    }
}

/// Encodes a record: version byte, then postcard.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![VERSION];
    let body = postcard::to_stdvec(value).expect("postcard encodes plain records");
    out.extend_from_slice(&body);
    out
}

/// Decodes a record read at `key`.
pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        keyspace: KEYSPACE.into(),
        key: format!("{key:02x?}"),
        reason,
    };
    match bytes.split_first() {
        Some((&VERSION, body)) => postcard::from_bytes(body).map_err(|e| corrupt(e.to_string())),
        Some((v, _)) => Err(corrupt(format!("unknown record version {v}"))),
        None => Err(corrupt("empty record".into())),
    }
}
