//! The double's wallet: a descriptor wallet watching a set of addresses (`addr(...)`
//! descriptors, as an inscriber imports its own keys' addresses), answering `getwalletinfo`
//! (Core 29 with `balance`, `unconfirmed_balance` and `immature_balance`, Core 30 without them)
//! and `listunspent` (confirmed and mempool outputs, immature coinbases left out as Core does
//! by default), and the errors of a wallet that is not loaded.

use super::http::btc;
use super::node::{
    int_param, type_error, NodeState, RpcResult, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER,
};
use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, OutPoint, ScriptBuf, TxOut};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// `RPC_WALLET_NOT_FOUND`.
const RPC_WALLET_NOT_FOUND: i32 = -18;
/// Confirmations a coinbase output needs before `listunspent` shows it (`COINBASE_MATURITY` + 1).
const COINBASE_MATURE_DEPTH: u64 = 101;

/// A loaded wallet.
#[derive(Debug, Clone)]
pub struct Wallet {
    /// Its name (the `/wallet/<name>` path).
    pub name: String,
    /// The output scripts it watches.
    pub scripts: BTreeSet<ScriptBuf>,
}

/// One output the wallet owns.
struct Owned {
    outpoint: OutPoint,
    txout: TxOut,
    confirmations: u64,
    immature: bool,
    safe: bool,
}

