//! Oracle (b): nothing is inscribed twice. The checker keeps the canonical chain's BitAI
//! proofs by height (rescanning from the fork point after a reorg) and fails when one
//! `SubmitProof` (chain, block number, new root) is carried by two transactions of the
//! canonical chain.

use crate::world::World;
use bitai_bitcoin::BitcoinPort;
use bitai_protocol::{BitaiTx, ChainId, Hash32};
use bitcoin::BlockHash;
use std::collections::BTreeMap;

type ProofKey = (ChainId, u64, Hash32);

/// The canonical chain's proofs, by height.
#[derive(Default)]
pub struct Canonical {
    blocks: BTreeMap<u64, (BlockHash, Vec<(ProofKey, bitcoin::Txid)>)>,
}

impl Canonical {
    /// Catches up with SimBitcoin's best chain and checks it.
    pub fn scan(&mut self, w: &World) -> Result<(), String> {
        let sim = w.sim();
        let tip = sim.tip().map_err(|e| e.to_string())?.height;
        // Forget what a reorg replaced: walk down from the tip to the first block we hold.
        let mut from = w.start_height + 1;
        for h in (w.start_height + 1..=tip).rev() {
            let hash = sim.block_hash(h).map_err(|e| e.to_string())?;
            if let (Some(hash), Some((held, _))) = (hash, self.blocks.get(&h)) {
                if hash == *held {
                    from = h + 1;
                    break;
                }
            }
        }
        let _ = self.blocks.split_off(&from);
        for h in from..=tip {
            let Some(hash) = sim.block_hash(h).map_err(|e| e.to_string())? else {
                break;
            };
            let bytes = sim.block(&hash).map_err(|e| e.to_string())?;
            let block: bitcoin::Block = bitcoin::consensus::deserialize(&bytes)
                .map_err(|e| format!("SimBitcoin block {h}: {e}"))?;
            let mut proofs = Vec::new();
            for tx in &block.txdata {
                for envelope in bitai_protocol::envelope::parse::parse_transaction(tx) {
                    if let Ok(BitaiTx::SubmitProof(p)) = envelope.bitai_tx() {
                        proofs.push((
                            (p.chain_id, p.block_number, p.new_state_root),
                            tx.compute_txid(),
                        ));
                    }
                }
            }
            self.blocks.insert(h, (hash, proofs));
        }
        let mut seen: BTreeMap<&ProofKey, (u64, bitcoin::Txid)> = BTreeMap::new();
        for (h, (_, proofs)) in &self.blocks {
            for (key, txid) in proofs {
                if let Some((h0, t0)) = seen.insert(key, (*h, *txid)) {
                    return Err(format!(
                        "the proof of chain {} block {} is on Bitcoin twice: {t0} at height {h0} and {txid} at height {h}",
                        key.0, key.1
                    ));
                }
            }
        }
        Ok(())
    }
}
