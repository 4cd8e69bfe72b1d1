//! Mining: the seeded block schedule (exponential intervals, as a Poisson process of block
//! discoveries), blocks from the mempool by ancestor-package fee rate, and blocks of given
//! transactions (`mine_block_with`), which are validated by consensus rules only (inputs,
//! maturity, lock times, signatures, weight) so fixtures may hold chains longer than the
//! mempool's limits. Mined blocks also carry the configured number of mainnet background
//! transactions (see `background`), which are checked for structure only.

use super::background;
use super::block::{self, BlockTemplate};
use super::mempool::rate_sat_per_kvb;
use super::node::Node;
use super::policy::{check_sequence_lock, check_transaction, is_final};
use super::template::{TemplateRules, COINBASE_RESERVED_WEIGHT_WU};
use super::verify::verify_inputs;
use super::SimBitcoinError;
use bitai_bitcoin::BroadcastReject;
use bitai_runtime::SimRng;
use bitcoin::{Amount, Block, BlockHash, OutPoint, Transaction, TxOut, Txid, Wtxid};
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};

/// Label of the schedule's rng stream (derived from the network's seed).
pub(crate) const SCHEDULE_RNG_LABEL: &str = "simbitcoin.miner";

/// When the next blocks are found: exponential intervals of a given mean, drawn from the
/// network's seeded rng.
#[derive(Debug, Clone)]
pub(crate) struct BlockSchedule {
    rng: SimRng,
    mean_ms: u64,
    next_due_ms: u64,
}

impl BlockSchedule {
    /// A schedule whose first block is due one draw after `start_ms`.
    pub fn new(rng: SimRng, mean_ms: u64, start_ms: u64) -> Self {
        let mut schedule = Self {
            rng,
            mean_ms,
            next_due_ms: start_ms,
        };
        schedule.advance();
        schedule
    }

    /// One exponential interval, at least 1 ms (inverse transform: -mean · ln(1 - u)).
    pub fn draw_interval_ms(&mut self) -> u64 {
        let u: f64 = self.rng.gen();
        let interval = -(1.0 - u).ln() * self.mean_ms as f64;
        (interval.round() as u64).max(1)
    }

    /// When the next block is due, ms.
    pub fn next_due_ms(&self) -> u64 {
        self.next_due_ms
    }

    /// Moves to the block after the next one.
    pub fn advance(&mut self) {
        self.next_due_ms = self.next_due_ms.saturating_add(self.draw_interval_ms());
    }

    /// Position of the rng's stream, in 32-bit words (what a durable network stores).
    pub fn rng_word_pos(&self) -> u128 {
        self.rng.get_word_pos()
    }

    /// A schedule resumed from a stored position: `rng` is the fresh stream of the same seed,
    /// moved to `rng_word_pos`, and the next block is due at `next_due_ms`.
    pub fn resume(mut rng: SimRng, mean_ms: u64, next_due_ms: u64, rng_word_pos: u128) -> Self {
        rng.set_word_pos(rng_word_pos);
        Self {
            rng,
            mean_ms,
            next_due_ms,
        }
    }
}

/// Transactions of a block with what assembling and storing it needs.
pub(crate) struct BlockBody {
    pub txs: Vec<Transaction>,
    pub txids: Vec<Txid>,
    pub wtxids: Vec<Wtxid>,
    pub fees: Amount,
    pub fee_rates_sat_per_kvb: Vec<u64>,
}

