//! `bitai prover run`: a prover node. It joins a coordinator (`bitai node` or `bitai devnet`
//! with `[cluster] listen` set) over `ractor_cluster`, puts a remote prover in process group
//! `provers`, and proves the blocks the coordinator's pool leases to it with the keys in
//! `--keys`, heartbeating each lease while it proves, until Ctrl-C, SIGTERM (a drain: the
//! proof in hand is finished, nothing new is leased, the node stops after a grace period) or
//! the loss of the connection.
//! Joining (cookie, TLS, the handshake and its failures, exit 1) is [`super::join`]'s,
//! shared with neuron nodes.

use super::join::{watch_session, JoinArgs, Joined, SessionEnd};
use super::status::{bad_input, failure};
use bitai_prover::keydir::KeyDir;
use bitai_prover::remote::{ProverTransport, RemoteProver, RemoteProverArgs};
use bitai_prover::ProverBackend;
use clap::{Args, Subcommand};
use ractor::Actor;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How long a draining prover node still proves what was leased before the pool noticed,
/// ms (five of the default gateway listing intervals).
const DRAIN_GRACE_MS: u64 = 10_000;

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
    /// SIGTERM drains the node for a rolling replacement: it finishes the proof in hand,
    /// leaves group `provers` so the pool leases it nothing new, proves what was leased
    /// before the pool noticed, and exits after a grace period (10 s); Ctrl-C stops it at once
    /// (its lease goes back to the pool).
    ///
    /// Exit codes: 0 on Ctrl-C or a drain; 1 when the connection cannot be made, the coordinator
    /// refuses the handshake (a wrong cookie), TLS fails (an untrusted certificate, a
    /// coordinator with or without TLS unlike this node) or the connection is lost; 2 bad
    /// usage.
    Run(ProverRunArgs),
}

/// `bitai prover run` arguments.
#[derive(Debug, Args)]
pub struct ProverRunArgs {
    /// The coordinator to join (`--join` is required here).
    #[command(flatten)]
    pub cluster: JoinArgs,
    /// Directory of proving-key files (`*.pk`).
    #[arg(long, value_name = "DIR")]
    pub keys: PathBuf,
    /// Threads that prove (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
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

/// Runs a prover node (`bitai prover run`, or `bitai node` with `kind = "prover"`).
pub fn run_prover(args: ProverRunArgs) -> ExitCode {
    let join = match args.cluster.check() {
        Ok(j) => j,
        Err(code) => return code,
    };
    if args.threads == Some(0) {
        return bad_input("--threads must be at least 1");
    }
    if let Err(e) = bitai_node::telemetry::init_stderr_logs(&args.log) {
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
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let coordinator = join.coordinator.clone();
        let joined = match join.connect("prover").await {
            Ok(joined) => joined,
            Err(e) => return failure(format!("{e:#}")),
        };
        eprintln!("prover {}: joined {coordinator}", joined.name);
        let code = serve(keys, &joined).await;
        joined.stop().await;
        code
    })
}

/// Runs the remote prover until Ctrl-C (0), a drain on SIGTERM (0) or the end of the
/// session (1).
async fn serve(keys: KeyDir, node: &Joined) -> ExitCode {
    // Zero-knowledge needs fresh, secret blinding randomness in every prover process.
    #[allow(clippy::disallowed_methods)] // The node's start-up: OS randomness on purpose.
    let rng_seed: [u8; 32] = rand::random();
    let prover_args = RemoteProverArgs {
        backend: ProverBackend::Groth16Dir(Arc::new(keys)),
        rng_seed,
        clock: Arc::new(bitai_runtime::TokioClock::real()),
        transport: ProverTransport::process_groups(),
        faults: Default::default(),
        drain_grace_ms: DRAIN_GRACE_MS,
        metrics: match bitai_prover::RemoteProverMetrics::new(&node.registry) {
            Ok(m) => Some(m),
            Err(e) => return failure(format!("prover metrics: {e}")),
        },
    };
    let (prover, _) = match Actor::spawn(None, RemoteProver, prover_args).await {
        Ok(p) => p,
        Err(e) => return failure(format!("starting the prover: {e}")),
    };
    let end = watch_session(node, "prover", || {
        ProverTransport::process_groups().gateway().is_some()
    })
    .await;
    if end == SessionEnd::Terminated {
        // A drain: the proof in hand is finished and reported, the pool leases nothing new,
        // and the prover stops after its grace period.
        let _ = prover.cast(bitai_prover::remote::RemoteProverMsg::Drain);
        let _ = prover
            .wait(Some(Duration::from_millis(DRAIN_GRACE_MS * 4)))
            .await;
        eprintln!("prover: drained");
    }
    // Killed, not stopped: a stop would wait for the proof in progress, which nobody takes
    // any more (the coordinator is gone, or the operator asked to stop now); the pool takes
    // the lease back when this node leaves.
    let _ = prover.kill_and_wait(None).await;
    end.exit_code()
}
