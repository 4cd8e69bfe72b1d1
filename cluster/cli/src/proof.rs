//! `bitai proof`: fetch an AI chain's proofs from any node (`proof_fetch`), check them with
//! nothing but the files, and export them for snarkjs, so anyone can verify a chain's state
//! transitions with tools nobody here wrote.
//!
//! Files: the verifying key and the proof in gnark's binary format (what `CreateChain` and
//! `SubmitProof` carry), the public inputs as a JSON array of decimal strings (snarkjs'
//! `public.json`; for a block proof: chain id high and low halves, block number, previous
//! root, new root, DA commitment high and low halves).

use super::{EXIT_BAD_INPUT, EXIT_FAILURE};
use bitai_chain::field::{fr_from_decimal, Fr};
use bitai_proofs::verifier::{Groth16Verifier, ProofVerifier, VerifyError};
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Largest public-inputs file read, in bytes.
const MAX_PUBLIC_INPUTS_FILE_BYTES: u64 = 1 << 20;

/// Proof tools.
#[derive(Debug, Args)]
pub struct ProofArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ProofCommand,
}

/// The `proof` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProofCommand {
    /// Verify a Groth16 proof (gnark format) against a verifying key and public inputs.
    Verify {
        /// Verifying key, gnark binary format.
        #[arg(long)]
        vk: PathBuf,
        /// Proof, gnark binary format.
        #[arg(long)]
        proof: PathBuf,
        /// Public inputs, a JSON array of decimal strings (snarkjs' public.json).
        #[arg(long)]
        public_inputs: PathBuf,
    },
    /// Fetch a verified block's proof and its chain's verifying key from a node, checked
    /// (the key against the chain id, the public inputs against the block's statement), as
    /// the files `verify` and `export` read: `vk`, `proof`, `public-inputs`, `block.json`.
    #[command(after_help = "Example:\n  \
        bitai proof fetch --chain 9c41...07 --block 12 --out proof-12\n  \
        bitai proof verify --vk proof-12/vk --proof proof-12/proof --public-inputs proof-12/public-inputs\n\n\
        Exit codes: 0 written; 1 the node is unreachable, does not know the chain, has not \
        verified the block, or answered something that does not check; 2 bad input.")]
    Fetch {
        /// The node's JSON-RPC URL.
        #[arg(long, env = "BITAI_RPC", default_value = super::status::DEFAULT_RPC_URL)]
        rpc: String,
        /// The chain id (64 hex digits).
        #[arg(long, value_parser = super::status::parse_chain)]
        chain: bitai_protocol::ChainId,
        /// The L2 block number.
        #[arg(long)]
        block: u64,
        /// Directory to write the files into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Export a verifying key (and optionally a proof and its public inputs) for another tool.
    Export {
        /// Target format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Verifying key, gnark binary format.
        #[arg(long)]
        vk: PathBuf,
        /// Proof, gnark binary format (optional).
        #[arg(long, requires = "public_inputs")]
        proof: Option<PathBuf>,
        /// Public inputs of the proof, a JSON array of decimal strings.
        #[arg(long)]
        public_inputs: Option<PathBuf>,
        /// Directory to write `verification_key.json` (and `proof.json`, `public.json`) into.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// snarkjs' verification_key.json, proof.json and public.json.
    Snarkjs,
}

/// Why a command could not do its work.
#[derive(Debug, thiserror::Error)]
enum ProofCliError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: larger than {max} bytes")]
    TooLarge { path: String, max: u64 },
    #[error("{path}: {reason}")]
    BadInput { path: String, reason: String },
    #[error("{path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Runs a `proof` subcommand.
pub fn run(args: ProofArgs) -> ExitCode {
    let outcome = match args.command {
        ProofCommand::Fetch {
            rpc,
            chain,
            block,
            out,
        } => return super::proof_fetch::fetch(&rpc, chain, block, &out),
        ProofCommand::Verify {
            vk,
            proof,
            public_inputs,
        } => verify(&vk, &proof, &public_inputs),
        ProofCommand::Export {
            format: ExportFormat::Snarkjs,
            vk,
            proof,
            public_inputs,
            out,
        } => export_snarkjs(&vk, proof.as_deref(), public_inputs.as_deref(), &out),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, ProofCliError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| ProofCliError::Read {
        path: shown.clone(),
        source,
    })?;
    if meta.len() > max {
        return Err(ProofCliError::TooLarge { path: shown, max });
    }
    std::fs::read(path).map_err(|source| ProofCliError::Read {
        path: shown,
        source,
    })
}

fn read_public_inputs(path: &Path) -> Result<Vec<Fr>, ProofCliError> {
    let bad = |reason: String| ProofCliError::BadInput {
        path: path.display().to_string(),
        reason,
    };
    let bytes = read_limited(path, MAX_PUBLIC_INPUTS_FILE_BYTES)?;
    let values: Vec<String> = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("not a JSON array of strings: {e}")))?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| fr_from_decimal(v).map_err(|e| bad(format!("input {i}: {e}"))))
        .collect()
}

