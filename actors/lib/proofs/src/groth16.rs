//! Groth16 over BN254 with our own prover on halo2curves.
//!
//! [`Groth16Keys`] bundles what proving one circuit shape needs, loaded once: the R1CS
//! matrices ([`r1cs`]), the FFT domain ([`domain`]) and the proving key in MSM-ready form
//! ([`keys`]). Keys come from a deterministic devnet setup ([`setup`]; not secure, and it
//! says so) and are cached on disk by circuit digest and seed. The digest covers every
//! matrix entry, so it tells apart every block-circuit shape: tree depth, `max_txs`,
//! `max_ops` and the Proof-of-Compute parameters (constants in the op slots' constraints)
//! all change it, and two shapes never share a key file.

pub mod domain;
pub mod fixed_base;
pub mod keys;
pub mod prover;
pub mod r1cs;
pub mod setup;

use ark_relations::r1cs::{ConstraintSynthesizer, SynthesisError};
use bitai_chain::field::Fr as ArkFr;
use domain::Domain;
use keys::{KeyFileError, Proof, ProvingKey, VerifyingKey};
use prover::ProveError;
use r1cs::R1cs;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why keys could not be made or a proof produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Groth16Error {
    /// Circuit synthesis failed.
    #[error("synthesis: {0}")]
    Synthesis(#[from] SynthesisError),
    /// The setup failed.
    #[error("setup: {0}")]
    Setup(#[from] setup::SetupError),
    /// The domain is too large.
    #[error("domain: {0}")]
    Domain(#[from] domain::DomainError),
    /// Proving failed.
    #[error("prove: {0}")]
    Prove(#[from] ProveError),
    /// The key cache failed.
    #[error("key cache: {0}")]
    KeyFile(#[from] KeyFileError),
}

/// Everything needed to prove one circuit shape.
#[derive(Clone, Debug)]
pub struct Groth16Keys {
    /// The constraint matrices.
    pub r1cs: R1cs,
    /// The FFT domain.
    pub domain: Domain,
    /// The proving key (with the verifying key inside).
    pub pk: ProvingKey,
}

impl Groth16Keys {
    /// Devnet keys for the circuit shape of `blank` (its witness values are ignored).
    pub fn devnet<C: ConstraintSynthesizer<ArkFr>>(
        blank: C,
        seed: &[u8],
    ) -> Result<Self, Groth16Error> {
        let r1cs = R1cs::from_circuit(blank)?;
        let pk = setup::devnet_setup(&r1cs, seed)?;
        let domain = Domain::for_size(r1cs.num_constraints() + r1cs.num_instance)?;
        Ok(Groth16Keys { r1cs, domain, pk })
    }

    /// Like [`Groth16Keys::devnet`], but loads the key from `cache_dir` when a key for this
    /// circuit and seed is there, and stores a new one there otherwise.
    pub fn devnet_cached<C: ConstraintSynthesizer<ArkFr>>(
        blank: C,
        seed: &[u8],
        cache_dir: &Path,
    ) -> Result<Self, Groth16Error> {
        let r1cs = R1cs::from_circuit(blank)?;
        let digest = r1cs.digest();
        let domain = Domain::for_size(r1cs.num_constraints() + r1cs.num_instance)?;
        let path = cache_path(cache_dir, &digest, seed);
        if let Ok(bytes) = std::fs::read(&path) {
            match ProvingKey::from_bytes(&bytes, &digest) {
                Ok(pk) => {
                    tracing::info!(path = %path.display(), "loaded cached devnet proving key");
                    return Ok(Groth16Keys { r1cs, domain, pk });
                }
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "ignoring cached key"),
            }
        }
        let pk = setup::devnet_setup(&r1cs, seed)?;
        std::fs::create_dir_all(cache_dir).map_err(KeyFileError::Io)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, pk.to_bytes()).map_err(KeyFileError::Io)?;
        std::fs::rename(&tmp, &path).map_err(KeyFileError::Io)?;
        Ok(Groth16Keys { r1cs, domain, pk })
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey {
        &self.pk.vk
    }

    /// Proves `circuit` (which must have this shape); returns the proof and the public
    /// inputs (without the leading one).
    pub fn prove<C: ConstraintSynthesizer<ArkFr>>(
        &self,
        circuit: C,
        rng: &mut impl RngCore,
    ) -> Result<(Proof, Vec<ArkFr>), Groth16Error> {
        let (z, public) = r1cs::assignment(circuit)?;
        let proof = prover::prove(&self.pk, &self.r1cs, &self.domain, &z, rng)?;
        Ok((proof, public))
    }
}

fn cache_path(dir: &Path, digest: &[u8; 32], seed: &[u8]) -> PathBuf {
    let mut h = Sha256::new();
    h.update(digest);
    h.update(seed);
    let id = hex::encode(&h.finalize()[..12]);
    dir.join(format!("groth16-devnet-{id}.pk"))
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
