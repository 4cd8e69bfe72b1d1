//! SimBitcoin: an in-process Bitcoin network (regtest parameters) behind the
//! [`BitcoinPort`] trait, the embedded default of the devnet and the simulation.
//!
//! It makes real consensus-encoded blocks with the `bitcoin` crate (BIP-34 coinbase, subsidy
//! plus fees, BIP-141 witness commitment, merkle root, regtest proof of work), keeps a mempool
//! that enforces Bitcoin Core's policy where it matters to a rollup's inscriber (no double
//! spends, 400,000 WU standard weight, minimum relay fee and the rising minimum after
//! evictions, BIP-125 replacement, ancestor/descendant limits, eviction under a size cap,
//! coinbase maturity) and verifies every taproot signature it accepts, key path and script
//! path (`<key> OP_CHECKSIG` with ord envelopes). It understands taproot spends only; anything
//! else is refused as non-standard. Blocks come on a seeded exponential schedule
//! ([`SimMiner`] drives it with tokio timers) or on demand, and reorgs of any depth are made on
//! demand ([`SimBitcoin::reorg_with`]). Time comes from the injected clock, randomness from
//! the seed, and every collection is ordered, so the same seed and calls give the same chain.
//!
//! [`SimBitcoin`] is a cheap handle (`Arc<Mutex<..>>`); clones share one network.

mod actor;
mod block;
mod chain;
mod config;
mod filler;
mod mempool;
mod miner;
mod node;
mod policy;
mod reorg;
mod replacement;
mod template;
mod verify;
mod wallet;

#[cfg(test)]
mod tests;

pub use actor::{SimMiner, SimMinerArguments, SimMinerMsg, SimMinerState};
pub use block::{block_subsidy, REGTEST_BITS, SUBSIDY_HALVING_INTERVAL_BLOCKS};
pub use config::{FeeEstimateConfig, SimBitcoinConfig, REGTEST_GENESIS_TIME_MS};
pub use filler::BlockFiller;
pub use reorg::{ReorgMempool, ReorgReport};
pub use wallet::{ScriptPathOutput, SimWallet, SpendOptions, WalletError};

use bitai_bitcoin::{BitcoinPort, ChainTip, MempoolReject, PortError, Utxo};
use bitai_runtime::SharedClock;
use bitcoin::{Address, BlockHash, FeeRate, OutPoint, ScriptBuf, Transaction, Txid};
use node::Node;
use policy::AcceptOptions;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use thiserror::Error;

/// Errors of SimBitcoin's own (non-port) operations.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SimBitcoinError {
    /// The configuration is invalid.
    #[error("invalid simbitcoin config: {0}")]
    Config(String),
    /// A reorg asked for an impossible depth or too few new blocks.
    #[error(
        "invalid reorg: depth {depth} (1..={tip_height}) with {new_blocks} new blocks \
         (more than depth needed)"
    )]
    InvalidReorg {
        /// Depth asked.
        depth: u64,
        /// New blocks asked.
        new_blocks: u64,
        /// Height of the tip.
        tip_height: u64,
    },
    /// A transaction given to `mine_block_with` is invalid in that block.
    #[error("block transaction {index} ({txid}) refused: {reason}")]
    BlockTxRejected {
        /// Its position among the given transactions.
        index: usize,
        /// Its txid.
        txid: Txid,
        /// Why.
        reason: MempoolReject,
    },
    /// The [`BlockFiller`] could not build a block (no coins, coins too small).
    #[error("block filler: {0}")]
    Filler(String),
    /// The transactions given to `mine_block_with` do not fit in a block.
    #[error("block transactions weigh {weight_wu} WU, over {max_wu}")]
    BlockOverWeight {
        /// Their weight.
        weight_wu: u64,
        /// Weight available beside the coinbase.
        max_wu: u64,
    },
}

