//! The HTTP side of the backend: one `bitcoincore-rpc` client for the node (`/`) and one for
//! the configured wallet (`/wallet/<name>`), each over `jsonrpc`'s minimal HTTP/1.1 transport
//! with the configured timeout and Basic authentication, and the sorting of what can go wrong
//! into the node's own JSON-RPC errors (kept with their code for the caller to map), transport
//! failures with a message an operator can act on, and replies that are not JSON-RPC.
//!
//! With cookie authentication, an HTTP 401 makes the client read the cookie file again: Bitcoin
//! Core writes a new cookie each time it starts, so a restarted node is followed without a
//! restart of ours. The call is retried once if the cookie changed.

use super::config::{Auth, Credentials};
use super::reply::truncate_chars;
use super::{CoreRpcConfig, CoreRpcError};
use crate::PortError;
use bitcoincore_rpc::jsonrpc::{self, simple_http};
use bitcoincore_rpc::{Client, RpcApi};
use serde_json::Value;
use std::io::ErrorKind;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

/// Longest node error message kept (Core's are one line; a hostile node's need not be).
const MESSAGE_MAX_CHARS: usize = 1000;

/// Which endpoint a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `/`: chain, mempool and fee calls.
    Node,
    /// `/wallet/<name>` when a wallet is configured, else `/`: wallet calls.
    Wallet,
}

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// The node answered with a JSON-RPC error: the caller maps the code.
    Rpc {
        /// JSON-RPC error code.
        code: i32,
        /// Its message, bounded.
        message: String,
    },
    /// HTTP 401: wrong or stale credentials.
    Unauthorized(String),
    /// Anything else, as the port reports it.
    Port(PortError),
}

impl From<CallError> for PortError {
    fn from(error: CallError) -> PortError {
        match error {
            CallError::Rpc { code, message } => PortError::Rpc { code, message },
            CallError::Unauthorized(message) => PortError::Transport(message),
            CallError::Port(error) => error,
        }
    }
}

/// The two clients and the credentials they were built with.
struct Clients {
    node: Client,
    wallet: Option<Client>,
    credentials: Credentials,
}

/// A connection to one node: where it is, how to authenticate, and the clients.
pub(crate) struct Connection {
    base_url: String,
    wallet_path: Option<String>,
    timeout_ms: u64,
    auth: Auth,
    clients: RwLock<Clients>,
}

impl Connection {
    /// Builds the clients for a validated config (no request is sent).
    pub(crate) fn open(config: &CoreRpcConfig, auth: Auth) -> Result<Self, CoreRpcError> {
        let credentials = auth.credentials()?;
        let base_url = config.url.trim_end_matches('/').to_owned();
        let wallet_path = config
            .wallet
            .as_deref()
            .map(|name| format!("/wallet/{}", encode(name)));
        let clients = build_clients(
            &base_url,
            wallet_path.as_deref(),
            config.timeout_ms,
            credentials,
        )?;
        Ok(Connection {
            base_url,
            wallet_path,
            timeout_ms: config.timeout_ms,
            auth,
            clients: RwLock::new(clients),
        })
    }

    /// Calls `method` with `params` and returns its `result` as plain JSON.
    pub(crate) fn call(
        &self,
        target: Target,
        method: &'static str,
        params: &[Value],
    ) -> Result<Value, CallError> {
        match self.call_once(target, method, params) {
            Err(CallError::Unauthorized(message)) => {
                if self.reread_cookie() {
                    self.call_once(target, method, params)
                } else {
                    Err(CallError::Unauthorized(message))
                }
            }
            other => other,
        }
    }

    fn call_once(
        &self,
        target: Target,
        method: &'static str,
        params: &[Value],
    ) -> Result<Value, CallError> {
        let clients = self.clients.read().unwrap_or_else(PoisonError::into_inner);
        let (client, path) = match (target, &clients.wallet, &self.wallet_path) {
            (Target::Wallet, Some(wallet), Some(path)) => (wallet, path.as_str()),
            _ => (&clients.node, "/"),
        };
        client
            .call::<Value>(method, params)
            .map_err(|error| self.classify(error, method, path))
    }

    /// With cookie authentication: reads the cookie again and rebuilds the clients if it
    /// changed. Returns whether the call is worth retrying.
    fn reread_cookie(&self) -> bool {
        let Auth::CookieFile(path) = &self.auth else {
            return false;
        };
        let fresh = match self.auth.credentials() {
            Ok(fresh) => fresh,
            Err(error) => {
                tracing::warn!(%error, "bitcoin core answered 401 and the cookie file is unreadable");
                return false;
            }
        };
        let mut clients = self.clients.write().unwrap_or_else(PoisonError::into_inner);
        if clients.credentials == fresh {
            return false;
        }
        match build_clients(
            &self.base_url,
            self.wallet_path.as_deref(),
            self.timeout_ms,
            fresh,
        ) {
            Ok(rebuilt) => {
                tracing::info!(cookie_file = %path.display(), "bitcoin core cookie changed (node restarted?): using the new one");
                *clients = rebuilt;
                true
            }
            Err(error) => {
                tracing::warn!(%error, "cannot rebuild the bitcoin core client");
                false
            }
        }
    }

