//! The admin endpoint: what an operator asks of a running node, apart from the public
//! JSON-RPC API. [`AdminApi`] is what the node answers (`admin_status`: the node, the nodes
//! that joined its cluster, its roles, the leases out, the queue depths; `admin_drain`: drain
//! a joined node; `admin_swap`: run another version of a role, compiled in), [`serve_admin`] serves it behind a bearer token ([`auth`]), and the
//! [`crate::Client`] calls it with [`crate::Client::with_token`].
//!
//! **Access.** The endpoint listens on its own address (`[admin] listen`, off by default),
//! never on the public RPC listener, and refuses every request without the token read from
//! `[admin] token_file` (HTTP 401, before any JSON is read). The token is compared in time
//! that does not depend on where it differs. `bitai admin token --out FILE` makes one.

pub mod auth;
pub mod types;

use super::api::ApiError;
use super::server::{RpcServer, ServeError};
use jsonrpsee::server::{RpcModule, Server, ServerConfig};
use jsonrpsee::types::ErrorObjectOwned;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
pub use types::{
    AdminStatus, ClusterNodeInfo, DrainReply, LeaseInfo, QueueDepths, RoleInfo, SwapReply,
};

/// The admin method names.
pub mod method {
    /// The node's status.
    pub const STATUS: &str = "admin_status";
    /// Drain a node that joined this node's cluster.
    pub const DRAIN: &str = "admin_drain";
    /// Swap a role's implementation to another version compiled in.
    pub const SWAP: &str = "admin_swap";
}

/// Shortest token accepted, in characters.
pub const MIN_TOKEN_CHARS: usize = 32;

/// `[admin]`: the operator's endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Address of the admin endpoint (HTTP POST, JSON-RPC 2.0, bearer token); empty (the
    /// default): no admin endpoint. Must differ from `[rpc] listen`.
    pub listen: String,
    /// File holding the token (one line, at least [`MIN_TOKEN_CHARS`] characters); required
    /// when `listen` is set.
    pub token_file: String,
}

impl AdminConfig {
    /// Whether the endpoint is on.
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }

    /// Checks the table against the public RPC listener `rpc_listen`.
    pub fn check(&self, rpc_listen: &str) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        if self.listen == rpc_listen {
            return Err("admin.listen must differ from rpc.listen (the public API)".into());
        }
        if self.token_file.is_empty() {
            return Err("admin.token_file must be set when admin.listen is".into());
        }
        AdminToken::load(Path::new(&self.token_file)).map(|_| ())
    }
}

/// The admin token.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

impl AdminToken {
    /// A token from its text (surrounding whitespace dropped); too short or not printable
    /// ASCII is refused.
    pub fn new(text: &str) -> Result<Self, String> {
        let token = text.trim();
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(format!(
                "the admin token must have at least {MIN_TOKEN_CHARS} characters"
            ));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the admin token must be printable ASCII without spaces".into());
        }
        Ok(AdminToken(token.to_owned()))
    }

    /// The token in `path`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("admin token file {}: {e}", path.display()))?;
        Self::new(&text).map_err(|e| format!("admin token file {}: {e}", path.display()))
    }

    /// The token's text (for the `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What the node answers on its admin endpoint.
#[async_trait::async_trait]
pub trait AdminApi: Send + Sync + 'static {
    /// `admin_status`.
    async fn status(&self) -> Result<AdminStatus, ApiError>;
    /// `admin_drain`: drain the joined node named `node`.
    async fn drain(&self, node: String) -> Result<DrainReply, ApiError>;
    /// `admin_swap`: run version `to` of role `role` (docs/runtime-semantics.md).
    async fn swap(&self, role: String, to: String) -> Result<SwapReply, ApiError>;
}

/// `admin_swap` params.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapParams {
    /// The role's name, as `admin_status` lists it.
    pub role: String,
    /// The version to run (one of the role's `versions`).
    pub to: String,
}

/// `admin_drain` params.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrainParams {
    /// The node's name (as `admin_status` lists it).
    pub node: String,
}

/// Starts the admin endpoint on `config.listen`, refusing requests without `token`.
pub async fn serve_admin(
    config: &AdminConfig,
    token: AdminToken,
    api: Arc<dyn AdminApi>,
) -> Result<RpcServer, ServeError> {
    let bind = |source| ServeError::Bind {
        addr: config.listen.clone(),
        source,
    };
    let server = Server::builder()
        .set_config(
            ServerConfig::builder()
                .max_request_body_size(64 << 10)
                .max_connections(16)
                .http_only()
                .build(),
        )
        .set_http_middleware(
            tower::ServiceBuilder::new()
                .layer(auth::BearerLayer::new(token))
                .layer(super::server::strict::StrictLayer::new(64 << 10)),
        )
        .build(config.listen.as_str())
        .await
        .map_err(bind)?;
    let addr = server.local_addr().map_err(bind)?;
    let handle = server.start(module(api));
    tracing::info!(%addr, "admin endpoint listening");
    Ok(RpcServer::new(addr, handle))
}

fn module(api: Arc<dyn AdminApi>) -> RpcModule<Arc<dyn AdminApi>> {
    let mut m = RpcModule::new(api);
    m.register_async_method(method::STATUS, |_, api, _| async move {
        api.status().await.map_err(ErrorObjectOwned::from)
    })
    .expect("distinct method names");
    m.register_async_method(method::DRAIN, |params, api, _| async move {
        let p: DrainParams = params.parse()?;
        api.drain(p.node).await.map_err(ErrorObjectOwned::from)
    })
    .expect("distinct method names");
    m.register_async_method(method::SWAP, |params, api, _| async move {
        let p: SwapParams = params.parse()?;
        api.swap(p.role, p.to).await.map_err(ErrorObjectOwned::from)
    })
    .expect("distinct method names");
    m
}
