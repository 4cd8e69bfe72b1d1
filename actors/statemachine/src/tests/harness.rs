//! A test harness: an engine on a memory store fed real indexer events, remembering the
//! chain it applied so it can disconnect and fork.

use crate::testing::{connected_block, groth16_chain, Groth16Chain};
use crate::{StateMachineConfig, StateMachineEngine, StateMachineMetrics, KEYSPACE};
use bitai_messages::indexer::{ConnectedBlock, Delivery, IndexerEvent};
use bitai_protocol::BitaiTx;
use bitai_storage::{MemoryStore, SharedStore};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use std::sync::{Arc, OnceLock};

/// First height the harness connects.
pub const START: u64 = 100;

/// The fixture chain: registered with a real devnet key, 4 proved blocks.
pub fn chain_a() -> &'static Groth16Chain {
    static A: OnceLock<Groth16Chain> = OnceLock::new();
    A.get_or_init(|| groth16_chain(4, 1))
}

pub fn config(depth: u64) -> StateMachineConfig {
    StateMachineConfig {
        finality_depth: depth,
        allow_simulation_only: false,
        max_chains: 16,
        journal_depth: 0,
    }
}

pub struct Harness {
    pub store: SharedStore,
    pub engine: StateMachineEngine,
    pub metrics: StateMachineMetrics,
    pub blocks: Vec<ConnectedBlock>,
    forks: u32,
    depth: u64,
    /// Lowest height whose undo journal is kept.
    journal_floor: u64,
}

impl Harness {
    pub fn new(config: StateMachineConfig) -> Self {
        let store: SharedStore = Arc::new(MemoryStore::new());
        let metrics = StateMachineMetrics::new(&prometheus::Registry::new()).expect("metrics");
        let depth = config.depth();
        let engine =
            StateMachineEngine::load(config, store.clone(), metrics.clone()).expect("load");
        Self {
            store,
            engine,
            metrics,
            blocks: vec![],
            forks: 0,
            depth,
            journal_floor: 0,
        }
    }

    fn prev(&self) -> BlockHash {
        self.blocks
            .last()
            .map_or(BlockHash::all_zeros(), |b| b.hash)
    }

    /// Connects a new block carrying `txs`; returns it.
    pub fn connect(&mut self, txs: &[BitaiTx]) -> ConnectedBlock {
        let height = START + self.blocks.len() as u64;
        self.forks += 1;
        let b = connected_block(height, self.prev(), self.forks, txs);
        let d = self
            .engine
            .apply(&IndexerEvent::BlockConnected(b.clone()))
            .expect("apply");
        assert_eq!(d, Delivery::Apply);
        self.blocks.push(b.clone());
        self.journal_floor = self
            .journal_floor
            .max((height + 1).saturating_sub(self.depth));
        b
    }

    /// How many blocks can be disconnected (those with a journal).
    pub fn undoable(&self) -> usize {
        self.blocks
            .iter()
            .filter(|b| b.height >= self.journal_floor)
            .count()
    }

    /// Disconnects the tip `k` times.
    pub fn disconnect(&mut self, k: usize) {
        for _ in 0..k {
            let b = self.blocks.pop().expect("a block to disconnect");
            let d = self
                .engine
                .apply(&IndexerEvent::BlockDisconnected {
                    height: b.height,
                    hash: b.hash,
                })
                .expect("disconnect");
            assert_eq!(d, Delivery::Apply);
        }
    }

    /// The state the state machine keeps: everything in its keyspace but the rejection log
    /// and the undo journals (which blocks can still be undone depends on the highest tip
    /// seen, not on the canonical chain; the cursor's tip is compared through the view).
    pub fn dump(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut all = self
            .store
            .range(KEYSPACE, &[0], None, usize::MAX)
            .expect("range");
        all.retain(|(k, _)| !matches!(k.first(), Some(b'r' | b'j')));
        all
    }

    /// A fresh engine fed only this harness's current chain.
    pub fn replay(&self, config: StateMachineConfig) -> Harness {
        let mut fresh = Harness::new(config);
        for b in &self.blocks {
            let d = fresh
                .engine
                .apply(&IndexerEvent::BlockConnected(b.clone()))
                .expect("apply");
            assert_eq!(d, Delivery::Apply);
            fresh.blocks.push(b.clone());
        }
        fresh
    }
}

/// A view without the rejection log (a log, not state).
pub fn state_of(h: &Harness) -> bitai_messages::statemachine::StateView {
    let mut v = h.engine.view();
    v.rejected.clear();
    v
}