impl NodeState {
    fn loaded_wallet(&self, named: Option<&str>) -> Result<&Wallet, (i32, String)> {
        match (named, &self.wallet) {
            (Some(name), Some(wallet)) if wallet.name == name => Ok(wallet),
            (None, Some(wallet)) => Ok(wallet),
            (Some(_), _) => Err((RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded".to_owned())),
            (None, None) => Err((
                RPC_WALLET_NOT_FOUND,
                "No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)".to_owned(),
            )),
        }
    }

    fn owned_outputs(&self, wallet: &Wallet) -> Vec<Owned> {
        let tip = self.chain.tip_height();
        let mut owned = Vec::new();
        for (outpoint, coin) in &self.chain.utxos {
            if wallet.scripts.contains(&coin.txout.script_pubkey)
                && self.spender(outpoint).is_none()
            {
                let confirmations = tip - coin.height + 1;
                let immature = coin.coinbase && confirmations < COINBASE_MATURE_DEPTH;
                owned.push(Owned {
                    outpoint: *outpoint,
                    txout: coin.txout.clone(),
                    confirmations,
                    immature,
                    safe: true,
                });
            }
        }
        for (txid, entry) in &self.mempool {
            let from_us = entry.tx.input.iter().all(|input| {
                self.prevout(&input.previous_output)
                    .is_some_and(|prev| wallet.scripts.contains(&prev.script_pubkey))
            });
            for (vout, txout) in entry.tx.output.iter().enumerate() {
                let outpoint = OutPoint {
                    txid: *txid,
                    vout: vout as u32,
                };
                if wallet.scripts.contains(&txout.script_pubkey)
                    && self.spender(&outpoint).is_none()
                {
                    owned.push(Owned {
                        outpoint,
                        txout: txout.clone(),
                        confirmations: 0,
                        immature: false,
                        safe: from_us,
                    });
                }
            }
        }
        owned
    }

    pub(super) fn wallet_info(&self, named: Option<&str>) -> RpcResult {
        let wallet = self.loaded_wallet(named)?;
        let owned = self.owned_outputs(wallet);
        let total = |keep: &dyn Fn(&Owned) -> bool| {
            btc(owned
                .iter()
                .filter(|o| keep(o))
                .map(|o| o.txout.value.to_sat())
                .sum())
        };
        let txids: BTreeSet<_> = owned.iter().map(|o| o.outpoint.txid).collect();
        let tip = self.chain.tip();
        let mut info = json!({
            "walletname": wallet.name,
            "walletversion": 169900,
            "format": "sqlite",
            "txcount": txids.len(),
            "keypoolsize": 0,
            "keypoolsize_hd_internal": 0,
            "paytxfee": btc(0),
            "private_keys_enabled": false,
            "avoid_reuse": false,
            "scanning": false,
            "descriptors": true,
            "external_signer": false,
            "blank": false,
            "birthtime": self.chain.blocks[0].header.time,
            "lastprocessedblock": {"hash": tip.block_hash().to_string(), "height": self.chain.tip_height()},
        });
        if self.version.has_wallet_balances() {
            info["balance"] = total(&|o| o.confirmations > 0 && !o.immature);
            info["unconfirmed_balance"] = total(&|o| o.confirmations == 0);
            info["immature_balance"] = total(&|o| o.immature);
        }
        Ok(info)
    }

    pub(super) fn list_unspent(&self, params: &[Value], named: Option<&str>) -> RpcResult {
        let wallet = self.loaded_wallet(named)?;
        let min_conf = if params.first().is_some_and(|p| !p.is_null()) {
            int_param(params, 0, "minconf")?
        } else {
            1
        };
        let max_conf = if params.get(1).is_some_and(|p| !p.is_null()) {
            int_param(params, 1, "maxconf")?
        } else {
            9_999_999
        };
        let mut wanted = BTreeSet::new();
        if let Some(list) = params.get(2).filter(|p| !p.is_null()) {
            let list = list.as_array().ok_or_else(|| type_error(list, "array"))?;
            for item in list {
                let text = item.as_str().ok_or_else(|| type_error(item, "string"))?;
                let address = text
                    .parse::<Address<NetworkUnchecked>>()
                    .ok()
                    .and_then(|a| a.require_network(self.chain.network).ok())
                    .ok_or_else(|| {
                        (
                            RPC_INVALID_ADDRESS_OR_KEY,
                            format!("Invalid Bitcoin address: {text}"),
                        )
                    })?;
                if !wanted.insert(address.script_pubkey()) {
                    return Err((
                        RPC_INVALID_PARAMETER,
                        format!("Invalid parameter, duplicated address: {text}"),
                    ));
                }
            }
        }
        let mut entries = Vec::new();
        for owned in self.owned_outputs(wallet) {
            let depth = owned.confirmations as i64;
            if owned.immature || depth < min_conf || depth > max_conf {
                continue;
            }
            if !wanted.is_empty() && !wanted.contains(&owned.txout.script_pubkey) {
                continue;
            }
            let address = Address::from_script(&owned.txout.script_pubkey, self.chain.network)
                .expect("watched scripts have addresses");
            let mut entry = json!({
                "txid": owned.outpoint.txid.to_string(),
                "vout": owned.outpoint.vout,
                "address": address.to_string(),
                "scriptPubKey": super::node::hex(owned.txout.script_pubkey.as_bytes()),
                "amount": btc(owned.txout.value.to_sat()),
                "confirmations": owned.confirmations,
            });
            if owned.confirmations == 0 {
                let ancestors = self.relatives(owned.outpoint.txid, true);
                let own = &self.mempool[&owned.outpoint.txid];
                entry["ancestorcount"] = json!(ancestors.len() + 1);
                entry["ancestorsize"] =
                    json!(ancestors.iter().map(|t| self.mempool[t].vsize).sum::<u64>() + own.vsize);
                entry["ancestorfees"] = json!(
                    ancestors
                        .iter()
                        .map(|t| self.mempool[t].fee.to_sat())
                        .sum::<u64>()
                        + own.fee.to_sat()
                );
            }
            entry["spendable"] = json!(true);
            entry["solvable"] = json!(false);
            entry["parent_descs"] = json!([descriptor_with_checksum(&format!("addr({address})"))]);
            entry["safe"] = json!(owned.safe);
            entries.push(entry);
        }
        Ok(Value::Array(entries))
    }
}

/// `descriptor#checksum` as BIP-380 defines the checksum.
pub fn descriptor_with_checksum(descriptor: &str) -> String {
    const INPUT_CHARSET: &str = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
    const CHECKSUM_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GENERATOR: [u64; 5] = [
        0xf5dee51989,
        0xa9fdca3312,
        0x1bab10e32d,
        0x3706b1677a,
        0x644d626ffd,
    ];
    let polymod = |checksum: u64, value: u64| {
        let top = checksum >> 35;
        let mut next = (checksum & 0x7ffffffff) << 5 ^ value;
        for (i, generator) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                next ^= generator;
            }
        }
        next
    };
    let mut checksum = 1u64;
    let mut groups = Vec::new();
    for c in descriptor.chars() {
        let position = INPUT_CHARSET.find(c).expect("a descriptor character") as u64;
        checksum = polymod(checksum, position & 31);
        groups.push(position >> 5);
        if groups.len() == 3 {
            checksum = polymod(checksum, groups[0] * 9 + groups[1] * 3 + groups[2]);
            groups.clear();
        }
    }
    match groups.as_slice() {
        [one] => checksum = polymod(checksum, *one),
        [one, two] => checksum = polymod(checksum, one * 3 + two),
        _ => {}
    }
    for _ in 0..8 {
        checksum = polymod(checksum, 0);
    }
    checksum ^= 1;
    let suffix: String = (0..8)
        .map(|i| char::from(CHECKSUM_CHARSET[((checksum >> (5 * (7 - i))) & 31) as usize]))
        .collect();
    format!("{descriptor}#{suffix}")
}
