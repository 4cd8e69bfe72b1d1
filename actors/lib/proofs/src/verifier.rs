//! Proof verification behind a small interface keyed by the proof system a chain registers,
//! for the verifier contract of the state machine: [`verifier_for`] gives the
//! [`Groth16Verifier`] for `ProofSystem::Groth16Bn254` and the [`SimulationVerifier`] for
//! `ProofSystem::SimulationOnly`.
//!
//! **`SimulationOnly` proves nothing about execution** (see [`simulation`]): its "proof" is a
//! hash of the public inputs that anyone can compute. Only simulated chains may register it,
//! and that is enforced by the state machine and the mempool (`allow_simulation_only`), not
//! here.
//!
//! The Groth16 implementation parses the key and the proof with our strict gnark parser
//! ([`crate::gnark`]; the bytes of a key once, then remembered by hash), checks the number
//! of public inputs, and only then calls `gnark_bn254_verifier::verify`, inside
//! `catch_unwind` as a last line of defence: malformed bytes are a typed error, never a
//! panic in an actor.

use crate::circuit::{PublicInputs, NUM_PUBLIC_INPUTS};
use crate::gnark::{self, GnarkError};
use ark_ff::{BigInteger, PrimeField};
use bitai_chain::field::{fr_from_hash, FieldError, Fr};
use bitai_protocol::{ProofSystem, SubmitProof};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Mutex;

pub mod simulation;
pub use simulation::{
    simulation_proof, SimulationVerifier, SIMULATION_PROOF_BYTES, SIMULATION_PROOF_DOMAIN,
    SIMULATION_VK,
};

/// Why a proof was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// No verifier for this proof system here.
    #[error("no verifier for proof system {0:?}")]
    Unsupported(ProofSystem),
    /// The verifying key does not parse.
    #[error("verifying key: {0}")]
    BadKey(GnarkError),
    /// The proof does not parse.
    #[error("proof: {0}")]
    BadProof(GnarkError),
    /// The number of public inputs does not match the key.
    #[error("{got} public inputs, the key expects {expected}")]
    PublicInputCount {
        /// Inputs the key expects.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
    /// A public input is not a field element (a state root at or above the modulus).
    #[error("public input: {0}")]
    BadPublicInput(FieldError),
    /// The key's G1 copies of beta or delta do not match its G2 ones.
    #[error("verifying key is not self-consistent")]
    InconsistentKey,
    /// The pairing check failed: the proof is not valid for this key and these inputs.
    #[error("proof does not verify")]
    Invalid,
    /// A `SimulationOnly` key must be empty ([`SIMULATION_VK`]).
    #[error("a simulation-only verifying key must be empty")]
    NotSimulationKey,
    /// The proof has the wrong length for its system.
    #[error("proof has {got} bytes, expected {expected}")]
    ProofLength {
        /// Bytes the system's proofs have.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// The underlying verifier panicked on input our parser accepted (a bug to report).
    #[error("verifier panicked on accepted input")]
    VerifierPanicked,
}

/// A proof system's verifier.
pub trait ProofVerifier: Send + Sync {
    /// The proof system this verifier checks.
    fn system(&self) -> ProofSystem;

    /// Checks that `vk` is a well-formed, self-consistent key of this system (at chain
    /// registration).
    fn check_key(&self, vk: &[u8]) -> Result<(), VerifyError>;

    /// Verifies `proof` against `vk` and the public inputs (without the leading one).
    fn verify(&self, vk: &[u8], proof: &[u8], public_inputs: &[Fr]) -> Result<(), VerifyError>;
}

/// Groth16 over BN254 in gnark's format, checked by gnark-bn254-verifier.
#[derive(Clone, Copy, Debug, Default)]
pub struct Groth16Verifier;

impl ProofVerifier for Groth16Verifier {
    fn system(&self) -> ProofSystem {
        ProofSystem::Groth16Bn254
    }

    fn check_key(&self, vk: &[u8]) -> Result<(), VerifyError> {
        let key = gnark::read_vk(vk).map_err(VerifyError::BadKey)?;
        if gnark::vk_is_consistent(&key) {
            Ok(())
        } else {
            Err(VerifyError::InconsistentKey)
        }
    }

    fn verify(&self, vk: &[u8], proof: &[u8], public_inputs: &[Fr]) -> Result<(), VerifyError> {
        let ic_len = validated_key(vk)?;
        if ic_len != public_inputs.len() + 1 {
            return Err(VerifyError::PublicInputCount {
                expected: ic_len - 1,
                got: public_inputs.len(),
            });
        }
        gnark::read_proof(proof).map_err(VerifyError::BadProof)?;
        let inputs: Vec<gnark_bn254_verifier::Fr> = public_inputs.iter().map(to_gnark_fr).collect();
        let proof_body = &proof[..gnark::PROOF_BYTES];
        let outcome = std::panic::catch_unwind(|| {
            gnark_bn254_verifier::verify(
                proof_body,
                vk,
                &inputs,
                gnark_bn254_verifier::ProvingSystem::Groth16,
            )
        });
        match outcome {
            Ok(true) => Ok(()),
            Ok(false) => Err(VerifyError::Invalid),
            Err(_) => {
                tracing::error!("gnark-bn254-verifier panicked on input our parser accepted");
                Err(VerifyError::VerifierPanicked)
            }
        }
    }
}

/// Keys that passed [`gnark::read_vk`], by SHA-256 of their bytes, with their `K` count: a
/// chain's key is verified against on every proof, and its six G2 subgroup checks are most of
/// our parsing cost. Bounded; cleared when full.
static VALIDATED_KEYS: Mutex<BTreeMap<[u8; 32], usize>> = Mutex::new(BTreeMap::new());
/// Most keys remembered.
const VALIDATED_KEYS_MAX: usize = 1024;

/// Parses `vk` unless these exact bytes were parsed before; returns its number of `K` points.
fn validated_key(vk: &[u8]) -> Result<usize, VerifyError> {
    let digest: [u8; 32] = Sha256::digest(vk).into();
    let cached = VALIDATED_KEYS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&digest)
        .copied();
    if let Some(ic_len) = cached {
        return Ok(ic_len);
    }
    let ic_len = gnark::read_vk(vk).map_err(VerifyError::BadKey)?.ic.len();
    let mut keys = VALIDATED_KEYS.lock().unwrap_or_else(|p| p.into_inner());
    if keys.len() >= VALIDATED_KEYS_MAX {
        keys.clear();
    }
    keys.insert(digest, ic_len);
    Ok(ic_len)
}

