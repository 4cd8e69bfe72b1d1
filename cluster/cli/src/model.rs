//! `bitai model`: import a Keras model, run a model on files, describe a model file, and
//! deploy one on an AI chain (`model deploy`, in [`super::model_deploy`]).
//!
//! Files at the edges are little-endian float32. A run's input file holds whole samples;
//! each sample is every model input's values in order (row-major, no batch axis), and the
//! output file is written the same way. Exit codes: 0 done, 1 the work failed (a file could
//! not be written, a kernel failed), 2 bad input (unreadable or invalid files).

use super::{EXIT_BAD_INPUT, EXIT_FAILURE};
use bitai_kernels::CpuBackend;
use bitai_models::{import, CheckedModel, Executor, Limits};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Work with on-chain AI models.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ModelCommand,
}

/// The `model` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Convert a Keras 3 model (to_json config + float32 weights in layer order) to a model.
    Import {
        /// The output of Keras' `model.to_json()`.
        #[arg(long = "keras-json", value_name = "FILE")]
        keras_json: PathBuf,
        /// Little-endian float32: each layer's get_weights() in the config's layer order.
        #[arg(long, value_name = "FILE")]
        weights: PathBuf,
        /// Where to write the model file.
        #[arg(short = 'o', long = "output", value_name = "MODEL")]
        output: PathBuf,
    },
    /// Run a model on samples from a float32 file and write float32 outputs.
    Run {
        /// The model file.
        model: PathBuf,
        /// Little-endian float32 inputs, whole samples.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Where to write the little-endian float32 outputs.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// CPU threads (the result is the same for any count).
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// Check a model file and print its id, inputs, outputs and layers.
    Info {
        /// The model file.
        model: PathBuf,
    },
    /// Put a model on an AI chain's DA and deploy it with a signed op, through a node's
    /// JSON-RPC.
    Deploy(super::model_deploy::DeployArgs),
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
}

fn bad_input(message: impl std::fmt::Display) -> Failure {
    Failure {
        code: EXIT_BAD_INPUT,
        message: message.to_string(),
    }
}

fn failed(message: impl std::fmt::Display) -> Failure {
    Failure {
        code: EXIT_FAILURE,
        message: message.to_string(),
    }
}

/// Runs `bitai model ...`.
pub fn run(args: ModelArgs) -> ExitCode {
    let result = match args.command {
        ModelCommand::Import {
            keras_json,
            weights,
            output,
        } => import_cmd(&keras_json, &weights, &output),
        ModelCommand::Run {
            model,
            input,
            output,
            threads,
        } => run_cmd(&model, &input, &output, threads),
        ModelCommand::Info { model } => info_cmd(&model),
        ModelCommand::Deploy(args) => return super::model_deploy::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Reads a file of at most `max` bytes.
fn read_limited(path: &Path, max: usize) -> Result<Vec<u8>, Failure> {
    let len = std::fs::metadata(path).map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
    if len.len() > max as u64 {
        return Err(bad_input(format!(
            "{}: {} bytes, above the limit of {max}",
            path.display(),
            len.len()
        )));
    }
    std::fs::read(path).map_err(|e| bad_input(format!("{}: {e}", path.display())))
}

fn load(path: &Path, limits: &Limits) -> Result<CheckedModel, Failure> {
    let bytes = read_limited(path, limits.file_bytes_max)?;
    CheckedModel::decode(&bytes, limits).map_err(|e| bad_input(format!("{}: {e}", path.display())))
}

fn import_cmd(json: &Path, weights: &Path, output: &Path) -> Result<(), Failure> {
    let limits = Limits::default();
    let json_bytes = read_limited(json, limits.file_bytes_max)?;
    let json = String::from_utf8(json_bytes).map_err(|_| bad_input("config is not utf-8"))?;
    let weights = read_limited(weights, limits.file_bytes_max)?;
    let model = import(&json, &weights, &limits).map_err(bad_input)?;
    std::fs::write(output, model.bytes())
        .map_err(|e| failed(format!("{}: {e}", output.display())))?;
    println!(
        "model {} ({} bytes, {} weights) -> {}",
        model.id(),
        model.bytes().len(),
        model.param_count(),
        output.display()
    );
    Ok(())
}

fn run_cmd(model_path: &Path, input: &Path, output: &Path, threads: usize) -> Result<(), Failure> {
    let limits = Limits::default();
    let model = load(model_path, &limits)?;
    let sizes = model.input_sizes();
    let per_sample: usize = sizes.iter().sum();
    let bytes = read_limited(input, 1 << 30)?;
    if bytes.len() % 4 != 0 || bytes.is_empty() || (bytes.len() / 4) % per_sample != 0 {
        return Err(bad_input(format!(
            "{}: {} bytes is not a whole number of samples of {per_sample} float32 values",
            input.display(),
            bytes.len()
        )));
    }
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let backend = CpuBackend::new(threads).map_err(failed)?;
    let exec = Executor::new(&model, &backend);
    let mut out = Vec::new();
    let mut saturations = 0u64;
    for (n, sample) in values.chunks_exact(per_sample).enumerate() {
        let mut parts = Vec::with_capacity(sizes.len());
        let mut at = 0;
        for s in &sizes {
            parts.push(&sample[at..at + s]);
            at += s;
        }
        let (outs, sats) = exec.run_f32(&parts).map_err(|e| match e {
            bitai_models::RunError::Kernel { .. } => failed(format!("sample {n}: {e}")),
            _ => bad_input(format!("sample {n}: {e}")),
        })?;
        saturations += sats;
        for v in outs.iter().flatten() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(output, &out).map_err(|e| failed(format!("{}: {e}", output.display())))?;
    eprintln!(
        "model {}: {} samples, {saturations} saturations -> {}",
        model.id(),
        values.len() / per_sample,
        output.display()
    );
    Ok(())
}

fn info_cmd(path: &Path) -> Result<(), Failure> {
    let model = load(path, &Limits::default())?;
    let m = model.model();
    println!("id:      {}", model.id());
    println!("name:    {}", m.name);
    println!(
        "format:  version {}, {} bytes",
        bitai_models::format::FORMAT_VERSION,
        model.bytes().len()
    );
    println!("weights: {}", model.param_count());
    for (i, input) in m.inputs.iter().enumerate() {
        println!("input {i}: {} {:?}", input.name, model.shape(i));
    }
    for (i, &o) in m.outputs.iter().enumerate() {
        println!("output {i}: value {o} {:?}", model.shape(o as usize));
    }
    println!("layers:");
    for (i, node) in m.nodes.iter().enumerate() {
        let shape = model.shape(m.inputs.len() + i);
        println!(
            "  {i:>3} {:<24} {:<22} {:<16} {:>8} <- {:?}",
            node.name,
            node.layer.kind(),
            format!("{shape:?}"),
            node.layer.param_count(),
            node.inputs
        );
    }
    Ok(())
}
