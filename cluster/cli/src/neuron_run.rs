//! `bitai neuron run`: a neuron on this machine for a chain sequenced by another node. It
//! reaches the chain one of two ways:
//!
//! - through the node's JSON-RPC ([`bitai_rpc::neuron_port::RpcPort`], `--rpc`), or
//! - with `--join HOST:PORT`, over the node's cluster (`ractor_cluster`, cookie, optional
//!   TLS: the same join and exit codes as `bitai prover run`): the node's link joins process
//!   group `neurons`, every question goes to the chain node's neuron gateway, and the gateway
//!   relays the ops this neuron signs. The link heartbeats the account's lease; Ctrl-C or
//!   SIGTERM (a drain) stops the neuron after its tick in hand and hands the lease back at
//!   once, so a replacement node takes the account over (a seat committed here and revealed
//!   there works: the salt is derived from the key), and a node that hangs or vanishes loses
//!   it after the coordinator's `heartbeat_timeout_ms` (its seats meanwhile are missed by
//!   the chain's rules).
//!
//! It registers the account first when `--stake` is given and the account is not a neuron
//! yet, keeps its seat records in its own fjall store (`--data-dir`), and answers its
//! assignments until Ctrl-C. A restart on the same data directory neither commits twice nor
//! misses a reveal.

use super::join::{watch_session, JoinArgs, Joined};
use super::poc::{OpSigner, SignerArgs};
use super::status::{bad_input, client_failure, failure};
use bitai_neuron::remote::{link_and_port, NeuronLink, NeuronTransport, ASK_TIMEOUT_MS};
use bitai_neuron::{
    register_op, BackendChoice, ChainPort, Neuron, NeuronArgs, NeuronConfig, NeuronFaults,
};
use bitai_rpc::neuron_port::RpcPort;
use clap::Args;
use ractor::Actor;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How long a joined neuron node waits for the chain node's neuron gateway to appear.
const GATEWAY_WAIT: Duration = Duration::from_secs(10);
/// How long a joined neuron node waits for another node to give up the account's lease
/// (it is freed at once by a drain, or after the node's `heartbeat_timeout_ms` of silence).
const LEASE_WAIT: Duration = Duration::from_secs(60);
/// How long the hand-back of the lease gets to leave before the session closes.
const FLUSH_WAIT: Duration = Duration::from_millis(500);

/// Run a neuron against a node's JSON-RPC or, with `--join`, over its cluster.
#[derive(Debug, Args)]
pub struct NeuronRunArgs {
    /// Node, chain, the neuron's key and account, and the fee of its commits and reveals.
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Join the node's cluster instead of using its JSON-RPC (`--rpc` is then unused).
    #[command(flatten)]
    pub cluster: JoinArgs,
    /// With `--join`: how often the link heartbeats the account's lease, ms (below the
    /// node's `[cluster] heartbeat_timeout_ms`).
    #[arg(long, default_value_t = 2_000)]
    pub heartbeat_interval_ms: u64,
    /// Where the neuron keeps its seat records (a fjall database); reuse it across restarts.
    #[arg(long, default_value = ".neuron")]
    pub data_dir: PathBuf,
    /// CPU threads for inference (a CUDA device is used instead when the binary is built
    /// with the `cuda` feature and one is present).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Register the account with this stake first, if it is not a neuron yet.
    #[arg(long)]
    pub stake: Option<u64>,
    /// How often to poll the node for assignments, ms.
    #[arg(long, default_value_t = 1_000)]
    pub poll_interval_ms: u64,
    /// Log filter with `--join` (`tracing_subscriber::EnvFilter` syntax; `RUST_LOG`
    /// overrides). Logs go to stderr.
    #[arg(long, default_value = "info")]
    pub log: String,
}

/// Runs `bitai neuron run` (exit 0 on Ctrl-C, 1 when the node, the cluster session or the
/// store fails, 2 on bad input).
pub fn run(args: NeuronRunArgs) -> ExitCode {
    let signer = match args.signer.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.threads == 0 {
        return bad_input("--threads must be at least 1");
    }
    let join = match args.cluster.join.is_some() {
        true => match args.cluster.check() {
            Ok(j) => Some(j),
            Err(code) => return code,
        },
        false => None,
    };
    if join.is_some() {
        if args.heartbeat_interval_ms == 0 {
            return bad_input("--heartbeat-interval-ms must be positive");
        }
        if let Err(e) = bitai_node::telemetry::init_stderr_logs(&args.log) {
            return bad_input(format!("{e:#}"));
        }
    }
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let Some(join) = join else {
            let port = Arc::new(RpcPort::new(signer.client.clone(), signer.chain));
            if let Some(stake) = args.stake {
                if let Err(code) = register_over_rpc(&signer, port.as_ref(), stake).await {
                    return code;
                }
            }
            let via = args.signer.rpc.clone();
            return serve(&args, &signer, port, &via, None).await;
        };
        let coordinator = join.coordinator.clone();
        let node = match join.connect("neuron").await {
            Ok(node) => node,
            Err(e) => return failure(format!("{e:#}")),
        };
        eprintln!("neuron {}: joined {coordinator}", node.name);
        let name = node.name.clone();
        let code = serve_joined(&args, &signer, &node, name, &coordinator).await;
        node.stop().await;
        code
    })
}

/// Registers the account over JSON-RPC unless it is a neuron already.
async fn register_over_rpc(signer: &OpSigner, port: &RpcPort, stake: u64) -> Result<(), ExitCode> {
    let neurons = signer
        .client
        .neurons(signer.chain)
        .await
        .map_err(client_failure)?;
    if neurons.iter().any(|n| n.account == signer.account) {
        return Ok(());
    }
    register(signer, port, stake).await
}

