//! `bitai model deploy`: put a model file's bytes on the chain's DA through the node, then
//! record it on the chain with a signed `DeployModel` op (its hash halves and size). With
//! `--wait` it follows the op into an L2 block and reads the chain's model id back from the
//! Proof-of-Compute summary (the newest model with this hash and this owner).

use super::poc::{wait_failure, OpBody, SignerArgs};
use super::status::{bad_input, block_on, client_failure, failure};
use bitai_chain::poc::{hash_halves, PocKind};
use bitai_models::{CheckedModel, Limits};
use bitai_protocol::Hash32;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Put a model on a chain's DA and deploy it.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    bitai model deploy lenet5.model --chain 9c41...07 --key alice.key --account 0 --wait\n\n\
    The model file is checked (as `bitai model info` checks it) before anything is sent. \
    Prints the op id; with --wait, waits until the op is in an L2 block and prints the \
    model id the chain gave it (what `bitai infer --model-id` takes). Exit codes: 0 done; \
    1 the node refused the op or failed, is unreachable, or --wait timed out; 2 bad input \
    (an unreadable or invalid model file, a bad chain id or key).")]
pub struct DeployArgs {
    /// The model file (see `bitai model import`).
    pub model: PathBuf,
    /// Node, chain, signer and fee.
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Wait until the op is in a block and print the model id.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
}

/// Reads and checks a model file.
pub fn read_model(path: &std::path::Path) -> Result<CheckedModel, String> {
    let limits = Limits::default();
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > limits.file_bytes_max as u64 {
        return Err(format!(
            "{}: {} bytes, above the limit of {}",
            path.display(),
            meta.len(),
            limits.file_bytes_max
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    CheckedModel::decode(&bytes, &limits).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `bitai model deploy`.
pub fn run(args: DeployArgs) -> ExitCode {
    let model = match read_model(&args.model) {
        Ok(m) => m,
        Err(e) => return bad_input(e),
    };
    let signer = match args.signer.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let size = match u32::try_from(model.bytes().len()) {
        Ok(s) => s,
        Err(_) => return bad_input("the model is over 4 GiB"),
    };
    block_on(async {
        let hash = Hash32(model.id().0);
        match signer
            .client
            .put_model(signer.chain, model.bytes().to_vec())
            .await
        {
            Ok(h) if h == hash => {}
            Ok(h) => {
                return failure(format!(
                    "the node stored the model under {h}, but its hash is {hash}"
                ))
            }
            Err(e) => return client_failure(e),
        }
        eprintln!("model {hash} ({size} bytes) is on DA");
        let body = OpBody {
            kind: PocKind::DeployModel,
            target: 0,
            amount: u64::from(size),
            data: hash_halves(&hash),
        };
        let op = match signer.submit(body, Vec::new()).await {
            Ok(Ok(op)) => op,
            Ok(Err(e)) => return client_failure(e),
            Err(code) => return code,
        };
        if !args.wait {
            println!("{op}");
            return ExitCode::SUCCESS;
        }
        eprintln!("op {op}");
        if let Err(e) = signer
            .wait_in_block(op, Duration::from_secs(args.timeout_secs))
            .await
        {
            return wait_failure(e);
        }
        let summary = match signer.client.poc_summary(signer.chain).await {
            Ok(s) => s,
            Err(e) => return client_failure(e),
        };
        let id = summary
            .models
            .iter()
            .filter(|m| m.hash == hash && m.owner == signer.account)
            .map(|m| m.id)
            .max();
        match id {
            Some(id) => {
                println!("{id}");
                ExitCode::SUCCESS
            }
            None => failure(format!(
                "the op is in a block but the chain lists no model {hash} of account {}",
                signer.account
            )),
        }
    })
    .unwrap_or_else(|code| code)
}
