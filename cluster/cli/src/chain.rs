//! `bitai chain create`: a new AI chain in one command. It makes (or reads) the creator's
//! key, asks the node which verifying key its provers use for the chosen block size, builds
//! the genesis (the creator's account at index 0 holding the whole supply, tree depth 16)
//! and the `CreateChain` naming its root, and hands both to the node, which starts the
//! chain's sequencer and puts the `CreateChain` on Bitcoin. It prints the chain id.

use super::keygen::{generate, public_hex, read_key, write_key};
use super::status::{bad_input, block_on, client_failure, failure, DEFAULT_RPC_URL};
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::poc::PocParams;
use bitai_protocol::ChainId;
use bitai_rpc::genesis::DEFAULT_TREE_DEPTH;
use bitai_rpc::types::parse_proof_system;
use bitai_rpc::{build_chain_from, Client, GenesisAccountSpec, GenesisSpec};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// AI chains.
#[derive(Debug, Args)]
pub struct ChainArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ChainCommand,
}

/// The `chain` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Create an AI chain: keys, genesis, CreateChain, registration; prints its id.
    Create(CreateArgs),
}

/// `bitai chain create`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    bitai chain create --rpc http://127.0.0.1:9180 --key alice.key --name demo \\\n    \
    --supply 1000000 --block-txs 4 --wait\n\n\
    Makes alice.key first if it does not exist, funds account 0 with the supply under that \
    key, and prints the chain id. The chain takes Proof-of-Compute ops (neurons, models, \
    inference requests) in the op slots and with the parameters of the node's circuit. With --wait it returns once the CreateChain is in a \
    Bitcoin block the node has indexed. Exit codes: 0 created (and registered, with \
    --wait); 1 the node refused, failed, is unreachable, or --wait timed out; 2 bad input.")]
pub struct CreateArgs {
    /// The node's JSON-RPC URL.
    #[arg(long, env = "BITAI_RPC", default_value = DEFAULT_RPC_URL)]
    pub rpc: String,
    /// The creator's key file (made with a fresh key if it does not exist).
    #[arg(long)]
    pub key: PathBuf,
    /// The chain's name (at most 64 bytes; not unique, the id is).
    #[arg(long, default_value = "ai-chain")]
    pub name: String,
    /// Balance of the creator's account (index 0) at genesis.
    #[arg(long, default_value_t = 1_000_000_000)]
    pub supply: u64,
    /// Transactions per L2 block (the circuit size; the node must have a key for it).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub block_txs: u32,
    /// Proof-of-Compute op slots per L2 block (default: the node's circuit for --block-txs;
    /// 2 when the node proves any shape; 0: the chain takes no ops).
    #[arg(long)]
    pub block_ops: Option<u32>,
    /// Salt of the CreateChain, so equal parameters give distinct ids (default: random).
    #[arg(long)]
    pub salt: Option<u64>,
    /// Wait until the chain is registered on the BitAI side.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
}

/// Op slots per block of a new chain when the node proves any shape (the shipped configs'
/// `chain.block_ops`).
pub const DEFAULT_BLOCK_OPS: u32 = 2;

/// A random salt from the operating system (the CLI runs on the user's machine, outside
/// the deterministic actors).
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
fn random_salt() -> u64 {
    use rand::RngCore;
    rand::rngs::OsRng.next_u64()
}

/// Runs `bitai chain`.
pub fn run(args: ChainArgs) -> ExitCode {
    match args.command {
        ChainCommand::Create(a) => create(a),
    }
}

fn load_or_make_key(path: &std::path::Path) -> Result<PrivateKey, ExitCode> {
    if path.exists() {
        return read_key(path).map_err(bad_input);
    }
    let key = generate();
    write_key(path, &key, false).map_err(failure)?;
    eprintln!(
        "no key file at {}: made a new key there (public key {})",
        path.display(),
        public_hex(&key)
    );
    Ok(key)
}

fn create(args: CreateArgs) -> ExitCode {
    if args.name.len() > bitai_protocol::limits::MAX_CHAIN_NAME_BYTES {
        return bad_input(format!(
            "--name is {} bytes, the most is {}",
            args.name.len(),
            bitai_protocol::limits::MAX_CHAIN_NAME_BYTES
        ));
    }
    let client = match Client::new(&args.rpc) {
        Ok(c) => c,
        Err(e) => return client_failure(e),
    };
    let key = match load_or_make_key(&args.key) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let salt = args.salt.unwrap_or_else(random_salt);
    block_on(create_with(&client, &key, &args, salt)).unwrap_or_else(|code| code)
}

async fn create_with(client: &Client, key: &PrivateKey, args: &CreateArgs, salt: u64) -> ExitCode {
    let circuit = match client.circuit_key(args.block_txs).await {
        Ok(c) => c,
        Err(e) => return client_failure(e),
    };
    let Some(system) = parse_proof_system(&circuit.proof_system) else {
        return failure(format!(
            "the node's provers use proof system {:?}, which this client does not know",
            circuit.proof_system
        ));
    };
    let genesis = GenesisSpec {
        tree_depth: DEFAULT_TREE_DEPTH,
        max_block_txs: args.block_txs,
        max_block_ops: args
            .block_ops
            .or(circuit.max_block_ops)
            .unwrap_or(DEFAULT_BLOCK_OPS),
        poc: circuit.poc.unwrap_or(PocParams::DEFAULT),
        accounts: vec![GenesisAccountSpec {
            index: 0,
            public_key: pack_point(&key.public_key()),
            balance: args.supply,
        }],
    };
    let ops = genesis.max_block_ops;
    let (genesis, create, bytes) =
        match build_chain_from(genesis, &args.name, system, circuit.verifying_key, salt) {
            Ok(built) => built,
            Err(e) => return bad_input(e),
        };
    let expected = create.chain_id();
    let id = match client.create_chain(bytes, genesis).await {
        Ok(id) => id,
        Err(e) => return client_failure(e),
    };
    if id != expected {
        return failure(format!(
            "the node answered chain id {id}, but the CreateChain's id is {expected}"
        ));
    }
    println!("{id}");
    eprintln!(
        "chain {:?} created: {} txs and {ops} ops per block, {} at account 0",
        args.name, args.block_txs, args.supply
    );
    if args.wait {
        eprintln!("waiting for the CreateChain to land on Bitcoin...");
        return match wait_registered(client, id, Duration::from_secs(args.timeout_secs)).await {
            Ok(height) => {
                eprintln!("registered at Bitcoin height {height}");
                ExitCode::SUCCESS
            }
            Err(code) => code,
        };
    }
    ExitCode::SUCCESS
}

/// Polls the chain until the BitAI side shows it registered; its Bitcoin height.
async fn wait_registered(client: &Client, id: ChainId, timeout: Duration) -> Result<u64, ExitCode> {
    let interval = Duration::from_millis(super::status::POLL_INTERVAL_MS);
    let polls = (timeout.as_millis() / interval.as_millis()).max(1);
    for i in 0..=polls {
        match client.chain(id).await {
            Ok(Some(c)) => {
                if let Some(h) = c.created_height {
                    return Ok(h);
                }
            }
            Ok(None) => {}
            Err(e) => return Err(client_failure(e)),
        }
        if i < polls {
            tokio::time::sleep(interval).await;
        }
    }
    Err(failure(format!(
        "chain {id} not registered after {} s",
        timeout.as_secs()
    )))
}
