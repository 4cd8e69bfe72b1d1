//! Blocks from outside: a recorded chain played back into SimBitcoin. [`Node::apply_recorded`]
//! disconnects some tips (a scripted reorg; their transactions go back to the mempool, as
//! Core does) and connects the given blocks exactly as they are, each validated on the tip
//! by consensus rules (it extends the tip, its merkle root holds, its first transaction is
//! the only coinbase and claims no more than subsidy and fees, its other transactions pass
//! the same checks as a mined block's). The whole step is stored in one batch on a durable
//! network. While a recording plays, SimBitcoin's own miner stays paused
//! ([`Node::mining_paused`]); its schedule moves on without mining.

use super::block::block_subsidy;
use super::node::Node;
use super::policy::AcceptOptions;
use super::SimBitcoinError;
use bitcoin::{Block, BlockHash};
use std::collections::BTreeSet;

impl Node {
    /// Disconnects `disconnect` tips, then connects `blocks` in order.
    pub(crate) fn apply_recorded(
        &mut self,
        disconnect: u64,
        blocks: Vec<Block>,
    ) -> Result<Vec<BlockHash>, SimBitcoinError> {
        if disconnect > self.chain.height() {
            return Err(SimBitcoinError::InvalidReorg {
                depth: disconnect,
                new_blocks: blocks.len() as u64,
                tip_height: self.chain.height(),
            });
        }
        let snapshot = self.begin_deferred();
        match self.apply_in_memory(disconnect, blocks) {
            Ok(hashes) => {
                self.finish_deferred(snapshot)?;
                Ok(hashes)
            }
            Err(e) => {
                self.abort_deferred(snapshot);
                Err(e)
            }
        }
    }

    fn apply_in_memory(
        &mut self,
        disconnect: u64,
        blocks: Vec<Block>,
    ) -> Result<Vec<BlockHash>, SimBitcoinError> {
        let mut returned = Vec::new();
        for _ in 0..disconnect {
            let block = self.chain.disconnect_tip();
            returned.extend(block.txdata.into_iter().skip(1));
        }
        let previous_mempool = self.mempool.drain();
        for tx in returned.into_iter().rev().chain(previous_mempool) {
            // What no longer fits is dropped, as in Core.
            let _ = self.accept(tx, AcceptOptions::REORG);
        }
        blocks
            .into_iter()
            .map(|block| self.connect_recorded(block))
            .collect()
    }

    fn connect_recorded(&mut self, block: Block) -> Result<BlockHash, SimBitcoinError> {
        let bad = |why: String| SimBitcoinError::Recorded(why);
        let tip = self.chain.tip();
        let hash = block.block_hash();
        if block.header.prev_blockhash != tip.hash {
            return Err(bad(format!(
                "block {hash} does not extend the tip {}",
                tip.hash
            )));
        }
        if !block.check_merkle_root() {
            return Err(bad(format!("block {hash}: wrong merkle root")));
        }
        let Some((coinbase, rest)) = block.txdata.split_first() else {
            return Err(bad(format!("block {hash} has no transactions")));
        };
        if !coinbase.is_coinbase() || rest.iter().any(|t| t.is_coinbase()) {
            return Err(bad(format!(
                "block {hash}: not exactly one coinbase, first"
            )));
        }
        let body = self.validate_block_txs(rest.to_vec())?;
        let claimed: u64 = coinbase.output.iter().map(|o| o.value.to_sat()).sum();
        let allowed = (block_subsidy(tip.height + 1) + body.fees).to_sat();
        if claimed > allowed {
            return Err(bad(format!(
                "block {hash}: the coinbase claims {claimed} sat, at most {allowed} allowed"
            )));
        }
        let mut txids = Vec::with_capacity(block.txdata.len());
        txids.push(coinbase.compute_txid());
        txids.extend_from_slice(&body.txids);
        let bytes = bitcoin::consensus::serialize(&block);
        self.persist_connect(&hash, tip.height + 1, &bytes)?;
        self.chain
            .connect(&block, &txids, bytes, body.fee_rates_sat_per_kvb);
        // Confirmed transactions leave the mempool; those they conflict with go with their
        // descendants.
        let confirmed: BTreeSet<_> = body.txids.iter().copied().collect();
        let mut conflicts = BTreeSet::new();
        for tx in rest {
            for input in &tx.input {
                if let Some(spender) = self.mempool.spent_by.get(&input.previous_output) {
                    conflicts.insert(*spender);
                }
            }
        }
        self.mempool.remove_set(&confirmed);
        for c in conflicts.difference(&confirmed) {
            self.mempool.remove_with_descendants(c);
        }
        self.mempool.block_connected();
        Ok(hash)
    }
}
