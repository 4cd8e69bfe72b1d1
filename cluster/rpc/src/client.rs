//! The typed client of the node's JSON-RPC API, over jsonrpsee's HTTP client: one async
//! method per RPC method, the same param and result types as the server, and errors sorted
//! into what a user can act on (the node refused, the node is unreachable, the node spoke
//! nonsense). The CLI subcommands use it; so do the tests, against the real server.

use super::admin::{self, AdminStatus, AdminToken, DrainParams, DrainReply, SwapParams, SwapReply};
use super::api::{method, ApiError};
use super::genesis::GenesisSpec;
use super::poc_types::{
    AccountOfChainParams, ModelBytesParams, NeuronInfo, OptHexBytes, PocInfo, PutModelParams,
    RequestInfo, RequestParams, SubmitPocOpParams,
};
use super::types::{
    AccountInfo, AccountParams, BlockParams, BlockProof, ChainInfo, ChainKey, ChainParams,
    CircuitKey, CircuitKeyParams, CreateChainParams, HexHash, InscriptionJob, L2Block,
    MempoolEntry, NoParams, ProverJob, SendTransactionParams, Stage, SubmitBitaiTxParams,
    TransactionStatusParams, TxStatus,
};
use bitai_protocol::{ChainId, Hash32};
use jsonrpsee::core::client::{ClientT, Error as RpcClientError};
use jsonrpsee::core::traits::ToRpcParams;
use jsonrpsee_http_client::transport::Error as TransportError;
use jsonrpsee_http_client::{HeaderMap, HeaderValue, HttpClient, HttpClientBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// Largest response the client reads, in bytes.
pub const MAX_RESPONSE_BYTES: u32 = 64 << 20;

/// Why a call did not return a result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not usable (only `http://` is supported).
    #[error("bad node url {url:?}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The node answered with one of the API's errors.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// The node answered with a JSON-RPC error outside the API's codes (a transport limit,
    /// an unknown method on an older node).
    #[error("node error {code}: {message}")]
    Rpc {
        /// The JSON-RPC code.
        code: i32,
        /// Its message.
        message: String,
    },
    /// No answer: connection refused, reset, or the timeout passed.
    #[error("cannot reach the node at {url}: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The answer is not what the method returns.
    #[error("unexpected answer from the node: {0}")]
    BadResponse(String),
    /// The admin endpoint refused the token (HTTP 401).
    #[error("the admin endpoint at {url} refused the token (check --token-file)")]
    Unauthorized {
        /// The URL.
        url: String,
    },
}

/// Params serialized as one JSON value (an object for our param structs).
struct JsonParams<T>(T);

impl<T: Serialize> ToRpcParams for JsonParams<T> {
    fn to_rpc_params(self) -> Result<Option<Box<serde_json::value::RawValue>>, serde_json::Error> {
        serde_json::value::to_raw_value(&self.0).map(Some)
    }
}

/// A connection to one node.
#[derive(Debug, Clone)]
pub struct Client {
    url: String,
    http: HttpClient,
}

