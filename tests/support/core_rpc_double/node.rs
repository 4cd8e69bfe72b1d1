//! The double's node: its state (chain, mempool, wallet, fee estimate, credentials, injected
//! faults, the log of requests) and the chain and network RPCs, answering with the fields,
//! types and errors of Bitcoin Core 29 and 30's help texts.

use super::chain::CannedChain;
use super::http::btc;
use super::mempool::CoreMempoolEntry;
use super::wallet::Wallet;
use super::{CoreVersion, Injection, LoggedRequest};
use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hashes::Hash;
use bitcoin::pow::Work;
use bitcoin::{BlockHash, Txid};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};

/// An RPC outcome: the result, or Core's error code and message.
pub type RpcResult = Result<Value, (i32, String)>;

/// `RPC_MISC_ERROR`.
pub const RPC_MISC_ERROR: i32 = -1;
/// `RPC_TYPE_ERROR`.
pub const RPC_TYPE_ERROR: i32 = -3;
/// `RPC_INVALID_ADDRESS_OR_KEY`.
pub const RPC_INVALID_ADDRESS_OR_KEY: i32 = -5;
/// `RPC_INVALID_PARAMETER`.
pub const RPC_INVALID_PARAMETER: i32 = -8;

/// Everything the double knows.
pub struct NodeState {
    /// Which Core it answers as.
    pub version: CoreVersion,
    /// `getnetworkinfo.version` (the version's own unless overridden).
    pub node_version: u64,
    /// The RPC user.
    pub user: String,
    /// The RPC password.
    pub password: String,
    /// Answer JSON-RPC 2.0 requests with 1.0 envelopes, as Core before 28 does.
    pub legacy_envelopes: bool,
    /// Whether `/wallet/<name>` is served (false: a node started with `-disablewallet`).
    pub wallet_enabled: bool,
    /// The chain and its UTXO set.
    pub chain: CannedChain,
    /// The mempool, by txid.
    pub mempool: BTreeMap<Txid, CoreMempoolEntry>,
    /// The loaded wallet, if any.
    pub wallet: Option<Wallet>,
    /// What `estimatesmartfee` answers, in sat/kvB; none: not enough data.
    pub fee_estimate_sat_per_kvb: Option<u64>,
    /// Faults to inject, by method, first in first out.
    pub injections: BTreeMap<String, VecDeque<Injection>>,
    /// Every request that passed authentication.
    pub requests: Vec<LoggedRequest>,
}

impl NodeState {
    /// Records a request.
    pub fn log(&mut self, path: &str, method: &str, params: &[Value], jsonrpc: Option<&Value>) {
        self.requests.push(LoggedRequest {
            path: path.to_owned(),
            method: method.to_owned(),
            params: params.to_vec(),
            jsonrpc: jsonrpc.and_then(Value::as_str).map(str::to_owned),
        });
    }

    /// The next fault injected for `method`, if any.
    pub fn take_injection(&mut self, method: &str) -> Option<Injection> {
        self.injections.get_mut(method)?.pop_front()
    }

    /// Runs one RPC; `wallet` is the wallet named by the URL path.
    pub fn call(&mut self, method: &str, params: &[Value], wallet: Option<&str>) -> RpcResult {
        match method {
            "getblockchaininfo" => Ok(self.blockchain_info()),
            "getnetworkinfo" => Ok(self.network_info()),
            "getblockhash" => self.block_hash(params),
            "getblock" => self.block(params),
            "estimatesmartfee" => self.estimate_smart_fee(params),
            "sendrawtransaction" => self.send_raw_transaction(params),
            "getmempoolentry" => self.mempool_entry(params),
            "getwalletinfo" => self.wallet_info(wallet),
            "listunspent" => self.list_unspent(params, wallet),
            _ => Err((-32601, "Method not found".to_owned())),
        }
    }

    fn blockchain_info(&self) -> Value {
        let tip = self.chain.tip();
        let mut times: Vec<u32> = self
            .chain
            .blocks
            .iter()
            .rev()
            .take(11)
            .map(|b| b.header.time)
            .collect();
        times.sort_unstable();
        let work = self
            .chain
            .blocks
            .iter()
            .fold(Work::from_be_bytes([0; 32]), |sum, block| {
                sum + block.header.work()
            });
        let size: usize = self
            .chain
            .blocks
            .iter()
            .map(|block| bitcoin::consensus::encode::serialize(block).len())
            .sum();
        json!({
            "chain": self.chain.chain_name,
            "blocks": self.chain.tip_height(),
            "headers": self.chain.tip_height(),
            "bestblockhash": tip.block_hash().to_string(),
            "bits": format!("{:08x}", tip.header.bits.to_consensus()),
            "target": hex(&tip.header.target().to_be_bytes()),
            "difficulty": tip.header.difficulty_float(),
            "time": tip.header.time,
            "mediantime": times[times.len() / 2],
            "verificationprogress": 1,
            "initialblockdownload": false,
            "chainwork": hex(&work.to_be_bytes()),
            "size_on_disk": size,
            "pruned": false,
            "warnings": [],
        })
    }

