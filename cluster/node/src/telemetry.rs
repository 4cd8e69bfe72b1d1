//! Operators' view of a running node: tracing logs to a file (and warnings to stderr), and
//! the Prometheus registry served on `GET /metrics`.

use anyhow::Context;
use prometheus::{Encoder, Registry, TextEncoder};
use std::path::Path;
use tracing_subscriber::EnvFilter;

/// A directive added to every log filter that does not name the `r1cs` target itself.
/// ark-r1cs-std wraps each gadget operation in an INFO span of target `r1cs` that records
/// its operands with `Debug`, and an operand's `Debug` prints the whole constraint system:
/// with those spans on, synthesizing a circuit (the devnet setup, every proof) takes time
/// quadratic in its size (a 1-transfer devnet setup ran over 10 minutes instead of seconds).
const R1CS_SPANS_OFF: &str = "r1cs=off";

/// Sends logs to `file` with `filter` (RUST_LOG overrides it); the `r1cs` spans stay off
/// unless the filter names them.
pub fn init_logs(file: &Path, filter: &str) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("opening log file {}", file.display()))?;
    let filter = r1cs_spans_off(
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter)),
    );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log))
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))?;
    Ok(())
}

/// Sends the process's logs to stderr through `filter` (`RUST_LOG` overrides), with the
/// r1cs spans off as in [`init_logs`] (a prover node synthesizes circuits to load keys).
pub fn init_stderr_logs(filter: &str) -> anyhow::Result<()> {
    let filter = r1cs_spans_off(
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter)),
    );
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))?;
    Ok(())
}

/// `filter` with [`R1CS_SPANS_OFF`] added unless it names the `r1cs` target.
fn r1cs_spans_off(filter: EnvFilter) -> EnvFilter {
    if filter.to_string().contains("r1cs") {
        return filter;
    }
    filter.add_directive(R1CS_SPANS_OFF.parse().expect("a valid directive"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    /// Whether an INFO span of `target` is on under `filter` (as `EnvFilter` syntax).
    fn span_on(filter: &str, target_is_r1cs: bool) -> bool {
        let subscriber =
            tracing_subscriber::registry().with(r1cs_spans_off(EnvFilter::new(filter)));
        tracing::subscriber::with_default(subscriber, || {
            if target_is_r1cs {
                !tracing::info_span!(target: "r1cs", "add").is_disabled()
            } else {
                !tracing::info_span!("node").is_disabled()
            }
        })
    }

    #[test]
    fn r1cs_spans_are_off_unless_the_filter_names_them() {
        assert!(!span_on("info", true));
        assert!(!span_on("trace", true));
        assert!(span_on("info", false));
        assert!(span_on("info,r1cs=info", true));
    }
}