/// sat/kvB to a [`FeeRate`] (sat/kwu), rounded up.
fn fee_rate_from_sat_per_kvb(sat_per_kvb: u64) -> FeeRate {
    FeeRate::from_sat_per_kwu(sat_per_kvb.div_ceil(4))
}

/// A [`FeeRate`] in sat/kvB.
fn sat_per_kvb(fee_rate: FeeRate) -> u64 {
    fee_rate.to_sat_per_kwu().saturating_mul(4)
}

/// A handle to a simulated Bitcoin network. Clones share the network.
#[derive(Clone)]
pub struct SimBitcoin {
    node: Arc<Mutex<Node>>,
    seed: u64,
}

impl std::fmt::Debug for SimBitcoin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tip = self.node().chain.tip();
        f.debug_struct("SimBitcoin")
            .field("seed", &self.seed)
            .field("tip", &tip)
            .finish()
    }
}

impl SimBitcoin {
    /// A network holding only its genesis block; its schedule starts at `clock`'s now.
    pub fn new(config: SimBitcoinConfig, clock: SharedClock) -> Result<Self, SimBitcoinError> {
        let seed = config.seed;
        Ok(Self {
            node: Arc::new(Mutex::new(Node::new(config, clock)?)),
            seed,
        })
    }

    fn node(&self) -> MutexGuard<'_, Node> {
        // A panic while holding the lock leaves no half-done state worth refusing.
        self.node.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The configuration.
    pub fn config(&self) -> SimBitcoinConfig {
        self.node().config.clone()
    }

    /// The wallet the coinbase pays to by default (derived from the seed).
    pub fn miner_wallet(&self) -> SimWallet {
        SimWallet::miner(self.seed)
    }

    /// Makes later coinbases pay to `script_pubkey`.
    pub fn set_coinbase_script_pubkey(&self, script_pubkey: ScriptBuf) {
        self.node().coinbase_script_pubkey = script_pubkey;
    }

    /// Mines one block now (clock time) from the mempool; returns its hash.
    pub fn mine_block(&self) -> BlockHash {
        let mut node = self.node();
        let now_ms = node.clock.now_ms();
        node.mine_block_at(now_ms, true, &BTreeSet::new())
    }

    /// Mines `n` blocks now.
    pub fn mine_blocks(&self, n: u64) -> Vec<BlockHash> {
        (0..n).map(|_| self.mine_block()).collect()
    }

    /// Validates `txs` by consensus rules (inputs in the UTXO set or earlier in the list,
    /// maturity, lock times, signatures, weight) and mines exactly them into a block now.
    /// Mempool policy (standard weight, fee minimums, chain limits) does not apply: this is
    /// for building fixtures.
    pub fn mine_block_with(&self, txs: Vec<Transaction>) -> Result<BlockHash, SimBitcoinError> {
        self.node().mine_block_with(txs)
    }

    /// When the next scheduled block is due, ms by the injected clock.
    pub fn next_block_due_ms(&self) -> u64 {
        self.node().schedule.next_due_ms()
    }

    /// Mines every scheduled block due by `now_ms` (each stamped with its due time).
    pub fn mine_due(&self, now_ms: u64) -> Vec<BlockHash> {
        self.node().mine_due(now_ms)
    }

    /// Simulated miners skip packages below `fee_rate` from now on.
    pub fn set_miner_min_fee_rate(&self, fee_rate: FeeRate) {
        self.node().miner_min_fee_rate_sat_per_kvb = sat_per_kvb(fee_rate);
    }

    /// A fee spike: while set, fee estimates are at least `fee_rate`. (Pair it with
    /// [`set_miner_min_fee_rate`](Self::set_miner_min_fee_rate) to make miners demand it too.)
    pub fn set_fee_spike(&self, fee_rate: Option<FeeRate>) {
        self.node().fee_spike_sat_per_kvb = fee_rate.map(sat_per_kvb);
    }

