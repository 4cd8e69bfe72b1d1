//! The durable layout of a SimBitcoin opened with [`SimBitcoin::open`](super::SimBitcoin::open).
//! Everything lives in one keyspace, [`KEYSPACE`] (`simbitcoin`), of a `bitai_storage` store:
//!
//! | key                         | value                                                 |
//! |-----------------------------|-------------------------------------------------------|
//! | `b` ++ block hash (32)      | the block's raw consensus bytes (best chain or stale)  |
//! | `h` ++ height (8, BE)       | hash of the best chain's block at that height          |
//! | `l` ++ sequence (8, BE)     | hash of the n-th block connected (the connection log)  |
//! | `m`                         | [`Meta`]: tip, log length, miner and schedule state    |
//!
//! The connection log lists every block in the order the network connected it (mined on the
//! tip, or mined on a fork point by a reorg), genesis excluded. Replaying it (a block whose
//! parent is not the tip first disconnects back to its parent) rebuilds the UTXO set, the
//! undo data, the best chain and the stale branches exactly as they were. Each change (a
//! block, or a whole reorg) is one [`Batch`] holding its blocks, its log entries, its
//! best-chain index entries and the new [`Meta`], so after a crash the store holds the state
//! before the change or after it, never between.
//!
//! [`Meta`] is a strict, versioned, fixed-layout encoding (the store is outside input when it
//! is read back: a wrong length, version or flag is a typed error, never a panic).

use super::SimBitcoinError;
use bitai_storage::{Batch, SharedStore};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, ScriptBuf};

/// The keyspace SimBitcoin writes.
pub const KEYSPACE: &str = "simbitcoin";

/// Version byte of the [`Meta`] encoding.
const META_VERSION: u8 = 1;

/// Longest coinbase script the meta record holds (a block's size bounds any real one).
pub(crate) const SCRIPT_MAX_BYTES: usize = 4_000_000;

/// Fixed part of an encoded [`Meta`]: version, seed, genesis, tip height and hash, log
/// length, blocks built, next due, rng word position, miner minimum fee, spike flag and
/// value, script length.
const META_FIXED_BYTES: usize = 1 + 8 + 32 + 8 + 32 + 8 + 8 + 8 + 16 + 8 + 1 + 8 + 4;

/// Entries read per page while replaying.
pub(crate) const PAGE_ENTRIES: usize = 1_024;

/// The state beside the blocks that a reopened network needs to go on as if never stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Seed of the network that wrote the store (checked on open).
    pub seed: u64,
    /// Its genesis block (checked on open).
    pub genesis: BlockHash,
    /// Height of the best tip.
    pub tip_height: u64,
    /// Hash of the best tip.
    pub tip_hash: BlockHash,
    /// Entries in the connection log.
    pub log_len: u64,
    /// Blocks built so far (the next coinbase extra nonce).
    pub blocks_built: u64,
    /// When the next scheduled block is due, ms.
    pub next_due_ms: u64,
    /// Position of the schedule's ChaCha20 stream, in 32-bit words.
    pub rng_word_pos: u128,
    /// The miners' minimum package fee rate, sat/kvB.
    pub miner_min_fee_rate_sat_per_kvb: u64,
    /// The fee spike, sat/kvB.
    pub fee_spike_sat_per_kvb: Option<u64>,
    /// The script coinbases pay to.
    pub coinbase_script_pubkey: ScriptBuf,
}

