//! A test double of Bitcoin Core's JSON-RPC server, for testing the Bitcoin Core backend of
//! the Bitcoin port where no Bitcoin Core can be installed. It listens on `127.0.0.1` (port 0),
//! answers HTTP/1.1 as Core's server does (Basic authentication, `/` and `/wallet/<name>`,
//! JSON-RPC 1.0 and 2.0 envelopes), and serves real consensus-encoded blocks: a regtest chain
//! mined here with the `bitcoin` crate, or a recorded mainnet block.
//!
//! Switchable behaviours: answer as Bitcoin Core 29 or 30 ([`CoreVersion`]: `getnetworkinfo`,
//! `getwalletinfo`'s balance fields, the minimum relay fee), a fee estimate or none, a loaded
//! wallet or none, other credentials, 1.0 envelopes for 2.0 requests (Core before 28), and
//! one-shot faults per method ([`Injection`]): RPC errors, results of the wrong shape, non-JSON
//! or truncated bodies, delays and dropped connections. Each method's fields, types and error
//! codes follow Core's RPC help texts; what the double leaves out (signature checks, ancestor
//! limits, package relay) is injected where a test needs it.

pub mod chain;
mod http;
mod mempool;
mod node;
mod wallet;

pub use chain::CannedChain;
pub use http::{btc, render};
pub use mempool::format_money;
pub use wallet::descriptor_with_checksum;

use bitcoin::{Block, BlockHash, ScriptBuf, Txid};
use node::NodeState;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Which Bitcoin Core the double answers as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreVersion {
    /// Bitcoin Core 29.0.
    V29,
    /// Bitcoin Core 30.0.
    V30,
}

impl CoreVersion {
    /// Both, for tests that run against each.
    pub const ALL: [CoreVersion; 2] = [CoreVersion::V29, CoreVersion::V30];

    /// `getnetworkinfo.version`.
    pub fn number(self) -> u64 {
        match self {
            CoreVersion::V29 => 290_000,
            CoreVersion::V30 => 300_000,
        }
    }

    /// `getnetworkinfo.subversion`.
    pub fn subversion(self) -> &'static str {
        match self {
            CoreVersion::V29 => "/Satoshi:29.0.0/",
            CoreVersion::V30 => "/Satoshi:30.0.0/",
        }
    }

    /// Default `-minrelaytxfee` and `-incrementalrelayfee`: 1 sat/vB, 0.1 sat/vB from 30.
    pub fn min_relay_fee_sat_per_kvb(self) -> u64 {
        match self {
            CoreVersion::V29 => 1_000,
            CoreVersion::V30 => 100,
        }
    }

    /// Whether `getwalletinfo` has `balance`, `unconfirmed_balance`, `immature_balance`
    /// (removed in 30).
    pub fn has_wallet_balances(self) -> bool {
        self == CoreVersion::V29
    }
}

/// A one-shot fault for the next call of a method.
pub enum Injection {
    /// Answer with this RPC error, in the envelope Core uses.
    RpcError {
        /// JSON-RPC error code.
        code: i32,
        /// Message.
        message: String,
    },
    /// Answer with the real result after this change (a wrong type, a missing field).
    Mutate(Box<dyn FnOnce(&mut Value) + Send>),
    /// Answer with this HTTP status and raw body (`Content-Type: application/json`).
    Body {
        /// HTTP status.
        status: u16,
        /// The body, sent as is.
        body: Vec<u8>,
    },
    /// Send the real reply's headers and half its body, then close the connection.
    Truncated,
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Close the connection without answering.
    Close,
}

impl Injection {
    /// An RPC error.
    pub fn rpc_error(code: i32, message: impl Into<String>) -> Self {
        Injection::RpcError {
            code,
            message: message.into(),
        }
    }

    /// The real result, changed by `change`.
    pub fn mutate(change: impl FnOnce(&mut Value) + Send + 'static) -> Self {
        Injection::Mutate(Box::new(change))
    }
}

