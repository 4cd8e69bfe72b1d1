//! The double's mempool: `sendrawtransaction` and `getmempoolentry`, with the checks and
//! messages of Bitcoin Core that need no script interpreter, in Core's order: already in the
//! UTXO set (-27), standard weight (`tx-size`), missing inputs (-25), value in below value out,
//! minimum relay fee (1 sat/vB on Core 29, 0.1 sat/vB on Core 30), then BIP-125 rules 6, 3 and
//! 4 for a replacement. Signatures are not verified here: refusals that need them are injected.

use super::http::btc;
use super::node::{hash_param, type_error, NodeState, RpcResult, RPC_INVALID_ADDRESS_OR_KEY};
use bitcoin::consensus::encode::deserialize_hex;
use bitcoin::{Amount, OutPoint, Transaction, TxOut, Txid};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const RPC_VERIFY_ERROR: i32 = -25;
const RPC_VERIFY_REJECTED: i32 = -26;
const RPC_VERIFY_ALREADY_IN_UTXO_SET: i32 = -27;
const RPC_DESERIALIZATION_ERROR: i32 = -22;

/// A transaction in the mempool.
#[derive(Debug, Clone)]
pub struct CoreMempoolEntry {
    /// The transaction.
    pub tx: Transaction,
    /// Its fee.
    pub fee: Amount,
    /// Its virtual size.
    pub vsize: u64,
    /// Chain height when it entered.
    pub height: u64,
    /// Time it entered (the tip's time).
    pub time: u32,
}

/// Core's `FormatMoney`: BTC with trailing zeros trimmed to at least two decimals.
pub fn format_money(sat: u64) -> String {
    let mut text = format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000);
    while text.ends_with('0') && text.len() - text.find('.').expect("a point") > 3 {
        text.pop();
    }
    text
}

/// Core's `CFeeRate::ToString`: sat per kvB as `B.BBBBBBBB BTC/kvB`.
fn fee_rate_text(sat_per_kvb: u64) -> String {
    format!(
        "{}.{:08} BTC/kvB",
        sat_per_kvb / 100_000_000,
        sat_per_kvb % 100_000_000
    )
}

fn rejected(reason: String) -> (i32, String) {
    (RPC_VERIFY_REJECTED, reason)
}

impl NodeState {
    /// The mempool transaction spending `outpoint`, if any.
    pub fn spender(&self, outpoint: &OutPoint) -> Option<Txid> {
        self.mempool
            .iter()
            .find(|(_, entry)| {
                entry
                    .tx
                    .input
                    .iter()
                    .any(|i| i.previous_output == *outpoint)
            })
            .map(|(txid, _)| *txid)
    }

    /// The output `outpoint` names, confirmed or in the mempool.
    pub fn prevout(&self, outpoint: &OutPoint) -> Option<TxOut> {
        if let Some(coin) = self.chain.utxos.get(outpoint) {
            return Some(coin.txout.clone());
        }
        let entry = self.mempool.get(&outpoint.txid)?;
        entry.tx.output.get(outpoint.vout as usize).cloned()
    }

    /// In-mempool ancestors (`up`) or descendants of `txid`, without itself.
    pub fn relatives(&self, txid: Txid, up: bool) -> BTreeSet<Txid> {
        let mut found = BTreeSet::new();
        let mut queue = vec![txid];
        while let Some(next) = queue.pop() {
            let linked: Vec<Txid> = if up {
                self.mempool[&next]
                    .tx
                    .input
                    .iter()
                    .map(|i| i.previous_output.txid)
                    .filter(|p| self.mempool.contains_key(p))
                    .collect()
            } else {
                self.mempool
                    .iter()
                    .filter(|(_, e)| e.tx.input.iter().any(|i| i.previous_output.txid == next))
                    .map(|(t, _)| *t)
                    .collect()
            };
            for relative in linked {
                if found.insert(relative) {
                    queue.push(relative);
                }
            }
        }
        found
    }

    pub(super) fn send_raw_transaction(&mut self, params: &[Value]) -> RpcResult {
        let value = params
            .first()
            .ok_or((-1, "test double: missing argument `hexstring`".to_owned()))?;
        let hex = value.as_str().ok_or_else(|| type_error(value, "string"))?;
        let tx: Transaction = deserialize_hex(hex).map_err(|_| {
            (
                RPC_DESERIALIZATION_ERROR,
                "TX decode failed. Make sure the tx has at least one input.".to_owned(),
            )
        })?;
        let txid = tx.compute_txid();
        if self.mempool.contains_key(&txid) {
            return Ok(json!(txid.to_string()));
        }
        if (0..tx.output.len()).any(|vout| {
            self.chain.utxos.contains_key(&OutPoint {
                txid,
                vout: vout as u32,
            })
        }) {
            return Err((
                RPC_VERIFY_ALREADY_IN_UTXO_SET,
                "Transaction outputs already in utxo set".to_owned(),
            ));
        }
        if tx.weight().to_wu() > 400_000 {
            return Err(rejected("tx-size".to_owned()));
        }
        let conflicts: BTreeSet<Txid> = tx
            .input
            .iter()
            .filter_map(|i| self.spender(&i.previous_output))
            .collect();
        let mut value_in = Amount::ZERO;
        for input in &tx.input {
            match self.prevout(&input.previous_output) {
                Some(prevout) => value_in += prevout.value,
                None => {
                    return Err((
                        RPC_VERIFY_ERROR,
                        "bad-txns-inputs-missingorspent".to_owned(),
                    ))
                }
            }
        }
        let value_out: Amount = tx.output.iter().map(|o| o.value).sum();
        let Some(fee) = value_in.checked_sub(value_out) else {
            return Err(rejected(format!(
                "bad-txns-in-belowout, value in ({}) < value out ({})",
                format_money(value_in.to_sat()),
                format_money(value_out.to_sat())
            )));
        };
        let vsize = tx.vsize() as u64;
        let min_relay = self.version.min_relay_fee_sat_per_kvb();
        let required = (min_relay * vsize).div_ceil(1000);
        if fee.to_sat() < required {
            return Err(rejected(format!(
                "min relay fee not met, {} < {required}",
                fee.to_sat()
            )));
        }
        if !conflicts.is_empty() {
            self.replacement_checks(&tx, fee, vsize, &conflicts)?;
        }
        let tip = self.chain.tip_height();
        let time = self.chain.tip().header.time;
        self.mempool.insert(
            txid,
            CoreMempoolEntry {
                tx,
                fee,
                vsize,
                height: tip,
                time,
            },
        );
        Ok(json!(txid.to_string()))
    }

