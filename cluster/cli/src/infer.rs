//! `bitai infer`: ask an AI chain's neurons to run a deployed model on one input, wait for
//! the request to settle, and report who agreed, what was paid, refunded and slashed, and the
//! agreed output.
//!
//! The input is one sample of little-endian f32 (what `bitai model run --input` takes); it
//! rides in a signed `RequestInference` op as the payload, its SHA-256 halves in the op's data,
//! with `--escrow` moved from the requester's balance into the request. Neurons agree on the
//! canonical output (`bitai_neuron::output`: a tag, then the Q32.32 raw values; or a refusal
//! when the request cannot be answered); `--output` gets it converted by the neuron crate's
//! `output_to_f32_file`, bit for bit what `bitai model run --output` writes for the same model
//! and input. The client checks the node's answer: the output must hash to the agreed digest
//! and hold as many values as the model outputs. The input is checked by the rules neurons
//! apply (`input_values`), so a request they would refuse is not sent.

use super::model_deploy::read_model;
use super::poc::{wait_failure, OpBody, OpSigner, SignerArgs};
use super::status::{bad_input, block_on, client_failure, failure, POLL_INTERVAL_MS};
use super::EXIT_BAD_INPUT;
use bitai_chain::field::fr_to_be_bytes;
use bitai_chain::poc::{hash_halves, output_digest, PocKind, MAX_PAYLOAD_BYTES};
use bitai_models::{CheckedModel, Limits};
use bitai_neuron::output::{input_values, CanonicalOutput, MAX_OUTPUT_VALUES};
use bitai_protocol::Hash32;
use bitai_rpc::{ApiError, ClientError, NeuronInfo, RequestInfo};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code: the request settled without a quorum; the escrow was refunded.
pub const EXIT_NO_QUORUM: u8 = 3;
/// Exit code: the request did not settle (or the op did not land) in time.
pub const EXIT_TIMEOUT: u8 = 4;
/// Exit code: the sequencer refused the request.
pub const EXIT_REFUSED: u8 = 5;

/// Run a deployed model on the chain's neurons and wait for the agreed result.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bitai infer lenet5.model --input digit.f32 --output out.f32 \\\n    \
    --chain 9c41...07 --key alice.key --account 0 --escrow 30\n  \
    bitai infer --model-id 0 --input digit.f32 --chain 9c41...07 --key alice.key --account 0\n\n\
    MODEL is a model file (its SHA-256 is looked up among the chain's models) or --model-id \
    names the model. The input is one sample of little-endian float32. The command waits \
    until the request settles, prints the seats (who agreed, who was slashed), the share each \
    agreeing neuron was paid and the refund, and writes the agreed output to --output as \
    little-endian float32, exactly what `bitai model run --output` writes (without --output \
    the values are printed). Exit codes: 0 settled with a quorum; 1 the node failed, is \
    unreachable or answered something inconsistent; 2 bad input; 3 settled without a \
    quorum (escrow refunded); 4 timed out; 5 the sequencer refused the request. Exit 2 also \
    when the neurons agreed that the input cannot be answered (a canonical refusal).")]
pub struct InferArgs {
    /// The model file (or give --model-id).
    #[arg(required_unless_present = "model_id", conflicts_with = "model_id")]
    pub model: Option<PathBuf>,
    /// The chain's id of the model.
    #[arg(long)]
    pub model_id: Option<u32>,
    /// One sample of little-endian float32 inputs.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the agreed output, little-endian float32.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fee escrowed for the neurons (split among those who agree; refunded without a
    /// quorum).
    #[arg(long, default_value_t = 30)]
    pub escrow: u64,
    /// How long to wait for the request to land, and then to settle, in seconds (each).
    #[arg(long = "timeout-s", default_value_t = 600)]
    pub timeout_s: u64,
    /// Node, chain, signer and fee.
    #[command(flatten)]
    pub signer: SignerArgs,
}

fn code(c: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(c)
}

/// Reads the input file: one sample the neurons can run (their own check, `input_values`).
fn read_input(path: &std::path::Path, model: &CheckedModel) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let per_sample: usize = model.input_sizes().iter().sum();
    if meta.len() != (per_sample * 4) as u64 {
        return Err(format!(
            "{}: {} bytes, but one sample of the model is {per_sample} float32 values ({} bytes)",
            path.display(),
            meta.len(),
            per_sample * 4
        ));
    }
    if per_sample * 4 > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "one sample is {} bytes, over the op payload limit of {MAX_PAYLOAD_BYTES}",
            per_sample * 4
        ));
    }
    if model.output_sizes().iter().sum::<usize>() > MAX_OUTPUT_VALUES {
        return Err("the model's output is larger than a reveal can carry".into());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    input_values(model, &bytes).map_err(|r| format!("{}: {r}", path.display()))?;
    Ok(bytes)
}

