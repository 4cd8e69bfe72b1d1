//! The Bitcoin Core backend of the [`BitcoinPort`](crate::BitcoinPort): [`CoreRpc`] speaks
//! JSON-RPC to a Bitcoin Core 29, 30 or 31 node (regtest, signet, testnet or mainnet) through
//! `bitcoincore-rpc`'s client, configured by [`CoreRpcConfig`].
//!
//! Every reply is read as plain JSON and only the fields the port needs are taken out (see
//! `reply`): the typed structs of `bitcoincore-rpc` 0.19 fail on replies whose shape changed
//! between Core versions (Core 30's `getwalletinfo` has no balance fields any more). The calls
//! follow Bitcoin Core's RPC documentation: `getblockchaininfo` (tip), `getblockhash` (error
//! -8 above the tip), `getblock <hash> 0` (raw hex; error -5 when unknown),
//! `sendrawtransaction` (refusals mapped in `reject`), `getmempoolentry` (error -5 when
//! absent), `estimatesmartfee` (BTC/kvB, or `errors` without an estimate) and, for the coins,
//! `listunspent 0 9999999 [addresses]` on the configured wallet or, with no wallet (the
//! default: Core's wallet is optional everywhere), `scantxoutset` and the mempool (`scan`).
//!
//! **Blocking.** The port is synchronous: each call blocks its thread for one HTTP round trip,
//! at most `timeout_ms` per connect, read and write (and `jsonrpc`'s transport sends a request
//! once more on a fresh connection when the first one broke). In production the actor that
//! owns this backend runs on a multi-threaded tokio runtime and makes these calls inside
//! `tokio::task::block_in_place`, so the runtime's other tasks move off the blocked worker.
//! The deterministic simulation never uses this backend (it runs SimBitcoin).

mod config;
mod reject;
mod reply;
mod scan;
mod transport;

#[cfg(test)]
mod tests;

pub use config::{CoreNetwork, CoreRpcConfig};

use crate::{BitcoinPort, ChainTip, PortError, Utxo};
use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::{block, Address, BlockHash, FeeRate, OutPoint, ScriptBuf, Transaction, Txid};
use reply::{as_btc, as_hash, as_str, as_u64, excerpt, field, hex_bytes, object, unexpected};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use thiserror::Error;
use transport::{CallError, Connection, Target};

/// Node versions (`getnetworkinfo.version`) this backend was written and tested against:
/// Bitcoin Core 29 and 30 (through the double of their documented replies) and 31 (a real
/// node built from source, `tests/bitcoin_core_regtest.rs`; 31.99 is master after 31.1).
/// Others are used with a warning. The reply shapes that differ: `getwalletinfo` (30 dropped
/// the balances; read by name only), script-failure refusals (30 names the input), and
/// replacement refusals (31's cluster mempool says `replacement-failed` for rule 6's case).
pub const SUPPORTED_NODE_VERSIONS: Range<u64> = 290_000..320_000;

/// `RPC_INVALID_ADDRESS_OR_KEY`: unknown block, transaction not in the mempool.
const RPC_INVALID_ADDRESS_OR_KEY: i32 = -5;
/// `RPC_INVALID_PARAMETER`: block height out of range.
const RPC_INVALID_PARAMETER: i32 = -8;
/// `MAX_BLOCK_SERIALIZED_SIZE`: no valid block is larger.
const MAX_BLOCK_BYTES: usize = 4_000_000;
/// `MAX_SCRIPT_SIZE`: no spendable output script is larger.
const MAX_SCRIPT_BYTES: usize = 10_000;
/// `estimatesmartfee` accepts confirmation targets 1 to 1008.
const CONF_TARGET_MAX: u16 = 1008;