    /// BIP-125 rules 6, 3 and 4, with Core's messages; evicts the replaced on success.
    fn replacement_checks(
        &mut self,
        tx: &Transaction,
        fee: Amount,
        vsize: u64,
        conflicts: &BTreeSet<Txid>,
    ) -> Result<(), (i32, String)> {
        let txid = tx.compute_txid();
        let new_rate = fee.to_sat() * 1000 / vsize;
        for conflict in conflicts {
            let old = &self.mempool[conflict];
            let old_rate = old.fee.to_sat() * 1000 / old.vsize;
            if new_rate <= old_rate {
                return Err(rejected(format!(
                    "insufficient fee, rejecting replacement {txid}; new feerate {} <= old feerate {}",
                    fee_rate_text(new_rate),
                    fee_rate_text(old_rate)
                )));
            }
        }
        let mut evicted: BTreeSet<Txid> = conflicts.clone();
        for conflict in conflicts {
            evicted.extend(self.relatives(*conflict, false));
        }
        let evicted_fees: Amount = evicted.iter().map(|t| self.mempool[t].fee).sum();
        if fee < evicted_fees {
            return Err(rejected(format!(
                "insufficient fee, rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
                format_money(fee.to_sat()),
                format_money(evicted_fees.to_sat())
            )));
        }
        let additional = fee - evicted_fees;
        let relay = (self.version.min_relay_fee_sat_per_kvb() * vsize).div_ceil(1000);
        if additional.to_sat() < relay {
            return Err(rejected(format!(
                "insufficient fee, rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
                format_money(additional.to_sat()),
                format_money(relay)
            )));
        }
        for gone in evicted {
            self.mempool.remove(&gone);
        }
        Ok(())
    }

    pub(super) fn mempool_entry(&self, params: &[Value]) -> RpcResult {
        let txid: Txid = hash_param(params, 0, "txid")?;
        let entry = self.mempool.get(&txid).ok_or((
            RPC_INVALID_ADDRESS_OR_KEY,
            "Transaction not in mempool".to_owned(),
        ))?;
        let ancestors = self.relatives(txid, true);
        let descendants = self.relatives(txid, false);
        let sum = |set: &BTreeSet<Txid>, pick: fn(&CoreMempoolEntry) -> u64| -> u64 {
            set.iter().map(|t| pick(&self.mempool[t])).sum::<u64>() + pick(entry)
        };
        let signals = |t: &Transaction| t.input.iter().any(|i| i.sequence.is_rbf());
        let replaceable =
            signals(&entry.tx) || ancestors.iter().any(|t| signals(&self.mempool[t].tx));
        let parents: BTreeSet<String> = entry
            .tx
            .input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|p| self.mempool.contains_key(p))
            .map(|p| p.to_string())
            .collect();
        let children: Vec<String> = self
            .mempool
            .iter()
            .filter(|(_, e)| e.tx.input.iter().any(|i| i.previous_output.txid == txid))
            .map(|(t, _)| t.to_string())
            .collect();
        Ok(json!({
            "vsize": entry.vsize,
            "weight": entry.tx.weight().to_wu(),
            "time": entry.time,
            "height": entry.height,
            "descendantcount": descendants.len() + 1,
            "descendantsize": sum(&descendants, |e| e.vsize),
            "ancestorcount": ancestors.len() + 1,
            "ancestorsize": sum(&ancestors, |e| e.vsize),
            "wtxid": entry.tx.compute_wtxid().to_string(),
            "fees": {
                "base": btc(entry.fee.to_sat()),
                "modified": btc(entry.fee.to_sat()),
                "ancestor": btc(sum(&ancestors, |e| e.fee.to_sat())),
                "descendant": btc(sum(&descendants, |e| e.fee.to_sat())),
            },
            "depends": parents,
            "spentby": children,
            "bip125-replaceable": replaceable,
            "unbroadcast": true,
        }))
    }

    /// Takes the whole mempool for a block, parents before children, and its total fee.
    pub fn take_for_block(&mut self) -> (Vec<Transaction>, Amount) {
        let mut included: Vec<Transaction> = Vec::new();
        let mut fees = Amount::ZERO;
        while !self.mempool.is_empty() {
            let ready: Vec<Txid> = self
                .mempool
                .iter()
                .filter(|(_, e)| {
                    e.tx.input
                        .iter()
                        .all(|i| !self.mempool.contains_key(&i.previous_output.txid))
                })
                .map(|(t, _)| *t)
                .collect();
            for txid in ready {
                let entry = self.mempool.remove(&txid).expect("listed just now");
                fees += entry.fee;
                included.push(entry.tx);
            }
        }
        (included, fees)
    }
}