/// The model a request names: (id, checked model).
async fn resolve_model(s: &OpSigner, args: &InferArgs) -> Result<(u32, CheckedModel), ExitCode> {
    let summary = s
        .client
        .poc_summary(s.chain)
        .await
        .map_err(client_failure)?;
    if let Some(path) = &args.model {
        let model = read_model(path).map_err(bad_input)?;
        let hash = Hash32(model.id().0);
        let id = summary.models.iter().find(|m| m.hash == hash).map(|m| m.id);
        return match id {
            Some(id) => Ok((id, model)),
            None => Err(failure(format!(
                "model {hash} is not deployed on chain {} (see `bitai model deploy`)",
                s.chain
            ))),
        };
    }
    let id = args.model_id.expect("clap requires MODEL or --model-id");
    let info = summary
        .models
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| failure(format!("chain {} has no model {id}", s.chain)))?;
    let bytes = s
        .client
        .model_bytes(info.hash)
        .await
        .map_err(client_failure)?
        .ok_or_else(|| failure(format!("the node's DA does not have model {}", info.hash)))?;
    let model = CheckedModel::decode(&bytes, &Limits::default())
        .map_err(|e| failure(format!("the node's bytes of model {id}: {e}")))?;
    if model.id().0 != info.hash.0 {
        return Err(failure(format!(
            "the node's bytes of model {id} do not match its hash"
        )));
    }
    Ok((id, model))
}

/// Runs `bitai infer`.
pub fn run(args: InferArgs) -> ExitCode {
    let signer = match args.signer.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(infer(&signer, &args)).unwrap_or_else(|code| code)
}

async fn infer(s: &OpSigner, args: &InferArgs) -> ExitCode {
    let (model_id, model) = match resolve_model(s, args).await {
        Ok(m) => m,
        Err(code) => return code,
    };
    let input = match read_input(&args.input, &model) {
        Ok(i) => i,
        Err(e) => return bad_input(e),
    };
    let (before, first_id) = match (
        s.client.neurons(s.chain).await,
        s.client.poc_summary(s.chain).await,
    ) {
        (Ok(n), Ok(p)) => (n, p.requests_made),
        (Err(e), _) | (_, Err(e)) => return client_failure(e),
    };
    let input_hash = Hash32::sha256(&input);
    let body = OpBody {
        kind: PocKind::RequestInference,
        target: model_id,
        amount: args.escrow,
        data: hash_halves(&input_hash),
    };
    let op = match s.submit(body, input).await {
        Ok(Ok(op)) => op,
        Ok(Err(ClientError::Api(e @ (ApiError::SequencerRejected(_) | ApiError::Busy(_))))) => {
            return code(EXIT_REFUSED, e)
        }
        Ok(Err(e)) => return client_failure(e),
        Err(code) => return code,
    };
    eprintln!("request op {op}");
    let timeout = Duration::from_secs(args.timeout_s);
    let block = match s.wait_in_block(op, timeout).await {
        Ok(b) => b,
        Err(bitai_rpc::WaitError::TimedOut { last, secs }) => {
            return code(
                EXIT_TIMEOUT,
                format!("the request op is still {} after {secs} s", last.name()),
            )
        }
        Err(e @ bitai_rpc::WaitError::Rejected(_)) => return code(EXIT_REFUSED, e),
        Err(e) => return wait_failure(e),
    };
    let request = match find_request(s, first_id, input_hash, model_id, block).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    eprintln!(
        "request {} in block {block}, seats {:?}",
        request.id,
        request.seats.iter().map(|x| x.account).collect::<Vec<_>>()
    );
    let settled = match wait_settled(s, request.id, timeout).await {
        Ok(r) => r,
        Err(code) => return code,
    };
    let after = match s.client.neurons(s.chain).await {
        Ok(n) => n,
        Err(e) => return client_failure(e),
    };
    print!("{}", report(&settled, &before, &after));
    if !settled.outcome.quorum {
        return code(
            EXIT_NO_QUORUM,
            "settled without a quorum: the escrow was refunded",
        );
    }
    finish_output(&settled, &model, args.output.as_deref())
}

