//! `bitai neuron run`: a neuron on this machine for a chain sequenced by another node,
//! through the node's JSON-RPC ([`bitai_rpc::neuron_port::RpcPort`]). It registers the
//! account first when `--stake` is given and the account is not a neuron yet, keeps its seat
//! records in its own fjall store (`--data-dir`), and answers its assignments until Ctrl-C.
//! A restart on the same data directory neither commits twice nor misses a reveal.

use super::poc::SignerArgs;
use super::status::{bad_input, client_failure, failure};
use bitai_neuron::{
    register_op, BackendChoice, ChainPort, Neuron, NeuronArgs, NeuronConfig, NeuronFaults,
};
use bitai_rpc::neuron_port::RpcPort;
use clap::Args;
use ractor::Actor;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Run a neuron against a node's JSON-RPC.
#[derive(Debug, Args)]
pub struct NeuronRunArgs {
    /// Node, chain, the neuron's key and account, and the fee of its commits and reveals.
    #[command(flatten)]
    pub signer: SignerArgs,
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
}

/// Runs `bitai neuron run` (exit 0 on Ctrl-C, 1 when the node or the store fails, 2 on bad
/// input).
pub fn run(args: NeuronRunArgs) -> ExitCode {
    let signer = match args.signer.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.threads == 0 {
        return bad_input("--threads must be at least 1");
    }
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let port = Arc::new(RpcPort::new(signer.client.clone(), signer.chain));
        let summary = match signer.client.poc_summary(signer.chain).await {
            Ok(s) => s,
            Err(e) => return client_failure(e),
        };
        if let Some(stake) = args.stake {
            let neurons = match signer.client.neurons(signer.chain).await {
                Ok(n) => n,
                Err(e) => return client_failure(e),
            };
            if !neurons.iter().any(|n| n.account == signer.account) {
                let nonce = match port.nonce(signer.account).await {
                    Ok(n) => n,
                    Err(e) => return failure(format!("account {}: {e}", signer.account)),
                };
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
                    Err(e) => return failure(format!("registering: {e}")),
                }
            }
        }
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
            params: summary.params,
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
            registry: None,
            faults: NeuronFaults::default(),
        };
        let (actor, mut handle) = match Actor::spawn(None, Neuron, neuron_args).await {
            Ok(a) => a,
            Err(e) => return failure(format!("starting the neuron: {e}")),
        };
        eprintln!(
            "neuron {} answering chain {} through {} (Ctrl-C stops it)",
            signer.account, signer.chain, args.signer.rpc
        );
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => {
                actor.stop(None);
                let _ = handle.await;
                ExitCode::SUCCESS
            }
            _ = &mut handle => failure("the neuron stopped (see its log lines above)"),
        }
    })
}
