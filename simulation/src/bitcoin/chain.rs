//! The block store, the best chain and its UTXO set. Every block ever connected stays stored
//! (stale branches too, as Bitcoin Core keeps them), as its raw consensus bytes, so serving a
//! block is a copy. The best chain is a list of hashes by height; connecting a block moves its
//! spent coins into an undo list kept with the block, and disconnecting the tip puts them back.
//! Mainnet background transactions (`background`) touch no coin here.

use super::background;
use bitai_bitcoin::ChainTip;
use bitcoin::block::Header;
use bitcoin::{Block, BlockHash, OutPoint, TxOut, Txid};
use std::collections::BTreeMap;
use std::sync::Arc;

/// An unspent output of the best chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Coin {
    /// The output.
    pub txout: TxOut,
    /// Height of the block that created it.
    pub height: u64,
    /// Whether a coinbase created it (maturity applies).
    pub is_coinbase: bool,
}

/// A block as stored: its serialization plus what disconnecting it needs. Never changed once
/// stored, so the chain shares it (`Arc`) and a copy of the chain (a durable reorg's
/// snapshot) copies pointers, not blocks.
#[derive(Debug)]
struct StoredBlock {
    header: Header,
    height: u64,
    bytes: Vec<u8>,
    /// Coins this block spent, in spending order, to restore on disconnect.
    undo: Vec<(OutPoint, Coin)>,
    /// Fee rates (sat/kvB) of its non-coinbase transactions, sorted ascending.
    fee_rates_sat_per_kvb: Vec<u64>,
}

/// Blocks, best chain and UTXO set.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    blocks: BTreeMap<BlockHash, Arc<StoredBlock>>,
    best: Vec<BlockHash>,
    utxos: BTreeMap<OutPoint, Coin>,
}

impl Chain {
    /// A chain holding only `genesis` (whose coinbase, as in Bitcoin, is unspendable).
    pub fn new(genesis: &Block) -> Self {
        let hash = genesis.block_hash();
        let stored = StoredBlock {
            header: genesis.header,
            height: 0,
            bytes: bitcoin::consensus::serialize(genesis),
            undo: Vec::new(),
            fee_rates_sat_per_kvb: Vec::new(),
        };
        Self {
            blocks: BTreeMap::from([(hash, Arc::new(stored))]),
            best: vec![hash],
            utxos: BTreeMap::new(),
        }
    }

    /// Height of the best tip.
    pub fn height(&self) -> u64 {
        self.best.len() as u64 - 1
    }

    /// The best tip.
    pub fn tip(&self) -> ChainTip {
        ChainTip {
            height: self.height(),
            hash: *self.best.last().expect("genesis is never removed"),
        }
    }

    /// Header of the best tip.
    pub fn tip_header(&self) -> &Header {
        &self.blocks[&self.tip().hash].header
    }

    /// Hash of the best chain's block at `height`.
    pub fn hash_at(&self, height: u64) -> Option<BlockHash> {
        usize::try_from(height)
            .ok()
            .and_then(|h| self.best.get(h))
            .copied()
    }

    /// Raw bytes of a stored block, best chain or not.
    pub fn block_bytes(&self, hash: &BlockHash) -> Option<&[u8]> {
        self.blocks.get(hash).map(|b| b.bytes.as_slice())
    }

    /// Height of a stored block, best chain or not.
    pub fn block_height(&self, hash: &BlockHash) -> Option<u64> {
        self.blocks.get(hash).map(|b| b.height)
    }

    /// The unspent coin at `outpoint`.
    pub fn coin(&self, outpoint: &OutPoint) -> Option<&Coin> {
        self.utxos.get(outpoint)
    }

    /// The whole UTXO set, in outpoint order.
    pub fn utxos(&self) -> impl Iterator<Item = (&OutPoint, &Coin)> {
        self.utxos.iter()
    }

    /// Median of the last 11 best-chain block times (BIP-113).
    pub fn median_time_past(&self) -> u32 {
        let mut times: Vec<u32> = self
            .best
            .iter()
            .rev()
            .take(11)
            .map(|h| self.blocks[h].header.time)
            .collect();
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// Sorted fee rates of the transactions in the last `window` best-chain blocks.
    pub fn recent_fee_rates(&self, window: u32) -> Vec<u64> {
        let mut rates: Vec<u64> = self
            .best
            .iter()
            .rev()
            .take(window as usize)
            .flat_map(|h| self.blocks[h].fee_rates_sat_per_kvb.iter().copied())
            .collect();
        rates.sort_unstable();
        rates
    }

    /// Connects `block` on the tip. The caller has validated it against this chain (inputs
    /// exist and are unspent, maturity, signatures); `txids` are its transactions' ids (the
    /// caller has them: a full block is not hashed twice), `bytes` its serialization.
    pub fn connect(
        &mut self,
        block: &Block,
        txids: &[Txid],
        bytes: Vec<u8>,
        mut fee_rates_sat_per_kvb: Vec<u64>,
    ) {
        assert_eq!(block.txdata.len(), txids.len(), "one txid per transaction");
        assert_eq!(
            block.header.prev_blockhash,
            self.tip().hash,
            "block must extend the tip"
        );
        let height = self.height() + 1;
        let mut undo = Vec::new();
        for (tx, txid) in block.txdata.iter().zip(txids) {
            let txid = *txid;
            if background::is_background(&txid) {
                // Mainnet's coins: it spends and creates none here.
                continue;
            }
            let is_coinbase = tx.is_coinbase();
            if !is_coinbase {
                for input in &tx.input {
                    let coin = self
                        .utxos
                        .remove(&input.previous_output)
                        .expect("a validated block spends only unspent coins");
                    undo.push((input.previous_output, coin));
                }
            }
            for (vout, txout) in tx.output.iter().enumerate() {
                if txout.script_pubkey.is_op_return() {
                    continue;
                }
                let outpoint = OutPoint {
                    txid,
                    vout: vout as u32,
                };
                let coin = Coin {
                    txout: txout.clone(),
                    height,
                    is_coinbase,
                };
                self.utxos.insert(outpoint, coin);
            }
        }
        fee_rates_sat_per_kvb.sort_unstable();
        let hash = block.block_hash();
        let stored = StoredBlock {
            header: block.header,
            height,
            bytes,
            undo,
            fee_rates_sat_per_kvb,
        };
        self.blocks.insert(hash, Arc::new(stored));
        self.best.push(hash);
    }

    /// Disconnects the best tip (never genesis) and returns the block it was.
    pub fn disconnect_tip(&mut self) -> Block {
        assert!(self.height() > 0, "genesis cannot be disconnected");
        let hash = self.best.pop().expect("height > 0");
        let stored = &self.blocks[&hash];
        let block: Block = bitcoin::consensus::deserialize(&stored.bytes)
            .expect("blocks stored here were serialized here");
        // Undo transaction by transaction, last first, so a coin created and spent in this
        // block is restored by its spender and then removed with its creator.
        let mut undo = stored.undo.iter().rev();
        for tx in block.txdata.iter().rev() {
            let txid = tx.compute_txid();
            if background::is_background(&txid) {
                continue;
            }
            for vout in 0..tx.output.len() {
                self.utxos.remove(&OutPoint {
                    txid,
                    vout: vout as u32,
                });
            }
            if !tx.is_coinbase() {
                for _ in &tx.input {
                    let (outpoint, coin) = undo.next().expect("one undo entry per spent input");
                    self.utxos.insert(*outpoint, coin.clone());
                }
            }
        }
        block
    }
}
