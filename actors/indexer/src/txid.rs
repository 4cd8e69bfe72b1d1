//! Transaction ids and the merkle root check, fast. rust-bitcoin's `compute_txid` re-encodes
//! each transaction into its portable SHA-256; on a full block that costs more than decoding
//! it. Here the ids are hashed straight from the raw block bytes with the `sha2` crate (which
//! uses the CPU's SHA extensions where present): a transaction's non-witness serialization is
//! its raw bytes minus the segwit marker, flag and witnesses, and rust-bitcoin's own
//! `base_size`/`total_size` say where those are. If the sizes do not add up to the raw
//! length, the ids are computed by re-encoding instead. The merkle tree above the ids is
//! hashed with `sha2` too. Tests compare all of it with rust-bitcoin's `compute_txid` and
//! `check_merkle_root` on a real mainnet block and on generated ones.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::Hash;
use bitcoin::{Block, Transaction, Txid, VarInt};
use sha2::{Digest, Sha256};

/// A `bitcoin::io::Write` that feeds a SHA-256.
struct Sha256Writer(Sha256);

impl bitcoin::io::Write for Sha256Writer {
    fn write(&mut self, buf: &[u8]) -> bitcoin::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> bitcoin::io::Result<()> {
        Ok(())
    }
}

fn finish(first: Sha256) -> Txid {
    Txid::from_byte_array(Sha256::digest(first.finalize()).into())
}

/// The txid of `tx`: double SHA-256 of its encoding without witness data.
pub fn txid(tx: &Transaction) -> Txid {
    let mut w = Sha256Writer(Sha256::new());
    // Writing into a hasher cannot fail.
    let _ = tx.version.consensus_encode(&mut w);
    let _ = tx.input.consensus_encode(&mut w);
    let _ = tx.output.consensus_encode(&mut w);
    let _ = tx.lock_time.consensus_encode(&mut w);
    finish(w.0)
}

/// The txids of `block`, hashed from `raw` (its consensus bytes) when the transactions' sizes
/// account for every byte, else by re-encoding.
pub fn txids(block: &Block, raw: &[u8]) -> Vec<Txid> {
    txids_from_raw(block, raw).unwrap_or_else(|| block.txdata.iter().map(txid).collect())
}

fn txids_from_raw(block: &Block, raw: &[u8]) -> Option<Vec<Txid>> {
    let mut offset = 80 + VarInt(block.txdata.len() as u64).size();
    let mut out = Vec::with_capacity(block.txdata.len());
    for tx in &block.txdata {
        let total = tx.total_size();
        let bytes = raw.get(offset..offset + total)?;
        let mut h = Sha256::new();
        if tx.input.iter().any(|i| !i.witness.is_empty()) {
            // version | marker flag | inputs outputs | witnesses | lock_time
            let middle = tx.base_size().checked_sub(8)?;
            h.update(bytes.get(..4)?);
            h.update(bytes.get(6..6 + middle)?);
            h.update(bytes.get(total.checked_sub(4)?..)?);
        } else {
            h.update(bytes);
        }
        out.push(finish(h));
        offset += total;
    }
    (offset == raw.len()).then_some(out)
}

/// The merkle root of `ids` as Bitcoin computes it (each level pairs neighbours, the last one
/// with itself when the count is odd; each node is the double SHA-256 of its two children),
/// hashed with `sha2`: rust-bitcoin's `calculate_root` does the same with its portable
/// SHA-256, which costs more than the whole decode of a full block.
fn merkle_root(ids: &[Txid]) -> Option<[u8; 32]> {
    let mut level: Vec<[u8; 32]> = ids.iter().map(|t| t.to_byte_array()).collect();
    if level.is_empty() {
        return None;
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let right = pair.get(1).unwrap_or(&pair[0]);
                let once = Sha256::new()
                    .chain_update(pair[0])
                    .chain_update(right)
                    .finalize();
                Sha256::digest(once).into()
            })
            .collect();
    }
    Some(level[0])
}

/// Whether `block` (whose consensus bytes are `raw`) commits to its transactions in its
/// header's merkle root.
pub fn check_merkle_root(block: &Block, raw: &[u8]) -> bool {
    merkle_root(&txids(block, raw)).is_some_and(|r| r == block.header.merkle_root.to_byte_array())
}
