//! How the backend finds and authenticates to a Bitcoin Core node: [`CoreRpcConfig`], read from
//! TOML (see `configs/bitcoin-core-regtest.toml`), and the checks that turn a config into the
//! URL and credentials of the RPC client. Bitcoin Core accepts either the cookie it writes into
//! its data directory at start (`.cookie`, `__cookie__:<random hex>`) or the `rpcuser` and
//! `rpcpassword` of its own config; exactly one of the two must be set here.

use super::CoreRpcError;
use bitcoin::Network;
use serde::Deserialize;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest cookie file read: Bitcoin Core writes 75 bytes (`__cookie__:` and 64 hex digits).
const COOKIE_FILE_MAX_BYTES: u64 = 4096;

/// Which Bitcoin network the node must be on, checked against `getblockchaininfo.chain` when
/// the backend connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoreNetwork {
    /// Mainnet: Bitcoin Core's chain name `main`.
    Mainnet,
    /// Testnet3: chain name `test`.
    Testnet,
    /// Testnet4: chain name `testnet4` (Bitcoin Core 28 and later).
    Testnet4,
    /// The default signet, or a custom one: chain name `signet`.
    Signet,
    /// Regtest: chain name `regtest`.
    Regtest,
}

impl CoreNetwork {
    /// The `chain` string that Bitcoin Core's `getblockchaininfo` reports for this network.
    pub fn chain_name(self) -> &'static str {
        match self {
            CoreNetwork::Mainnet => "main",
            CoreNetwork::Testnet => "test",
            CoreNetwork::Testnet4 => "testnet4",
            CoreNetwork::Signet => "signet",
            CoreNetwork::Regtest => "regtest",
        }
    }

    /// The same network as `rust-bitcoin` names it (addresses, genesis, consensus params).
    pub fn to_bitcoin(self) -> Network {
        match self {
            CoreNetwork::Mainnet => Network::Bitcoin,
            CoreNetwork::Testnet => Network::Testnet,
            CoreNetwork::Testnet4 => Network::Testnet4,
            CoreNetwork::Signet => Network::Signet,
            CoreNetwork::Regtest => Network::Regtest,
        }
    }
}

/// Where and how to reach a Bitcoin Core node (29 or 30) over JSON-RPC.
///
/// Every key with its default; `url`, and one way to authenticate, have none:
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `url` | (required) | `http://host:port` of the RPC server; regtest listens on 18443, signet 38332, testnet4 48332, mainnet 8332 |
/// | `cookie_file` | none | path of the node's `.cookie` file; re-read when the node restarts and the cookie changes |
/// | `rpc_user` | none | `rpcuser` from `bitcoin.conf`, with `rpc_password` (instead of `cookie_file`) |
/// | `rpc_password` | none | `rpcpassword` from `bitcoin.conf` |
/// | `wallet` | none | loaded wallet for `utxos`; requests go to `/wallet/<name>`; none: the node's only loaded wallet |
/// | `network` | `regtest` | `mainnet`, `testnet`, `testnet4`, `signet` or `regtest`; checked at connect |
/// | `timeout_ms` | 30000 | connect, read and write timeout of each HTTP request |
/// | `fallback_fee_rate_sat_per_kvb` | 1000 | fee rate used when `estimatesmartfee` has no estimate yet |
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreRpcConfig {
    /// `http://host:port` of the node's RPC server (no path; HTTPS is not supported by
    /// Bitcoin Core). Required.
    pub url: String,
    /// Path of the node's cookie file (`<datadir>/<network>/.cookie`). Default: none.
    #[serde(default)]
    pub cookie_file: Option<PathBuf>,
    /// `rpcuser` of the node. Default: none.
    #[serde(default)]
    pub rpc_user: Option<String>,
    /// `rpcpassword` of the node. Default: none.
    #[serde(default)]
    pub rpc_password: Option<String>,
    /// Name of the loaded wallet whose UTXOs `utxos` lists. Default: none (the node's only
    /// loaded wallet, through `/`).
    #[serde(default)]
    pub wallet: Option<String>,
    /// The network the node must be on. Default: `regtest`.
    #[serde(default = "default_network")]
    pub network: CoreNetwork,
    /// Timeout of each HTTP request (connect, then each read and write), in milliseconds.
    /// Default: 30000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Fee rate, in sat per 1000 vB, returned by `estimate_fee_rate` while the node's
    /// estimator has too little data (it answers with `errors` and no `feerate`). Default:
    /// 1000 (1 sat/vB).
    #[serde(default = "default_fallback_fee_rate_sat_per_kvb")]
    pub fallback_fee_rate_sat_per_kvb: u64,
}

fn default_network() -> CoreNetwork {
    CoreNetwork::Regtest
}

fn default_timeout_ms() -> u64 {
    30_000
}

fn default_fallback_fee_rate_sat_per_kvb() -> u64 {
    1_000
}