impl Node {
    /// Mines one block found at `at_ms`: from the mempool unless `include_mempool` is false,
    /// leaving out `exclude` and its descendants. On a durable network the block is stored
    /// before it is connected; if that fails nothing changes.
    pub(crate) fn mine_block_at(
        &mut self,
        at_ms: u64,
        include_mempool: bool,
        exclude: &BTreeSet<Txid>,
    ) -> Result<BlockHash, SimBitcoinError> {
        let background = background::pick(
            self.chain.height() + 1,
            self.config.background_txs_per_block,
            self.config.max_block_weight_wu / background::WEIGHT_SHARE_DIVISOR,
        );
        let background_wu: u64 = background.iter().map(|e| e.weight_wu).sum();
        let selected = if include_mempool {
            self.mempool.select_template(&TemplateRules {
                weight_max_wu: self.config.max_block_weight_wu
                    - COINBASE_RESERVED_WEIGHT_WU
                    - background_wu,
                min_fee_rate_sat_per_kvb: self.miner_min_fee_rate_sat_per_kvb,
                exclude,
            })
        } else {
            Vec::new()
        };
        let mut body = BlockBody {
            txs: Vec::with_capacity(selected.len()),
            txids: selected.clone(),
            wtxids: Vec::with_capacity(selected.len()),
            fees: Amount::ZERO,
            fee_rates_sat_per_kvb: Vec::with_capacity(selected.len()),
        };
        for txid in &selected {
            let e = &self.mempool.entries[txid];
            body.txs.push(e.tx.clone());
            body.wtxids.push(e.wtxid);
            body.fees += Amount::from_sat(e.fee_sat);
            body.fee_rates_sat_per_kvb.push(e.rate_sat_per_kvb());
        }
        for e in background {
            body.txs.push(e.tx.clone());
            body.txids.push(e.txid);
            body.wtxids.push(e.wtxid);
        }
        let hash = self.connect_new_block(at_ms, body)?;
        self.mempool.remove_set(&selected.into_iter().collect());
        self.mempool.block_connected();
        Ok(hash)
    }

    /// Validates `txs` as a block's transactions on the tip and mines them (and nothing
    /// else) into a block found now. Mempool transactions it confirms leave the mempool;
    /// those it conflicts with leave it with their descendants.
    pub(crate) fn mine_block_with(
        &mut self,
        txs: Vec<Transaction>,
    ) -> Result<BlockHash, SimBitcoinError> {
        let body = self.validate_block_txs(txs)?;
        let mut confirmed = BTreeSet::new();
        let mut conflicts = BTreeSet::new();
        for (tx, txid) in body.txs.iter().zip(&body.txids) {
            if self.mempool.entries.contains_key(txid) {
                confirmed.insert(*txid);
                continue;
            }
            for input in &tx.input {
                if let Some(spender) = self.mempool.spent_by.get(&input.previous_output) {
                    conflicts.insert(*spender);
                }
            }
        }
        let now_ms = self.clock.now_ms();
        let hash = self.connect_new_block(now_ms, body)?;
        self.mempool.remove_set(&confirmed);
        for c in conflicts.difference(&confirmed) {
            self.mempool.remove_with_descendants(c);
        }
        self.mempool.block_connected();
        Ok(hash)
    }

    /// Mines every block due by `now_ms`, each stamped with its due time. The schedule moves
    /// on before each block is stored, so the stored state has it; a failed store write
    /// puts it back and stops (the blocks before stay mined).
    pub(crate) fn mine_due(&mut self, now_ms: u64) -> Result<Vec<BlockHash>, SimBitcoinError> {
        let mut hashes = Vec::new();
        if self.mining_paused {
            while self.schedule.next_due_ms() <= now_ms {
                self.schedule.advance();
            }
            return Ok(hashes);
        }
        while self.schedule.next_due_ms() <= now_ms {
            let due_ms = self.schedule.next_due_ms();
            let before = self.schedule.clone();
            self.schedule.advance();
            match self.mine_block_at(due_ms, true, &BTreeSet::new()) {
                Ok(hash) => hashes.push(hash),
                Err(e) => {
                    self.schedule = before;
                    return Err(e);
                }
            }
        }
        Ok(hashes)
    }

    fn connect_new_block(
        &mut self,
        at_ms: u64,
        body: BlockBody,
    ) -> Result<BlockHash, SimBitcoinError> {
        let tip = self.chain.tip();
        let template = BlockTemplate {
            prev_blockhash: tip.hash,
            height: tip.height + 1,
            time: self.block_time(at_ms),
            coinbase_script_pubkey: &self.coinbase_script_pubkey,
            fees: body.fees,
            extra_nonce: self.blocks_built,
        };
        self.blocks_built += 1;
        let block: Block = block::assemble(&template, body.txs, &body.txids, &body.wtxids);
        let mut txids = Vec::with_capacity(body.txids.len() + 1);
        txids.push(block.txdata[0].compute_txid());
        txids.extend_from_slice(&body.txids);
        let weight = block.weight().to_wu();
        assert!(
            weight <= self.config.max_block_weight_wu,
            "block weight {weight} over the limit"
        );
        let bytes = bitcoin::consensus::serialize(&block);
        let hash = block.block_hash();
        if let Err(e) = self.persist_connect(&hash, tip.height + 1, &bytes) {
            self.blocks_built -= 1;
            return Err(e);
        }
        self.chain
            .connect(&block, &txids, bytes, body.fee_rates_sat_per_kvb);
        Ok(hash)
    }

