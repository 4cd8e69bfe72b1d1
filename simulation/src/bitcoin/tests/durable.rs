//! Durable SimBitcoin (`SimBitcoin::open`) on a fjall store in a temporary directory:
//! blocks, UTXOs, stale branches and the miner's state survive dropping the network and
//! opening the store again; a store that fails a write leaves the network as it was.

use super::helpers::{output_of, rate, START_MS};
use crate::bitcoin::chain::Coin;
use crate::bitcoin::{SimBitcoin, SimBitcoinConfig, SimBitcoinError, SimWallet};
use bitai_bitcoin::{BitcoinPort, BroadcastReject, ChainTip, PortError, Utxo};
use bitai_runtime::{ManualClock, SharedClock};
use bitai_storage::{Durability, FjallStore, SharedStore};
use bitcoin::{Amount, BlockHash, OutPoint, Transaction, TxOut};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A data directory, its network's config and clock, and the wallet the coinbases pay.
pub struct Disk {
    pub path: PathBuf,
    /// The temporary directory at `path`, when the disk made it (removed on drop).
    _dir: Option<tempfile::TempDir>,
    pub config: SimBitcoinConfig,
    pub clock: ManualClock,
    pub wallet: SimWallet,
}

impl Disk {
    /// A fresh directory; coinbases to the wallet, maturity 2, blocks every minute on average.
    pub fn new(seed: u64) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut disk = Self::at(seed, dir.path());
        disk._dir = Some(dir);
        disk
    }

    /// The disk at `path` (not removed on drop).
    pub fn at(seed: u64, path: &Path) -> Self {
        let wallet = SimWallet::from_seed(seed ^ 0x77);
        let config = SimBitcoinConfig {
            seed,
            coinbase_maturity: 2,
            block_interval_mean_ms: 60_000,
            coinbase_script_pubkey_hex: Some(wallet.script_pubkey().to_hex_string()),
            ..SimBitcoinConfig::default()
        };
        Self {
            path: path.to_owned(),
            _dir: None,
            config,
            clock: ManualClock::new(START_MS),
            wallet,
        }
    }

    /// The fjall store of the directory.
    pub fn store(&self) -> SharedStore {
        Arc::new(FjallStore::open(&self.path, Durability::Process).expect("fjall opens"))
    }

    /// The network the directory holds (a new one if it is empty).
    pub fn open(&self) -> SimBitcoin {
        self.open_on(self.store())
    }

    /// The network on `store`, with this disk's config and clock.
    pub fn open_on(&self, store: SharedStore) -> SimBitcoin {
        SimBitcoin::open(self.config.clone(), self.clock(), store).expect("the store opens")
    }

    /// An in-memory twin: same config, same clock.
    pub fn twin(&self) -> SimBitcoin {
        SimBitcoin::new(self.config.clone(), self.clock()).expect("a valid config")
    }

    pub fn clock(&self) -> SharedClock {
        Arc::new(self.clock.clone())
    }

    /// The wallet's confirmed coins, outpoint order.
    pub fn confirmed(&self, sim: &SimBitcoin) -> Vec<Utxo> {
        sim.utxos(std::slice::from_ref(self.wallet.address()))
            .expect("sim answers")
            .into_iter()
            .filter(|u| u.confirmations > 0)
            .collect()
    }

    /// A spend of `coin`: a third of it to the wallet, change back, at `sat_per_vb`.
    pub fn split(&self, coin: &Utxo, sat_per_vb: u64) -> Transaction {
        let out = TxOut {
            value: Amount::from_sat(coin.value.to_sat() / 3),
            script_pubkey: self.wallet.script_pubkey().clone(),
        };
        self.wallet
            .spend(std::slice::from_ref(coin), vec![out], rate(sat_per_vb))
            .expect("the coin pays for its spend")
    }

    /// Broadcasts spends of up to `n` confirmed coins (the first ones), advances the clock a
    /// minute and mines a block; returns the spends.
    pub fn block_with_spends(&self, sim: &SimBitcoin, n: usize) -> Vec<Transaction> {
        let spends: Vec<Transaction> = self
            .confirmed(sim)
            .iter()
            .take(n)
            .map(|c| self.split(c, 2))
            .collect();
        for tx in &spends {
            sim.broadcast(tx).expect("accepted");
        }
        self.clock.advance(60_000);
        sim.mine_block();
        spends
    }
}

/// Everything a restart must keep: the tip, every best-chain block's bytes, the given other
/// blocks' bytes and heights, the UTXO set, the schedule and the fee estimate.
#[derive(Debug, PartialEq, Eq)]
pub struct Image {
    pub tip: ChainTip,
    pub best: Vec<Vec<u8>>,
    pub others: Vec<(Option<u64>, Vec<u8>)>,
    pub utxos: Vec<(OutPoint, Coin)>,
    pub next_due_ms: u64,
    pub fee_estimate: u64,
}