impl CoreRpcConfig {
    /// A config for `url` with every other key at its default (no authentication set yet).
    pub fn new(url: impl Into<String>) -> Self {
        CoreRpcConfig {
            url: url.into(),
            cookie_file: None,
            rpc_user: None,
            rpc_password: None,
            wallet: None,
            network: default_network(),
            timeout_ms: default_timeout_ms(),
            fallback_fee_rate_sat_per_kvb: default_fallback_fee_rate_sat_per_kvb(),
        }
    }

    /// Checks every key and returns how to authenticate.
    pub(crate) fn validate(&self) -> Result<Auth, CoreRpcError> {
        check_url(&self.url)?;
        if self.timeout_ms == 0 {
            return Err(config_error("timeout_ms", "must be above 0"));
        }
        if let Some(wallet) = &self.wallet {
            if wallet.is_empty() {
                return Err(config_error(
                    "wallet",
                    "must not be empty (leave it out instead)",
                ));
            }
        }
        match (&self.cookie_file, &self.rpc_user, &self.rpc_password) {
            (Some(path), None, None) => Ok(Auth::CookieFile(path.clone())),
            (None, Some(user), Some(password)) => {
                if user.contains(':') {
                    return Err(config_error("rpc_user", "must not contain ':'"));
                }
                Ok(Auth::UserPassword(Credentials {
                    user: user.clone(),
                    password: password.clone(),
                }))
            }
            (Some(_), _, _) => Err(config_error(
                "cookie_file",
                "set either cookie_file or rpc_user and rpc_password, not both",
            )),
            (None, None, None) => Err(config_error(
                "cookie_file",
                "set cookie_file, or rpc_user and rpc_password",
            )),
            (None, Some(_), None) | (None, None, Some(_)) => Err(config_error(
                "rpc_user",
                "rpc_user and rpc_password must be set together",
            )),
        }
    }
}

impl fmt::Debug for CoreRpcConfig {
    // The password stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoreRpcConfig")
            .field("url", &self.url)
            .field("cookie_file", &self.cookie_file)
            .field("rpc_user", &self.rpc_user)
            .field(
                "rpc_password",
                &self.rpc_password.as_ref().map(|_| "<redacted>"),
            )
            .field("wallet", &self.wallet)
            .field("network", &self.network)
            .field("timeout_ms", &self.timeout_ms)
            .field(
                "fallback_fee_rate_sat_per_kvb",
                &self.fallback_fee_rate_sat_per_kvb,
            )
            .finish()
    }
}

fn config_error(key: &'static str, reason: &str) -> CoreRpcError {
    CoreRpcError::Config {
        key,
        reason: reason.to_owned(),
    }
}

/// `http://host:port`, optionally with a trailing `/`: the node serves `/` and `/wallet/<name>`.
fn check_url(url: &str) -> Result<(), CoreRpcError> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(config_error(
            "url",
            "must start with http:// (Bitcoin Core serves RPC over plain HTTP)",
        ));
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() || authority.contains('@') {
        return Err(config_error(
            "url",
            "must be http://host:port (credentials go in their keys)",
        ));
    }
    if !path.is_empty() {
        return Err(config_error(
            "url",
            "must have no path (name the wallet with `wallet`)",
        ));
    }
    Ok(())
}

/// How the client authenticates, from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Read the credentials from this cookie file (again when the node restarts).
    CookieFile(PathBuf),
    /// Fixed `rpcuser`/`rpcpassword`.
    UserPassword(Credentials),
}

impl Auth {
    /// The credentials to send now.
    pub(crate) fn credentials(&self) -> Result<Credentials, CoreRpcError> {
        match self {
            Auth::CookieFile(path) => read_cookie_file(path),
            Auth::UserPassword(credentials) => Ok(credentials.clone()),
        }
    }
}

/// A user and password for HTTP Basic authentication.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}:<redacted>)", self.user)
    }
}

/// Reads `user:password` from the first line of a cookie file, with a size limit.
pub(crate) fn read_cookie_file(path: &Path) -> Result<Credentials, CoreRpcError> {
    let cookie_error = |reason: String| CoreRpcError::CookieFile {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| cookie_error(e.to_string()))?;
    let mut text = String::new();
    file.take(COOKIE_FILE_MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| cookie_error(e.to_string()))?;
    if text.len() as u64 > COOKIE_FILE_MAX_BYTES {
        return Err(cookie_error(format!(
            "longer than {COOKIE_FILE_MAX_BYTES} bytes"
        )));
    }
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    let Some((user, password)) = line.split_once(':') else {
        return Err(cookie_error(
            "no `user:password` on its first line".to_owned(),
        ));
    };
    if user.is_empty() {
        return Err(cookie_error("empty user name".to_owned()));
    }
    Ok(Credentials {
        user: user.to_owned(),
        password: password.to_owned(),
    })
}
