//! Opening a durable network ([`SimBitcoin::open`](super::SimBitcoin::open)). An empty store
//! gets the genesis block, its best-chain entry and a first meta record. A store with data
//! is replayed: the connection log is read in order and every block goes through the same
//! checks a block from outside would (hash, proof of work, time above the median time past,
//! merkle root, witness commitment, weight, BIP-34 height, coinbase value within subsidy plus
//! fees, and every transaction by consensus rules with its signatures), disconnecting back
//! to its parent first when the log continues on a fork point. That rebuilds the UTXO set,
//! the undo data, the best chain and the stale branches exactly. The tip and the best-chain
//! index must then agree with the meta record, and the miner's state (schedule position,
//! extra nonce, coinbase script, fee settings) is restored from it. The mempool starts empty.

use super::block::{block_subsidy, REGTEST_BITS};
use super::config::SimBitcoinConfig;
use super::durable::Durable;
use super::miner::{BlockSchedule, SCHEDULE_RNG_LABEL};
use super::node::Node;
use super::store::{best_key, block_key, ChainStore, Meta, KEYSPACE, META_KEY};
use super::SimBitcoinError;
use bitai_runtime::{seeded_rng, SharedClock};
use bitai_storage::{Batch, SharedStore};
use bitcoin::script::Builder;
use bitcoin::{Amount, Block, BlockHash};

impl Node {
    /// A durable network on `store`: new (genesis written) or resumed from what it holds.
    pub(crate) fn open(
        config: SimBitcoinConfig,
        clock: SharedClock,
        store: SharedStore,
    ) -> Result<Self, SimBitcoinError> {
        let mut node = Node::new(config, clock)?;
        let genesis = node.chain.tip().hash;
        let mut durable = Durable {
            store: ChainStore::new(store),
            log_len: 0,
            deferred: None,
            seed: node.config.seed,
            genesis,
        };
        match durable.store.read_meta()? {
            None => {
                let bytes = node
                    .chain
                    .block_bytes(&genesis)
                    .expect("a new chain holds its genesis");
                let mut batch = Batch::default();
                batch.put(KEYSPACE, &block_key(&genesis), bytes);
                batch.put(KEYSPACE, &best_key(0), genesis.as_ref());
                let meta = node.meta_with(&durable, node.chain.tip(), 0);
                batch.put(KEYSPACE, META_KEY, &meta.encode());
                durable.store.write(batch)?;
            }
            Some(meta) => {
                node.resume(&durable, &meta)?;
                durable.log_len = meta.log_len;
            }
        }
        node.durable = Some(durable);
        Ok(node)
    }

    /// Replays the store and restores the miner's state from `meta`.
    fn resume(&mut self, durable: &Durable, meta: &Meta) -> Result<(), SimBitcoinError> {
        if meta.seed != durable.seed || meta.genesis != durable.genesis {
            return Err(SimBitcoinError::StoreMismatch(format!(
                "the store holds the network of seed {} and genesis {}, the config gives seed {} \
                 and genesis {}",
                meta.seed, meta.genesis, durable.seed, durable.genesis
            )));
        }
        self.replay(&durable.store, meta.log_len)?;
        let tip = self.chain.tip();
        if tip.height != meta.tip_height || tip.hash != meta.tip_hash {
            return Err(corrupt(format!(
                "replay ends at {} {}, the meta record says {} {}",
                tip.height, tip.hash, meta.tip_height, meta.tip_hash
            )));
        }
        self.check_best_index(&durable.store)?;
        self.blocks_built = meta.blocks_built;
        self.schedule = BlockSchedule::resume(
            seeded_rng(self.config.seed, SCHEDULE_RNG_LABEL),
            self.config.block_interval_mean_ms,
            meta.next_due_ms,
            meta.rng_word_pos,
        );
        self.miner_min_fee_rate_sat_per_kvb = meta.miner_min_fee_rate_sat_per_kvb;
        self.fee_spike_sat_per_kvb = meta.fee_spike_sat_per_kvb;
        self.coinbase_script_pubkey = meta.coinbase_script_pubkey.clone();
        Ok(())
    }

