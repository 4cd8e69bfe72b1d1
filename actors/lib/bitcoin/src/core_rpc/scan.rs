//! The inscriber's coins without a Core wallet: `scantxoutset` finds the confirmed outputs
//! paying to the addresses in the node's UTXO set, `gettxspendingprevout` drops those a
//! mempool transaction already spends, and a walk of the mempool (`getrawmempool`, then each
//! transaction's raw bytes, decoded here) adds the unconfirmed outputs paying to them. The
//! walk is bounded: over [`MAX_MEMPOOL_WALK`] transactions (a mainnet mempool) it is skipped
//! with a warning, once, and only confirmed coins are returned, which is always safe (the
//! inscriber's own unconfirmed change confirms within a block or two).
//!
//! `scantxoutset` reads the whole UTXO set: milliseconds on regtest, tens of seconds on
//! mainnet, and one scan at a time per node (a second gets error -8 and is reported as such).

use super::reply::{as_hash, as_str, as_u64, excerpt, field, hex_bytes, object, unexpected};
use super::transport::Target;
use super::{unspent_output, CoreRpc};
use crate::{PortError, Utxo};
use bitcoin::consensus::encode::deserialize;
use bitcoin::{Address, OutPoint, ScriptBuf, Transaction, Txid};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// Most mempool transactions the walk for unconfirmed coins reads.
pub const MAX_MEMPOOL_WALK: usize = 5_000;

/// Largest raw transaction read from the mempool (the consensus block weight bound).
const MAX_TX_BYTES: usize = 4_000_000;

impl CoreRpc {
    /// Unspent outputs paying to `addresses`, confirmed and unconfirmed, with no wallet.
    pub(super) fn scanned_utxos(&self, addresses: &[Address]) -> Result<Vec<Utxo>, PortError> {
        let scripts: BTreeSet<ScriptBuf> = addresses.iter().map(Address::script_pubkey).collect();
        if scripts.is_empty() {
            return Ok(Vec::new());
        }
        let mut utxos = self.scan_confirmed(addresses, &scripts)?;
        let spent = self.spent_in_mempool(&utxos)?;
        utxos.retain(|u| !spent.contains(&u.outpoint));
        if let Some((mut unconfirmed, spent)) = self.walk_mempool(&scripts)? {
            utxos.retain(|u| !spent.contains(&u.outpoint));
            unconfirmed.retain(|u| !spent.contains(&u.outpoint));
            utxos.extend(unconfirmed);
        }
        utxos.sort_by_key(|u| u.outpoint);
        utxos.dedup_by_key(|u| u.outpoint);
        Ok(utxos)
    }

