//! `bitai prover run`: a prover node. It joins a coordinator (`bitai node` or `bitai devnet`
//! with `[cluster] listen` set) over `ractor_cluster`, puts a remote prover in process group
//! `provers`, and proves the blocks the coordinator's pool leases to it with the keys in
//! `--keys`, heartbeating each lease while it proves, until Ctrl-C or the connection is lost.
//!
//! A wrong cookie does not fail `client_connect` (the coordinator just drops the session):
//! the node waits for an authenticated session and exits 1 with a clear message when none
//! appears within [`HANDSHAKE_TIMEOUT`].

use super::status::{bad_input, failure};
use crate::cluster_node::{self, ClusterHandle};
use bitai_prover::keydir::KeyDir;
use bitai_prover::remote::{gateway, RemoteProver, RemoteProverArgs};
use bitai_prover::ProverBackend;
use clap::{Args, Subcommand};
use ractor::Actor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How long a joining node waits for the coordinator to accept its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a running prover node checks that its session is still up.
const SESSION_CHECK: Duration = Duration::from_secs(1);

/// Prover nodes.
#[derive(Debug, Args)]
pub struct ProverArgs {
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
    /// listen` and `cookie`. Only the handshake is authenticated (by the shared cookie);
    /// nothing after it is encrypted or integrity-checked, so run prover nodes on the same
    /// host or a private network. --keys is a directory of Groth16 proving-key files, for
    /// example a copy of the coordinator's key cache (`node.data_dir/keys` by default); a
    /// key is loaded the first time a block of its shape arrives. While proving, the node
    /// heartbeats its lease; a lease without heartbeats is taken back and proved elsewhere.
    ///
    /// Exit codes: 0 on Ctrl-C; 1 when the connection cannot be made, the coordinator
    /// refuses the handshake (a wrong cookie) or the connection is lost; 2 bad usage.
    Run(RunArgs),
}

/// `bitai prover run` arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
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
    /// Log filter (`tracing_subscriber::EnvFilter` syntax; `RUST_LOG` overrides). Logs go
    /// to stderr.
    #[arg(long, default_value = "info")]
    pub log: String,
}

/// Runs `bitai prover`.
pub fn run(args: ProverArgs) -> ExitCode {
    match args.command {
        ProverCommand::Run(args) => run_prover(args),
    }
}

fn run_prover(args: RunArgs) -> ExitCode {
    if args.cookie.is_empty() {
        return bad_input("--cookie must not be empty");
    }
    if args.threads == Some(0) {
        return bad_input("--threads must be at least 1");
    }
    if let Err(e) = crate::telemetry::init_stderr_logs(&args.log) {
        return bad_input(format!("{e:#}"));
    }
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
    let runtime = match crate::node::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let node = match join(&args).await {
            Ok(node) => node,
            Err(e) => return failure(format!("{e:#}")),
        };
        let code = serve(keys, &node).await;
        node.stop().await;
        code
    })
}

/// Starts this node's server, connects to the coordinator and waits for the handshake.
async fn join(args: &RunArgs) -> anyhow::Result<ClusterHandle> {
    let name = format!("bitai-prover-{}", std::process::id());
    let server = cluster_node::start_node_server(args.listen, &args.cookie, &name).await?;
    let node = cluster_node::handle(server);
    if let Err(e) = ractor_cluster::client_connect(node.server(), args.join.as_str()).await {
        node.stop().await;
        anyhow::bail!("cannot connect to the coordinator at {}: {e}", args.join);
    }
    if !cluster_node::wait_authenticated(node.server(), HANDSHAKE_TIMEOUT).await {
        node.stop().await;
        anyhow::bail!(
            "the coordinator at {} refused the handshake within {:?} (wrong --cookie?)",
            args.join,
            HANDSHAKE_TIMEOUT
        );
    }
    tracing::info!(coordinator = %args.join, "joined the coordinator");
    eprintln!("prover: joined {}", args.join);
    Ok(node)
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
        if cluster_node::authenticated_sessions(node.server()).await == 0 {
            return failure("lost the connection to the coordinator");
        }
        if !seen_gateway && gateway().is_some() {
            seen_gateway = true;
            tracing::info!("the coordinator's prover pool gateway is in reach");
            eprintln!("prover: ready");
        }
    }
}
