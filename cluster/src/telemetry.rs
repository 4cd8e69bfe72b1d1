//! Operators' view of a running node: tracing logs to a file (and warnings to stderr), and
//! the Prometheus registry served on `GET /metrics`.

use anyhow::Context;
use prometheus::{Encoder, Registry, TextEncoder};
use std::path::Path;
use tracing_subscriber::EnvFilter;

/// Sends logs to `file` with `filter` (RUST_LOG overrides it).
pub fn init_logs(file: &Path, filter: &str) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("opening log file {}", file.display()))?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log))
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))?;
    Ok(())
}

/// Serves `registry` in Prometheus' text format on `GET /metrics` at `listen`, on a thread of
/// its own (outside the actors, which never block on it). Returns the bound address.
pub fn serve_metrics(listen: &str, registry: Registry) -> anyhow::Result<std::net::SocketAddr> {
    let server = tiny_http::Server::http(listen)
        .map_err(|e| anyhow::anyhow!("metrics endpoint on {listen}: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .context("metrics endpoint is not an IP socket")?;
    #[allow(clippy::disallowed_methods)] // The binary's own I/O thread, not actor code.
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let response = if request.url() == "/metrics" {
                    let mut body = Vec::new();
                    let _ = TextEncoder::new().encode(&registry.gather(), &mut body);
                    tiny_http::Response::from_data(body).with_status_code(200)
                } else {
                    tiny_http::Response::from_data(b"see /metrics\n".to_vec()).with_status_code(404)
                };
                let _ = request.respond(response);
            }
        })
        .context("starting the metrics thread")?;
    Ok(addr)
}
