//! [`SimBitcoinConfig`]: every knob of the simulated network, with Bitcoin Core's defaults
//! where Core has one. It deserializes from TOML/JSON (`[simbitcoin]` tables of the configs);
//! a missing key takes the default written next to it.

use super::SimBitcoinError;
use bitcoin::ScriptBuf;
use serde::{Deserialize, Serialize};

/// The regtest genesis block's time (2011-02-02), in ms. With this value SimBitcoin's genesis is
/// exactly Bitcoin Core's regtest genesis block (hash `0f9188f1...`).
pub const REGTEST_GENESIS_TIME_MS: u64 = 1_296_688_602_000;

/// How [`SimBitcoin`](super::SimBitcoin) answers `estimate_fee_rate`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FeeEstimateConfig {
    /// Always this fee rate, whatever the target.
    Fixed {
        /// The estimate, sat per 1000 vB.
        fee_rate_sat_per_kvb: u64,
    },
    /// From the fee rates of the transactions the last `window_blocks` best-chain blocks
    /// included: for a target of 1 block the 90th percentile, 10 points lower per extra block
    /// of target, never under the 50th; never under the minimum relay fee rate; the fallback
    /// when those blocks included no transaction.
    RecentBlocks {
        /// Blocks looked at.
        window_blocks: u32,
        /// The estimate when they hold no transaction, sat per 1000 vB.
        fallback_sat_per_kvb: u64,
    },
}

impl Default for FeeEstimateConfig {
    /// `RecentBlocks { window_blocks: 6, fallback_sat_per_kvb: 1000 }`.
    fn default() -> Self {
        Self::RecentBlocks {
            window_blocks: 6,
            fallback_sat_per_kvb: 1_000,
        }
    }
}

/// Configuration of a simulated Bitcoin network (regtest parameters).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimBitcoinConfig {
    /// Seed of the network's randomness (block schedule, miner wallet key). Default 0.
    pub seed: u64,
    /// Mean time between blocks; intervals are exponential. Default 600_000 (10 minutes).
    pub block_interval_mean_ms: u64,
    /// Consensus maximum block weight. Default 4_000_000 WU.
    pub max_block_weight_wu: u64,
    /// Policy maximum weight of one transaction (Core's MAX_STANDARD_TX_WEIGHT).
    /// Default 400_000 WU.
    pub max_standard_tx_weight_wu: u64,
    /// Minimum relay fee rate (Core's -minrelaytxfee). Default 1000 sat/kvB (1 sat/vB).
    pub min_relay_fee_rate_sat_per_kvb: u64,
    /// Incremental relay fee rate, used by BIP-125 rule 4 and by the rising mempool minimum
    /// after evictions (Core's -incrementalrelayfee). Default 1000 sat/kvB.
    pub incremental_relay_fee_rate_sat_per_kvb: u64,
    /// Lowest package fee rate the simulated miners include (Core's -blockmintxfee);
    /// changeable at run time with `set_miner_min_fee_rate`. Default 1000 sat/kvB.
    pub block_min_fee_rate_sat_per_kvb: u64,
    /// Mempool size cap; past it the lowest descendant-package fee rates are evicted.
    /// Default 50_000_000 vB (Core caps by memory, 300 MB; this is a vsize stand-in).
    pub mempool_max_vbytes: u64,
    /// Most in-mempool ancestors of a transaction, itself included. Default 25.
    pub ancestor_count_max: u64,
    /// Most vsize of a transaction with its in-mempool ancestors. Default 101_000 vB.
    pub ancestor_size_max_vbytes: u64,
    /// Most in-mempool descendants of a transaction, itself included. Default 25.
    pub descendant_count_max: u64,
    /// Most vsize of a transaction with its in-mempool descendants. Default 101_000 vB.
    pub descendant_size_max_vbytes: u64,
    /// BIP-125 rule 5: most transactions one replacement may evict. Default 100.
    pub replacement_evictions_max: u64,
    /// Confirmations a coinbase output needs before it is spent. Default 100.
    pub coinbase_maturity: u32,
    /// Any unconfirmed transaction may be replaced (Core 28+ default). When false, BIP-125
    /// rule 1 applies: each replaced transaction must signal (an input's nSequence below
    /// 0xfffffffe), and a spend conflicting with one that does not is refused as
    /// `BroadcastReject::Conflict` (Core's txn-mempool-conflict). Default true.
    pub full_rbf: bool,
    /// The script the coinbase pays to, hex. Default none: the miner wallet's key-path
    /// taproot script (`SimBitcoin::miner_wallet`, derived from `seed`).
    pub coinbase_script_pubkey_hex: Option<String>,
    /// Time of the genesis block. Default [`REGTEST_GENESIS_TIME_MS`], which makes the genesis
    /// block Core's regtest genesis; another value gives a genesis with that time.
    pub genesis_time_ms: u64,
    /// How fee estimates are made. Default `RecentBlocks { window_blocks: 6,
    /// fallback_sat_per_kvb: 1000 }`.
    pub fee_estimate: FeeEstimateConfig,
    /// Mainnet transactions each mined block carries beside the mempool's (background
    /// traffic for the readers of the blocks; they spend mainnet's coins, not this
    /// network's, and take at most a quarter of the block's weight). Default 0.
    pub background_txs_per_block: u32,
}

