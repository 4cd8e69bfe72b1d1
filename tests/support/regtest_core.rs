//! Real Bitcoin Core regtest nodes for the tests that need the real thing (issue 18): each
//! [`RegtestNode`] is a `bitcoind -regtest` child process on free localhost ports in a
//! temporary data directory, with cookie authentication and no wallet; it is stopped (RPC
//! `stop`, then a kill) when dropped, also when a test fails or panics.
//!
//! Where the binary comes from: `BITAI_BITCOIND` if set, else the cache that
//! `tests/bitcoin-core/build.sh` fills (`~/.cache/bitai/bitcoin-core-…/bitcoind`). Without one
//! a test skips with a message saying how to get one, unless `BITAI_REQUIRE_BITCOIND=1`
//! (`.ci/run` sets it): then a missing binary fails the test. Core's source tree, for the test
//! that reads its refusal strings, is found the same way (`BITAI_BITCOIN_CORE_SRC`, else the
//! cache's `source/`, which `build.sh --source` fills).

use bitai_bitcoin::{CoreNetwork, CoreRpcConfig};
use bitcoin::{Address, BlockHash};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The cache folder `tests/bitcoin-core/build.sh` writes (keep the two in step).
pub const CACHE_NAME: &str = "bitcoin-core-31.99-libbitcoinkernel-sys-0.4.1";

fn cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("BITAI_CACHE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/bitai"),
    };
    Some(base.join(CACHE_NAME))
}

fn required() -> bool {
    std::env::var("BITAI_REQUIRE_BITCOIND").is_ok_and(|v| v == "1")
}

fn missing(what: &str) -> Option<PathBuf> {
    let how = format!(
        "no {what}: set BITAI_BITCOIND (and BITAI_BITCOIN_CORE_SRC) or run \
         tests/bitcoin-core/build.sh (about 10 minutes on 2 cores) to build and cache one"
    );
    assert!(!required(), "BITAI_REQUIRE_BITCOIND=1 and {how}");
    eprintln!("SKIPPED (real Bitcoin Core): {how}");
    None
}

/// The `bitcoind` to run, or `None` (after saying how to get one) when there is none and the
/// run does not require it.
pub fn bitcoind() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BITAI_BITCOIND") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Some(path);
        }
        return missing(&format!("bitcoind at BITAI_BITCOIND={}", path.display()));
    }
    match cache_dir().map(|d| d.join("bitcoind")) {
        Some(path) if path.is_file() => Some(path),
        _ => missing("bitcoind"),
    }
}

/// Bitcoin Core's source tree (its `src/`), or `None` as for [`bitcoind`].
pub fn core_source() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BITAI_BITCOIN_CORE_SRC") {
        return Some(PathBuf::from(path));
    }
    match cache_dir().map(|d| d.join("source/src")) {
        Some(path) if path.join("validation.cpp").is_file() => Some(path),
        _ => missing("Bitcoin Core source tree"),
    }
}

