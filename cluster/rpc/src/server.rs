//! The JSON-RPC server: jsonrpsee over HTTP (POST, JSON-RPC 2.0, batches up to a limit),
//! with the request and response size limits and the connection bound of `[rpc]`. Each
//! method parses its params into the types of [`super::types`] (bad hex, wrong lengths and
//! wrong JSON types are invalid params, -32602), checks the bytes it can decode (signed
//! transfers, BitAI transactions, a genesis against its `CreateChain`, Proof-of-Compute ops,
//! model files), calls the [`NodeApi`] and maps
//! [`ApiError`] to its code. In front of jsonrpsee, [`strict`] holds requests to JSON-RPC 2.0
//! to the letter (invalid requests, ids, notifications, batches, content types). Transport
//! failures keep jsonrpsee's codes: malformed JSON -32700, unknown method -32601, oversized
//! request -32007 (HTTP 413), oversized response -32008, batch over the limit -32010.

pub mod strict;

use super::api::{method, ApiError, NodeApi};
use super::poc_types::{
    AccountOfChainParams, ModelBytesParams, OptHexBytes, PutModelParams, RequestParams,
    SubmitPocOpParams,
};
use super::types::{
    AccountParams, BlockParams, ChainParams, CircuitKeyParams, CreateChainParams, HexHash,
    NoParams, SendTransactionParams, SubmitBitaiTxParams, TransactionStatusParams,
};
use bitai_chain::poc::PocOp;
use bitai_chain::tx::SignedTransfer;
use bitai_models::{CheckedModel, Limits};
use bitai_protocol::{decode_tx, BitaiTx};
use jsonrpsee::server::{BatchRequestConfig, RpcModule, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// Default `rpc.max_request_bytes`: 16 MiB.
pub const DEFAULT_MAX_REQUEST_BYTES: u32 = 16 << 20;

/// `[rpc]`: the JSON-RPC endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    /// Address of the JSON-RPC endpoint (HTTP POST); empty to disable. Default
    /// `127.0.0.1:9180`.
    pub listen: String,
    /// Largest request body, in bytes; larger ones get HTTP 413 with error -32007. Default
    /// 16 MiB (`bitai_putModel` carries a whole model in hex: a LeNet-class model is 1-2 MB
    /// of hex; a `CreateChain` with a 64 KiB verifying key is 128 KiB).
    pub max_request_bytes: u32,
    /// Largest response body, in bytes; a larger answer becomes error -32008. Default
    /// 16 MiB.
    pub max_response_bytes: u32,
    /// Most requests in progress at once (jsonrpsee counts HTTP requests as connections);
    /// further ones get HTTP 429 until one finishes. Default 64.
    pub max_connections: u32,
    /// Most calls in one batch request (error -32010 above it); 0 disables batches.
    /// Default 16.
    pub batch_limit: u32,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9180".into(),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_response_bytes: 16 << 20,
            max_connections: 64,
            batch_limit: 16,
        }
    }
}

