//! The test fixture: a network whose coinbases pay to a test wallet, with two mature
//! coinbases to spend.

use crate::bitcoin::{SimBitcoin, SimBitcoinConfig, SimWallet};
use bitai_bitcoin::{BitcoinPort, ChainTip, PortError, Utxo};
use bitai_runtime::ManualClock;
use bitcoin::{Amount, Block, BlockHash, FeeRate, OutPoint, ScriptBuf, Transaction, TxOut, Txid};
use std::sync::Arc;

/// A network, its clock and the wallet its coinbases pay to.
pub struct Fixture {
    pub sim: SimBitcoin,
    pub clock: ManualClock,
    pub wallet: SimWallet,
}

/// Start of the fixture's clock (2023-11-14).
pub const START_MS: u64 = 1_700_000_000_000;

/// The default config with coinbases to `wallet`.
pub fn config_for(wallet: &SimWallet) -> SimBitcoinConfig {
    SimBitcoinConfig {
        seed: 1,
        coinbase_script_pubkey_hex: Some(wallet.script_pubkey().to_hex_string()),
        ..SimBitcoinConfig::default()
    }
}

impl Fixture {
    /// The default config, 101 blocks mined.
    pub fn new() -> Self {
        let wallet = SimWallet::from_seed(7);
        Self::with_config(config_for(&wallet), wallet)
    }

    /// A changed default config, 101 blocks mined.
    pub fn with(change: impl FnOnce(&mut SimBitcoinConfig)) -> Self {
        let wallet = SimWallet::from_seed(7);
        let mut config = config_for(&wallet);
        change(&mut config);
        Self::with_config(config, wallet)
    }

    fn with_config(config: SimBitcoinConfig, wallet: SimWallet) -> Self {
        let clock = ManualClock::new(START_MS);
        let sim = SimBitcoin::new(config, Arc::new(clock.clone())).expect("valid config");
        sim.mine_blocks(101);
        Self { sim, clock, wallet }
    }

    /// The wallet's spendable coins (confirmed first, then unconfirmed).
    pub fn coins(&self) -> Vec<Utxo> {
        self.sim
            .utxos(std::slice::from_ref(self.wallet.address()))
            .expect("sim answers")
    }

    /// The wallet's oldest mature coinbase.
    pub fn coin(&self) -> Utxo {
        self.coins()
            .into_iter()
            .find(|u| u.confirmations > 0)
            .expect("a mature coin")
    }

    /// Broadcasts, panicking on refusal.
    pub fn accept(&self, tx: &Transaction) -> Txid {
        self.sim.broadcast(tx).expect("accepted")
    }

    /// Broadcasts, expecting a refusal; returns its reason.
    pub fn refuse(&self, tx: &Transaction) -> bitai_bitcoin::BroadcastReject {
        match self.sim.broadcast(tx) {
            Err(PortError::Rejected(reason)) => reason,
            other => panic!("expected a mempool refusal, got {other:?}"),
        }
    }

    /// The tip.
    pub fn tip(&self) -> ChainTip {
        self.sim.tip().expect("sim answers")
    }

    /// The best-chain hash at `height`.
    pub fn hash_at(&self, height: u64) -> BlockHash {
        self.sim
            .block_hash(height)
            .expect("sim answers")
            .expect("height <= tip")
    }

    /// A stored block, decoded.
    pub fn block(&self, hash: &BlockHash) -> Block {
        decode(&self.sim.block(hash).expect("stored"))
    }

    /// Whether `txid` is in the mempool.
    pub fn in_mempool(&self, txid: &Txid) -> bool {
        self.sim.in_mempool(txid).expect("sim answers")
    }

    /// A wallet spend that the test funds well enough.
    pub fn spend(&self, inputs: &[Utxo], outputs: Vec<TxOut>, fee_rate: FeeRate) -> Transaction {
        self.wallet
            .spend(inputs, outputs, fee_rate)
            .expect("the test funds its spends")
    }

    /// The best-chain block at `height`, decoded.
    pub fn block_at(&self, height: u64) -> Block {
        let hash = self
            .sim
            .block_hash(height)
            .expect("sim answers")
            .expect("height <= tip");
        decode(&self.sim.block(&hash).expect("stored"))
    }

    /// A spend of `coin` paying `value` to the wallet, change back, at `sat_per_vb`.
    pub fn pay(&self, coin: &Utxo, value_sat: u64, sat_per_vb: u64) -> Transaction {
        self.wallet
            .spend(
                std::slice::from_ref(coin),
                vec![self.out(value_sat)],
                rate(sat_per_vb),
            )
            .expect("funds")
    }

    /// An output of `value_sat` to the wallet.
    pub fn out(&self, value_sat: u64) -> TxOut {
        TxOut {
            value: Amount::from_sat(value_sat),
            script_pubkey: self.wallet.script_pubkey().clone(),
        }
    }
}

/// Decodes consensus bytes of a block.
pub fn decode(bytes: &[u8]) -> Block {
    bitcoin::consensus::deserialize(bytes).expect("a valid block")
}

/// `sat_per_vb` as a fee rate.
pub fn rate(sat_per_vb: u64) -> FeeRate {
    FeeRate::from_sat_per_vb(sat_per_vb).expect("small rates fit")
}

/// The output `vout` of `tx` as a coin with 0 confirmations.
pub fn output_of(tx: &Transaction, vout: u32) -> Utxo {
    let out = &tx.output[vout as usize];
    Utxo {
        outpoint: OutPoint {
            txid: tx.compute_txid(),
            vout,
        },
        value: out.value,
        script_pubkey: out.script_pubkey.clone(),
        confirmations: 0,
    }
}

/// An output to an arbitrary script (for non-wallet outputs).
pub fn out_to(script: ScriptBuf, value_sat: u64) -> TxOut {
    TxOut {
        value: Amount::from_sat(value_sat),
        script_pubkey: script,
    }
}
