//! `bitai neuron`: an operator's signed ops for its own neuron account (register with a
//! stake, unbond, withdraw the unlocked stake), the chain's table of neurons, and `run`,
//! which runs the neuron actor on this machine against a node's JSON-RPC
//! ([`super::neuron_run`]).

use super::poc::{wait_failure, OpBody, SignerArgs};
use super::status::{bad_input, block_on, client_failure, parse_chain, DEFAULT_RPC_URL};
use bitai_chain::field::Fr;
use bitai_chain::poc::PocKind;
use bitai_rpc::{Client, NeuronInfo};
use clap::{Args, Subcommand};
use std::process::ExitCode;
use std::time::Duration;

/// Manage a neuron's stake, or list a chain's neurons.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bitai neuron register --stake 2000 --chain 9c41...07 --key op.key --account 3 --wait\n  \
    bitai neuron unbond --chain 9c41...07 --key op.key --account 3\n  \
    bitai neuron withdraw --chain 9c41...07 --key op.key --account 3\n  \
    bitai neuron list --chain 9c41...07\n\n\
    Register locks the stake (at least the chain's min_stake) and puts the account in the \
    list requests are drawn from; unbond leaves the list at once and unlocks the stake after \
    the chain's unbonding delay; withdraw moves the unlocked stake back to the balance. The \
    signed commands print the op id. Exit codes: 0 done; 1 the sequencer refused the op, the \
    node failed or is unreachable, or --wait timed out; 2 bad input.")]
pub struct NeuronCliArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: NeuronCommand,
}

/// The `neuron` subcommands.
#[derive(Debug, Subcommand)]
pub enum NeuronCommand {
    /// Register the account as a neuron, locking `--stake`.
    Register {
        /// Stake to lock.
        #[arg(long)]
        stake: u64,
        /// Node, chain, signer, fee and waiting.
        #[command(flatten)]
        op: OpArgs,
    },
    /// Leave the active list; the stake unlocks after the unbonding delay.
    Unbond {
        /// Node, chain, signer, fee and waiting.
        #[command(flatten)]
        op: OpArgs,
    },
    /// Take the unlocked stake back into the balance.
    Withdraw {
        /// Node, chain, signer, fee and waiting.
        #[command(flatten)]
        op: OpArgs,
    },
    /// Run a neuron for the account against the node: answer its assignments (compute,
    /// commit, reveal) until Ctrl-C, registering first with `--stake` if needed.
    Run(Box<super::neuron_run::NeuronRunArgs>),
    /// Print the chain's neurons: stake, rewards, slashing, unbonding.
    List {
        /// The node's JSON-RPC URL.
        #[arg(long, env = "BITAI_RPC", default_value = DEFAULT_RPC_URL)]
        rpc: String,
        /// The chain id (64 hex digits).
        #[arg(long)]
        chain: String,
        /// Print the node's answer as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A signed neuron op's flags.
#[derive(Debug, Args)]
pub struct OpArgs {
    /// Node, chain, signer and fee.
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Wait until the op is in an L2 block.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
}

/// The neurons as a table.
pub fn format_neurons(neurons: &[NeuronInfo]) -> String {
    if neurons.is_empty() {
        return "no neurons\n".into();
    }
    let mut out = format!(
        "{:>8}  {:>12}  {:>10}  {:>10}  {:>9}  {:>6}\n",
        "ACCOUNT", "STAKE", "REWARDS", "SLASHED", "UNLOCK_AT", "ACTIVE"
    );
    for n in neurons {
        out += &format!(
            "{:>8}  {:>12}  {:>10}  {:>10}  {:>9}  {:>6}\n",
            n.account,
            n.stake,
            n.rewards,
            n.slashed,
            if n.unlock_at == 0 {
                "-".into()
            } else {
                n.unlock_at.to_string()
            },
            if n.active { "yes" } else { "no" }
        );
    }
    out
}

/// Runs `bitai neuron ...`.
pub fn run(args: NeuronCliArgs) -> ExitCode {
    let (kind, amount, op) = match args.command {
        NeuronCommand::List { rpc, chain, json } => return list(&rpc, &chain, json),
        NeuronCommand::Run(run) => return super::neuron_run::run(*run),
        NeuronCommand::Register { stake, op } => (PocKind::RegisterNeuron, stake, op),
        NeuronCommand::Unbond { op } => (PocKind::Unbond, 0, op),
        NeuronCommand::Withdraw { op } => (PocKind::Withdraw, 0, op),
    };
    if kind == PocKind::RegisterNeuron && amount == 0 {
        return bad_input("--stake must be at least 1");
    }
    let signer = match op.signer.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let body = OpBody {
        kind,
        target: 0,
        amount,
        data: [Fr::from(0u64); 2],
    };
    block_on(async {
        let hash = match signer.submit(body, Vec::new()).await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => return client_failure(e),
            Err(code) => return code,
        };
        println!("{hash}");
        if !op.wait {
            return ExitCode::SUCCESS;
        }
        match signer
            .wait_in_block(hash, Duration::from_secs(op.timeout_secs))
            .await
        {
            Ok(block) => {
                eprintln!("{} in block {block}", kind.name());
                ExitCode::SUCCESS
            }
            Err(e) => wait_failure(e),
        }
    })
    .unwrap_or_else(|code| code)
}

fn list(rpc: &str, chain: &str, json: bool) -> ExitCode {
    let chain = match parse_chain(chain) {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let client = match Client::new(rpc) {
        Ok(c) => c,
        Err(e) => return client_failure(e),
    };
    match block_on(client.neurons(chain)) {
        Err(code) => code,
        Ok(Err(e)) => client_failure(e),
        Ok(Ok(neurons)) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&neurons).expect("the API types serialize")
                );
            } else {
                print!("{}", format_neurons(&neurons));
            }
            ExitCode::SUCCESS
        }
    }
}
