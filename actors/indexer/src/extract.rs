//! From raw block bytes to BitAI transactions: decode with a size limit, check the block is
//! the one asked for (and, by default, its merkle root), then read every input's ord
//! envelopes and keep those marked BitAI. Nothing here trusts the node: every failure is a
//! typed error or a rejected envelope, never a panic.

use bitai_messages::indexer::{ConnectedBlock, IndexedTx, WatchFilter};
use bitai_protocol::envelope;
use bitcoin::{Block, BlockHash, Txid};
use thiserror::Error;

/// Why the node's block bytes are not the block asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BlockDecodeError {
    /// Over the configured size limit.
    #[error("block of {len} bytes over the limit of {max}")]
    TooLarge {
        /// Size received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a consensus-encoded block.
    #[error("block does not decode: {0}")]
    Malformed(String),
    /// The header hashes to something else than the hash asked for.
    #[error("asked for block {expected}, got {got}")]
    WrongBlock {
        /// The hash asked for.
        expected: BlockHash,
        /// The header's hash.
        got: BlockHash,
    },
    /// The transactions do not match the header's merkle root.
    #[error("merkle root does not match the transactions of block {0}")]
    BadMerkleRoot(BlockHash),
}

/// Decodes `bytes` as the block `expected`.
pub fn decode_block(
    bytes: &[u8],
    expected: &BlockHash,
    max_bytes: usize,
    check_merkle_root: bool,
) -> Result<Block, BlockDecodeError> {
    if bytes.len() > max_bytes {
        return Err(BlockDecodeError::TooLarge {
            len: bytes.len(),
            max: max_bytes,
        });
    }
    let block: Block = bitcoin::consensus::deserialize(bytes)
        .map_err(|e| BlockDecodeError::Malformed(e.to_string()))?;
    let got = block.block_hash();
    if &got != expected {
        return Err(BlockDecodeError::WrongBlock {
            expected: *expected,
            got,
        });
    }
    if check_merkle_root && !crate::txid::check_merkle_root(&block, bytes) {
        return Err(BlockDecodeError::BadMerkleRoot(got));
    }
    Ok(block)
}

/// An envelope marked BitAI whose body is not a valid BitAI transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedEnvelope {
    /// The reveal transaction.
    pub txid: Txid,
    /// Input index.
    pub input: u32,
    /// Envelope index within the input.
    pub offset: u32,
    /// Why it was rejected.
    pub reason: String,
}

/// What a block holds for BitAI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Valid BitAI transactions, in block order.
    pub txs: Vec<IndexedTx>,
    /// BitAI envelopes that did not decode.
    pub rejected: Vec<RejectedEnvelope>,
}

/// Every BitAI envelope of `block`, decoded or rejected.
pub fn extract_bitai_txs(block: &Block) -> Extracted {
    let mut out = Extracted::default();
    for (tx_index, tx) in block.txdata.iter().enumerate() {
        let envelopes = envelope::parse_transaction(tx);
        if envelopes.is_empty() {
            continue;
        }
        let txid = crate::txid::txid(tx);
        for env in envelopes.into_iter().filter(|e| e.is_bitai()) {
            match env.bitai_tx() {
                Ok(bitai) => out.txs.push(IndexedTx {
                    txid,
                    tx_index: tx_index as u32,
                    input: env.input,
                    offset: env.offset,
                    sender: env.reveal_key,
                    tx: bitai,
                }),
                Err(e) => out.rejected.push(RejectedEnvelope {
                    txid,
                    input: env.input,
                    offset: env.offset,
                    reason: e.to_string(),
                }),
            }
        }
    }
    out
}

/// Decodes the raw block `bytes` of `height`/`hash` and extracts its BitAI transactions: the
/// whole per-block work of the indexer, between fetching the bytes and emitting the event.
pub fn index_block(
    height: u64,
    hash: &BlockHash,
    bytes: &[u8],
    max_bytes: usize,
    check_merkle_root: bool,
) -> Result<(ConnectedBlock, Vec<RejectedEnvelope>), BlockDecodeError> {
    index_block_watching(height, hash, bytes, max_bytes, check_merkle_root, None)
}

/// [`index_block`], also collecting the transactions that match `watch`.
pub fn index_block_watching(
    height: u64,
    hash: &BlockHash,
    bytes: &[u8],
    max_bytes: usize,
    check_merkle_root: bool,
    watch: Option<&WatchFilter>,
) -> Result<(ConnectedBlock, Vec<RejectedEnvelope>), BlockDecodeError> {
    let block = decode_block(bytes, hash, max_bytes, check_merkle_root)?;
    let watched_txs = watch.map_or_else(Vec::new, |w| w.select(&block.txdata));
    let extracted = extract_bitai_txs(&block);
    let connected = ConnectedBlock {
        height,
        hash: *hash,
        prev_hash: block.header.prev_blockhash,
        time: block.header.time,
        bitai_txs: extracted.txs,
        watched_txs,
    };
    Ok((connected, extracted.rejected))
}
