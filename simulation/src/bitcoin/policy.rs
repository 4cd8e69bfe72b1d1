//! Mempool acceptance, in Bitcoin Core's order: the transaction's own shape (consensus and
//! standardness: version, 400,000 WU weight, output types, dust, finality), then its inputs
//! (in the mempool or the chain's UTXO set; coinbase maturity), its fee against the relay
//! minimum and the mempool's rolling minimum, ancestor and descendant limits, BIP-125 when it
//! conflicts, and last the signatures (the costly part). An accepted transaction evicts what
//! it replaces, and the mempool is trimmed back under its size cap.

use super::mempool::Entry;
use super::node::Node;
use super::replacement::{check_replacement, ReplacementLimits};
use super::verify::verify_inputs;
use bitai_bitcoin::BroadcastReject;
use bitcoin::{Amount, OutPoint, Transaction, TxOut, Txid};
use std::collections::BTreeSet;

/// How a transaction is being accepted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcceptOptions {
    /// Verify the input signatures (false only for transactions verified before: those a
    /// reorg returns to the mempool).
    pub verify_signatures: bool,
    /// Skip the minimum fee rate checks (Core does for transactions returned by a reorg).
    pub bypass_fee_minimum: bool,
}

impl AcceptOptions {
    /// A transaction from outside.
    pub const BROADCAST: Self = Self {
        verify_signatures: true,
        bypass_fee_minimum: false,
    };
    /// A transaction a reorg returns to the mempool.
    pub const REORG: Self = Self {
        verify_signatures: false,
        bypass_fee_minimum: true,
    };
}

/// The refusal of `reason`, of the kind Bitcoin Core's class for it gives
/// (`bitai_bitcoin::refusal`), so both backends answer alike.
fn other(reason: &str) -> BroadcastReject {
    bitai_bitcoin::refusal::refusal(reason)
}

/// Consensus checks on a transaction alone (Core's CheckTransaction), shared with blocks.
pub(crate) fn check_transaction(tx: &Transaction) -> Result<(), BroadcastReject> {
    if tx.input.is_empty() {
        return Err(other("bad-txns-vin-empty"));
    }
    if tx.output.is_empty() {
        return Err(other("bad-txns-vout-empty"));
    }
    if tx.is_coinbase() {
        return Err(other(
            "coinbase (a coinbase is only valid as a block's first transaction)",
        ));
    }
    let mut total = Amount::ZERO;
    for out in &tx.output {
        total = total
            .checked_add(out.value)
            .filter(|t| *t <= Amount::MAX_MONEY)
            .ok_or_else(|| other("bad-txns-txouttotal-toolarge"))?;
    }
    let mut seen = BTreeSet::new();
    for input in &tx.input {
        if input.previous_output.is_null() {
            return Err(other("bad-txns-prevout-null"));
        }
        if !seen.insert(input.previous_output) {
            return Err(other("bad-txns-inputs-duplicate"));
        }
    }
    Ok(())
}

/// Whether `tx` may enter a block at `next_height` whose median time past is `mtp` (BIP-113
/// absolute lock time).
pub(crate) fn is_final(tx: &Transaction, next_height: u64, mtp: u32) -> bool {
    let lock = tx.lock_time.to_consensus_u32();
    if lock == 0 || !tx.is_lock_time_enabled() {
        return true;
    }
    if lock < bitcoin::absolute::LOCK_TIME_THRESHOLD {
        u64::from(lock) < next_height
    } else {
        lock < mtp
    }
}

/// BIP-68 relative lock of one input spending a coin created at `coin_height` (the next
/// height for an unconfirmed parent). Time-based relative locks other than zero are not
/// simulated and refused as non-standard.
pub(crate) fn check_sequence_lock(
    tx: &Transaction,
    input: usize,
    coin_height: u64,
    next_height: u64,
) -> Result<(), BroadcastReject> {
    let seq = tx.input[input].sequence;
    if tx.version.0 < 2 || !seq.is_relative_lock_time() {
        return Ok(());
    }
    let value = u64::from(seq.to_consensus_u32() & 0xffff);
    if seq.is_time_locked() {
        if value == 0 {
            return Ok(());
        }
        return Err(BroadcastReject::NonStandard {
            reason: "time-based relative lock times are not simulated".into(),
        });
    }
    if coin_height + value > next_height {
        return Err(other("non-BIP68-final"));
    }
    Ok(())
}