    fn scan_confirmed(
        &self,
        addresses: &[Address],
        scripts: &BTreeSet<ScriptBuf>,
    ) -> Result<Vec<Utxo>, PortError> {
        const METHOD: &str = "scantxoutset";
        let descriptors: BTreeSet<String> =
            addresses.iter().map(|a| format!("addr({a})")).collect();
        let reply = self.call(Target::Node, METHOD, &[json!("start"), json!(descriptors)])?;
        let reply = object(METHOD, &reply)?;
        let tip = as_u64(METHOD, "height", field(METHOD, reply, "height")?)?;
        let unspents = field(METHOD, reply, "unspents")?
            .as_array()
            .ok_or_else(|| unexpected(METHOD, "`unspents` is not an array"))?;
        unspents
            .iter()
            .map(|entry| {
                let entry = object(METHOD, entry)?;
                let (outpoint, value, script_pubkey) = unspent_output(METHOD, entry, scripts)?;
                let height = as_u64(METHOD, "height", field(METHOD, entry, "height")?)?;
                let confirmations = tip.saturating_add(1).saturating_sub(height);
                Ok(Utxo {
                    outpoint,
                    value,
                    script_pubkey,
                    confirmations: u32::try_from(confirmations).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    /// Which of `utxos` a mempool transaction spends.
    fn spent_in_mempool(&self, utxos: &[Utxo]) -> Result<BTreeSet<OutPoint>, PortError> {
        const METHOD: &str = "gettxspendingprevout";
        if utxos.is_empty() {
            return Ok(BTreeSet::new());
        }
        let outputs: Vec<Value> = utxos
            .iter()
            .map(|u| json!({"txid": u.outpoint.txid.to_string(), "vout": u.outpoint.vout}))
            .collect();
        let reply = self.call(Target::Node, METHOD, &[json!(outputs)])?;
        let entries = reply.as_array().ok_or_else(|| {
            unexpected(
                METHOD,
                format!("expected an array, got {}", excerpt(&reply)),
            )
        })?;
        let mut spent = BTreeSet::new();
        for entry in entries {
            let entry = object(METHOD, entry)?;
            if entry.get("spendingtxid").is_some() {
                let txid: Txid = as_hash(METHOD, "txid", field(METHOD, entry, "txid")?)?;
                let vout = as_u64(METHOD, "vout", field(METHOD, entry, "vout")?)?;
                if let Ok(vout) = u32::try_from(vout) {
                    spent.insert(OutPoint { txid, vout });
                }
            }
        }
        Ok(spent)
    }

    /// The mempool's outputs paying to `scripts` and every outpoint its transactions spend;
    /// `None` when the mempool is over [`MAX_MEMPOOL_WALK`] transactions.
    #[allow(clippy::type_complexity)]
    fn walk_mempool(
        &self,
        scripts: &BTreeSet<ScriptBuf>,
    ) -> Result<Option<(Vec<Utxo>, BTreeSet<OutPoint>)>, PortError> {
        const METHOD: &str = "getrawmempool";
        let reply = self.call(Target::Node, METHOD, &[])?;
        let txids = reply.as_array().ok_or_else(|| {
            unexpected(
                METHOD,
                format!("expected an array, got {}", excerpt(&reply)),
            )
        })?;
        if txids.len() > MAX_MEMPOOL_WALK {
            if !self.walk_skip_reported.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    mempool = txids.len(),
                    limit = MAX_MEMPOOL_WALK,
                    "mempool too large to walk for unconfirmed coins: using confirmed ones only"
                );
            }
            return Ok(None);
        }
        let (mut found, mut spent) = (Vec::new(), BTreeSet::new());
        for txid in txids {
            let txid: Txid = as_hash(METHOD, "txid", txid)?;
            let Some(tx) = self.mempool_tx(&txid)? else {
                continue; // Left the mempool meanwhile.
            };
            spent.extend(tx.input.iter().map(|i| i.previous_output));
            for (vout, out) in tx.output.iter().enumerate() {
                if scripts.contains(&out.script_pubkey) {
                    found.push(Utxo {
                        outpoint: OutPoint {
                            txid,
                            vout: vout as u32,
                        },
                        value: out.value,
                        script_pubkey: out.script_pubkey.clone(),
                        confirmations: 0,
                    });
                }
            }
        }
        Ok(Some((found, spent)))
    }

    fn mempool_tx(&self, txid: &Txid) -> Result<Option<Transaction>, PortError> {
        const METHOD: &str = "getrawtransaction";
        let reply = match self.call(Target::Node, METHOD, &[json!(txid.to_string()), json!(0)]) {
            Ok(reply) => reply,
            Err(super::transport::CallError::Rpc { code: -5, .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let bytes = hex_bytes(
            METHOD,
            "result",
            as_str(METHOD, "result", &reply)?,
            MAX_TX_BYTES,
        )?;
        let tx: Transaction = deserialize(&bytes)
            .map_err(|e| unexpected(METHOD, format!("not a transaction: {e}")))?;
        if tx.compute_txid() != *txid {
            return Err(unexpected(METHOD, format!("asked for {txid}, got another")));
        }
        Ok(Some(tx))
    }
}
