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
//!
//! **Durability.** [`SimBitcoin::new`] keeps everything in memory. [`SimBitcoin::open`] keeps
//! the chain in a `bitai_storage` store (keyspace `simbitcoin`): every block it connects, on
//! the best chain or on a branch a reorg left behind, is written with its connection-log
//! entry, the best-chain index and the miner's state in one batch before any
//! `BitcoinPort` call can see it (a reorg is one batch), so the process may be killed at any
//! moment and `open` on the same store resumes at the last block: it replays the stored
//! blocks through SimBitcoin's own validation (rebuilding the UTXO set, best chain and stale
//! branches) and the miner goes on from its stored schedule position and extra nonce. The
//! **mempool is not persisted** (like Bitcoin Core after a crash, without `mempool.dat`):
//! unconfirmed transactions are lost at a restart, and their senders rebroadcast them (the
//! inscriber does so for its own). With the same seed and the same calls, a network
//! restarted at a block boundary (empty mempool, or its transactions broadcast again in the
//! same order) and read with the same clock makes the same blocks byte for byte as one that
//! never stopped; what differs otherwise is listed on [`SimBitcoin::open`].

mod actor;
mod background;
mod block;
mod chain;
mod config;
mod durable;
mod filler;
mod mempool;
mod miner;
mod node;
mod policy;
mod recorded;
mod reorg;
mod replacement;
mod restore;
mod store;
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
pub use store::KEYSPACE as STORE_KEYSPACE;
pub use wallet::{ScriptPathOutput, SimWallet, SpendOptions, WalletError};

