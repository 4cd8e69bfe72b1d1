//! `bitai send`: sign an AI-chain transfer with a key file and hand it to the chain's
//! sequencer through the node's JSON-RPC. The nonce comes from the node unless given; the
//! signature binds the chain id, so a transfer signed for one chain is void on another.

use super::keygen::read_key;
use super::status::{
    bad_input, block_on, client_failure, failure, format_tx, parse_chain, DEFAULT_RPC_URL,
    POLL_INTERVAL_MS,
};
use bitai_chain::babyjubjub::{pack_point, unpack_point, Point};
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::tx::{Transfer, MAX_FEE};
use bitai_protocol::ChainId;
use bitai_rpc::{wait_for_stage, ApiError, Client, ClientError, Stage, WaitError};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Sign a transfer and send it to a chain's sequencer.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    bitai send --chain 9c41...07 --key alice.key --from 0 --to 1 \\\n    \
    --to-key $(bitai keygen --out bob.key) --amount 250 --fee 1 --wait final\n\n\
    Prints the transaction hash; with --wait it follows the transaction through pending, \
    in_l2_block, proven, inscribed, verified and final, and returns once it reaches the \
    stage asked for. Exit codes: 0 accepted (and the stage reached, with --wait); 1 the \
    sequencer refused it, the node failed or is unreachable, or --wait timed out; 2 bad \
    input.")]
pub struct SendArgs {
    /// The node's JSON-RPC URL.
    #[arg(long, env = "BITAI_RPC", default_value = DEFAULT_RPC_URL)]
    pub rpc: String,
    /// The chain id (64 hex digits).
    #[arg(long)]
    pub chain: String,
    /// The sender's key file (see `bitai keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// The sender's account index.
    #[arg(long)]
    pub from: u32,
    /// The recipient's account index.
    #[arg(long)]
    pub to: u32,
    /// The recipient's packed public key (64 hex digits, as `bitai keygen` prints it);
    /// creates the account if its slot is empty.
    #[arg(long)]
    pub to_key: String,
    /// Amount to move.
    #[arg(long)]
    pub amount: u64,
    /// Fee, burned; the sender pays amount + fee (the default is the shipped configs'
    /// `sequencer.min_fee`; a node with a higher minimum refuses less with its reason).
    #[arg(long, default_value_t = 1)]
    pub fee: u64,
    /// The sender's nonce (default: the node's value for the account).
    #[arg(long)]
    pub nonce: Option<u64>,
    /// Wait until the transaction reaches this stage (pending, in_l2_block, proven,
    /// inscribed, verified, final).
    #[arg(long)]
    pub wait: Option<Stage>,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
}

/// Parses a packed public key.
pub fn parse_public_key(s: &str) -> Result<Point, String> {
    let mut bytes = [0u8; 32];
    if s.len() != 64 {
        return Err(format!(
            "--to-key: expected 64 hex digits, got {} characters",
            s.len()
        ));
    }
    hex::decode_to_slice(s, &mut bytes).map_err(|e| format!("--to-key: {e}"))?;
    unpack_point(&bytes).map_err(|e| format!("--to-key: not a valid public key: {e}"))
}

/// Runs `bitai send`.
pub fn run(args: SendArgs) -> ExitCode {
    let chain = match parse_chain(&args.chain) {
        Ok(c) => c,
        Err(e) => return bad_input(e),
    };
    let to_public_key = match parse_public_key(&args.to_key) {
        Ok(p) => p,
        Err(e) => return bad_input(e),
    };
    if args.fee > MAX_FEE {
        return bad_input(format!("--fee is at most {MAX_FEE}"));
    }
    if let Some(Stage::Unknown | Stage::Rejected) = args.wait {
        return bad_input("--wait takes a stage from pending to final");
    }
    let key = match read_key(&args.key) {
        Ok(k) => k,
        Err(e) => return bad_input(e),
    };
    let client = match Client::new(&args.rpc) {
        Ok(c) => c,
        Err(e) => return client_failure(e),
    };
    block_on(send_with(&client, chain, &key, to_public_key, &args)).unwrap_or_else(|code| code)
}

async fn send_with(
    client: &Client,
    chain: ChainId,
    key: &PrivateKey,
    to_public_key: Point,
    args: &SendArgs,
) -> ExitCode {
    let nonce = match args.nonce {
        Some(n) => n,
        None => match client.account(chain, args.from).await {
            Ok(Some(account)) => {
                if account.public_key != pack_point(&key.public_key()) {
                    return bad_input(format!(
                        "account {} of chain {chain} belongs to another key than {}",
                        args.from,
                        args.key.display()
                    ));
                }
                account.nonce
            }
            Ok(None) => {
                return failure(format!(
                    "account {} does not exist on chain {chain}",
                    args.from
                ))
            }
            Err(e) => return client_failure(e),
        },
    };
    let signed = Transfer {
        from: args.from,
        to: args.to,
        to_public_key,
        amount: args.amount,
        fee: args.fee,
        nonce,
    }
    .sign(&chain, key);
    let expected = signed.hash();
    let hash = match client.send_transaction(chain, signed.to_bytes()).await {
        Ok(h) => h,
        // Sent before (a retry after a timeout, say): follow it like a new one.
        Err(ClientError::Api(ApiError::AlreadyKnown(reason))) => {
            eprintln!("already known: {reason}");
            expected
        }
        Err(e) => return client_failure(e),
    };
    if hash != expected {
        return failure(format!(
            "the node answered hash {hash}, but the transfer's hash is {expected}"
        ));
    }
    println!("{hash}");
    let Some(target) = args.wait else {
        return ExitCode::SUCCESS;
    };
    let waited = wait_for_stage(
        client,
        hash,
        target,
        Duration::from_secs(args.timeout_secs),
        Duration::from_millis(POLL_INTERVAL_MS),
    )
    .await;
    match waited {
        Ok(status) => {
            eprint!("{}", format_tx(&status));
            ExitCode::SUCCESS
        }
        Err(WaitError::Client(e)) => client_failure(e),
        Err(e) => failure(e),
    }
}
