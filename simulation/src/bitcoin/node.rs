//! The state of the simulated network behind the [`SimBitcoin`](super::SimBitcoin) handle:
//! configuration, injected clock, chain, mempool, block schedule and miner settings, plus the
//! read-side answers (fee estimates, UTXOs of given scripts, block times).

use super::block;
use super::chain::Chain;
use super::config::{FeeEstimateConfig, SimBitcoinConfig};
use super::durable::Durable;
use super::mempool::Mempool;
use super::miner::{BlockSchedule, SCHEDULE_RNG_LABEL};
use super::wallet::SimWallet;
use super::SimBitcoinError;
use bitai_bitcoin::Utxo;
use bitai_runtime::{seeded_rng, SharedClock};
use bitcoin::secp256k1::{Secp256k1, VerifyOnly};
use bitcoin::{OutPoint, ScriptBuf};
use std::collections::BTreeSet;

/// Everything the simulated network holds.
pub(crate) struct Node {
    pub config: SimBitcoinConfig,
    pub secp: Secp256k1<VerifyOnly>,
    pub clock: SharedClock,
    pub chain: Chain,
    pub mempool: Mempool,
    pub coinbase_script_pubkey: ScriptBuf,
    pub schedule: BlockSchedule,
    pub miner_min_fee_rate_sat_per_kvb: u64,
    pub fee_spike_sat_per_kvb: Option<u64>,
    /// Blocks built so far, the coinbase extra nonce of the next one.
    pub blocks_built: u64,
    /// The store of a durable network (`SimBitcoin::open`); `None` in memory.
    pub durable: Option<Durable>,
    /// Blocks fall due but are not mined (a recorded chain is playing).
    pub mining_paused: bool,
}

impl Node {
    /// A network holding only its genesis block.
    pub fn new(config: SimBitcoinConfig, clock: SharedClock) -> Result<Self, SimBitcoinError> {
        let configured_script = config.validate()?;
        let coinbase_script_pubkey = configured_script
            .unwrap_or_else(|| SimWallet::miner(config.seed).script_pubkey().clone());
        let genesis_time = u32::try_from(config.genesis_time_ms / 1000)
            .map_err(|_| SimBitcoinError::Config("genesis_time_ms out of range".into()))?;
        let chain = Chain::new(&block::genesis(genesis_time));
        let schedule = BlockSchedule::new(
            seeded_rng(config.seed, SCHEDULE_RNG_LABEL),
            config.block_interval_mean_ms,
            clock.now_ms(),
        );
        Ok(Self {
            secp: Secp256k1::verification_only(),
            clock,
            chain,
            mempool: Mempool::default(),
            coinbase_script_pubkey,
            schedule,
            miner_min_fee_rate_sat_per_kvb: config.block_min_fee_rate_sat_per_kvb,
            fee_spike_sat_per_kvb: None,
            blocks_built: 0,
            durable: None,
            mining_paused: false,
            config,
        })
    }

    /// Header time of a block found at `at_ms`: that time in seconds, but above the median
    /// time past and never below the tip's time, so block times never go back.
    pub fn block_time(&self, at_ms: u64) -> u32 {
        let at = u32::try_from(at_ms / 1000).unwrap_or(u32::MAX);
        let above_mtp = self.chain.median_time_past().saturating_add(1);
        at.max(above_mtp).max(self.chain.tip_header().time)
    }

    /// The fee estimate for confirmation within `target_blocks`, sat/kvB.
    pub fn estimate_fee_sat_per_kvb(&self, target_blocks: u16) -> u64 {
        let estimate = match self.config.fee_estimate {
            FeeEstimateConfig::Fixed {
                fee_rate_sat_per_kvb,
            } => fee_rate_sat_per_kvb,
            FeeEstimateConfig::RecentBlocks {
                window_blocks,
                fallback_sat_per_kvb,
            } => {
                let rates = self.chain.recent_fee_rates(window_blocks);
                if rates.is_empty() {
                    fallback_sat_per_kvb
                } else {
                    let extra_blocks = u64::from(target_blocks.max(1) - 1);
                    let percentile = 90u64.saturating_sub(10 * extra_blocks).max(50);
                    let index = (rates.len() as u64 - 1) * percentile / 100;
                    rates[index as usize]
                }
            }
        };
        estimate
            .max(self.config.min_relay_fee_rate_sat_per_kvb)
            .max(self.fee_spike_sat_per_kvb.unwrap_or(0))
    }

    /// Unspent outputs paying to `scripts`: mature confirmed coins not spent in the mempool
    /// (with their confirmations), then mempool outputs not spent in the mempool (0
    /// confirmations), each group in outpoint order. It scans the whole UTXO set (linear in
    /// its size; there is no index by script).
    pub fn utxos(&self, scripts: &BTreeSet<ScriptBuf>) -> Vec<Utxo> {
        let height = self.chain.height();
        let maturity = u64::from(self.config.coinbase_maturity);
        let mut found = Vec::new();
        for (outpoint, coin) in self.chain.utxos() {
            let confirmations = height + 1 - coin.height;
            if !scripts.contains(&coin.txout.script_pubkey)
                || self.mempool.spent_by.contains_key(outpoint)
                || (coin.is_coinbase && confirmations < maturity)
            {
                continue;
            }
            found.push(Utxo {
                outpoint: *outpoint,
                value: coin.txout.value,
                script_pubkey: coin.txout.script_pubkey.clone(),
                confirmations: u32::try_from(confirmations).unwrap_or(u32::MAX),
            });
        }
        for (txid, entry) in &self.mempool.entries {
            for (vout, out) in entry.tx.output.iter().enumerate() {
                let outpoint = OutPoint {
                    txid: *txid,
                    vout: vout as u32,
                };
                if scripts.contains(&out.script_pubkey)
                    && !self.mempool.spent_by.contains_key(&outpoint)
                {
                    found.push(Utxo {
                        outpoint,
                        value: out.value,
                        script_pubkey: out.script_pubkey.clone(),
                        confirmations: 0,
                    });
                }
            }
        }
        found
    }
}