/// Why the backend could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CoreRpcError {
    /// A config key is missing, contradicts another or is out of range.
    #[error("invalid bitcoin core config `{key}`: {reason}")]
    Config {
        /// The key.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The cookie file could not be read or has no `user:password`.
    #[error("cannot use cookie file {path}: {reason}")]
    CookieFile {
        /// Its path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The node is on another network than the config says.
    #[error("bitcoin core is on chain `{actual}`, the config expects `{expected}`")]
    WrongNetwork {
        /// What the config expects (Core's chain name).
        expected: &'static str,
        /// What the node reported.
        actual: String,
    },
    /// The configured wallet answered under another name.
    #[error("bitcoin core wallet `{expected}` answered as `{actual}`")]
    WrongWallet {
        /// The configured name.
        expected: String,
        /// The name in `getwalletinfo`.
        actual: String,
    },
    /// Talking to the node failed (transport, RPC error or a reply of the wrong shape).
    #[error(transparent)]
    Port(#[from] PortError),
}

impl From<CallError> for CoreRpcError {
    fn from(error: CallError) -> Self {
        CoreRpcError::Port(error.into())
    }
}

/// A Bitcoin Core node behind the [`BitcoinPort`].
pub struct CoreRpc {
    connection: Connection,
    network: CoreNetwork,
    node_version: u64,
    fallback_fee_rate: FeeRate,
    /// The Core wallet whose `listunspent` lists the coins, if one is configured; without
    /// one the coins are found by `scantxoutset` and the mempool (`scan`).
    wallet: Option<String>,
    /// Whether the missing fee estimate was reported (once per backend, not per call).
    fallback_reported: std::sync::atomic::AtomicBool,
    /// Whether a mempool too large to walk for unconfirmed coins was reported (`scan`).
    walk_skip_reported: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for CoreRpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoreRpc")
            .field("network", &self.network)
            .field("node_version", &self.node_version)
            .finish_non_exhaustive()
    }
}

impl CoreRpc {
    /// Connects to the node: checks the config, the node's version (`getnetworkinfo`), its
    /// network (`getblockchaininfo.chain`) and, if one is configured, that the wallet is
    /// loaded (`getwalletinfo` on `/wallet/<name>`).
    pub fn connect(config: &CoreRpcConfig) -> Result<Self, CoreRpcError> {
        let auth = config.validate()?;
        let connection = Connection::open(config, auth)?;
        let mut rpc = CoreRpc {
            connection,
            network: config.network,
            node_version: 0,
            fallback_fee_rate: fee_rate_from_sat_per_kvb(config.fallback_fee_rate_sat_per_kvb),
            wallet: config.wallet.clone(),
            fallback_reported: std::sync::atomic::AtomicBool::new(false),
            walk_skip_reported: std::sync::atomic::AtomicBool::new(false),
        };

        const NETWORK_INFO: &str = "getnetworkinfo";
        let reply = rpc.connection.call(Target::Node, NETWORK_INFO, &[])?;
        let info = object(NETWORK_INFO, &reply)?;
        rpc.node_version = as_u64(
            NETWORK_INFO,
            "version",
            field(NETWORK_INFO, info, "version")?,
        )?;
        let subversion = info.get("subversion").and_then(Value::as_str).unwrap_or("");
        if !SUPPORTED_NODE_VERSIONS.contains(&rpc.node_version) {
            tracing::warn!(
                version = rpc.node_version,
                subversion,
                "bitcoin core version outside the tested range (29.x to 31.x): going on"
            );
        }

        const CHAIN_INFO: &str = "getblockchaininfo";
        let reply = rpc.connection.call(Target::Node, CHAIN_INFO, &[])?;
        let chain = as_str(
            CHAIN_INFO,
            "chain",
            field(CHAIN_INFO, object(CHAIN_INFO, &reply)?, "chain")?,
        )?;
        if chain != config.network.chain_name() {
            return Err(CoreRpcError::WrongNetwork {
                expected: config.network.chain_name(),
                actual: reply::truncate_chars(chain, 40),
            });
        }

        if let Some(wallet) = &config.wallet {
            const WALLET_INFO: &str = "getwalletinfo";
            let reply = rpc.connection.call(Target::Wallet, WALLET_INFO, &[])?;
            let name = as_str(
                WALLET_INFO,
                "walletname",
                field(WALLET_INFO, object(WALLET_INFO, &reply)?, "walletname")?,
            )?;
            if name != wallet {
                return Err(CoreRpcError::WrongWallet {
                    expected: wallet.clone(),
                    actual: reply::truncate_chars(name, 80),
                });
            }
        }
        tracing::info!(
            version = rpc.node_version,
            subversion,
            chain,
            "connected to bitcoin core"
        );
        Ok(rpc)
    }

    /// The node's version as `getnetworkinfo` reported it at connect (290000 for 29.0).
    pub fn node_version(&self) -> u64 {
        self.node_version
    }

    /// The network the node is on.
    pub fn network(&self) -> CoreNetwork {
        self.network
    }

    fn call(
        &self,
        target: Target,
        method: &'static str,
        params: &[Value],
    ) -> Result<Value, CallError> {
        self.connection.call(target, method, params)
    }
}

/// Satoshis per 1000 vB as a [`FeeRate`], which counts satoshis per 1000 weight units (250
/// vB): divided by 4 and rounded up to a whole sat/kwu, so never below what was asked.
fn fee_rate_from_sat_per_kvb(sat_per_kvb: u64) -> FeeRate {
    FeeRate::from_sat_per_kwu(sat_per_kvb.div_ceil(4))
}

impl BitcoinPort for CoreRpc {
    fn tip(&self) -> Result<ChainTip, PortError> {
        const METHOD: &str = "getblockchaininfo";
        let reply = self.call(Target::Node, METHOD, &[])?;
        let info = object(METHOD, &reply)?;
        Ok(ChainTip {
            height: as_u64(METHOD, "blocks", field(METHOD, info, "blocks")?)?,
            hash: as_hash(
                METHOD,
                "bestblockhash",
                field(METHOD, info, "bestblockhash")?,
            )?,
        })
    }

    fn block_hash(&self, height: u64) -> Result<Option<BlockHash>, PortError> {
        const METHOD: &str = "getblockhash";
        if height > i32::MAX as u64 {
            return Ok(None); // Core's heights are 32-bit signed; no chain is that tall.
        }
        match self.call(Target::Node, METHOD, &[json!(height)]) {
            Ok(reply) => Ok(Some(as_hash(METHOD, "result", &reply)?)),
            Err(CallError::Rpc {
                code: RPC_INVALID_PARAMETER,
                ..
            }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    fn block(&self, hash: &BlockHash) -> Result<Vec<u8>, PortError> {
        const METHOD: &str = "getblock";
        let reply = match self.call(Target::Node, METHOD, &[json!(hash.to_string()), json!(0)]) {
            Ok(reply) => reply,
            Err(CallError::Rpc {
                code: RPC_INVALID_ADDRESS_OR_KEY,
                message,
            }) => {
                return Err(PortError::NotFound(format!("block {hash}: {message}")));
            }
            Err(error) => return Err(error.into()),
        };
        let bytes = hex_bytes(
            METHOD,
            "result",
            as_str(METHOD, "result", &reply)?,
            MAX_BLOCK_BYTES,
        )?;
        let header: block::Header = bytes
            .get(..80)
            .and_then(|header| deserialize(header).ok())
            .ok_or_else(|| unexpected(METHOD, "reply is shorter than a block header"))?;
        if header.block_hash() != *hash {
            return Err(unexpected(
                METHOD,
                format!("asked for block {hash}, got block {}", header.block_hash()),
            ));
        }
        Ok(bytes)
    }

    fn broadcast(&self, tx: &Transaction) -> Result<Txid, PortError> {
        const METHOD: &str = "sendrawtransaction";
        let reply = match self.call(Target::Node, METHOD, &[json!(serialize_hex(tx))]) {
            Ok(reply) => reply,
            Err(CallError::Rpc { code, message }) => {
                return Err(reject::broadcast_error(code, &message, tx));
            }
            Err(error) => return Err(error.into()),
        };
        let txid: Txid = as_hash(METHOD, "result", &reply)?;
        if txid != tx.compute_txid() {
            return Err(unexpected(
                METHOD,
                format!("sent {}, the node answered txid {txid}", tx.compute_txid()),
            ));
        }
        Ok(txid)
    }

    fn in_mempool(&self, txid: &Txid) -> Result<bool, PortError> {
        const METHOD: &str = "getmempoolentry";
        match self.call(Target::Node, METHOD, &[json!(txid.to_string())]) {
            Ok(reply) => object(METHOD, &reply).map(|_| true),
            Err(CallError::Rpc {
                code: RPC_INVALID_ADDRESS_OR_KEY,
                ..
            }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    fn estimate_fee_rate(&self, target_blocks: u16) -> Result<FeeRate, PortError> {
        const METHOD: &str = "estimatesmartfee";
        let conf_target = target_blocks.clamp(1, CONF_TARGET_MAX);
        let reply = self.call(Target::Node, METHOD, &[json!(conf_target)])?;
        let estimate = object(METHOD, &reply)?;
        if let Some(feerate) = estimate.get("feerate") {
            let per_kvb = as_btc(METHOD, "feerate", feerate)?;
            return Ok(fee_rate_from_sat_per_kvb(per_kvb.to_sat()));
        }
        let errors = field(METHOD, estimate, "errors")
            .map_err(|_| unexpected(METHOD, "neither `feerate` nor `errors` in the reply"))?;
        if !self
            .fallback_reported
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!(
                conf_target,
                errors = %excerpt(errors),
                fallback_sat_per_kwu = self.fallback_fee_rate.to_sat_per_kwu(),
                "bitcoin core has no fee estimate (regtest never has one): using the configured \
                 fallback_fee_rate_sat_per_kvb until it has (said once)"
            );
        }
        Ok(self.fallback_fee_rate)
    }

    fn utxos(&self, addresses: &[Address]) -> Result<Vec<Utxo>, PortError> {
        if self.wallet.is_none() {
            return self.scanned_utxos(addresses);
        }
        const METHOD: &str = "listunspent";
        // Core refuses a duplicated address, and an empty list means "every address".
        let wanted: BTreeSet<String> = addresses.iter().map(ToString::to_string).collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let scripts: BTreeSet<ScriptBuf> = addresses.iter().map(Address::script_pubkey).collect();
        let params = [json!(0), json!(9_999_999), json!(wanted)];
        let reply = self.call(Target::Wallet, METHOD, &params)?;
        let entries = reply.as_array().ok_or_else(|| {
            unexpected(
                METHOD,
                format!("expected a JSON array, got {}", excerpt(&reply)),
            )
        })?;
        let mut utxos = entries
            .iter()
            .map(|entry| utxo(entry, &scripts))
            .collect::<Result<Vec<_>, _>>()?;
        utxos.sort_by_key(|utxo| utxo.outpoint);
        Ok(utxos)
    }
}

/// One `listunspent` entry, which must pay to one of `scripts`.
fn utxo(entry: &Value, scripts: &BTreeSet<ScriptBuf>) -> Result<Utxo, PortError> {
    const METHOD: &str = "listunspent";
    let entry = object(METHOD, entry)?;
    let (outpoint, value, script_pubkey) = unspent_output(METHOD, entry, scripts)?;
    let confirmations = as_u64(
        METHOD,
        "confirmations",
        field(METHOD, entry, "confirmations")?,
    )?;
    Ok(Utxo {
        outpoint,
        value,
        script_pubkey,
        confirmations: u32::try_from(confirmations).map_err(|_| {
            unexpected(
                METHOD,
                format!("`confirmations` {confirmations} out of range"),
            )
        })?,
    })
}

/// The output an unspent entry of `method` (`listunspent`, `scantxoutset`) names: its
/// outpoint, value and script, which must be one of `scripts`.
fn unspent_output(
    method: &'static str,
    entry: &serde_json::Map<String, Value>,
    scripts: &BTreeSet<ScriptBuf>,
) -> Result<(OutPoint, bitcoin::Amount, ScriptBuf), PortError> {
    let txid: Txid = as_hash(method, "txid", field(method, entry, "txid")?)?;
    let vout = as_u64(method, "vout", field(method, entry, "vout")?)?;
    let vout = u32::try_from(vout)
        .map_err(|_| unexpected(method, format!("`vout` {vout} out of range")))?;
    let script_hex = as_str(
        method,
        "scriptPubKey",
        field(method, entry, "scriptPubKey")?,
    )?;
    let script_pubkey = ScriptBuf::from_bytes(hex_bytes(
        method,
        "scriptPubKey",
        script_hex,
        MAX_SCRIPT_BYTES,
    )?);
    if !scripts.contains(&script_pubkey) {
        return Err(unexpected(
            method,
            format!("output {txid}:{vout} pays to none of the addresses asked for"),
        ));
    }
    let value = as_btc(method, "amount", field(method, entry, "amount")?)?;
    Ok((OutPoint { txid, vout }, value, script_pubkey))
}