/// The verifier of `system`, if this build has one. `SimulationOnly` has one, and it proves
/// nothing about execution: callers decide whether a chain may use it.
pub fn verifier_for(system: ProofSystem) -> Result<&'static dyn ProofVerifier, VerifyError> {
    static GROTH16: Groth16Verifier = Groth16Verifier;
    static SIMULATION: SimulationVerifier = SimulationVerifier;
    match system {
        ProofSystem::Groth16Bn254 => Ok(&GROTH16),
        ProofSystem::SimulationOnly => Ok(&SIMULATION),
        other => Err(VerifyError::Unsupported(other)),
    }
}

/// The statement a `SubmitProof` claims (its roots must be field elements).
pub fn submit_proof_statement(tx: &SubmitProof) -> Result<PublicInputs, VerifyError> {
    Ok(PublicInputs {
        chain_id: tx.chain_id,
        block_number: tx.block_number,
        prev_root: fr_from_hash(&tx.prev_state_root).map_err(VerifyError::BadPublicInput)?,
        new_root: fr_from_hash(&tx.new_state_root).map_err(VerifyError::BadPublicInput)?,
        da_commitment: tx.da_commitment,
    })
}

/// The public inputs a `SubmitProof` claims, as the block circuit orders them.
pub fn submit_proof_inputs(tx: &SubmitProof) -> Result<Vec<Fr>, VerifyError> {
    let inputs = submit_proof_statement(tx)?.to_field_elements();
    debug_assert_eq!(inputs.len(), NUM_PUBLIC_INPUTS);
    Ok(inputs)
}

/// The verifier contract's check of a `SubmitProof` against the chain's registered key.
pub fn verify_submit_proof(
    system: ProofSystem,
    vk: &[u8],
    tx: &SubmitProof,
) -> Result<(), VerifyError> {
    let inputs = submit_proof_inputs(tx)?;
    verifier_for(system)?.verify(vk, &tx.proof, &inputs)
}

#[cfg(test)]
mod tests;

/// Our field element as the verifier's (ark-bn254 0.4), through integers.
fn to_gnark_fr(x: &Fr) -> gnark_bn254_verifier::Fr {
    let bytes = x.into_bigint().to_bytes_le();
    let lo = u128::from_le_bytes(bytes[..16].try_into().expect("16 bytes"));
    let hi = u128::from_le_bytes(bytes[16..].try_into().expect("16 bytes"));
    let two_64 = gnark_bn254_verifier::Fr::from(1u128 << 64);
    gnark_bn254_verifier::Fr::from(hi) * two_64 * two_64 + gnark_bn254_verifier::Fr::from(lo)
}