impl Default for SimBitcoinConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            block_interval_mean_ms: 600_000,
            max_block_weight_wu: 4_000_000,
            max_standard_tx_weight_wu: 400_000,
            min_relay_fee_rate_sat_per_kvb: 1_000,
            incremental_relay_fee_rate_sat_per_kvb: 1_000,
            block_min_fee_rate_sat_per_kvb: 1_000,
            mempool_max_vbytes: 50_000_000,
            ancestor_count_max: 25,
            ancestor_size_max_vbytes: 101_000,
            descendant_count_max: 25,
            descendant_size_max_vbytes: 101_000,
            replacement_evictions_max: 100,
            coinbase_maturity: 100,
            full_rbf: true,
            coinbase_script_pubkey_hex: None,
            genesis_time_ms: REGTEST_GENESIS_TIME_MS,
            fee_estimate: FeeEstimateConfig::default(),
            background_txs_per_block: 0,
        }
    }
}

impl SimBitcoinConfig {
    /// The default configuration with another seed.
    pub fn with_seed(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// Checks the values and decodes the coinbase script (`None` when not configured).
    pub fn validate(&self) -> Result<Option<ScriptBuf>, SimBitcoinError> {
        let bad = |what: &str| Err(SimBitcoinError::Config(what.to_owned()));
        if self.block_interval_mean_ms == 0 {
            return bad("block_interval_mean_ms must be positive");
        }
        if self.max_block_weight_wu < 8_000 {
            return bad("max_block_weight_wu must be at least 8000");
        }
        if self.max_standard_tx_weight_wu == 0 || self.mempool_max_vbytes == 0 {
            return bad("max_standard_tx_weight_wu and mempool_max_vbytes must be positive");
        }
        if self.ancestor_count_max == 0 || self.descendant_count_max == 0 {
            return bad("ancestor_count_max and descendant_count_max must be positive");
        }
        if self.genesis_time_ms / 1000 > u64::from(u32::MAX) {
            return bad("genesis_time_ms is past the header time range");
        }
        if let FeeEstimateConfig::RecentBlocks {
            window_blocks: 0, ..
        } = self.fee_estimate
        {
            return bad("fee_estimate.window_blocks must be positive");
        }
        match &self.coinbase_script_pubkey_hex {
            None => Ok(None),
            Some(hex) => ScriptBuf::from_hex(hex)
                .map(Some)
                .map_err(|e| SimBitcoinError::Config(format!("coinbase_script_pubkey_hex: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_the_default_and_keys_override() {
        let empty: SimBitcoinConfig = toml::from_str("").expect("parses");
        assert_eq!(empty, SimBitcoinConfig::default());
        let config: SimBitcoinConfig = toml::from_str(
            "seed = 9\nblock_interval_mean_ms = 1000\nfull_rbf = false\n\
             coinbase_script_pubkey_hex = \"51\"\n\
             [fee_estimate]\nmode = \"fixed\"\nfee_rate_sat_per_kvb = 5000\n",
        )
        .expect("parses");
        assert_eq!(config.seed, 9);
        assert_eq!(config.block_interval_mean_ms, 1_000);
        assert!(!config.full_rbf);
        assert_eq!(
            config.fee_estimate,
            FeeEstimateConfig::Fixed {
                fee_rate_sat_per_kvb: 5_000
            }
        );
        assert_eq!(
            config.validate(),
            Ok(Some(ScriptBuf::from_bytes(vec![0x51])))
        );
    }

    #[test]
    fn bad_configs_are_refused() {
        assert!(toml::from_str::<SimBitcoinConfig>("unknown_key = 1").is_err());
        let bad_hex = SimBitcoinConfig {
            coinbase_script_pubkey_hex: Some("zz".into()),
            ..Default::default()
        };
        assert!(matches!(
            bad_hex.validate(),
            Err(SimBitcoinError::Config(_))
        ));
        let no_interval = SimBitcoinConfig {
            block_interval_mean_ms: 0,
            ..Default::default()
        };
        assert!(matches!(
            no_interval.validate(),
            Err(SimBitcoinError::Config(_))
        ));
    }
}
