//! Reorgs on demand. The top `depth` blocks are disconnected; their transactions go back to
//! the mempool as Bitcoin Core returns them (those still valid, without fee minimums or a
//! second signature check), the mempool is rebuilt around them in a valid order (what no longer
//! fits is dropped: spends of coinbases gone or now immature, descendants of what did not come
//! back), and `new_blocks` blocks, more than `depth` so the new branch has more work, are mined
//! on the fork point. [`ReorgMempool`] chooses what those blocks take from the mempool.
//!
//! On a durable network the whole reorg (the new blocks, their connection-log and best-chain
//! entries, the new meta) is one store batch, written before the node's lock is released; if
//! the write fails the chain and the mempool are put back as they were before the reorg.

use super::background;
use super::node::Node;
use super::policy::AcceptOptions;
use super::SimBitcoinError;
use bitcoin::{BlockHash, Txid};
use std::collections::BTreeSet;

/// What a reorg does with the disconnected transactions and the replacement blocks' contents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReorgMempool {
    /// The disconnected transactions return to the mempool and the new blocks are mined from
    /// it as usual, so they usually confirm again at once (a plain reorg).
    #[default]
    Include,
    /// The disconnected transactions return to the mempool, and the new blocks hold only
    /// their coinbase: after the reorg those transactions are unconfirmed but still relayed.
    Keep,
    /// The disconnected transactions do not return to the mempool (nor their descendants):
    /// they are gone from every node, as if evicted everywhere; the new blocks are mined from
    /// what the mempool still holds.
    Drop,
    /// Like `Include`, but the new blocks leave out these transactions and their
    /// descendants, which stay in the mempool unconfirmed.
    Exclude(BTreeSet<Txid>),
}

/// What a reorg did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReorgReport {
    /// Height of the last block both branches share.
    pub fork_height: u64,
    /// The blocks disconnected, lowest first (still stored: `block(hash)` serves them).
    pub disconnected: Vec<BlockHash>,
    /// The new branch's blocks, lowest first; the last is the new tip.
    pub connected: Vec<BlockHash>,
    /// Disconnected transactions that went back into the mempool (some may have confirmed
    /// again in `connected`).
    pub returned_to_mempool: Vec<Txid>,
    /// Disconnected transactions that did not go back into the mempool.
    pub dropped: Vec<Txid>,
}

impl Node {
    /// Disconnects `depth` blocks and mines `new_blocks` on the fork point.
    pub(crate) fn reorg(
        &mut self,
        depth: u64,
        new_blocks: u64,
        mempool_mode: ReorgMempool,
    ) -> Result<ReorgReport, SimBitcoinError> {
        let tip_height = self.chain.height();
        if depth == 0 || depth > tip_height || new_blocks <= depth {
            return Err(SimBitcoinError::InvalidReorg {
                depth,
                new_blocks,
                tip_height,
            });
        }
        let snapshot = self.begin_deferred();
        match self.reorg_in_memory(depth, new_blocks, mempool_mode) {
            Ok(report) => {
                self.finish_deferred(snapshot)?;
                Ok(report)
            }
            Err(e) => {
                self.abort_deferred(snapshot);
                Err(e)
            }
        }
    }

    /// The reorg itself, once its arguments are checked.
    fn reorg_in_memory(
        &mut self,
        depth: u64,
        new_blocks: u64,
        mempool_mode: ReorgMempool,
    ) -> Result<ReorgReport, SimBitcoinError> {
        let tip_height = self.chain.height();
        let mut blocks = Vec::new();
        for _ in 0..depth {
            blocks.push(self.chain.disconnect_tip());
        }
        blocks.reverse();
        let disconnected: Vec<BlockHash> = blocks.iter().map(|b| b.block_hash()).collect();

        let previous_mempool = self.mempool.drain();
        let mut returned_to_mempool = Vec::new();
        let mut dropped = Vec::new();
        for tx in blocks
            .into_iter()
            .flat_map(|b| b.txdata.into_iter().skip(1))
        {
            let txid = tx.compute_txid();
            if background::is_background(&txid) {
                // Mainnet's: the new blocks carry their own background.
                continue;
            }
            if mempool_mode == ReorgMempool::Drop {
                dropped.push(txid);
                continue;
            }
            match self.accept(tx, AcceptOptions::REORG) {
                Ok(_) => returned_to_mempool.push(txid),
                Err(_) => dropped.push(txid),
            }
        }
        for tx in previous_mempool {
            // What no longer fits (it spent a dropped transaction) is dropped, as in Core.
            let _ = self.accept(tx, AcceptOptions::REORG);
        }

        let (include, exclude) = match mempool_mode {
            ReorgMempool::Include | ReorgMempool::Drop => (true, BTreeSet::new()),
            ReorgMempool::Keep => (false, BTreeSet::new()),
            ReorgMempool::Exclude(set) => (true, set),
        };
        let now_ms = self.clock.now_ms();
        let connected = (0..new_blocks)
            .map(|_| self.mine_block_at(now_ms, include, &exclude))
            .collect::<Result<_, _>>()?;
        Ok(ReorgReport {
            fork_height: tip_height - depth,
            disconnected,
            connected,
            returned_to_mempool,
            dropped,
        })
    }
}