impl Node {
    /// Standardness of a transaction alone (Core's IsStandardTx, less what SimBitcoin leaves
    /// to the signature check).
    fn check_standard(&self, tx: &Transaction) -> Result<(), BroadcastReject> {
        if !(1..=2).contains(&tx.version.0) {
            return Err(other(
                "version (non-standard; TRUC version 3 is not simulated)",
            ));
        }
        let weight = tx.weight().to_wu();
        if weight > self.config.max_standard_tx_weight_wu {
            return Err(BroadcastReject::OverWeight {
                weight,
                max: self.config.max_standard_tx_weight_wu,
            });
        }
        for out in &tx.output {
            let spk = &out.script_pubkey;
            if spk.is_op_return() {
                continue;
            }
            if !(spk.is_witness_program() || spk.is_p2pkh() || spk.is_p2sh()) {
                return Err(other("scriptpubkey (non-standard output script)"));
            }
            if out.value < spk.minimal_non_dust() {
                return Err(other("dust"));
            }
        }
        Ok(())
    }

    /// Accepts `tx` into the mempool or says why not.
    pub(crate) fn accept(
        &mut self,
        tx: Transaction,
        options: AcceptOptions,
    ) -> Result<Txid, BroadcastReject> {
        check_transaction(&tx)?;
        self.check_standard(&tx)?;
        let txid = tx.compute_txid();
        if self.mempool.entries.contains_key(&txid) {
            return Err(BroadcastReject::AlreadyKnown);
        }
        let next_height = self.chain.height() + 1;
        if !is_final(&tx, next_height, self.chain.median_time_past()) {
            return Err(other("non-final"));
        }

        let direct: BTreeSet<Txid> = tx
            .input
            .iter()
            .filter_map(|i| self.mempool.spent_by.get(&i.previous_output).copied())
            .collect();
        // BIP-125 rule 1 without full RBF. Core answers txn-mempool-conflict here (an
        // original that does not signal cannot be replaced: the newcomer is a double spend).
        if !self.config.full_rbf
            && direct
                .iter()
                .any(|c| !self.mempool.entries[c].tx.is_explicitly_rbf())
        {
            return Err(BroadcastReject::Conflict);
        }

        let (prevouts, parents) = self.resolve_inputs(&tx, txid, next_height)?;
        let in_sat: u64 = prevouts.iter().map(|o| o.value.to_sat()).sum();
        let out_sat: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
        let fee_sat = in_sat
            .checked_sub(out_sat)
            .ok_or_else(|| other("bad-txns-in-belowout"))?;
        let entry = Entry::new(tx, txid, fee_sat);

        if !options.bypass_fee_minimum {
            let min = self.mempool_min_fee_sat_per_kvb();
            let required = (min * entry.vsize / 1000).max(u64::from(min > 0));
            if fee_sat < required {
                return Err(BroadcastReject::FeeTooLow {
                    paid_sat_per_kvb: entry.rate_sat_per_kvb(),
                    min_sat_per_kvb: min,
                });
            }
        }

        let ancestors = self.mempool.ancestors_of_parents(&parents);
        self.check_package_limits(&entry, &ancestors)?;

        let evicted = if direct.is_empty() {
            BTreeSet::new()
        } else {
            let limits = ReplacementLimits {
                evictions_max: self.config.replacement_evictions_max,
                incremental_sat_per_kvb: self.config.incremental_relay_fee_rate_sat_per_kvb,
            };
            check_replacement(&self.mempool, &limits, &entry, &ancestors, &direct)?
        };

        if options.verify_signatures {
            verify_inputs(&self.secp, &entry.tx, &prevouts)?;
        }

        let paid_sat_per_kvb = entry.rate_sat_per_kvb();
        self.mempool.remove_set(&evicted);
        self.mempool.insert(entry, parents);
        self.trim_mempool();
        if !self.mempool.entries.contains_key(&txid) {
            // Core: "mempool full". The replaced transactions stay replaced, as in Core.
            return Err(BroadcastReject::FeeTooLow {
                paid_sat_per_kvb,
                min_sat_per_kvb: self.mempool_min_fee_sat_per_kvb(),
            });
        }
        Ok(txid)
    }

