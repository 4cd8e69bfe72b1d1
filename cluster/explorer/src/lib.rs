//! The node's built-in explorer, in the manner of ord's `ord server`: every chain (head,
//! verified, final, roots, neurons, models), L2 block (transactions with their stages, DA
//! commitment, its proof and the Bitcoin transaction that carried it, the proof's files to
//! download), transaction (its journey through the stages), Bitcoin block with the BitAI
//! envelopes it carried, the prover pool and the inscriber's and mempool's queues, and
//! inference request (who agreed, was paid or was slashed) is a page, and the same page
//! answers as JSON (`?format=json` or `Accept: application/json`). Pages refresh themselves
//! while the node runs. A block page checks the block's proof in the browser with snarkjs,
//! served by the node from its npm install (no outside network), so a visitor checks it
//! without trusting the node.
//!
//! The explorer reads the node only through [`NodeApi`], the trait the JSON-RPC server
//! calls: it shows what any client could ask, and it is tested against the RPC crate's
//! double as well as a running devnet. Server-side HTML (no front-end toolchain), one small
//! script of ours (`assets/explorer.js`).

mod html;
mod pages;
mod routes;

use bitai_rpc::NodeApi;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// `[explorer]`: the built-in explorer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExplorerConfig {
    /// Address of the explorer's web server (HTTP GET); empty to disable. Default empty
    /// (off) for `bitai node`; `configs/devnet.toml` sets `127.0.0.1:9181`.
    pub listen: String,
    /// snarkjs' browser build, served to block pages for the in-browser proof check.
    /// Default `actors/lib/proofs/interop/node_modules/snarkjs/build/snarkjs.min.js`
    /// (relative paths from the working directory; `npm install --prefix
    /// actors/lib/proofs/interop` puts it there). Missing: pages say how to get it.
    pub snarkjs_js: PathBuf,
    /// How often pages refresh themselves, ms (0: never). Default 2000.
    pub refresh_ms: u64,
}

impl Default for ExplorerConfig {
    fn default() -> Self {
        ExplorerConfig {
            listen: String::new(),
            snarkjs_js: PathBuf::from(
                "actors/lib/proofs/interop/node_modules/snarkjs/build/snarkjs.min.js",
            ),
            refresh_ms: 2000,
        }
    }
}

impl ExplorerConfig {
    /// Whether the explorer is on (`listen` not empty).
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }
}

/// Why the explorer did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExplorerError {
    /// The address could not be bound.
    #[error("explorer: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A running explorer; dropping it stops the server.
#[derive(Debug)]
pub struct ExplorerServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ExplorerServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of its front page.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for ExplorerServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What every handler gets.
pub(crate) struct Explorer {
    pub(crate) api: Arc<dyn NodeApi>,
    /// snarkjs' browser build, when found at start.
    pub(crate) snarkjs: Option<Vec<u8>>,
    pub(crate) snarkjs_path: PathBuf,
    pub(crate) refresh_ms: u64,
}

/// Starts the explorer at `config.listen` in front of `api`.
pub async fn serve(
    config: &ExplorerConfig,
    api: Arc<dyn NodeApi>,
) -> Result<ExplorerServer, ExplorerError> {
    let bind = |source| ExplorerError::Bind {
        addr: config.listen.clone(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(config.listen.as_str())
        .await
        .map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    let snarkjs = std::fs::read(&config.snarkjs_js).ok();
    if snarkjs.is_none() {
        tracing::warn!(path = %config.snarkjs_js.display(),
            "explorer: snarkjs not found; block pages cannot check proofs in the browser \
             (npm install --prefix actors/lib/proofs/interop)");
    }
    let state = Arc::new(Explorer {
        api,
        snarkjs,
        snarkjs_path: config.snarkjs_js.clone(),
        refresh_ms: config.refresh_ms,
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = routes::router(state);
    tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = served.await {
            tracing::error!(error = %e, "explorer stopped");
        }
    });
    tracing::info!(%addr, "explorer listening");
    Ok(ExplorerServer {
        addr,
        stop: Some(stop),
    })
}

#[cfg(test)]
mod tests;
