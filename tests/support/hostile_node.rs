//! A Bitcoin node that misbehaves, wrapped around SimBitcoin: for chosen heights it first
//! serves block bytes that are corrupt, truncated, oversized or another block's, and it
//! answers some tip queries with the errors a node with wrong-shaped replies produces. It
//! stands in for a buggy or hostile backend, which we cannot run here.

use bitai_bitcoin::{BitcoinPort, ChainTip, PortError, Utxo};
use bitai_simulation::bitcoin::SimBitcoin;
use bitcoin::{Address, BlockHash, FeeRate, Transaction, Txid};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// How a block is mangled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mangle {
    /// Bytes flipped in the middle.
    Corrupt,
    /// Cut in half.
    Truncate,
    /// Padded past the size limit.
    Oversize,
    /// The bytes of the block's parent instead.
    WrongBlock,
}

/// The misbehaving node.
pub struct HostileNode {
    inner: SimBitcoin,
    /// Height to (mangling, how many more times).
    mangles: Mutex<BTreeMap<u64, (Mangle, u32)>>,
    /// Every n-th tip query fails with a wrong-shape error (0: never).
    bad_tip_every: u64,
    tip_calls: Mutex<u64>,
}

impl HostileNode {
    /// Wraps `inner`.
    pub fn new(inner: SimBitcoin, bad_tip_every: u64) -> Self {
        Self {
            inner,
            mangles: Mutex::new(BTreeMap::new()),
            bad_tip_every,
            tip_calls: Mutex::new(0),
        }
    }

    /// Serves block `height` mangled `times` times before serving it right.
    pub fn mangle(&self, height: u64, how: Mangle, times: u32) {
        self.mangles
            .lock()
            .expect("not poisoned")
            .insert(height, (how, times));
    }
}

impl BitcoinPort for HostileNode {
    fn tip(&self) -> Result<ChainTip, PortError> {
        let mut calls = self.tip_calls.lock().expect("not poisoned");
        *calls += 1;
        if self.bad_tip_every > 0 && calls.is_multiple_of(self.bad_tip_every) {
            return Err(PortError::UnexpectedReply {
                method: "getblockchaininfo",
                reason: "field `blocks` is a string, expected a number".into(),
            });
        }
        self.inner.tip()
    }

    fn block_hash(&self, height: u64) -> Result<Option<BlockHash>, PortError> {
        self.inner.block_hash(height)
    }

    fn block(&self, hash: &BlockHash) -> Result<Vec<u8>, PortError> {
        let mut bytes = self.inner.block(hash)?;
        let Some(height) = self.inner.block_height(hash) else {
            return Ok(bytes);
        };
        let mut mangles = self.mangles.lock().expect("not poisoned");
        let Some((how, left)) = mangles.get_mut(&height) else {
            return Ok(bytes);
        };
        if *left == 0 {
            return Ok(bytes);
        }
        *left -= 1;
        match how {
            Mangle::Corrupt => {
                let mid = bytes.len() / 2;
                for b in &mut bytes[mid..mid + 16] {
                    *b ^= 0xa5;
                }
            }
            Mangle::Truncate => bytes.truncate(bytes.len() / 2),
            Mangle::Oversize => bytes.resize(4_000_001, 0),
            Mangle::WrongBlock => {
                let parent = self
                    .inner
                    .block_hash(height.saturating_sub(1))?
                    .expect("parent");
                bytes = self.inner.block(&parent)?;
            }
        }
        Ok(bytes)
    }

    fn broadcast(&self, tx: &Transaction) -> Result<Txid, PortError> {
        self.inner.broadcast(tx)
    }

    fn in_mempool(&self, txid: &Txid) -> Result<bool, PortError> {
        self.inner.in_mempool(txid)
    }

    fn estimate_fee_rate(&self, target_blocks: u16) -> Result<FeeRate, PortError> {
        self.inner.estimate_fee_rate(target_blocks)
    }

    fn utxos(&self, addresses: &[Address]) -> Result<Vec<Utxo>, PortError> {
        self.inner.utxos(addresses)
    }
}
