//! `bitai prover run`: a prover node. It joins a coordinator (`bitai node` or `bitai devnet`
//! with `[cluster] listen` set) over `ractor_cluster`, puts a remote prover in process group
//! `provers`, and proves the blocks the coordinator's pool leases to it with the keys in
//! `--keys`, heartbeating each lease while it proves, until Ctrl-C or the connection is lost.
//!
//! A wrong cookie does not fail `client_connect` (the coordinator just drops the session):
//! the node waits for an authenticated session and exits 1 with a clear message when none
//! appears within [`HANDSHAKE_TIMEOUT`].
//!
//! With `--tls-ca` the node connects over TLS (`client_connect_enc`), trusting only that
//! file's certificates, so frames are encrypted and integrity-checked and the node knows it
//! joined the coordinator; a TLS failure (an untrusted certificate, a wrong name, a
//! coordinator without TLS) ends the join within [`HANDSHAKE_TIMEOUT`] with exit 1.

use super::status::{bad_input, failure};
use bitai_prover::keydir::KeyDir;
use bitai_prover::remote::{ProverTransport, RemoteProver, RemoteProverArgs};
use bitai_prover::ProverBackend;
use bitai_transport::ClusterHandle;
use clap::{Args, Subcommand};
use ractor::Actor;
use ractor_cluster::ClientConnectErr;
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::TlsConnector;

/// How long a joining node waits for the coordinator to accept its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a running prover node checks that its session is still up.
const SESSION_CHECK: Duration = Duration::from_secs(1);

/// Prover nodes.
#[derive(Debug, Args)]
pub struct ProverCliArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ProverCommand,
}

/// `bitai prover` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProverCommand {
    /// Join a coordinator node and prove the L2 blocks its prover pool leases to this node.
    ///
    /// The coordinator is a `bitai node` or `bitai devnet` whose config sets `[cluster]
    /// listen` and `cookie`. The cookie authenticates the handshake; without TLS nothing
    /// after it is encrypted or integrity-checked, so run prover nodes on the same host or a
    /// private network, or give --tls-ca when the coordinator sets `[cluster] tls_cert` and
    /// `tls_key`. --keys is a directory of Groth16 proving-key files, for
    /// example a copy of the coordinator's key cache (`node.data_dir/keys` by default); a
    /// key is loaded the first time a block of its shape arrives. While proving, the node
    /// heartbeats its lease; a lease without heartbeats is taken back and proved elsewhere.
    ///
    /// Exit codes: 0 on Ctrl-C; 1 when the connection cannot be made, the coordinator
    /// refuses the handshake (a wrong cookie), TLS fails (an untrusted certificate, a
    /// coordinator with or without TLS unlike this node) or the connection is lost; 2 bad
    /// usage.
    Run(ProverRunArgs),
}

/// `bitai prover run` arguments.
#[derive(Debug, Args)]
pub struct ProverRunArgs {
    /// The coordinator's `[cluster] listen` address, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub join: String,
    /// The coordinator's `[cluster] cookie` (the handshake's shared secret); the
    /// environment variable keeps it out of the process list.
    #[arg(
        long,
        value_name = "SECRET",
        env = "BITAI_CLUSTER_COOKIE",
        hide_env_values = true
    )]
    pub cookie: String,
    /// Directory of proving-key files (`*.pk`).
    #[arg(long, value_name = "DIR")]
    pub keys: PathBuf,
    /// Threads that prove (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Address this node's own cluster server listens on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Connect over TLS, trusting only the CA certificates in this PEM file (the coordinator
    /// sets `[cluster] tls_cert` and `tls_key`).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// The name the coordinator's certificate must carry (a DNS name or an IP address;
    /// default: the host of --join). Needs --tls-ca.
    #[arg(long, value_name = "NAME", requires = "tls_ca")]
    pub tls_server_name: Option<String>,
    /// Log filter (`tracing_subscriber::EnvFilter` syntax; `RUST_LOG` overrides). Logs go
    /// to stderr.
    #[arg(long, default_value = "info")]
    pub log: String,
}

/// Runs `bitai prover`.
pub fn run(args: ProverCliArgs) -> ExitCode {
    match args.command {
        ProverCommand::Run(args) => run_prover(args),
    }
}

fn run_prover(args: ProverRunArgs) -> ExitCode {
    if args.cookie.is_empty() {
        return bad_input("--cookie must not be empty");
    }
    if args.threads == Some(0) {
        return bad_input("--threads must be at least 1");
    }
    if let Err(e) = bitai_node::telemetry::init_stderr_logs(&args.log) {
        return bad_input(format!("{e:#}"));
    }
    let tls = match &args.tls_ca {
        None => None,
        Some(ca) => {
            let name =
                bitai_transport::tls::server_name(args.tls_server_name.as_deref(), &args.join);
            match bitai_transport::tls::client_connector(ca).and_then(|c| Ok((c, name?))) {
                Ok(tls) => Some(tls),
                Err(e) => return bad_input(format!("--tls-ca: {e}")),
            }
        }
    };
    let keys = match KeyDir::open(&args.keys) {
        Ok(k) => k,
        Err(e) => return bad_input(e),
    };
    if let Some(threads) = args.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            return failure(format!("starting {threads} proving threads: {e}"));
        }
    }
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let node = match join(&args, tls).await {
            Ok(node) => node,
            Err(e) => return failure(format!("{e:#}")),
        };
        let code = serve(keys, &node).await;
        node.stop().await;
        code
    })
}

