//! The circuit keys a node proves with, one per block size it serves. For the devnet they
//! come from a deterministic setup seeded by the node seed, cached on disk and loaded once.
//!
//! **A devnet key is not secure**: anyone who knows the seed knows the setup's toxic waste
//! and can forge proofs for it. The node says so in its log at every start. A production
//! chain registers a key from a real ceremony.

use anyhow::Context;
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig};
use bitai_proofs::groth16::Groth16Keys;
use bitai_protocol::ProofSystem;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The keys of every block size a node proves, by circuit shape.
#[derive(Clone)]
pub struct CircuitKeys {
    system: ProofSystem,
    groth16: BTreeMap<CircuitConfig, Arc<Groth16Keys>>,
}

impl CircuitKeys {
    /// Keys for the circuit `shapes` in `system`: Groth16 keys from the devnet setup seeded
    /// by `seed` (cached in `cache_dir`), or nothing for the simulation-only system, which
    /// needs none.
    pub fn devnet(
        system: ProofSystem,
        shapes: &[CircuitConfig],
        seed: u64,
        cache_dir: &Path,
    ) -> anyhow::Result<Self> {
        let mut groth16 = BTreeMap::new();
        if system == ProofSystem::Groth16Bn254 {
            for &config in shapes {
                let size = config.max_txs;
                tracing::warn!(
                    block_txs = size,
                    block_ops = config.max_ops,
                    seed,
                    "DEVNET GROTH16 KEY: made by a deterministic setup from the node seed; \
                     anyone who knows the seed can forge proofs. Never use it for value."
                );
                let blank = BlockCircuit::blank(config).context("blank block circuit")?;
                let keys = Groth16Keys::devnet_cached(blank, &setup_seed(seed), cache_dir)
                    .with_context(|| format!("devnet setup for {size} transactions per block"))?;
                groth16.insert(config, Arc::new(keys));
            }
        }
        Ok(Self { system, groth16 })
    }

    /// The proof system these keys serve.
    pub fn system(&self) -> ProofSystem {
        self.system
    }

    /// The Groth16 keys by shape (empty for the simulation-only system).
    pub fn groth16(&self) -> &BTreeMap<CircuitConfig, Arc<Groth16Keys>> {
        &self.groth16
    }

    /// How a prover proves with these keys (local provers, and the simulation's prover
    /// nodes).
    pub fn prover_backend(&self) -> bitai_prover::ProverBackend {
        match self.system {
            ProofSystem::Groth16Bn254 => bitai_prover::ProverBackend::Groth16 {
                keys: self.groth16.clone(),
            },
            _ => bitai_prover::ProverBackend::Simulation,
        }
    }

    /// The verifying key a chain of circuit `shape` registers, in the proof system's format
    /// (gnark binary; empty for the simulation-only system), or `None` when this node does
    /// not prove that shape.
    pub fn verifying_key_for(&self, shape: &CircuitConfig) -> Option<Vec<u8>> {
        match self.system {
            ProofSystem::Groth16Bn254 => self
                .groth16
                .get(shape)
                .map(|k| bitai_proofs::gnark::write_vk(k.vk())),
            _ => Some(Vec::new()),
        }
    }

    /// The shapes this node proves (Groth16), or none listed (simulation proves any).
    pub fn shapes(&self) -> Vec<CircuitConfig> {
        self.groth16.keys().copied().collect()
    }

    /// The verifying key of the first shape this node proves with `block_txs` transfer slots
    /// (see [`CircuitKeys::verifying_key_for`]).
    pub fn verifying_key(&self, block_txs: u32) -> Option<Vec<u8>> {
        match self.system {
            ProofSystem::Groth16Bn254 => self
                .groth16
                .iter()
                .find(|(c, _)| c.max_txs == block_txs as usize)
                .map(|(_, k)| bitai_proofs::gnark::write_vk(k.vk())),
            _ => Some(Vec::new()),
        }
    }
}

/// The setup seed of a node seed (domain-separated, so it is no other seed's bytes).
fn setup_seed(seed: u64) -> Vec<u8> {
    let mut s = b"bitai/devnet-setup/v1/".to_vec();
    s.extend_from_slice(&seed.to_le_bytes());
    s
}

/// `dir` under `data_dir` unless absolute.
pub fn resolve(data_dir: &Path, dir: &Path) -> PathBuf {
    if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        data_dir.join(dir)
    }
}
