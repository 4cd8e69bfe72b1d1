//! `bitai status`: what the node knows about a transaction, a chain, or every chain (with
//! each chain's Proof-of-Compute summary: neurons, models, open requests); and
//! the pieces the other client subcommands share (the runtime, the connection, waiting for
//! a stage, turning client errors into exit codes).

use super::{EXIT_BAD_INPUT, EXIT_FAILURE};
use bitai_protocol::{ChainId, Hash32};
use bitai_rpc::{ApiError, ChainInfo, Client, ClientError, PocInfo, Stage, TxStatus};
use clap::Args;
use std::future::Future;
use std::process::ExitCode;

/// Default node URL (the `[rpc]` default of the shipped configs).
pub const DEFAULT_RPC_URL: &str = "http://127.0.0.1:9180";

/// How often `--wait` asks the node.
pub const POLL_INTERVAL_MS: u64 = 500;

/// Show a transaction's stage, a chain's progress, or every chain.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bitai status                        # every chain: blocks, head, neurons, models, requests\n  \
    bitai status 3f2a...e1              # where a transaction stands\n  \
    bitai status --chain 9c41...07      # one chain's roots, progress and Proof-of-Compute\n  \
    bitai status --json                 # the node's answer as JSON\n\n\
    Exit codes: 0 answered; 1 the node is unreachable, failed, or does not know the \
    transaction or chain; 2 bad input.")]
pub struct StatusArgs {
    /// The node's JSON-RPC URL.
    #[arg(long, env = "BITAI_RPC", default_value = DEFAULT_RPC_URL)]
    pub rpc: String,
    /// A transaction hash (64 hex digits).
    #[arg(conflicts_with = "chain")]
    pub tx: Option<String>,
    /// A chain id (64 hex digits).
    #[arg(long)]
    pub chain: Option<String>,
    /// Print the node's answer as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Parses 64 hex digits naming `what`.
pub fn parse_hash(what: &str, s: &str) -> Result<Hash32, String> {
    if s.len() != 64 {
        return Err(format!(
            "{what}: expected 64 hex digits, got {} characters",
            s.len()
        ));
    }
    Hash32::from_hex(s).map_err(|e| format!("{what}: {e}"))
}

/// Parses a chain id.
pub fn parse_chain(s: &str) -> Result<ChainId, String> {
    parse_hash("chain id", s).map(ChainId)
}

/// Prints a bad-input message and returns exit code 2.
pub fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Prints a failure message and returns exit code 1.
pub fn failure(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_FAILURE)
}

/// Prints what went wrong with a call and returns its exit code: 2 when the node says our
/// input is invalid (or the URL is unusable), 1 otherwise.
pub fn client_failure(e: ClientError) -> ExitCode {
    match e {
        ClientError::BadUrl { .. } | ClientError::Api(ApiError::InvalidParams(_)) => bad_input(e),
        ClientError::Unreachable {
            ref url,
            ref reason,
        } => failure(format!(
            "the node at {url} does not answer ({reason}); is it running, and is its [rpc] \
             listen address this one?"
        )),
        other => failure(other),
    }
}

/// Runs `work` on a small runtime of its own (the client subcommands are one-shot).
pub fn block_on<F: Future>(work: F) -> Result<F::Output, ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failure(format!("starting the runtime: {e}")))?;
    Ok(rt.block_on(work))
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".into(), |v| v.to_string())
}

/// A transaction's status as `key value` lines.
pub fn format_tx(s: &TxStatus) -> String {
    let mut out = format!("tx       {}\n", s.hash);
    out += &format!("chain    {}\n", opt(&s.chain));
    out += &format!("stage    {}\n", s.stage.name());
    out += &format!("block    {}\n", opt(&s.block_number));
    if let Some(txid) = &s.bitcoin_txid {
        out += &format!("bitcoin  {txid} at height {}\n", opt(&s.bitcoin_height));
    }
    if let Some(reason) = &s.reason {
        out += &format!("reason   {reason}\n");
    }
    out
}

/// One chain as `key value` lines.
pub fn format_chain(c: &ChainInfo) -> String {
    let mut out = format!("chain     {}\n", c.id);
    out += &format!("name      {}\n", c.name);
    out += &format!(
        "proofs    {}, {} txs per block\n",
        c.proof_system, c.max_block_txs
    );
    out += &format!(
        "created   {}\n",
        c.created_height.map_or_else(
            || "pending (CreateChain not yet on Bitcoin)".into(),
            |h| { format!("at Bitcoin height {h}") }
        )
    );
    out += &format!(
        "verified  block {} root {}\n",
        c.verified_block, c.verified_root
    );
    out += &format!("final     block {} root {}\n", c.final_block, c.final_root);
    if let Some(s) = &c.sequencer {
        out += &format!(
            "sequencer head {} root {}, {} pending\n",
            s.head_block, s.state_root, s.pending
        );
        if let Some(u) = &s.supply {
            out += &format!(
                "supply    {} = balances {} + stakes {} + escrow {} + burned fees {} + slashed {}; \
                 nonces {} for {} transfers and {} ops\n",
                u.total,
                u.balances,
                u.stakes,
                u.escrow,
                u.fees_burned,
                u.slashed,
                u.nonces,
                u.transfers,
                u.signed_ops
            );
        }
    }
    out
}