impl Meta {
    /// The encoding: the fixed fields big-endian in declaration order, then the script.
    pub fn encode(&self) -> Vec<u8> {
        let script = self.coinbase_script_pubkey.as_bytes();
        let mut out = Vec::with_capacity(META_FIXED_BYTES + script.len());
        out.push(META_VERSION);
        out.extend_from_slice(&self.seed.to_be_bytes());
        out.extend_from_slice(self.genesis.as_byte_array());
        out.extend_from_slice(&self.tip_height.to_be_bytes());
        out.extend_from_slice(self.tip_hash.as_byte_array());
        out.extend_from_slice(&self.log_len.to_be_bytes());
        out.extend_from_slice(&self.blocks_built.to_be_bytes());
        out.extend_from_slice(&self.next_due_ms.to_be_bytes());
        out.extend_from_slice(&self.rng_word_pos.to_be_bytes());
        out.extend_from_slice(&self.miner_min_fee_rate_sat_per_kvb.to_be_bytes());
        out.push(u8::from(self.fee_spike_sat_per_kvb.is_some()));
        out.extend_from_slice(&self.fee_spike_sat_per_kvb.unwrap_or(0).to_be_bytes());
        let script_len = u32::try_from(script.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&script_len.to_be_bytes());
        out.extend_from_slice(script);
        out
    }

    /// Decodes an encoded [`Meta`], strictly (exact length, known version, flag 0 or 1,
    /// script within [`SCRIPT_MAX_BYTES`]).
    pub fn decode(bytes: &[u8]) -> Result<Self, MetaError> {
        if bytes.len() < META_FIXED_BYTES {
            return Err(MetaError::Length {
                len: bytes.len(),
                expected: META_FIXED_BYTES,
            });
        }
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8();
        if version != META_VERSION {
            return Err(MetaError::Version(version));
        }
        let seed = r.u64();
        let genesis = BlockHash::from_byte_array(r.array());
        let tip_height = r.u64();
        let tip_hash = BlockHash::from_byte_array(r.array());
        let log_len = r.u64();
        let blocks_built = r.u64();
        let next_due_ms = r.u64();
        let rng_word_pos = u128::from_be_bytes(r.array());
        let miner_min_fee_rate_sat_per_kvb = r.u64();
        let spike_flag = r.u8();
        let spike = r.u64();
        let fee_spike_sat_per_kvb = match spike_flag {
            0 if spike == 0 => None,
            1 => Some(spike),
            _ => return Err(MetaError::Flag(spike_flag)),
        };
        let script_len = u32::from_be_bytes(r.array()) as usize;
        if script_len > SCRIPT_MAX_BYTES {
            return Err(MetaError::ScriptTooLong(script_len));
        }
        if bytes.len() != META_FIXED_BYTES + script_len {
            return Err(MetaError::Length {
                len: bytes.len(),
                expected: META_FIXED_BYTES + script_len,
            });
        }
        let coinbase_script_pubkey = ScriptBuf::from_bytes(bytes[r.at..].to_vec());
        Ok(Self {
            seed,
            genesis,
            tip_height,
            tip_hash,
            log_len,
            blocks_built,
            next_due_ms,
            rng_word_pos,
            miner_min_fee_rate_sat_per_kvb,
            fee_spike_sat_per_kvb,
            coinbase_script_pubkey,
        })
    }
}

/// Why a stored [`Meta`] did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum MetaError {
    /// The record has the wrong length.
    #[error("meta record of {len} bytes, expected {expected}")]
    Length {
        /// Its length.
        len: usize,
        /// The length its fields need.
        expected: usize,
    },
    /// Unknown encoding version.
    #[error("unknown meta version {0}")]
    Version(u8),
    /// The fee spike flag is neither 0 (with a zero value) nor 1.
    #[error("bad fee spike flag {0}")]
    Flag(u8),
    /// The coinbase script is longer than [`SCRIPT_MAX_BYTES`].
    #[error("coinbase script of {0} bytes")]
    ScriptTooLong(usize),
}

/// Reads fixed-size fields from a slice whose length the caller checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let out: [u8; N] = self.bytes[self.at..self.at + N]
            .try_into()
            .expect("the slice is N bytes long");
        self.at += N;
        out
    }

    fn u8(&mut self) -> u8 {
        u8::from_be_bytes(self.array())
    }

    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.array())
    }
}

/// Key of a stored block.
pub(crate) fn block_key(hash: &BlockHash) -> Vec<u8> {
    prefixed(b'b', hash.as_byte_array())
}