    /// Sorts a client error into node errors, transport failures and bad replies.
    fn classify(
        &self,
        error: bitcoincore_rpc::Error,
        method: &'static str,
        path: &str,
    ) -> CallError {
        let url = format!("{}{}", self.base_url, path);
        let bad_reply = |reason: String| {
            CallError::Port(PortError::UnexpectedReply {
                method,
                reason: truncate_chars(&reason, MESSAGE_MAX_CHARS),
            })
        };
        let jsonrpc_error = match error {
            bitcoincore_rpc::Error::JsonRpc(inner) => inner,
            bitcoincore_rpc::Error::Json(e) => {
                return bad_reply(format!("result is not JSON: {e}"))
            }
            other => return CallError::Port(PortError::Transport(format!("{url}: {other}"))),
        };
        match jsonrpc_error {
            jsonrpc::Error::Rpc(rpc) => CallError::Rpc {
                code: rpc.code,
                message: truncate_chars(&rpc.message, MESSAGE_MAX_CHARS),
            },
            jsonrpc::Error::Json(e) => bad_reply(format!("reply is not a JSON-RPC response: {e}")),
            jsonrpc::Error::Transport(inner) => match inner.downcast_ref::<simple_http::Error>() {
                Some(http) => self.http_error(http, &url),
                None => CallError::Port(PortError::Transport(format!("{url}: {inner}"))),
            },
            other => bad_reply(other.to_string()),
        }
    }

    fn http_error(&self, error: &simple_http::Error, url: &str) -> CallError {
        let transport = |message: String| CallError::Port(PortError::Transport(message));
        match error {
            simple_http::Error::HttpErrorCode(401) => CallError::Unauthorized(format!(
                "authentication failed: check the cookie file or rpcuser/rpcpassword (HTTP 401 from {url})"
            )),
            simple_http::Error::HttpErrorCode(404) => transport(format!(
                "HTTP 404 from {url}: no RPC endpoint there (check the url, and that the node has its wallet enabled)"
            )),
            simple_http::Error::HttpErrorCode(status) => {
                transport(format!("HTTP {status} from {url} without a JSON-RPC body"))
            }
            simple_http::Error::SocketError(io) => match io.kind() {
                ErrorKind::TimedOut | ErrorKind::WouldBlock => transport(format!(
                    "no reply from {url} within timeout_ms = {} ms",
                    self.timeout_ms
                )),
                ErrorKind::ConnectionRefused => transport(format!(
                    "connection refused by {url}: is bitcoind running with -server, on this rpcport?"
                )),
                _ => transport(format!("cannot talk to {url}: {io}")),
            },
            other => transport(format!("bad HTTP reply from {url}: {other}")),
        }
    }
}

fn build_clients(
    base_url: &str,
    wallet_path: Option<&str>,
    timeout_ms: u64,
    credentials: Credentials,
) -> Result<Clients, CoreRpcError> {
    let node = build_client(&format!("{base_url}/"), timeout_ms, &credentials)?;
    let wallet = match wallet_path {
        Some(path) => Some(build_client(
            &format!("{base_url}{path}"),
            timeout_ms,
            &credentials,
        )?),
        None => None,
    };
    Ok(Clients {
        node,
        wallet,
        credentials,
    })
}

fn build_client(
    url: &str,
    timeout_ms: u64,
    credentials: &Credentials,
) -> Result<Client, CoreRpcError> {
    let builder = simple_http::Builder::new()
        .url(url)
        .map_err(|error| match error {
            simple_http::Error::SocketError(io) => {
                CoreRpcError::Port(PortError::Transport(format!("cannot resolve {url}: {io}")))
            }
            other => CoreRpcError::Config {
                key: "url",
                reason: other.to_string(),
            },
        })?;
    let transport = builder
        .timeout(Duration::from_millis(timeout_ms))
        .auth(
            credentials.user.as_str(),
            Some(credentials.password.as_str()),
        )
        .build();
    Ok(Client::from_jsonrpc(jsonrpc::Client::with_transport(
        transport,
    )))
}

/// Percent-encodes a wallet name for the URL path (Bitcoin Core URL-decodes it).
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn wallet_names_are_percent_encoded() {
        assert_eq!(encode("inscriber"), "inscriber");
        assert_eq!(encode("my wallet/1"), "my%20wallet%2F1");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