impl Client {
    /// A client of the node at `url` (`http://host:port`) with the default timeout.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        Self::with_timeout(url, Duration::from_millis(DEFAULT_TIMEOUT_MS))
    }

    /// A client of a node's admin endpoint at `url`, sending `token` with every request.
    pub fn with_token(url: &str, token: &AdminToken) -> Result<Self, ClientError> {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|e| {
            ClientError::BadUrl {
                url: url.to_owned(),
                reason: format!("token: {e}"),
            }
        })?;
        headers.insert("authorization", value);
        Self::build(url, Duration::from_millis(DEFAULT_TIMEOUT_MS), headers)
    }

    /// A client whose requests give up after `timeout`.
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, ClientError> {
        Self::build(url, timeout, HeaderMap::new())
    }

    fn build(url: &str, timeout: Duration, headers: HeaderMap) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::BadUrl {
            url: url.to_owned(),
            reason,
        };
        if !url.starts_with("http://") {
            return Err(bad(
                "only http:// URLs are supported (put TLS in a proxy)".into()
            ));
        }
        let http = HttpClientBuilder::default()
            .request_timeout(timeout)
            .max_response_size(MAX_RESPONSE_BYTES)
            .set_headers(headers)
            .build(url)
            .map_err(|e| bad(e.to_string()))?;
        Ok(Client {
            url: url.to_owned(),
            http,
        })
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn call<P: Serialize + Send, R: DeserializeOwned>(
        &self,
        name: &str,
        params: P,
    ) -> Result<R, ClientError> {
        self.http
            .request::<R, _>(name, JsonParams(params))
            .await
            .map_err(|e| self.sort(e))
    }

    fn sort(&self, e: RpcClientError) -> ClientError {
        match e {
            RpcClientError::Call(obj) => ApiError::from_code(obj.code(), obj.message())
                .map(ClientError::Api)
                .unwrap_or_else(|| ClientError::Rpc {
                    code: obj.code(),
                    message: obj.message().to_owned(),
                }),
            RpcClientError::ParseError(e) => ClientError::BadResponse(e.to_string()),
            RpcClientError::RequestTimeout => ClientError::Unreachable {
                url: self.url.clone(),
                reason: "request timed out".into(),
            },
            RpcClientError::Transport(e) => match e.downcast_ref::<TransportError>() {
                // Connecting, sending or reading failed: nobody (usable) is there.
                Some(TransportError::Http(_)) | None => ClientError::Unreachable {
                    url: self.url.clone(),
                    reason: e.to_string(),
                },
                Some(TransportError::Rejected { status_code: 401 }) => ClientError::Unauthorized {
                    url: self.url.clone(),
                },
                // The node answered, but not with JSON-RPC (HTTP 413, 5xx...).
                Some(other) => ClientError::BadResponse(other.to_string()),
            },
            other => ClientError::BadResponse(other.to_string()),
        }
    }

    /// `admin_status` (an admin endpoint's client: [`Client::with_token`]).
    pub async fn admin_status(&self) -> Result<AdminStatus, ClientError> {
        self.call(admin::method::STATUS, NoParams {}).await
    }

    /// `admin_drain`: drain the joined node named `node`.
    pub async fn admin_drain(&self, node: &str) -> Result<DrainReply, ClientError> {
        self.call(
            admin::method::DRAIN,
            DrainParams {
                node: node.to_owned(),
            },
        )
        .await
    }

    /// `admin_swap`: run version `to` of role `role`.
    pub async fn admin_swap(&self, role: &str, to: &str) -> Result<SwapReply, ClientError> {
        self.call(
            admin::method::SWAP,
            SwapParams {
                role: role.to_owned(),
                to: to.to_owned(),
            },
        )
        .await
    }

    /// `bitai_sendTransaction`: the transfer's hash.
    pub async fn send_transaction(
        &self,
        chain: ChainId,
        tx: Vec<u8>,
    ) -> Result<Hash32, ClientError> {
        let h: HexHash = self
            .call(
                method::SEND_TRANSACTION,
                SendTransactionParams { chain, tx },
            )
            .await?;
        Ok(h.0)
    }

    /// `bitai_getTransactionStatus`.
    pub async fn transaction_status(&self, hash: Hash32) -> Result<TxStatus, ClientError> {
        self.call(
            method::GET_TRANSACTION_STATUS,
            TransactionStatusParams { hash },
        )
        .await
    }

    /// `bitai_getBlock`.
    pub async fn block(&self, chain: ChainId, number: u64) -> Result<Option<L2Block>, ClientError> {
        self.call(method::GET_BLOCK, BlockParams { chain, number })
            .await
    }

    /// `bitai_getAccount`.
    pub async fn account(
        &self,
        chain: ChainId,
        index: u32,
    ) -> Result<Option<AccountInfo>, ClientError> {
        self.call(method::GET_ACCOUNT, AccountParams { chain, index })
            .await
    }

    /// `bitai_listChains`.
    pub async fn chains(&self) -> Result<Vec<ChainInfo>, ClientError> {
        self.call(method::LIST_CHAINS, NoParams {}).await
    }

    /// `bitai_getChain`.
    pub async fn chain(&self, chain: ChainId) -> Result<Option<ChainInfo>, ClientError> {
        self.call(method::GET_CHAIN, ChainParams { chain }).await
    }

    /// `bitai_getBlockProof`.
    pub async fn block_proof(
        &self,
        chain: ChainId,
        number: u64,
    ) -> Result<Option<BlockProof>, ClientError> {
        self.call(method::GET_BLOCK_PROOF, BlockParams { chain, number })
            .await
    }

    /// `bitai_getChainKey`.
    pub async fn chain_key(&self, chain: ChainId) -> Result<Option<ChainKey>, ClientError> {
        self.call(method::GET_CHAIN_KEY, ChainParams { chain })
            .await
    }

    /// `bitai_getCircuitKey`.
    pub async fn circuit_key(&self, max_block_txs: u32) -> Result<CircuitKey, ClientError> {
        self.call(method::GET_CIRCUIT_KEY, CircuitKeyParams { max_block_txs })
            .await
    }

    /// `bitai_createChain`: the new chain's id.
    pub async fn create_chain(
        &self,
        create: Vec<u8>,
        genesis: GenesisSpec,
    ) -> Result<ChainId, ClientError> {
        let h: HexHash = self
            .call(method::CREATE_CHAIN, CreateChainParams { create, genesis })
            .await?;
        Ok(ChainId(h.0))
    }

    /// `bitai_submitBitaiTx`: the transaction's id.
    pub async fn submit_bitai_tx(&self, tx: Vec<u8>) -> Result<Hash32, ClientError> {
        let h: HexHash = self
            .call(method::SUBMIT_BITAI_TX, SubmitBitaiTxParams { tx })
            .await?;
        Ok(h.0)
    }

    /// `bitai_proverJobs`.
    pub async fn prover_jobs(&self) -> Result<Vec<ProverJob>, ClientError> {
        self.call(method::PROVER_JOBS, NoParams {}).await
    }

    /// `bitai_inscriptions`.
    pub async fn inscriptions(&self) -> Result<Vec<InscriptionJob>, ClientError> {
        self.call(method::INSCRIPTIONS, NoParams {}).await
    }

    /// `bitai_mempool`.
    pub async fn mempool(&self) -> Result<Vec<MempoolEntry>, ClientError> {
        self.call(method::MEMPOOL, NoParams {}).await
    }

    /// `bitai_submitPocOp`: the op id.
    pub async fn submit_poc_op(&self, chain: ChainId, op: Vec<u8>) -> Result<Hash32, ClientError> {
        let h: HexHash = self
            .call(method::SUBMIT_POC_OP, SubmitPocOpParams { chain, op })
            .await?;
        Ok(h.0)
    }

    /// `bitai_putModel`: the model's DA commitment (its hash).
    pub async fn put_model(&self, chain: ChainId, model: Vec<u8>) -> Result<Hash32, ClientError> {
        let h: HexHash = self
            .call(method::PUT_MODEL, PutModelParams { chain, model })
            .await?;
        Ok(h.0)
    }

    /// `bitai_getRequest`.
    pub async fn request(
        &self,
        chain: ChainId,
        id: u32,
    ) -> Result<Option<RequestInfo>, ClientError> {
        self.call(method::GET_REQUEST, RequestParams { chain, id })
            .await
    }

    /// `bitai_getRequestInput`.
    pub async fn request_input(
        &self,
        chain: ChainId,
        id: u32,
    ) -> Result<Option<Vec<u8>>, ClientError> {
        let b: OptHexBytes = self
            .call(method::GET_REQUEST_INPUT, RequestParams { chain, id })
            .await?;
        Ok(b.0)
    }

    /// `bitai_getModelBytes`.
    pub async fn model_bytes(&self, hash: Hash32) -> Result<Option<Vec<u8>>, ClientError> {
        let b: OptHexBytes = self
            .call(method::GET_MODEL_BYTES, ModelBytesParams { hash })
            .await?;
        Ok(b.0)
    }

    /// `bitai_listNeurons`.
    pub async fn neurons(&self, chain: ChainId) -> Result<Vec<NeuronInfo>, ClientError> {
        self.call(method::LIST_NEURONS, ChainParams { chain }).await
    }

    /// `bitai_getPocSummary`.
    pub async fn poc_summary(&self, chain: ChainId) -> Result<PocInfo, ClientError> {
        self.call(method::GET_POC_SUMMARY, ChainParams { chain })
            .await
    }

    /// `bitai_getAssignments`.
    pub async fn assignments(
        &self,
        chain: ChainId,
        account: u32,
    ) -> Result<Vec<RequestInfo>, ClientError> {
        self.call(
            method::GET_ASSIGNMENTS,
            AccountOfChainParams { chain, account },
        )
        .await
    }

    /// `bitai_getNonce`.
    pub async fn nonce(&self, chain: ChainId, account: u32) -> Result<Option<u64>, ClientError> {
        self.call(method::GET_NONCE, AccountOfChainParams { chain, account })
            .await
    }
}