/// Key of the best chain's entry at `height`.
pub(crate) fn best_key(height: u64) -> Vec<u8> {
    prefixed(b'h', &height.to_be_bytes())
}

/// Key of the connection log's entry `seq`.
pub(crate) fn log_key(seq: u64) -> Vec<u8> {
    prefixed(b'l', &seq.to_be_bytes())
}

/// Key of the meta record.
pub(crate) const META_KEY: &[u8] = b"m";

fn prefixed(tag: u8, rest: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + rest.len());
    key.push(tag);
    key.extend_from_slice(rest);
    key
}

/// The store handle plus the helpers that read and write the layout above.
#[derive(Clone)]
pub(crate) struct ChainStore {
    store: SharedStore,
}

impl ChainStore {
    /// Wraps `store`.
    pub fn new(store: SharedStore) -> Self {
        Self { store }
    }

    /// Applies `batch` atomically.
    pub fn write(&self, batch: Batch) -> Result<(), SimBitcoinError> {
        self.store
            .write(batch)
            .map_err(|e| SimBitcoinError::Store(e.to_string()))
    }

    /// The meta record, if the store has one.
    pub fn read_meta(&self) -> Result<Option<Meta>, SimBitcoinError> {
        let Some(bytes) = self.get(META_KEY)? else {
            return Ok(None);
        };
        Meta::decode(&bytes)
            .map(Some)
            .map_err(|e| SimBitcoinError::CorruptStore(e.to_string()))
    }

    /// The raw bytes of block `hash`, at most `max_bytes` long.
    pub fn read_block(&self, hash: &BlockHash, max_bytes: u64) -> Result<Vec<u8>, SimBitcoinError> {
        let bytes = self
            .get(&block_key(hash))?
            .ok_or_else(|| SimBitcoinError::CorruptStore(format!("block {hash} is missing")))?;
        if bytes.len() as u64 > max_bytes {
            return Err(SimBitcoinError::CorruptStore(format!(
                "block {hash} is {} bytes, over {max_bytes}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// Up to [`PAGE_ENTRIES`] hashes of a sequence-keyed index (`tag` `l` or `h`) from
    /// `from` on, with their positions.
    pub fn read_index(&self, tag: u8, from: u64) -> Result<Vec<(u64, BlockHash)>, SimBitcoinError> {
        let start = prefixed(tag, &from.to_be_bytes());
        let end = [tag + 1];
        let entries = self
            .store
            .range(KEYSPACE, &start, Some(&end), PAGE_ENTRIES)
            .map_err(|e| SimBitcoinError::Store(e.to_string()))?;
        entries
            .into_iter()
            .map(|(key, value)| {
                let position: [u8; 8] = key
                    .get(1..)
                    .and_then(|k| k.try_into().ok())
                    .ok_or_else(|| bad_entry(tag, &key))?;
                let hash: [u8; 32] = value
                    .as_slice()
                    .try_into()
                    .map_err(|_| bad_entry(tag, &key))?;
                Ok((
                    u64::from_be_bytes(position),
                    BlockHash::from_byte_array(hash),
                ))
            })
            .collect()
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, SimBitcoinError> {
        self.store
            .get(KEYSPACE, key)
            .map_err(|e| SimBitcoinError::Store(e.to_string()))
    }
}

fn bad_entry(tag: u8, key: &[u8]) -> SimBitcoinError {
    SimBitcoinError::CorruptStore(format!(
        "malformed index entry {:?} ({} key bytes)",
        char::from(tag),
        key.len()
    ))
}

/// Adds to `batch` a connected block: its bytes, its log entry `seq` and its best-chain
/// entry at `height`.
pub(crate) fn put_connected(
    batch: &mut Batch,
    hash: &BlockHash,
    bytes: &[u8],
    seq: u64,
    height: u64,
) {
    batch.put(KEYSPACE, &block_key(hash), bytes);
    batch.put(KEYSPACE, &log_key(seq), hash.as_byte_array());
    batch.put(KEYSPACE, &best_key(height), hash.as_byte_array());
}

#[cfg(test)]
mod tests;