/// Starts this node's server, connects to the coordinator (over TLS with `tls`: the
/// connector and the name its certificate must carry) and waits for the handshake.
async fn join(
    args: &ProverRunArgs,
    tls: Option<(TlsConnector, ServerName<'static>)>,
) -> anyhow::Result<ClusterHandle> {
    let name = format!("bitai-prover-{}", std::process::id());
    let server = bitai_transport::start_node_server(args.listen, &args.cookie, &name, None).await?;
    let node = bitai_transport::handle(server);
    let with_tls = tls.is_some();
    if let Err(e) = connect(&node, &args.join, tls).await {
        node.stop().await;
        return Err(e);
    }
    if !bitai_transport::wait_authenticated(node.server(), HANDSHAKE_TIMEOUT).await {
        node.stop().await;
        let hint = if with_tls {
            "wrong --cookie?"
        } else {
            "wrong --cookie, or a coordinator with TLS that needs --tls-ca?"
        };
        anyhow::bail!(
            "the coordinator at {} refused the handshake within {:?} ({hint})",
            args.join,
            HANDSHAKE_TIMEOUT
        );
    }
    tracing::info!(coordinator = %args.join, "joined the coordinator");
    eprintln!("prover: joined {}", args.join);
    Ok(node)
}

/// Opens the session with the coordinator at `join`, over TLS with `tls`. The TLS handshake
/// is bounded by [`HANDSHAKE_TIMEOUT`]: a coordinator without TLS reads the client hello as
/// a frame length and may wait for more bytes forever.
async fn connect(
    node: &ClusterHandle,
    join: &str,
    tls: Option<(TlsConnector, ServerName<'static>)>,
) -> anyhow::Result<()> {
    let Some((connector, server_name)) = tls else {
        return ractor_cluster::client_connect(node.server(), join)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to the coordinator at {join}: {e}"));
    };
    let connecting =
        ractor_cluster::client_connect_enc(node.server(), join, connector, server_name);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(ClientConnectErr::Encryption(e))) => anyhow::bail!(
            "TLS handshake with the coordinator at {join} failed: {e} (a --tls-ca that did not \
             sign its certificate, a wrong --tls-server-name, or a coordinator without TLS?)"
        ),
        Ok(Err(e)) => anyhow::bail!("cannot connect to the coordinator at {join}: {e}"),
        Err(_) => anyhow::bail!(
            "TLS handshake with the coordinator at {join} got no answer within \
             {HANDSHAKE_TIMEOUT:?} (a coordinator without TLS?)"
        ),
    }
}

/// Runs the remote prover until Ctrl-C (0) or the session is gone (1).
async fn serve(keys: KeyDir, node: &ClusterHandle) -> ExitCode {
    // Zero-knowledge needs fresh, secret blinding randomness in every prover process.
    #[allow(clippy::disallowed_methods)] // The node's start-up: OS randomness on purpose.
    let rng_seed: [u8; 32] = rand::random();
    let prover_args = RemoteProverArgs {
        backend: ProverBackend::Groth16Dir(Arc::new(keys)),
        rng_seed,
        clock: Arc::new(bitai_runtime::TokioClock::real()),
        transport: ProverTransport::process_groups(),
        faults: Default::default(),
    };
    let (prover, _) = match Actor::spawn(None, RemoteProver, prover_args).await {
        Ok(p) => p,
        Err(e) => return failure(format!("starting the prover: {e}")),
    };
    let code = watch_session(node).await;
    // Killed, not stopped: a stop would wait for the proof in progress, which nobody takes
    // any more (the coordinator is gone, or the operator asked to stop); the pool takes the
    // lease back when this node leaves.
    let _ = prover.kill_and_wait(None).await;
    code
}

/// Waits for Ctrl-C (0) or the end of the session with the coordinator (1).
async fn watch_session(node: &ClusterHandle) -> ExitCode {
    let mut seen_gateway = false;
    loop {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => {
                eprintln!("prover: interrupted");
                return ExitCode::SUCCESS;
            }
            () = tokio::time::sleep(SESSION_CHECK) => {}
        }
        if bitai_transport::authenticated_sessions(node.server()).await == 0 {
            return failure("lost the connection to the coordinator");
        }
        if !seen_gateway && ProverTransport::process_groups().gateway().is_some() {
            seen_gateway = true;
            tracing::info!("the coordinator's prover pool gateway is in reach");
            eprintln!("prover: ready");
        }
    }
}