/// Why waiting ended without reaching the stage.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The node failed to answer.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The transaction was rejected.
    #[error("transaction rejected: {}", .0.reason.as_deref().unwrap_or("no reason given"))]
    Rejected(Box<TxStatus>),
    /// The time ran out.
    #[error("still {} after {secs} s", .last.name())]
    TimedOut {
        /// The last stage seen.
        last: Stage,
        /// The time waited.
        secs: u64,
    },
}

/// Whether `stage` is at or past `target` in the pipeline.
pub fn reached(stage: Stage, target: Stage) -> bool {
    stage != Stage::Rejected && stage != Stage::Unknown && stage >= target
}

/// Polls a transaction's status every `interval` until it reaches `target`, is rejected,
/// or `timeout` passes (counted in polls, so no wall clock is read).
pub async fn wait_for_stage(
    client: &Client,
    hash: Hash32,
    target: Stage,
    timeout: Duration,
    interval: Duration,
) -> Result<TxStatus, WaitError> {
    let polls = (timeout.as_millis() / interval.as_millis().max(1)).max(1);
    let mut last = Stage::Unknown;
    for i in 0..=polls {
        let status = client.transaction_status(hash).await?;
        if status.stage == Stage::Rejected {
            return Err(WaitError::Rejected(Box::new(status)));
        }
        if reached(status.stage, target) {
            return Ok(status);
        }
        if status.stage != last {
            eprintln!("  {}", status.stage.name());
            last = status.stage;
        }
        if i < polls {
            tokio::time::sleep(interval).await;
        }
    }
    Err(WaitError::TimedOut {
        last,
        secs: timeout.as_secs(),
    })
}