fn verify(vk: &Path, proof: &Path, public_inputs: &Path) -> Result<ExitCode, ProofCliError> {
    let vk_bytes = read_limited(vk, bitai_protocol::limits::MAX_VERIFYING_KEY_BYTES as u64)?;
    let proof_bytes = read_limited(proof, bitai_protocol::limits::MAX_PROOF_BYTES as u64)?;
    let inputs = read_public_inputs(public_inputs)?;
    match Groth16Verifier.verify(&vk_bytes, &proof_bytes, &inputs) {
        Ok(()) => {
            println!("OK: the proof verifies ({} public inputs)", inputs.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(VerifyError::Invalid) => {
            println!("INVALID: the proof does not verify for this key and these inputs");
            Ok(ExitCode::from(EXIT_FAILURE))
        }
        Err(e @ (VerifyError::BadKey(_) | VerifyError::BadProof(_))) => {
            Err(ProofCliError::BadInput {
                path: "input".into(),
                reason: e.to_string(),
            })
        }
        Err(e) => {
            println!("INVALID: {e}");
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

fn export_snarkjs(
    vk: &Path,
    proof: Option<&Path>,
    public_inputs: Option<&Path>,
    out: &Path,
) -> Result<ExitCode, ProofCliError> {
    let bad = |path: &Path, reason: String| ProofCliError::BadInput {
        path: path.display().to_string(),
        reason,
    };
    let vk_bytes = read_limited(vk, bitai_protocol::limits::MAX_VERIFYING_KEY_BYTES as u64)?;
    let key = bitai_proofs::gnark::read_vk(&vk_bytes).map_err(|e| bad(vk, e.to_string()))?;
    let mut files = vec![(
        "verification_key.json",
        bitai_proofs::snarkjs::verification_key(&key),
    )];
    if let (Some(proof), Some(public_inputs)) = (proof, public_inputs) {
        let bytes = read_limited(proof, bitai_protocol::limits::MAX_PROOF_BYTES as u64)?;
        let parsed =
            bitai_proofs::gnark::read_proof(&bytes).map_err(|e| bad(proof, e.to_string()))?;
        let inputs = read_public_inputs(public_inputs)?;
        if inputs.len() + 1 != key.ic.len() {
            return Err(bad(
                public_inputs,
                format!(
                    "{} inputs, the key expects {}",
                    inputs.len(),
                    key.ic.len() - 1
                ),
            ));
        }
        files.push(("proof.json", bitai_proofs::snarkjs::proof(&parsed)));
        files.push(("public.json", bitai_proofs::snarkjs::public(&inputs)));
    }
    std::fs::create_dir_all(out).map_err(|source| ProofCliError::Write {
        path: out.display().to_string(),
        source,
    })?;
    for (name, value) in files {
        let path = out.join(name);
        let text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
        std::fs::write(&path, text + "\n").map_err(|source| ProofCliError::Write {
            path: path.display().to_string(),
            source,
        })?;
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
    use bitai_proofs::groth16::Groth16Keys;
    use rand_chacha::rand_core::SeedableRng;

    /// A real proof of an empty block, written as the files a user would have.
    fn files(dir: &Path) -> (PathBuf, PathBuf, PathBuf, Vec<Fr>) {
        let config = CircuitConfig::new(1, 1);
        let blank = BlockCircuit::blank(config).expect("shape");
        let keys = Groth16Keys::devnet(blank.clone(), b"cli tests").expect("setup");
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let (proof, public) = keys.prove(blank, &mut rng).expect("prove");
        let vk_path = dir.join("chain.vk");
        let proof_path = dir.join("block.proof");
        let public_path = dir.join("public.json");
        std::fs::write(&vk_path, bitai_proofs::gnark::write_vk(keys.vk())).expect("write");
        std::fs::write(&proof_path, bitai_proofs::gnark::write_proof(&proof)).expect("write");
        write_public(&public_path, &public);
        (vk_path, proof_path, public_path, public)
    }

    fn write_public(path: &Path, public: &[Fr]) {
        let text = bitai_proofs::snarkjs::public(public).to_string();
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn verify_accepts_a_valid_proof_and_refuses_tampering() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (vk, proof, public, inputs) = files(dir.path());
        assert_eq!(
            verify(&vk, &proof, &public).expect("readable"),
            ExitCode::SUCCESS
        );

        let mut wrong = inputs.clone();
        wrong[2] += Fr::from(1u64);
        let wrong_path = dir.path().join("wrong.json");
        write_public(&wrong_path, &wrong);
        assert_eq!(
            verify(&vk, &proof, &wrong_path).expect("readable"),
            ExitCode::from(EXIT_FAILURE)
        );

        let garbage = dir.path().join("garbage.proof");
        std::fs::write(&garbage, [0xffu8; 128]).expect("write");
        assert!(matches!(
            verify(&vk, &garbage, &public),
            Err(ProofCliError::BadInput { .. })
        ));
        let not_json = dir.path().join("not.json");
        std::fs::write(&not_json, "[1, 2").expect("write");
        assert!(matches!(
            verify(&vk, &proof, &not_json),
            Err(ProofCliError::BadInput { .. })
        ));
        let missing = dir.path().join("missing.vk");
        assert!(matches!(
            verify(&missing, &proof, &public),
            Err(ProofCliError::Read { .. })
        ));
    }

    #[test]
    fn export_writes_the_three_snarkjs_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (vk, proof, public, inputs) = files(dir.path());
        let out = dir.path().join("snarkjs");
        assert_eq!(
            export_snarkjs(&vk, Some(&proof), Some(&public), &out).expect("exported"),
            ExitCode::SUCCESS
        );
        let read = |name: &str| -> serde_json::Value {
            serde_json::from_slice(&std::fs::read(out.join(name)).expect("written")).expect("json")
        };
        assert_eq!(read("verification_key.json")["nPublic"], inputs.len());
        assert_eq!(read("proof.json")["protocol"], "groth16");
        assert_eq!(
            read("public.json").as_array().map(Vec::len),
            Some(inputs.len())
        );
    }
}