/// A request the double received (after authentication).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    /// URL path (`/` or `/wallet/<name>`).
    pub path: String,
    /// RPC method.
    pub method: String,
    /// Positional parameters.
    pub params: Vec<Value>,
    /// The `jsonrpc` member, if sent.
    pub jsonrpc: Option<String>,
}

/// A running double. Stops accepting connections when dropped.
pub struct CoreDouble {
    address: SocketAddr,
    state: Arc<Mutex<NodeState>>,
    stop: Arc<AtomicBool>,
}

impl CoreDouble {
    /// Starts a double answering as `version` with `chain`, user `bitai`, password `hunter2`.
    #[allow(clippy::disallowed_methods)] // A test double of an outside system: a real thread.
    pub fn start(version: CoreVersion, chain: CannedChain) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let address = listener.local_addr().expect("a bound address");
        let state = Arc::new(Mutex::new(NodeState {
            version,
            node_version: version.number(),
            user: "bitai".to_owned(),
            password: "hunter2".to_owned(),
            legacy_envelopes: false,
            wallet_enabled: true,
            chain,
            mempool: BTreeMap::new(),
            wallet: None,
            fee_estimate_sat_per_kvb: None,
            injections: BTreeMap::new(),
            requests: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (server_state, server_stop) = (Arc::clone(&state), Arc::clone(&stop));
        std::thread::spawn(move || http::serve(listener, server_state, server_stop));
        CoreDouble {
            address,
            state,
            stop,
        }
    }

    fn state(&self) -> MutexGuard<'_, NodeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The user and password it accepts.
    pub fn credentials(&self) -> (String, String) {
        let state = self.state();
        (state.user.clone(), state.password.clone())
    }

    /// Accepts only this user and password from now on (a restarted node's new cookie).
    pub fn set_credentials(&self, user: &str, password: &str) {
        let mut state = self.state();
        state.user = user.to_owned();
        state.password = password.to_owned();
    }

    /// Reports this `getnetworkinfo.version` instead of the version's own.
    pub fn set_node_version(&self, version: u64) {
        self.state().node_version = version;
    }

    /// Answers 2.0 requests with 1.0 envelopes (HTTP 500 for errors), as Core before 28.
    pub fn set_legacy_envelopes(&self, legacy: bool) {
        self.state().legacy_envelopes = legacy;
    }

    /// Serves `/wallet/<name>`, or not, as a node started with `-disablewallet` (404).
    pub fn set_wallet_enabled(&self, enabled: bool) {
        self.state().wallet_enabled = enabled;
    }

    /// `estimatesmartfee` answers this rate (sat/kvB), or `errors` for `None`.
    pub fn set_fee_estimate(&self, sat_per_kvb: Option<u64>) {
        self.state().fee_estimate_sat_per_kvb = sat_per_kvb;
    }

    /// Loads a wallet named `name` watching `scripts`.
    pub fn load_wallet(&self, name: &str, scripts: BTreeSet<ScriptBuf>) {
        self.state().wallet = Some(wallet::Wallet {
            name: name.to_owned(),
            scripts,
        });
    }

    /// Queues `injection` for the next call of `method` (after those already queued).
    pub fn inject(&self, method: &str, injection: Injection) {
        self.state()
            .injections
            .entry(method.to_owned())
            .or_default()
            .push_back(injection);
    }

    /// Mines `count` blocks, the first holding the whole mempool.
    pub fn mine(&self, count: usize) {
        let mut state = self.state();
        for _ in 0..count {
            let (txs, fees) = state.take_for_block();
            state.chain.mine(txs, fees);
        }
    }

    /// Height and hash of the tip.
    pub fn tip(&self) -> (u64, BlockHash) {
        let state = self.state();
        (state.chain.tip_height(), state.chain.tip().block_hash())
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> Block {
        self.state()
            .chain
            .at(height)
            .expect("a canned height")
            .clone()
    }

    /// Txids in the mempool.
    pub fn mempool(&self) -> Vec<Txid> {
        self.state().mempool.keys().copied().collect()
    }

    /// Every authenticated request so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state().requests.clone()
    }
}

impl Drop for CoreDouble {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}