use bitai_bitcoin::{BitcoinPort, BroadcastReject, ChainTip, PortError, Utxo};
use bitai_runtime::SharedClock;
use bitai_storage::SharedStore;
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
        reason: BroadcastReject,
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
    /// The store of a durable network failed (nothing changed: the change that needed the
    /// write was not applied).
    #[error("simbitcoin store: {0}")]
    Store(String),
    /// The store holds data that does not replay (a block that fails validation, a broken
    /// index, a meta record that does not decode).
    #[error("simbitcoin store is corrupt: {0}")]
    CorruptStore(String),
    /// A recorded block does not fit this chain (see `SimBitcoin::apply_recorded`).
    #[error("recorded block refused: {0}")]
    Recorded(String),
    /// The store holds another network (another seed or genesis than the config's).
    #[error("simbitcoin store belongs to another network: {0}")]
    StoreMismatch(String),
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

    /// A durable network on `store` (keyspace `simbitcoin`). An empty store starts a new
    /// network (genesis only, its schedule starting at `clock`'s now, like [`new`](Self::new));
    /// a store with data resumes the network it holds: its blocks are replayed through
    /// validation, and the miner resumes its schedule (next due time and rng position), extra
    /// nonce, coinbase script, minimum fee rate and fee spike. Later changes are written
    /// before they become visible (see the module docs).
    ///
    /// The stored network wins over `config` where they overlap: the seed and genesis time
    /// must match (else `StoreMismatch`), and the coinbase script and miner minimum fee rate
    /// are the stored (last set) ones; the other knobs (block interval, policy limits, fee
    /// estimates) are read from `config` at every open. Consensus knobs
    /// (`max_block_weight_wu`, `coinbase_maturity`) must not change across opens: the replay
    /// checks the stored blocks against them and refuses what they no longer allow.
    ///
    /// What a restart does not keep: the mempool (unconfirmed transactions are gone and must
    /// be broadcast again) and with it the mempool's rolling minimum fee. The schedule's due
    /// times are absolute times of the injected clock: under a clock that kept running while
    /// the process was down (the real clock) every block due in the gap is mined at once by
    /// the next [`mine_due`](Self::mine_due), each stamped with its due time (the network
    /// went on mining while this node was away); blocks mined on demand take the clock's time,
    /// so their bytes depend on when the restarted process mines them.
    ///
    /// Errors: [`SimBitcoinError::Config`] for a bad config, `StoreMismatch` when the store
    /// holds a network of another seed or genesis, `CorruptStore` when its data does not
    /// replay, `Store` when the store fails.
    pub fn open(
        config: SimBitcoinConfig,
        clock: SharedClock,
        store: SharedStore,
    ) -> Result<Self, SimBitcoinError> {
        let seed = config.seed;
        Ok(Self {
            node: Arc::new(Mutex::new(Node::open(config, clock, store)?)),
            seed,
        })
    }

    /// Whether this network writes its chain to a store ([`open`](Self::open)).
    pub fn is_durable(&self) -> bool {
        self.node().durable.is_some()
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

    /// Makes later coinbases pay to `script_pubkey` (stored at once on a durable network).
    pub fn set_coinbase_script_pubkey(&self, script_pubkey: ScriptBuf) {
        let mut node = self.node();
        node.coinbase_script_pubkey = script_pubkey;
        node.persist_settings();
    }

    /// Mines one block now (clock time) from the mempool; returns its hash.
    ///
    /// # Panics
    ///
    /// If a durable network cannot write its store (nothing was mined then); use
    /// [`try_mine_block`](Self::try_mine_block) to get the error instead.
    pub fn mine_block(&self) -> BlockHash {
        self.try_mine_block()
            .unwrap_or_else(|e| panic!("mining a block: {e}"))
    }

    /// Mines one block now (clock time) from the mempool; returns its hash, or
    /// [`SimBitcoinError::Store`] (and nothing changes) when a durable network cannot write it.
    pub fn try_mine_block(&self) -> Result<BlockHash, SimBitcoinError> {
        let mut node = self.node();
        let now_ms = node.clock.now_ms();
        node.mine_block_at(now_ms, true, &BTreeSet::new())
    }

    /// Mines `n` blocks now.
    ///
    /// # Panics
    ///
    /// As [`mine_block`](Self::mine_block).
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
    ///
    /// # Panics
    ///
    /// As [`mine_block`](Self::mine_block); [`try_mine_due`](Self::try_mine_due) returns the
    /// error instead.
    pub fn mine_due(&self, now_ms: u64) -> Vec<BlockHash> {
        self.try_mine_due(now_ms)
            .unwrap_or_else(|e| panic!("mining scheduled blocks: {e}"))
    }

    /// Mines every scheduled block due by `now_ms` (each stamped with its due time). When a
    /// durable network cannot write a block it stops there with [`SimBitcoinError::Store`]:
    /// the blocks before it stay mined, that one and the schedule are as they were.
    pub fn try_mine_due(&self, now_ms: u64) -> Result<Vec<BlockHash>, SimBitcoinError> {
        self.node().mine_due(now_ms)
    }

    /// Simulated miners skip packages below `fee_rate` from now on (stored at once on a
    /// durable network).
    pub fn set_miner_min_fee_rate(&self, fee_rate: FeeRate) {
        let mut node = self.node();
        node.miner_min_fee_rate_sat_per_kvb = sat_per_kvb(fee_rate);
        node.persist_settings();
    }

    /// A fee spike: while set, fee estimates are at least `fee_rate`. (Pair it with
    /// [`set_miner_min_fee_rate`](Self::set_miner_min_fee_rate) to make miners demand it too.)
    pub fn set_fee_spike(&self, fee_rate: Option<FeeRate>) {
        let mut node = self.node();
        node.fee_spike_sat_per_kvb = fee_rate.map(sat_per_kvb);
        node.persist_settings();
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

    /// Plays one step of a recorded chain: disconnects `disconnect` tips (their transactions
    /// go back to the mempool), then connects `blocks` exactly as given, each validated on
    /// the tip. All or nothing.
    pub fn apply_recorded(
        &self,
        disconnect: u64,
        blocks: Vec<bitcoin::Block>,
    ) -> Result<Vec<BlockHash>, SimBitcoinError> {
        self.node().apply_recorded(disconnect, blocks)
    }

    /// Pauses (or resumes) SimBitcoin's own mining: while paused, blocks fall due and are
    /// skipped (a recorded chain is playing). Not stored: a reopened network mines.
    pub fn set_mining_paused(&self, paused: bool) {
        self.node().mining_paused = paused;
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