fn free_port() -> u16 {
    // Below Linux's ephemeral range (32768-60999): a port handed out here can never also be
    // given to a socket bound to port 0 (a node's own listeners) between this check and the
    // port's use, which made tests fail with "address already in use" now and then. Within
    // a process the counter keeps ports distinct; the start depends on the process id.
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    let start = std::process::id() % SPAN;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (LOW + (start + SPAN / 2 + n) % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One running `bitcoind -regtest`.
pub struct RegtestNode {
    child: Child,
    dir: tempfile::TempDir,
    rpc_port: u16,
    p2p_port: u16,
    client: bitcoincore_rpc::Client,
}

impl RegtestNode {
    /// Starts `bitcoind` with `extra` arguments on top of the harness's own and waits until
    /// it answers RPC (at most 60 s).
    pub fn start(bitcoind: &Path, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("a data directory");
        let (rpc_port, p2p_port) = (free_port(), free_port());
        let child = Command::new(bitcoind)
            .arg("-regtest")
            .arg(format!("-datadir={}", dir.path().display()))
            .arg(format!("-rpcport={rpc_port}"))
            .arg(format!("-port={p2p_port}"))
            .args([
                "-bind=127.0.0.1",
                "-rpcbind=127.0.0.1",
                "-rpcallowip=127.0.0.1",
                "-listenonion=0",
                "-dnsseed=0",
                "-fixedseeds=0",
                "-txindex=1",
                "-printtoconsole=0",
                "-server=1",
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bitcoind.display()));
        let cookie = dir.path().join("regtest/.cookie");
        let mut waited = Duration::ZERO;
        let mut child = child;
        let client = loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                panic!("bitcoind exited at start ({status}): {err}");
            }
            if cookie.is_file() {
                let auth = bitcoincore_rpc::Auth::CookieFile(cookie.clone());
                if let Ok(client) =
                    bitcoincore_rpc::Client::new(&format!("http://127.0.0.1:{rpc_port}"), auth)
                {
                    use bitcoincore_rpc::RpcApi;
                    if client.call::<Value>("getblockcount", &[]).is_ok() {
                        break client;
                    }
                }
            }
            assert!(
                waited < Duration::from_secs(60),
                "bitcoind did not answer within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
            waited += Duration::from_millis(50);
        };
        RegtestNode {
            child,
            dir,
            rpc_port,
            p2p_port,
            client,
        }
    }

    /// The JSON-RPC URL.
    pub fn rpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rpc_port)
    }

    /// The peer-to-peer address, for another node's `addnode`.
    pub fn p2p_addr(&self) -> String {
        format!("127.0.0.1:{}", self.p2p_port)
    }

    /// The cookie file.
    pub fn cookie_file(&self) -> PathBuf {
        self.dir.path().join("regtest/.cookie")
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A backend config for this node: cookie authentication, no wallet.
    pub fn core_config(&self) -> CoreRpcConfig {
        CoreRpcConfig {
            cookie_file: Some(self.cookie_file()),
            network: CoreNetwork::Regtest,
            timeout_ms: 30_000,
            ..CoreRpcConfig::new(self.rpc_url())
        }
    }

    /// Calls `method`; the node's error (code and message) on refusal.
    pub fn call(&self, method: &str, params: &[Value]) -> Result<Value, (i32, String)> {
        use bitcoincore_rpc::RpcApi;
        self.client
            .call::<Value>(method, params)
            .map_err(|e| match e {
                bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(r)) => {
                    (r.code, r.message)
                }
                other => (0, other.to_string()),
            })
    }

    /// Calls `method`, which must succeed.
    pub fn ok(&self, method: &str, params: &[Value]) -> Value {
        self.call(method, params)
            .unwrap_or_else(|(code, message)| panic!("{method}: error {code}: {message}"))
    }

    /// Mines `n` blocks paying to `to`.
    pub fn mine(&self, n: u64, to: &Address) -> Vec<BlockHash> {
        let hashes = self.ok("generatetoaddress", &[json!(n), json!(to.to_string())]);
        serde_json::from_value(hashes).expect("block hashes")
    }

    /// The tip's height.
    pub fn height(&self) -> u64 {
        self.ok("getblockcount", &[]).as_u64().expect("a height")
    }

    /// Connects to `other` and waits until both count the other as a peer.
    pub fn connect(&self, other: &RegtestNode) {
        self.ok("addnode", &[json!(other.p2p_addr()), json!("onetry")]);
        for _ in 0..200 {
            let peers = |n: &RegtestNode| n.ok("getconnectioncount", &[]).as_u64().unwrap_or(0);
            if peers(self) > 0 && peers(other) > 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the nodes did not connect");
    }

    /// Waits until this node's tip is `hash` (at most 30 s).
    pub fn wait_for_tip(&self, hash: &BlockHash) {
        for _ in 0..600 {
            if self.ok("getbestblockhash", &[]) == json!(hash.to_string()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the node never reached tip {hash}");
    }
}

impl Drop for RegtestNode {
    fn drop(&mut self) {
        let _ = self.call("stop", &[]);
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
