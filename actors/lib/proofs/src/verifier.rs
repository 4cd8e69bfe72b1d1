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
//! ([`crate::gnark`]; the bytes of a key once, then kept prepared by hash: [`prepared`]),
//! checks the number of public inputs, and only then runs the pairing check (ark-groth16 on
//! the prepared key), inside `catch_unwind` as a last line of defence: malformed bytes are a
//! typed error, never a panic in an actor. gnark-bn254-verifier, which re-parses and
//! re-prepares the key on every call, is the reference it is tested against.

use crate::circuit::{PublicInputs, NUM_PUBLIC_INPUTS};
use crate::gnark::{self, GnarkError};
use bitai_chain::field::{fr_from_hash, FieldError, Fr};
use bitai_protocol::{ProofSystem, SubmitProof};

pub mod prepared;
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
        let key = prepared::prepared(vk)?;
        if key.inputs != public_inputs.len() {
            return Err(VerifyError::PublicInputCount {
                expected: key.inputs,
                got: public_inputs.len(),
            });
        }
        let proof = gnark::read_proof(proof).map_err(VerifyError::BadProof)?;
        let outcome = std::panic::catch_unwind(|| prepared::verify(&key, &proof, public_inputs));
        match outcome {
            Ok(true) => Ok(()),
            Ok(false) => Err(VerifyError::Invalid),
            Err(_) => {
                tracing::error!("the pairing check panicked on input our parser accepted");
                Err(VerifyError::VerifierPanicked)
            }
        }
    }
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

/// Our field element as gnark-bn254-verifier's (ark-bn254 0.4), through integers: the
/// tests check the prepared path against it.
#[cfg(test)]
fn to_gnark_fr(x: &Fr) -> gnark_bn254_verifier::Fr {
    use ark_ff::{BigInteger, PrimeField};
    let bytes = x.into_bigint().to_bytes_le();
    let lo = u128::from_le_bytes(bytes[..16].try_into().expect("16 bytes"));
    let hi = u128::from_le_bytes(bytes[16..].try_into().expect("16 bytes"));
    let two_64 = gnark_bn254_verifier::Fr::from(1u128 << 64);
    gnark_bn254_verifier::Fr::from(hi) * two_64 * two_64 + gnark_bn254_verifier::Fr::from(lo)
}