    /// Consensus validation of a block's transactions on the tip (Core's CheckBlock and
    /// ConnectBlock, less what SimBitcoin's blocks cannot get wrong).
    pub(crate) fn validate_block_txs(
        &self,
        txs: Vec<Transaction>,
    ) -> Result<BlockBody, SimBitcoinError> {
        let weight_wu: u64 = txs.iter().map(|t| t.weight().to_wu()).sum();
        let max_wu = self.config.max_block_weight_wu - COINBASE_RESERVED_WEIGHT_WU;
        if weight_wu > max_wu {
            return Err(SimBitcoinError::BlockOverWeight { weight_wu, max_wu });
        }
        let next_height = self.chain.height() + 1;
        let mtp = self.chain.median_time_past();
        let maturity = u64::from(self.config.coinbase_maturity);
        let mut created: BTreeMap<OutPoint, TxOut> = BTreeMap::new();
        let mut spent: BTreeSet<OutPoint> = BTreeSet::new();
        let mut body = BlockBody {
            txs: Vec::with_capacity(txs.len()),
            txids: Vec::with_capacity(txs.len()),
            wtxids: Vec::with_capacity(txs.len()),
            fees: Amount::ZERO,
            fee_rates_sat_per_kvb: Vec::with_capacity(txs.len()),
        };
        for (index, tx) in txs.into_iter().enumerate() {
            let txid = tx.compute_txid();
            let refuse = |reason| SimBitcoinError::BlockTxRejected {
                index,
                txid,
                reason,
            };
            check_transaction(&tx).map_err(refuse)?;
            if background::is_background(&txid) {
                // Mainnet's coins and lock times: structure only (see `background`).
                body.wtxids.push(tx.compute_wtxid());
                body.txids.push(txid);
                body.txs.push(tx);
                continue;
            }
            if !is_final(&tx, next_height, mtp) {
                return Err(refuse(bitai_bitcoin::refusal::refusal("bad-txns-nonfinal")));
            }
            let mut prevouts = Vec::with_capacity(tx.input.len());
            for (i, input) in tx.input.iter().enumerate() {
                let prev = input.previous_output;
                if !spent.insert(prev) {
                    return Err(refuse(BroadcastReject::Conflict));
                }
                let (out, coin_height) = if let Some(out) = created.remove(&prev) {
                    (out, next_height)
                } else if let Some(coin) = self.chain.coin(&prev) {
                    let confirmations = next_height - coin.height;
                    if coin.is_coinbase && confirmations < maturity {
                        return Err(refuse(BroadcastReject::PrematureCoinbaseSpend {
                            input: i,
                            confirmations: confirmations as u32,
                            required: maturity as u32,
                        }));
                    }
                    (coin.txout.clone(), coin.height)
                } else {
                    return Err(refuse(BroadcastReject::MissingInputs));
                };
                check_sequence_lock(&tx, i, coin_height, next_height).map_err(refuse)?;
                prevouts.push(out);
            }
            let in_sat: u64 = prevouts.iter().map(|o| o.value.to_sat()).sum();
            let out_sat: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
            let fee_sat = in_sat
                .checked_sub(out_sat)
                .ok_or_else(|| refuse(bitai_bitcoin::refusal::refusal("bad-txns-in-belowout")))?;
            verify_inputs(&self.secp, &tx, &prevouts).map_err(refuse)?;
            for (vout, out) in tx.output.iter().enumerate() {
                if !out.script_pubkey.is_op_return() {
                    created.insert(
                        OutPoint {
                            txid,
                            vout: vout as u32,
                        },
                        out.clone(),
                    );
                }
            }
            let vsize = tx.weight().to_wu().div_ceil(4);
            body.fees += Amount::from_sat(fee_sat);
            body.fee_rates_sat_per_kvb
                .push(rate_sat_per_kvb(fee_sat, vsize));
            body.wtxids.push(tx.compute_wtxid());
            body.txids.push(txid);
            body.txs.push(tx);
        }
        Ok(body)
    }
}