    /// Drops `txid` and its descendants from the mempool, as an eviction would; returns what
    /// was dropped (empty if `txid` was not there).
    pub fn evict(&self, txid: &Txid) -> Vec<Txid> {
        self.node()
            .mempool
            .remove_with_descendants(txid)
            .into_iter()
            .map(|e| e.txid)
            .collect()
    }

    /// A reorg of `depth` blocks replaced by `new_blocks` mined from the mempool
    /// ([`ReorgMempool::Include`]).
    pub fn reorg(&self, depth: u64, new_blocks: u64) -> Result<ReorgReport, SimBitcoinError> {
        self.reorg_with(depth, new_blocks, ReorgMempool::Include)
    }

    /// A reorg of `depth` blocks (1..=tip height) replaced by `new_blocks` (> depth); `mode`
    /// says what happens to the disconnected transactions and what the new blocks include.
    pub fn reorg_with(
        &self,
        depth: u64,
        new_blocks: u64,
        mode: ReorgMempool,
    ) -> Result<ReorgReport, SimBitcoinError> {
        self.node().reorg(depth, new_blocks, mode)
    }

    /// The mempool's txids, in txid order.
    pub fn mempool_txids(&self) -> Vec<Txid> {
        self.node().mempool.entries.keys().copied().collect()
    }

    /// A mempool transaction.
    pub fn mempool_tx(&self, txid: &Txid) -> Option<Transaction> {
        self.node().mempool.entries.get(txid).map(|e| e.tx.clone())
    }

    /// Total vsize of the mempool.
    pub fn mempool_vsize(&self) -> u64 {
        self.node().mempool.total_vsize
    }

    /// The fee rate a transaction needs to enter the mempool now.
    pub fn mempool_min_fee_rate(&self) -> FeeRate {
        fee_rate_from_sat_per_kvb(self.node().mempool_min_fee_sat_per_kvb())
    }

    /// The confirmed unspent output at `outpoint`, if any (whatever it pays to).
    pub fn confirmed_utxo(&self, outpoint: &OutPoint) -> Option<Utxo> {
        let node = self.node();
        let height = node.chain.height();
        node.chain.coin(outpoint).map(|coin| Utxo {
            outpoint: *outpoint,
            value: coin.txout.value,
            script_pubkey: coin.txout.script_pubkey.clone(),
            confirmations: u32::try_from(height + 1 - coin.height).unwrap_or(u32::MAX),
        })
    }

    /// Height of a stored block (best chain or stale).
    pub fn block_height(&self, hash: &BlockHash) -> Option<u64> {
        self.node().chain.block_height(hash)
    }
}

impl BitcoinPort for SimBitcoin {
    fn tip(&self) -> Result<ChainTip, PortError> {
        Ok(self.node().chain.tip())
    }

    fn block_hash(&self, height: u64) -> Result<Option<BlockHash>, PortError> {
        Ok(self.node().chain.hash_at(height))
    }

    fn block(&self, hash: &BlockHash) -> Result<Vec<u8>, PortError> {
        self.node()
            .chain
            .block_bytes(hash)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| PortError::NotFound(format!("block {hash}")))
    }

    fn broadcast(&self, tx: &Transaction) -> Result<Txid, PortError> {
        Ok(self.node().accept(tx.clone(), AcceptOptions::BROADCAST)?)
    }

    fn in_mempool(&self, txid: &Txid) -> Result<bool, PortError> {
        Ok(self.node().mempool.entries.contains_key(txid))
    }

    fn estimate_fee_rate(&self, target_blocks: u16) -> Result<FeeRate, PortError> {
        Ok(fee_rate_from_sat_per_kvb(
            self.node().estimate_fee_sat_per_kvb(target_blocks),
        ))
    }

    fn utxos(&self, addresses: &[Address]) -> Result<Vec<Utxo>, PortError> {
        let scripts: BTreeSet<ScriptBuf> = addresses.iter().map(Address::script_pubkey).collect();
        Ok(self.node().utxos(&scripts))
    }
}