/// The request our op made: the newest from `first_id` on with our account, model, input
/// and block.
async fn find_request(
    s: &OpSigner,
    first_id: u32,
    input_hash: Hash32,
    model_id: u32,
    block: u64,
) -> Result<RequestInfo, ExitCode> {
    let made = s
        .client
        .poc_summary(s.chain)
        .await
        .map_err(client_failure)?
        .requests_made;
    for id in (first_id..made).rev() {
        let r = s
            .client
            .request(s.chain, id)
            .await
            .map_err(client_failure)?;
        if let Some(r) = r.filter(|r| {
            r.requester == s.account
                && r.input_hash == input_hash
                && r.model == model_id
                && r.created_block == block
        }) {
            return Ok(r);
        }
    }
    Err(failure(format!(
        "the request op is in block {block}, but the chain shows no request of it"
    )))
}

/// Polls request `id` until it is settled (exit code 4 once `timeout` passes, counted in
/// polls).
async fn wait_settled(s: &OpSigner, id: u32, timeout: Duration) -> Result<RequestInfo, ExitCode> {
    let polls = (timeout.as_millis() / u128::from(POLL_INTERVAL_MS)).max(1);
    let mut last = (0usize, 0usize);
    for i in 0..=polls {
        let r = s
            .client
            .request(s.chain, id)
            .await
            .map_err(client_failure)?
            .ok_or_else(|| failure(format!("request {id} disappeared")))?;
        if r.settled {
            return Ok(r);
        }
        let now = (
            r.seats.iter().filter(|x| x.committed).count(),
            r.seats.iter().filter(|x| x.revealed).count(),
        );
        if now != last {
            eprintln!("  {} committed, {} revealed", now.0, now.1);
            last = now;
        }
        if i < polls {
            tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
        }
    }
    Err(code(
        EXIT_TIMEOUT,
        format!("request {id} did not settle in {} s", timeout.as_secs()),
    ))
}

/// The settled request as lines: seats, payments, refund, slashing.
pub fn report(r: &RequestInfo, before: &[NeuronInfo], after: &[NeuronInfo]) -> String {
    let slashed_now = |account: u32| {
        let of = |list: &[NeuronInfo]| {
            list.iter()
                .find(|n| n.account == account)
                .map_or(0, |n| n.slashed)
        };
        of(after).saturating_sub(of(before))
    };
    let mut out = format!(
        "request  {} (model {}, escrow {})\n",
        r.id, r.model, r.escrow
    );
    out += &format!(
        "outcome  {}\n",
        if r.outcome.quorum {
            format!("quorum of {} seats", r.outcome.agreeing_seats.len())
        } else {
            "no quorum".into()
        }
    );
    out += "SEAT  ACCOUNT  COMMITTED  REVEALED  AGREED  PAID  SLASHED\n";
    for seat in &r.seats {
        let paid = if seat.agreed && r.outcome.quorum {
            r.outcome.share
        } else {
            0
        };
        let slashed = if seat.slashed {
            slashed_now(seat.account)
        } else {
            0
        };
        out += &format!(
            "{:>4}  {:>7}  {:>9}  {:>8}  {:>6}  {:>4}  {:>7}\n",
            seat.seat, seat.account, seat.committed, seat.revealed, seat.agreed, paid, slashed
        );
    }
    out += &format!("refund   {} to account {}\n", r.outcome.refund, r.requester);
    out
}

fn finish_output(
    r: &RequestInfo,
    model: &CheckedModel,
    path: Option<&std::path::Path>,
) -> ExitCode {
    let Some(output) = &r.output else {
        return failure("the request settled with a quorum but the node has no output bytes");
    };
    if r.outcome.result_digest != Some(fr_to_be_bytes(&output_digest(output))) {
        return failure("the node's output bytes do not hash to the agreed result");
    }
    let values = match CanonicalOutput::from_bytes(output) {
        Ok(CanonicalOutput::Values(v)) => v.len(),
        Ok(CanonicalOutput::Refused(reason)) => {
            return code(
                EXIT_BAD_INPUT,
                format!("the neurons agreed the request cannot be answered: {reason}"),
            )
        }
        Err(e) => return failure(format!("the agreed output: {e}")),
    };
    let expected: usize = model.output_sizes().iter().sum();
    if values != expected {
        return failure(format!(
            "the agreed output has {values} values, the model outputs {expected}"
        ));
    }
    let floats = match bitai_neuron::output_to_f32_file(output) {
        Ok(f) => f,
        Err(e) => return failure(format!("the agreed output: {e}")),
    };
    match path {
        Some(p) => match std::fs::write(p, &floats) {
            Ok(()) => {
                eprintln!(
                    "output: {} float32 values -> {}",
                    floats.len() / 4,
                    p.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => failure(format!("{}: {e}", p.display())),
        },
        None => {
            let values: Vec<String> = floats
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")).to_string())
                .collect();
            println!("output   {}", values.join(" "));
            ExitCode::SUCCESS
        }
    }
}
