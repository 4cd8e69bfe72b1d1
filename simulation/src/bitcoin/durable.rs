//! Writing a durable network's changes (the layout is in `store`). Every change reaches the
//! store in one batch while the node's lock is held and before the change is applied in
//! memory (a mined block) or before the lock is released (a reorg), so no `BitcoinPort`
//! reader ever sees a block the store does not hold, and a failed write leaves the network
//! as it was:
//!
//! - a block mined on the tip: its bytes, its log entry, its best-chain entry and the new
//!   meta, written after the block is assembled and before it is connected;
//! - a reorg: it runs in memory with the writes deferred into one batch (every new block,
//!   log entry and best-chain entry, then the meta); the chain and mempool are snapshotted
//!   first and put back if the write fails (stored blocks are shared, so the snapshot costs
//!   a copy of the block index, the UTXO set and the mempool, not of the blocks);
//! - a runtime setting (coinbase script, miner minimum fee rate, fee spike): the meta alone,
//!   at once (and again with every later block).

use super::chain::Chain;
use super::mempool::Mempool;
use super::node::Node;
use super::store::{put_connected, ChainStore, Meta, KEYSPACE, META_KEY};
use super::SimBitcoinError;
use bitai_bitcoin::ChainTip;
use bitai_storage::Batch;
use bitcoin::BlockHash;

/// The store of a durable network and where its connection log stands.
pub(crate) struct Durable {
    /// The store.
    pub store: ChainStore,
    /// Entries in the connection log (the sequence of the next connected block).
    pub log_len: u64,
    /// While a reorg runs: the writes it has made so far.
    pub deferred: Option<Batch>,
    /// Seed and genesis the store belongs to.
    pub seed: u64,
    /// Genesis block hash.
    pub genesis: BlockHash,
}

/// What a reorg puts back if its batch cannot be written.
pub(crate) struct Snapshot {
    chain: Chain,
    mempool: Mempool,
    blocks_built: u64,
    log_len: u64,
}

impl Node {
    /// The meta record of the current state, with `tip` and `log_len` as given.
    pub(crate) fn meta_with(&self, durable: &Durable, tip: ChainTip, log_len: u64) -> Meta {
        Meta {
            seed: durable.seed,
            genesis: durable.genesis,
            tip_height: tip.height,
            tip_hash: tip.hash,
            log_len,
            blocks_built: self.blocks_built,
            next_due_ms: self.schedule.next_due_ms(),
            rng_word_pos: self.schedule.rng_word_pos(),
            miner_min_fee_rate_sat_per_kvb: self.miner_min_fee_rate_sat_per_kvb,
            fee_spike_sat_per_kvb: self.fee_spike_sat_per_kvb,
            coinbase_script_pubkey: self.coinbase_script_pubkey.clone(),
        }
    }

    /// Stores block `hash` (`bytes`) about to be connected at `height` on the tip: written
    /// now with the meta, or added to the running reorg's batch. In-memory networks store
    /// nothing.
    pub(crate) fn persist_connect(
        &mut self,
        hash: &BlockHash,
        height: u64,
        bytes: &[u8],
    ) -> Result<(), SimBitcoinError> {
        let Some(mut durable) = self.durable.take() else {
            return Ok(());
        };
        let result = self.store_connected(&mut durable, hash, height, bytes);
        self.durable = Some(durable);
        result
    }

    fn store_connected(
        &self,
        durable: &mut Durable,
        hash: &BlockHash,
        height: u64,
        bytes: &[u8],
    ) -> Result<(), SimBitcoinError> {
        let seq = durable.log_len;
        if let Some(batch) = durable.deferred.as_mut() {
            put_connected(batch, hash, bytes, seq, height);
            durable.log_len += 1;
            return Ok(());
        }
        let mut batch = Batch::default();
        put_connected(&mut batch, hash, bytes, seq, height);
        let tip = ChainTip {
            height,
            hash: *hash,
        };
        let meta = self.meta_with(durable, tip, seq + 1);
        batch.put(KEYSPACE, META_KEY, &meta.encode());
        durable.store.write(batch)?;
        durable.log_len += 1;
        Ok(())
    }

    /// Writes the meta record of the current state (after a runtime setting changed). A
    /// failure is logged: the setting is written again with the next block.
    pub(crate) fn persist_settings(&self) {
        let Some(durable) = &self.durable else {
            return;
        };
        let meta = self.meta_with(durable, self.chain.tip(), durable.log_len);
        let mut batch = Batch::default();
        batch.put(KEYSPACE, META_KEY, &meta.encode());
        if let Err(e) = durable.store.write(batch) {
            tracing::warn!(error = %e, "simbitcoin: storing a setting failed; it is stored with the next block");
        }
    }

    /// Starts deferring writes for a reorg; returns what to put back if it cannot be stored
    /// (`None` for an in-memory network).
    pub(crate) fn begin_deferred(&mut self) -> Option<Snapshot> {
        let durable = self.durable.as_mut()?;
        durable.deferred = Some(Batch::default());
        let log_len = durable.log_len;
        Some(Snapshot {
            chain: self.chain.clone(),
            mempool: self.mempool.clone(),
            blocks_built: self.blocks_built,
            log_len,
        })
    }

    /// Writes the reorg's deferred batch with the new meta; on failure puts `snapshot` back.
    pub(crate) fn finish_deferred(
        &mut self,
        snapshot: Option<Snapshot>,
    ) -> Result<(), SimBitcoinError> {
        let Some(snapshot) = snapshot else {
            return Ok(());
        };
        let Some(mut durable) = self.durable.take() else {
            return Ok(());
        };
        let mut batch = durable.deferred.take().unwrap_or_default();
        let meta = self.meta_with(&durable, self.chain.tip(), durable.log_len);
        batch.put(KEYSPACE, META_KEY, &meta.encode());
        let result = durable.store.write(batch);
        self.durable = Some(durable);
        if result.is_err() {
            self.abort_deferred(Some(snapshot));
        }
        result
    }

    /// Drops the reorg's deferred writes and puts `snapshot` back.
    pub(crate) fn abort_deferred(&mut self, snapshot: Option<Snapshot>) {
        let Some(snapshot) = snapshot else {
            return;
        };
        self.chain = snapshot.chain;
        self.mempool = snapshot.mempool;
        self.blocks_built = snapshot.blocks_built;
        if let Some(durable) = self.durable.as_mut() {
            durable.deferred = None;
            durable.log_len = snapshot.log_len;
        }
    }
}