/// Submits the account's registration with `stake` (a pending or earlier one is fine).
/// Over the cluster, the gateway refuses the account's ops while another node still holds
/// its lease (a node being replaced, until it hands the lease back or its heartbeats stop):
/// that refusal is waited out, up to [`LEASE_WAIT`].
async fn register(signer: &OpSigner, port: &dyn ChainPort, stake: u64) -> Result<(), ExitCode> {
    let mut waited = Duration::ZERO;
    loop {
        let nonce = port
            .nonce(signer.account)
            .await
            .map_err(|e| failure(format!("account {}: {e}", signer.account)))?;
        let op = register_op(
            &signer.key,
            &signer.chain,
            signer.account,
            stake,
            nonce,
            signer.fee,
        );
        match port.submit(op).await {
            Ok(id) => eprintln!("registration {id} submitted (stake {stake})"),
            Err(e) if e.to_string().contains("already a neuron") => {}
            Err(e) if e.to_string().contains("served by neuron node") => {
                if waited >= LEASE_WAIT {
                    return Err(failure(format!("registering: {e}")));
                }
                eprintln!("neuron: the account's lease is still held elsewhere; waiting");
                tokio::time::sleep(Duration::from_secs(1)).await;
                waited += Duration::from_secs(1);
                continue;
            }
            Err(e) => return Err(failure(format!("registering: {e}"))),
        }
        return Ok(());
    }
}

/// The neuron over the cluster: the link, the gateway in reach, registration, then the
/// neuron until Ctrl-C or the end of the session.
async fn serve_joined(
    args: &NeuronRunArgs,
    signer: &OpSigner,
    node: &Joined,
    name: String,
    coordinator: &str,
) -> ExitCode {
    let transport = NeuronTransport::process_groups();
    let (link_args, port) = link_and_port(
        name,
        signer.chain,
        vec![signer.account],
        transport.clone(),
        args.heartbeat_interval_ms,
        ASK_TIMEOUT_MS,
    );
    let (link, _) = match Actor::spawn(None, NeuronLink, link_args).await {
        Ok(l) => l,
        Err(e) => return failure(format!("starting the neuron link: {e}")),
    };
    let mut waited = Duration::ZERO;
    while transport.gateway().is_none() {
        if waited >= GATEWAY_WAIT {
            link.stop(None);
            return failure(format!(
                "no neuron gateway at {coordinator} within {GATEWAY_WAIT:?} (is it a node that \
                 sequences chains, with [cluster] listen set?)"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += Duration::from_millis(100);
    }
    let port = Arc::new(port);
    if let Some(stake) = args.stake {
        if let Err(code) = register(signer, port.as_ref(), stake).await {
            link.stop(None);
            return code;
        }
    }
    let code = serve(args, signer, port, coordinator, Some(node)).await;
    // The link's stop hands the lease back to the gateway; the frame is sent by the
    // session's own actor, so give it a moment before the caller closes the session.
    let _ = link.stop_and_wait(None, Some(Duration::from_secs(2))).await;
    tokio::time::sleep(FLUSH_WAIT).await;
    code
}

/// Runs the neuron on `port` until Ctrl-C (0), its own end (1) or, joined, the end of the
/// cluster session (1).
async fn serve(
    args: &NeuronRunArgs,
    signer: &OpSigner,
    port: Arc<dyn ChainPort>,
    via: &str,
    session: Option<&Joined>,
) -> ExitCode {
    let params = match port.params().await {
        Ok(p) => p,
        Err(e) => return failure(format!("the chain's parameters: {e}")),
    };
    let store: bitai_storage::SharedStore = match bitai_storage::FjallStore::open(
        args.data_dir.join("db"),
        bitai_storage::Durability::Process,
    ) {
        Ok(s) => Arc::new(s),
        Err(e) => return failure(format!("{}: {e}", args.data_dir.display())),
    };
    let neuron_args = NeuronArgs {
        account: signer.account,
        key: signer.key.clone(),
        chain_id: signer.chain,
        params,
        port,
        store,
        clock: Arc::new(bitai_runtime::TokioClock::real()),
        config: NeuronConfig {
            poll_interval_ms: args.poll_interval_ms.max(1),
            fee: signer.fee,
            ..NeuronConfig::default()
        },
        backend: BackendChoice::Auto {
            threads: args.threads,
        },
        registry: session.map(|j| j.registry.clone()),
        faults: NeuronFaults::default(),
    };
    let (actor, mut handle) = match Actor::spawn(None, Neuron, neuron_args).await {
        Ok(a) => a,
        Err(e) => return failure(format!("starting the neuron: {e}")),
    };
    eprintln!(
        "neuron {} answering chain {} through {via} (Ctrl-C stops it)",
        signer.account, signer.chain
    );
    let code = match session {
        None => tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
            _ = &mut handle => return failure("the neuron stopped (see its log lines above)"),
        },
        // Ctrl-C and SIGTERM both stop the neuron after its tick in hand and hand the
        // account's lease back (the link's stop): a drain, for a replacement to take over.
        Some(node) => tokio::select! {
            biased;
            end = watch_session(node, "neuron", || true) => end.exit_code(),
            _ = &mut handle => return failure("the neuron stopped (see its log lines above)"),
        },
    };
    actor.stop(None);
    let _ = handle.await;
    code
}