    fn network_info(&self) -> Value {
        let network = |name: &str, reachable: bool| json!({"name": name, "limited": !reachable, "reachable": reachable, "proxy": "", "proxy_randomize_credentials": false});
        let relay = btc(self.version.min_relay_fee_sat_per_kvb());
        json!({
            "version": self.node_version,
            "subversion": self.version.subversion(),
            "protocolversion": 70016,
            "localservices": "0000000000000c09",
            "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED", "P2P_V2"],
            "localrelay": true,
            "timeoffset": 0,
            "networkactive": true,
            "connections": 0,
            "connections_in": 0,
            "connections_out": 0,
            "networks": [network("ipv4", true), network("ipv6", true), network("onion", false), network("i2p", false), network("cjdns", false)],
            "relayfee": relay.clone(),
            "incrementalfee": relay,
            "localaddresses": [],
            "warnings": [],
        })
    }

    fn block_hash(&self, params: &[Value]) -> RpcResult {
        let height = int_param(params, 0, "height")?;
        if height < 0 || height as u64 > self.chain.tip_height() {
            return Err((
                RPC_INVALID_PARAMETER,
                "Block height out of range".to_owned(),
            ));
        }
        match self.chain.at(height as u64) {
            Some(block) => Ok(json!(block.block_hash().to_string())),
            None => Err((
                RPC_MISC_ERROR,
                format!("test double: no canned block at height {height}"),
            )),
        }
    }

    fn block(&self, params: &[Value]) -> RpcResult {
        let hash: BlockHash = hash_param(params, 0, "blockhash")?;
        let verbosity = match params.get(1) {
            None | Some(Value::Null) => 1,
            Some(Value::Bool(verbose)) => i64::from(*verbose),
            Some(value) => value.as_i64().ok_or_else(|| type_error(value, "number"))?,
        };
        let height = self
            .chain
            .height_of(&hash)
            .ok_or((RPC_INVALID_ADDRESS_OR_KEY, "Block not found".to_owned()))?;
        let block = self.chain.at(height).expect("a canned height");
        match verbosity {
            0 => Ok(json!(serialize_hex(block))),
            _ => Err((
                RPC_MISC_ERROR,
                "test double: only verbosity 0 is served".to_owned(),
            )),
        }
    }

    fn estimate_smart_fee(&self, params: &[Value]) -> RpcResult {
        let target = int_param(params, 0, "conf_target")?;
        if !(1..=1008).contains(&target) {
            return Err((
                RPC_INVALID_PARAMETER,
                "Invalid conf_target, must be between 1 and 1008".to_owned(),
            ));
        }
        Ok(match self.fee_estimate_sat_per_kvb {
            Some(rate) => json!({"feerate": btc(rate), "blocks": target.max(2)}),
            None => json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0}),
        })
    }
}

/// The JSON type name Core's `UniValue` uses in its errors.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Core's `RPC_TYPE_ERROR` for a parameter of the wrong type.
pub fn type_error(value: &Value, expected: &str) -> (i32, String) {
    (
        RPC_TYPE_ERROR,
        format!(
            "JSON value of type {} is not of expected type {expected}",
            type_name(value)
        ),
    )
}

fn missing(name: &str) -> (i32, String) {
    (
        RPC_MISC_ERROR,
        format!("test double: missing argument `{name}`"),
    )
}

/// A required integer parameter.
pub fn int_param(params: &[Value], index: usize, name: &str) -> Result<i64, (i32, String)> {
    match params.get(index) {
        None | Some(Value::Null) => Err(missing(name)),
        Some(value) => value.as_i64().ok_or_else(|| type_error(value, "number")),
    }
}

/// A required hash parameter, checked as Core's `ParseHashV` does.
pub fn hash_param<H: Hash + std::str::FromStr>(
    params: &[Value],
    index: usize,
    name: &str,
) -> Result<H, (i32, String)> {
    let value = params.get(index).ok_or_else(|| missing(name))?;
    let text = value.as_str().ok_or_else(|| type_error(value, "string"))?;
    if text.len() != 64 {
        return Err((
            RPC_INVALID_PARAMETER,
            format!(
                "{name} must be of length 64 (not {}, for '{text}')",
                text.len()
            ),
        ));
    }
    H::from_str(text).map_err(|_| {
        (
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{text}')"),
        )
    })
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