    /// The outputs `tx` spends and its in-mempool parents.
    fn resolve_inputs(
        &self,
        tx: &Transaction,
        txid: Txid,
        next_height: u64,
    ) -> Result<(Vec<TxOut>, BTreeSet<Txid>), BroadcastReject> {
        let mut prevouts = Vec::with_capacity(tx.input.len());
        let mut parents = BTreeSet::new();
        for (i, input) in tx.input.iter().enumerate() {
            let prev = input.previous_output;
            if let Some(parent) = self.mempool.entries.get(&prev.txid) {
                let out = parent.tx.output.get(prev.vout as usize);
                prevouts.push(out.ok_or(BroadcastReject::MissingInputs)?.clone());
                parents.insert(prev.txid);
                check_sequence_lock(tx, i, next_height, next_height)?;
            } else if let Some(coin) = self.chain.coin(&prev) {
                if coin.is_coinbase {
                    let confirmations = next_height - coin.height;
                    let required = u64::from(self.config.coinbase_maturity);
                    if confirmations < required {
                        return Err(BroadcastReject::PrematureCoinbaseSpend {
                            input: i,
                            confirmations: confirmations as u32,
                            required: required as u32,
                        });
                    }
                }
                check_sequence_lock(tx, i, coin.height, next_height)?;
                prevouts.push(coin.txout.clone());
            } else {
                let confirmed = (0..tx.output.len() as u32)
                    .any(|vout| self.chain.coin(&OutPoint { txid, vout }).is_some());
                return Err(if confirmed {
                    BroadcastReject::AlreadyKnown
                } else {
                    BroadcastReject::MissingInputs
                });
            }
        }
        Ok((prevouts, parents))
    }

    /// Ancestor and descendant count and size limits (too-long-mempool-chain).
    fn check_package_limits(
        &self,
        entry: &Entry,
        ancestors: &BTreeSet<Txid>,
    ) -> Result<(), BroadcastReject> {
        let c = &self.config;
        let count = ancestors.len() as u64 + 1;
        if count > c.ancestor_count_max {
            return Err(BroadcastReject::ChainTooLong(format!(
                "too many unconfirmed ancestors [limit: {}]",
                c.ancestor_count_max
            )));
        }
        let size: u64 = entry.vsize
            + ancestors
                .iter()
                .map(|a| self.mempool.entries[a].vsize)
                .sum::<u64>();
        if size > c.ancestor_size_max_vbytes {
            return Err(BroadcastReject::ChainTooLong(format!(
                "exceeds ancestor size limit [limit: {}]",
                c.ancestor_size_max_vbytes
            )));
        }
        for a in ancestors {
            let d = &self.mempool.entries[a].descendants;
            if d.count + 1 > c.descendant_count_max {
                return Err(BroadcastReject::ChainTooLong(format!(
                    "too many descendants for tx {a} [limit: {}]",
                    c.descendant_count_max
                )));
            }
            if d.vsize + entry.vsize > c.descendant_size_max_vbytes {
                return Err(BroadcastReject::ChainTooLong(format!(
                    "exceeds descendant size limit for tx {a} [limit: {}]",
                    c.descendant_size_max_vbytes
                )));
            }
        }
        Ok(())
    }

    /// The fee rate a transaction needs to enter now: the higher of the minimum relay fee
    /// rate and the mempool's rolling minimum, sat/kvB.
    pub(crate) fn mempool_min_fee_sat_per_kvb(&mut self) -> u64 {
        let now_ms = self.clock.now_ms();
        let rolling = self.mempool.min_fee_sat_per_kvb(
            now_ms,
            self.config.mempool_max_vbytes,
            self.config.incremental_relay_fee_rate_sat_per_kvb,
        );
        rolling.max(self.config.min_relay_fee_rate_sat_per_kvb)
    }

    /// Evicts down to the size cap; returns the evicted txids.
    pub(crate) fn trim_mempool(&mut self) -> Vec<Txid> {
        let now_ms = self.clock.now_ms();
        self.mempool.trim_to_size(
            self.config.mempool_max_vbytes,
            self.config.incremental_relay_fee_rate_sat_per_kvb,
            now_ms,
        )
    }
}