pub fn image(sim: &SimBitcoin, others: &[BlockHash]) -> Image {
    let tip = sim.tip().expect("sim answers");
    let best = (0..=tip.height)
        .map(|h| {
            let hash = sim.block_hash(h).expect("answers").expect("on the chain");
            sim.block(&hash).expect("stored")
        })
        .collect();
    let others = others
        .iter()
        .map(|h| (sim.block_height(h), sim.block(h).expect("stored")))
        .collect();
    let utxos = sim
        .node()
        .chain
        .utxos()
        .map(|(o, c)| (*o, c.clone()))
        .collect();
    Image {
        tip,
        best,
        others,
        utxos,
        next_due_ms: sim.next_block_due_ms(),
        fee_estimate: sim.estimate_fee_rate(1).expect("answers").to_sat_per_kwu(),
    }
}

fn refusal(sim: &SimBitcoin, tx: &Transaction) -> BroadcastReject {
    match sim.broadcast(tx) {
        Err(PortError::Rejected(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn fifty_blocks_with_transactions_survive_a_restart() {
    let disk = Disk::new(5);
    let sim = disk.open();
    assert!(sim.is_durable());
    sim.mine_blocks(3);
    let mut spent = Vec::new();
    for _ in 0..50 {
        spent.extend(disk.block_with_spends(&sim, 3));
    }
    assert_eq!(sim.tip().expect("answers").height, 53);
    assert!(spent.len() > 100, "{} spends", spent.len());
    let before = image(&sim, &[]);
    let unspent = disk.confirmed(&sim)[0].clone();
    let spent_input = spent[10].input[0].previous_output;
    drop(sim);

    let sim = disk.open();
    assert_eq!(
        image(&sim, &[]),
        before,
        "same tip, blocks, UTXOs, schedule"
    );
    assert!(sim.mempool_txids().is_empty());
    // The outputs spent before the restart stay spent; the unspent ones are spendable once.
    let coin = disk.confirmed(&sim)[1].clone();
    let mut double = disk.split(&coin, 2);
    double.input[0].previous_output = spent_input;
    assert_eq!(refusal(&sim, &double), BroadcastReject::MissingInputs);
    let spend = disk.split(&unspent, 2);
    sim.broadcast(&spend)
        .expect("a pre-restart output is spendable");
    let conflict = disk.split(&unspent, 1);
    assert!(
        sim.broadcast(&conflict).is_err(),
        "a double spend is refused"
    );
    sim.mine_block();
    assert_eq!(refusal(&sim, &conflict), BroadcastReject::MissingInputs);
    assert!(sim.confirmed_utxo(&output_of(&spend, 0).outpoint).is_some());
}

#[test]
fn a_reorg_of_depth_six_survives_a_restart_and_reorgs_go_on() {
    let disk = Disk::new(6);
    let sim = disk.open();
    sim.mine_blocks(3);
    for _ in 0..10 {
        disk.block_with_spends(&sim, 2);
    }
    disk.clock.advance(60_000);
    let report = sim.reorg(6, 7).expect("a valid reorg");
    assert_eq!(report.disconnected.len(), 6);
    let before = image(&sim, &report.disconnected);
    drop(sim);

    let sim = disk.open();
    assert_eq!(image(&sim, &report.disconnected), before);
    assert_eq!(sim.tip().expect("answers").hash, report.connected[6]);
    // Stale blocks keep their heights; the new branch is the best chain.
    assert_eq!(sim.block_height(&report.disconnected[0]), Some(8));
    disk.clock.advance(60_000);
    let second = sim.reorg(3, 4).expect("reorgs go on after a restart");
    let mut stale = report.disconnected.clone();
    stale.extend(&second.disconnected);
    let after = image(&sim, &stale);
    drop(sim);
    assert_eq!(image(&disk.open(), &stale), after);
}

#[test]
fn a_new_store_reopens_and_a_store_of_another_network_is_refused() {
    let disk = Disk::new(8);
    let fresh = disk.open();
    let genesis = image(&fresh, &[]);
    drop(fresh);
    // A genesis-only store reopens as it was, schedule included.
    assert_eq!(image(&disk.open(), &[]), genesis);
    let other = SimBitcoinConfig {
        seed: 9,
        ..disk.config.clone()
    };
    assert!(matches!(
        SimBitcoin::open(other, disk.clock(), disk.store()),
        Err(SimBitcoinError::StoreMismatch(_))
    ));
}

#[test]
fn settings_survive_a_restart() {
    let disk = Disk::new(10);
    let sim = disk.open();
    sim.mine_blocks(2);
    let other = SimWallet::from_seed(99);
    sim.set_coinbase_script_pubkey(other.script_pubkey().clone());
    sim.set_fee_spike(Some(rate(40)));
    sim.set_miner_min_fee_rate(rate(3));
    drop(sim);
    let sim = disk.open();
    assert_eq!(sim.estimate_fee_rate(1).expect("answers"), rate(40));
    let hash = sim.mine_block();
    let block: bitcoin::Block =
        bitcoin::consensus::deserialize(&sim.block(&hash).expect("stored")).expect("decodes");
    assert_eq!(
        block.txdata[0].output[0].script_pubkey,
        *other.script_pubkey()
    );
    assert_eq!(sim.node().miner_min_fee_rate_sat_per_kvb, 3_000);
}
