//! The expected view of a scenario: SimBitcoin's best chain from a start height, with the
//! BitAI payloads of the reveals the scenario made, found by txid (independently of the
//! envelope parser under test).

use super::inscribe::Inscribed;
use super::recording_consumer::ChainEntry;
use bitai_bitcoin::BitcoinPort;
use bitai_simulation::bitcoin::SimBitcoin;
use bitcoin::{Block, Txid};
use std::collections::BTreeMap;

/// Reveal txid to payloads, for every reveal a scenario made.
#[derive(Default)]
pub struct Ledger {
    reveals: BTreeMap<Txid, Vec<Vec<u8>>>,
}

impl Ledger {
    /// Records an inscription.
    pub fn record(&mut self, inscribed: &Inscribed) {
        self.reveals
            .insert(inscribed.reveal.compute_txid(), inscribed.payloads.clone());
    }

    /// Number of reveals recorded.
    pub fn len(&self) -> usize {
        self.reveals.len()
    }

    /// Whether none was recorded.
    pub fn is_empty(&self) -> bool {
        self.reveals.is_empty()
    }

    /// The best chain from `start` to the tip: height, hash, and (reveal txid, payload) of
    /// every recorded reveal in the block, in block order.
    pub fn canonical(&self, sim: &SimBitcoin, start: u64) -> Vec<ChainEntry> {
        let tip = sim.tip().expect("tip").height;
        (start..=tip)
            .map(|h| {
                let hash = sim.block_hash(h).expect("port").expect("below tip");
                let block: Block =
                    bitcoin::consensus::deserialize(&sim.block(&hash).expect("block"))
                        .expect("decodes");
                let txs = block
                    .txdata
                    .iter()
                    .filter_map(|tx| {
                        let txid = tx.compute_txid();
                        self.reveals.get(&txid).map(|p| (txid, p.clone()))
                    })
                    .flat_map(|(txid, payloads)| payloads.into_iter().map(move |p| (txid, p)))
                    .collect();
                (h, hash, txs)
            })
            .collect()
    }
}