    /// Connects the first `log_len` logged blocks, in order.
    fn replay(&mut self, store: &ChainStore, log_len: u64) -> Result<(), SimBitcoinError> {
        let mut next = 0u64;
        while next < log_len {
            let page = store.read_index(b'l', next)?;
            if page.is_empty() {
                return Err(corrupt(format!(
                    "the connection log ends at {next}, the meta record says {log_len}"
                )));
            }
            for (seq, hash) in page {
                if seq >= log_len {
                    break;
                }
                if seq != next {
                    return Err(corrupt(format!(
                        "the connection log skips from {next} to {seq}"
                    )));
                }
                let bytes = store.read_block(&hash, self.config.max_block_weight_wu)?;
                self.replay_block(&hash, bytes).map_err(|reason| {
                    corrupt(format!("block {hash} (log entry {seq}): {reason}"))
                })?;
                next += 1;
            }
        }
        Ok(())
    }

    /// Checks the stored best-chain index against the replayed chain, entry for entry.
    fn check_best_index(&self, store: &ChainStore) -> Result<(), SimBitcoinError> {
        let mut next = 0u64;
        loop {
            let page = store.read_index(b'h', next)?;
            if page.is_empty() {
                break;
            }
            for (height, hash) in page {
                if height != next || self.chain.hash_at(height) != Some(hash) {
                    return Err(corrupt(format!(
                        "best-chain index entry {height} ({hash}) disagrees with the replayed chain"
                    )));
                }
                next += 1;
            }
        }
        if next != self.chain.height() + 1 {
            return Err(corrupt(format!(
                "best-chain index has {next} entries for a chain of height {}",
                self.chain.height()
            )));
        }
        Ok(())
    }

    /// Validates `bytes` (block `hash`) and connects it, disconnecting back to its parent.
    fn replay_block(&mut self, hash: &BlockHash, bytes: Vec<u8>) -> Result<(), String> {
        let block: Block =
            bitcoin::consensus::deserialize(&bytes).map_err(|e| format!("does not decode: {e}"))?;
        if block.block_hash() != *hash {
            return Err(format!("its bytes hash to {}", block.block_hash()));
        }
        let prev = block.header.prev_blockhash;
        let prev_height = self
            .chain
            .block_height(&prev)
            .filter(|h| self.chain.hash_at(*h) == Some(prev))
            .ok_or_else(|| format!("its parent {prev} is not on the best chain"))?;
        while self.chain.height() > prev_height {
            self.chain.disconnect_tip();
        }
        let (txids, fee_rates) = self.check_block(block.clone())?;
        self.chain.connect(&block, &txids, bytes, fee_rates);
        Ok(())
    }

    /// The checks of a block on the tip; returns its txids and its fee rates.
    fn check_block(&self, block: Block) -> Result<(Vec<bitcoin::Txid>, Vec<u64>), String> {
        let height = self.chain.height() + 1;
        if block.header.bits.to_consensus() != REGTEST_BITS {
            return Err(format!("bits {:#x}", block.header.bits.to_consensus()));
        }
        block
            .header
            .validate_pow(block.header.target())
            .map_err(|e| format!("proof of work: {e}"))?;
        if block.header.time <= self.chain.median_time_past() {
            return Err("time not above the median time past".into());
        }
        let weight_wu = block.weight().to_wu();
        if weight_wu > self.config.max_block_weight_wu {
            return Err(format!("weight {weight_wu} WU"));
        }
        if !block.check_merkle_root() || !block.check_witness_commitment() {
            return Err("merkle root or witness commitment mismatch".into());
        }
        let mut txdata = block.txdata.into_iter();
        let coinbase = txdata
            .next()
            .filter(bitcoin::Transaction::is_coinbase)
            .ok_or("no coinbase first")?;
        let height_push = Builder::new()
            .push_int(i64::try_from(height).map_err(|_| "height out of range")?)
            .into_script();
        if !coinbase.input[0]
            .script_sig
            .as_bytes()
            .starts_with(height_push.as_bytes())
        {
            return Err(format!(
                "coinbase does not start with height {height} (BIP-34)"
            ));
        }
        let body = self
            .validate_block_txs(txdata.collect())
            .map_err(|e| e.to_string())?;
        let paid = coinbase
            .output
            .iter()
            .try_fold(Amount::ZERO, |sum, out| sum.checked_add(out.value))
            .ok_or("coinbase value overflows")?;
        if paid > block_subsidy(height) + body.fees {
            return Err(format!("coinbase pays {paid}, over subsidy plus fees"));
        }
        let mut txids = Vec::with_capacity(body.txids.len() + 1);
        txids.push(coinbase.compute_txid());
        txids.extend(body.txids);
        Ok((txids, body.fee_rates_sat_per_kvb))
    }
}

fn corrupt(reason: String) -> SimBitcoinError {
    SimBitcoinError::CorruptStore(reason)
}
