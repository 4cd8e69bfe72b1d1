//! Mainnet background traffic: real transactions nobody here made, carried in SimBitcoin's
//! blocks beside the rollup's own, so every reader of those blocks (the BitAI indexer above
//! all) meets real-world traffic: legacy, P2SH, segwit v0 spends, multisig, OP_RETURNs, and two
//! real ord inscriptions (an image and a text) that are not BitAI envelopes.
//!
//! The pool is the 2,499 non-coinbase transactions of mainnet block 000…c835b2ad (height
//! 702,000 or so, 2021-09-30) plus the two inscription transactions of
//! `tests/fixtures/vectors/inscriptions/`, compiled into the binary and decoded once.
//!
//! **Their coins are mainnet's.** Their inputs spend outputs that exist on mainnet, not on
//! this network, and their lock times are mainnet heights. So a pool transaction in a block
//! is checked for its structure only (Core's `CheckTransaction`: inputs and outputs present,
//! amounts in range, no duplicate input); it spends nothing from SimBitcoin's coins, creates
//! none (its outputs stay mainnet's, so it cannot be re-used by a txid collision or spent here),
//! pays no fee to the coinbase and adds no fee rate to the estimates. What identifies one is
//! its txid: membership in this fixed pool. Which ones a mined block carries follows from its
//! height alone (a window of the pool, wrapping), so a restarted or replayed network needs no
//! extra state to pick them again.

use bitcoin::{Block, Transaction, Txid, Wtxid};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Mainnet block 000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae, raw.
const MAINNET_BLOCK: &[u8] =
    include_bytes!("../../../tests/fixtures/vectors/blocks/mainnet-c835b2ad.raw");

/// Two mainnet ord inscriptions (image/png and text/plain), raw hex.
const INSCRIPTIONS: [&str; 2] = [
    include_str!("../../../tests/fixtures/vectors/inscriptions/mainnet-png-99811de3.hex"),
    include_str!("../../../tests/fixtures/vectors/inscriptions/recursion-primes-60bcf821.hex"),
];

/// Most of a block's weight the background may take: a quarter, so the rollup's own
/// transactions always find room.
pub(crate) const WEIGHT_SHARE_DIVISOR: u64 = 4;

/// One pool transaction with its ids and weight, computed once.
pub(crate) struct Entry {
    pub tx: Transaction,
    pub txid: Txid,
    pub wtxid: Wtxid,
    pub weight_wu: u64,
}

struct Pool {
    entries: Vec<Entry>,
    ids: BTreeSet<Txid>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let block: Block =
            bitcoin::consensus::deserialize(MAINNET_BLOCK).expect("the embedded block decodes");
        let inscriptions = INSCRIPTIONS.iter().map(|hex| {
            bitcoin::consensus::encode::deserialize_hex::<Transaction>(hex.trim())
                .expect("the embedded inscription decodes")
        });
        let entries: Vec<Entry> = block
            .txdata
            .into_iter()
            .skip(1)
            .chain(inscriptions)
            .map(|tx| Entry {
                txid: tx.compute_txid(),
                wtxid: tx.compute_wtxid(),
                weight_wu: tx.weight().to_wu(),
                tx,
            })
            .collect();
        let ids = entries.iter().map(|e| e.txid).collect();
        Pool { entries, ids }
    })
}

/// Whether `txid` is a background (mainnet) transaction.
pub(crate) fn is_background(txid: &Txid) -> bool {
    pool().ids.contains(txid)
}

/// How many transactions the pool holds.
#[cfg(test)]
pub(crate) fn pool_len() -> usize {
    pool().entries.len()
}

/// The background transactions of the block at `height`: up to `count` consecutive pool
/// entries from position `height · count` (wrapping), stopping before one would take the
/// total past `weight_max_wu`. A transaction appears at most once per block.
pub(crate) fn pick(height: u64, count: u32, weight_max_wu: u64) -> Vec<&'static Entry> {
    let entries = &pool().entries;
    let n = entries.len() as u64;
    let count = u64::from(count).min(n);
    let start = height.wrapping_mul(count) % n;
    let mut weight = 0;
    let mut picked = Vec::with_capacity(count as usize);
    for i in 0..count {
        let entry = &entries[((start + i) % n) as usize];
        if weight + entry.weight_wu > weight_max_wu {
            break;
        }
        weight += entry.weight_wu;
        picked.push(entry);
    }
    picked
}