/// Every chain as a table.
pub fn format_chains(chains: &[ChainInfo]) -> String {
    if chains.is_empty() {
        return "no chains\n".into();
    }
    let mut out = format!(
        "{:<64}  {:<16}  {:>8}  {:>8}  {:>8}  {:>8}  {:>7}\n",
        "CHAIN", "NAME", "CREATED", "VERIFIED", "FINAL", "HEAD", "PENDING"
    );
    for c in chains {
        let (head, pending) = c.sequencer.as_ref().map_or(("-".into(), "-".into()), |s| {
            (s.head_block.to_string(), s.pending.to_string())
        });
        out += &format!(
            "{:<64}  {:<16}  {:>8}  {:>8}  {:>8}  {:>8}  {:>7}\n",
            c.id.to_string(),
            c.name.chars().take(16).collect::<String>(),
            opt(&c.created_height),
            c.verified_block,
            c.final_block,
            head,
            pending
        );
    }
    out
}

/// A chain with its Proof-of-Compute summary (the JSON of `bitai status`: the chain's
/// fields, then `poc`, null when the node does not sequence the chain).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChainStatus {
    /// The chain.
    #[serde(flatten)]
    pub chain: ChainInfo,
    /// Its Proof-of-Compute summary, when this node sequences it.
    pub poc: Option<PocInfo>,
}

/// The Proof-of-Compute summary of `chain`, when the node sequences it (an older node
/// without the method, or a chain sequenced elsewhere, gives None).
pub async fn poc_of(client: &Client, chain: &ChainInfo) -> Result<Option<PocInfo>, ClientError> {
    if chain.sequencer.is_none() {
        return Ok(None);
    }
    match client.poc_summary(chain.id).await {
        Ok(p) => Ok(Some(p)),
        Err(ClientError::Api(ApiError::NotFound(_) | ApiError::Unavailable(_))) => Ok(None),
        Err(ClientError::Rpc { code: -32601, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn with_poc(client: &Client, chain: ChainInfo) -> Result<ChainStatus, ClientError> {
    let poc = poc_of(client, &chain).await?;
    Ok(ChainStatus { chain, poc })
}

/// A Proof-of-Compute summary as `key value` lines.
pub fn format_poc(p: &PocInfo) -> String {
    let mut out = format!(
        "poc       {} active neurons, {} models, {} open requests ({} made), {} op slots \
         per block\n",
        p.active_neurons, p.models_deployed, p.open_requests, p.requests_made, p.max_ops
    );
    for m in &p.models {
        out += &format!(
            "model     {} {} ({} bytes, owner {})\n",
            m.id, m.hash, m.size, m.owner
        );
    }
    out
}

fn format_status(s: &ChainStatus) -> String {
    let mut out = format_chain(&s.chain);
    if let Some(p) = &s.poc {
        out += &format_poc(p);
    }
    out
}

fn format_statuses(all: &[ChainStatus]) -> String {
    let chains: Vec<ChainInfo> = all.iter().map(|s| s.chain.clone()).collect();
    let mut out = format_chains(&chains);
    let pocs: Vec<_> = all
        .iter()
        .filter_map(|s| Some((&s.chain, s.poc.as_ref()?)))
        .collect();
    if !pocs.is_empty() {
        out += &format!(
            "\n{:<64}  {:>7}  {:>6}  {:>13}\n",
            "CHAIN", "NEURONS", "MODELS", "OPEN_REQUESTS"
        );
        for (c, p) in pocs {
            out += &format!(
                "{:<64}  {:>7}  {:>6}  {:>13}\n",
                c.id.to_string(),
                p.active_neurons,
                p.models_deployed,
                p.open_requests
            );
        }
    }
    out
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("the API types serialize") + "\n"
}

/// What `bitai status` asked for.
enum Query {
    Tx(Hash32),
    Chain(ChainId),
    All,
}

/// Runs `bitai status`.
pub fn run(args: StatusArgs) -> ExitCode {
    let query = match (&args.tx, &args.chain) {
        (Some(tx), _) => match parse_hash("transaction hash", tx) {
            Ok(h) => Query::Tx(h),
            Err(e) => return bad_input(e),
        },
        (None, Some(chain)) => match parse_chain(chain) {
            Ok(c) => Query::Chain(c),
            Err(e) => return bad_input(e),
        },
        (None, None) => Query::All,
    };
    let client = match Client::new(&args.rpc) {
        Ok(c) => c,
        Err(e) => return client_failure(e),
    };
    let outcome = block_on(async {
        match query {
            Query::Tx(hash) => client.transaction_status(hash).await.map(|s| {
                let known = s.stage != Stage::Unknown;
                let text = if args.json { json(&s) } else { format_tx(&s) };
                (text, known)
            }),
            Query::Chain(id) => match client.chain(id).await {
                Ok(Some(c)) => with_poc(&client, c).await.map(|c| {
                    let text = if args.json {
                        json(&c)
                    } else {
                        format_status(&c)
                    };
                    (text, true)
                }),
                Ok(None) => Ok((
                    if args.json {
                        "null\n".into()
                    } else {
                        String::new()
                    },
                    false,
                )),
                Err(e) => Err(e),
            },
            Query::All => match client.chains().await {
                Ok(cs) => {
                    let mut all = Vec::with_capacity(cs.len());
                    let mut failed = None;
                    for c in cs {
                        match with_poc(&client, c).await {
                            Ok(s) => all.push(s),
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    match failed {
                        Some(e) => Err(e),
                        None => {
                            let text = if args.json {
                                json(&all)
                            } else {
                                format_statuses(&all)
                            };
                            Ok((text, true))
                        }
                    }
                }
                Err(e) => Err(e),
            },
        }
    });
    match outcome {
        Err(code) => code,
        Ok(Err(e)) => client_failure(e),
        Ok(Ok((text, known))) => {
            print!("{text}");
            if known {
                ExitCode::SUCCESS
            } else {
                failure("the node does not know it")
            }
        }
    }
}