impl RpcConfig {
    /// Whether the endpoint is on (`listen` not empty).
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }

    /// Checks the values that would make the server useless.
    pub fn check(&self) -> Result<(), String> {
        if self.max_request_bytes < 1024 {
            return Err("rpc.max_request_bytes must be at least 1024".into());
        }
        if self.max_response_bytes < 1024 {
            return Err("rpc.max_response_bytes must be at least 1024".into());
        }
        if self.max_connections == 0 {
            return Err("rpc.max_connections must be at least 1".into());
        }
        Ok(())
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The config is unusable.
    #[error("invalid rpc config: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A running server. Dropping it stops the server (jsonrpsee stops once its last handle
/// is gone), so the node keeps it for as long as it serves.
#[derive(Debug)]
pub struct RpcServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcServer {
    /// A started server (the public API's or the admin endpoint's).
    pub(crate) fn new(addr: SocketAddr, handle: ServerHandle) -> Self {
        RpcServer { addr, handle }
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `http://` URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits until the server has stopped.
    pub async fn stop(self) {
        // Already stopped is fine: the point is that it is.
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// Starts the JSON-RPC server on `config.listen` in front of `api`.
pub async fn serve(config: &RpcConfig, api: Arc<dyn NodeApi>) -> Result<RpcServer, ServeError> {
    config.check().map_err(ServeError::Config)?;
    if !config.enabled() {
        return Err(ServeError::Config(
            "rpc.listen is empty (the endpoint is off)".into(),
        ));
    }
    let batch = match config.batch_limit {
        0 => BatchRequestConfig::Disabled,
        n => BatchRequestConfig::Limit(n),
    };
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_connections(config.max_connections)
        .set_batch_request_config(batch)
        .http_only()
        .build();
    let bind = |source| ServeError::Bind {
        addr: config.listen.clone(),
        source,
    };
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(
            tower::ServiceBuilder::new().layer(strict::StrictLayer::new(config.max_request_bytes)),
        )
        .build(config.listen.as_str())
        .await
        .map_err(bind)?;
    let addr = server.local_addr().map_err(bind)?;
    let handle = server.start(module(api));
    tracing::info!(%addr, "json-rpc server listening");
    Ok(RpcServer { addr, handle })
}

/// What every method closure gets.
struct Context {
    api: Arc<dyn NodeApi>,
}

/// Parses params; absent params read as `{}` so methods without params accept all of
/// absent, `[]` and `{}`.
fn parse<P: DeserializeOwned>(params: &Params<'_>) -> Result<P, ErrorObjectOwned> {
    match params.as_str() {
        Some(_) => params.parse::<P>(),
        None => serde_json::from_str("{}")
            .map_err(|e| ApiError::InvalidParams(format!("params required: {e}")).into()),
    }
}

fn register<P, R, F, Fut>(module: &mut RpcModule<Context>, name: &'static str, call: F)
where
    P: DeserializeOwned + Send + 'static,
    R: Serialize + Clone + Send + 'static,
    F: Fn(Arc<dyn NodeApi>, P) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<R, ApiError>> + Send + 'static,
{
    module
        .register_async_method(name, move |params, ctx, _| {
            let call = call.clone();
            async move {
                let p: P = parse(&params)?;
                call(ctx.api.clone(), p)
                    .await
                    .map_err(ErrorObjectOwned::from)
            }
        })
        .expect("method names are distinct constants");
}

fn invalid(reason: impl Into<String>) -> ApiError {
    ApiError::InvalidParams(reason.into())
}

/// Checks that `bytes` decode as a BitAI transaction.
fn decode_bitai(bytes: &[u8]) -> Result<BitaiTx, ApiError> {
    decode_tx(bytes).map_err(|e| invalid(format!("not a BitAI transaction: {e}")))
}

fn check_create(p: &CreateChainParams) -> Result<(), ApiError> {
    let create = match decode_bitai(&p.create)? {
        BitaiTx::CreateChain(c) => c,
        other => {
            return Err(invalid(format!(
                "create: a {} transaction, not create_chain",
                other.kind()
            )))
        }
    };
    if p.genesis.max_block_txs != create.limits.max_block_txs {
        return Err(invalid(format!(
            "genesis max_block_txs {} differs from the CreateChain's {}",
            p.genesis.max_block_txs, create.limits.max_block_txs
        )));
    }
    let root = p
        .genesis
        .root()
        .map_err(|e| invalid(format!("genesis: {e}")))?;
    if root != create.genesis_state_root {
        return Err(invalid(format!(
            "genesis root {root} differs from the CreateChain's {}",
            create.genesis_state_root
        )));
    }
    Ok(())
}

/// Checks that `bytes` are a signed op (a settlement part is the sequencer's to add).
pub(super) fn check_poc_op(bytes: &[u8]) -> Result<(), ApiError> {
    match PocOp::from_bytes(bytes) {
        Ok(PocOp::Signed(_)) => Ok(()),
        Ok(PocOp::Settle { .. }) => Err(invalid(
            "op: settlement parts are added by the sequencer, not submitted",
        )),
        Err(e) => Err(invalid(format!("not a Proof-of-Compute op: {e}"))),
    }
}

/// Checks that `bytes` are a canonical model file within the default limits.
pub(super) fn check_model(bytes: &[u8]) -> Result<(), ApiError> {
    CheckedModel::decode(bytes, &Limits::default())
        .map(|_| ())
        .map_err(|e| invalid(format!("not a model: {e}")))
}

fn poc_methods(m: &mut RpcModule<Context>) {
    register(
        m,
        method::SUBMIT_POC_OP,
        |api, p: SubmitPocOpParams| async move {
            check_poc_op(&p.op)?;
            api.submit_poc_op(p.chain, p.op).await.map(HexHash)
        },
    );
    register(m, method::PUT_MODEL, |api, p: PutModelParams| async move {
        check_model(&p.model)?;
        api.put_model(p.chain, p.model).await.map(HexHash)
    });
    register(m, method::GET_REQUEST, |api, p: RequestParams| async move {
        api.request(p.chain, p.id).await
    });
    register(
        m,
        method::GET_REQUEST_INPUT,
        |api, p: RequestParams| async move {
            let input = api.request_input(p.chain, p.id).await?;
            Ok(OptHexBytes(input))
        },
    );
    register(
        m,
        method::GET_MODEL_BYTES,
        |api, p: ModelBytesParams| async move { api.model_bytes(p.hash).await.map(OptHexBytes) },
    );
    register(m, method::LIST_NEURONS, |api, p: ChainParams| async move {
        api.neurons(p.chain).await
    });
    register(
        m,
        method::GET_POC_SUMMARY,
        |api, p: ChainParams| async move { api.poc_summary(p.chain).await },
    );
    register(
        m,
        method::GET_ASSIGNMENTS,
        |api, p: AccountOfChainParams| async move { api.assignments(p.chain, p.account).await },
    );
    register(
        m,
        method::GET_NONCE,
        |api, p: AccountOfChainParams| async move { api.nonce(p.chain, p.account).await },
    );
}

fn module(api: Arc<dyn NodeApi>) -> RpcModule<Context> {
    let mut m = RpcModule::new(Context { api });
    register(
        &mut m,
        method::SEND_TRANSACTION,
        |api, p: SendTransactionParams| async move {
            let tx = SignedTransfer::from_bytes(&p.tx)
                .map_err(|e| invalid(format!("not a signed transfer: {e}")))?;
            api.send_transaction(p.chain, tx).await.map(HexHash)
        },
    );
    register(
        &mut m,
        method::GET_TRANSACTION_STATUS,
        |api, p: TransactionStatusParams| async move { api.transaction_status(p.hash).await },
    );
    register(
        &mut m,
        method::GET_BLOCK,
        |api, p: BlockParams| async move { api.block(p.chain, p.number).await },
    );
    register(
        &mut m,
        method::GET_ACCOUNT,
        |api, p: AccountParams| async move { api.account(p.chain, p.index).await },
    );
    register(&mut m, method::LIST_CHAINS, |api, _: NoParams| async move {
        api.chains().await
    });
    register(
        &mut m,
        method::GET_CHAIN,
        |api, p: ChainParams| async move { api.chain(p.chain).await },
    );
    register(
        &mut m,
        method::GET_CIRCUIT_KEY,
        |api, p: CircuitKeyParams| async move {
            if p.max_block_txs == 0 {
                return Err(invalid("max_block_txs must be at least 1"));
            }
            api.circuit_key(p.max_block_txs).await
        },
    );
    register(
        &mut m,
        method::GET_BLOCK_PROOF,
        |api, p: BlockParams| async move { api.block_proof(p.chain, p.number).await },
    );
    register(
        &mut m,
        method::GET_CHAIN_KEY,
        |api, p: ChainParams| async move { api.chain_key(p.chain).await },
    );
    register(
        &mut m,
        method::CREATE_CHAIN,
        |api, p: CreateChainParams| async move {
            check_create(&p)?;
            api.create_chain(p.create, p.genesis)
                .await
                .map(|id| HexHash(id.0))
        },
    );
    register(
        &mut m,
        method::SUBMIT_BITAI_TX,
        |api, p: SubmitBitaiTxParams| async move {
            decode_bitai(&p.tx)?;
            api.submit_bitai_tx(p.tx).await.map(HexHash)
        },
    );
    register(&mut m, method::PROVER_JOBS, |api, _: NoParams| async move {
        api.prover_jobs().await
    });
    register(
        &mut m,
        method::INSCRIPTIONS,
        |api, _: NoParams| async move { api.inscriptions().await },
    );
    register(&mut m, method::MEMPOOL, |api, _: NoParams| async move {
        api.mempool().await
    });
    poc_methods(&mut m);
    m
}
