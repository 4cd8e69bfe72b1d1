//! The pipeline's own config tables: `[chain]` (the chain a devnet creates and sequences at
//! start, and the block size and proof system this node's provers serve) and `[prover]`.
//! `[sequencer]`, `[statemachine]` and `[mempool]` are the roles' own config types. Each key
//! is documented beside its default and in the shipped files under `configs/`.

use bitai_chain::poc::PocParams;
use bitai_proofs::circuit::CircuitConfig;
use serde::Deserialize;
use std::path::PathBuf;

/// The proof system a chain registers, as written in a config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofSystemName {
    /// Groth16 over BN254 with the node's devnet keys (the default).
    #[default]
    Groth16,
    /// The simulation-only stand-in: proves nothing about execution; a node accepts it only
    /// with `statemachine.allow_simulation_only = true`.
    Simulation,
}

impl ProofSystemName {
    /// The protocol's value.
    pub fn to_protocol(self) -> bitai_protocol::ProofSystem {
        match self {
            ProofSystemName::Groth16 => bitai_protocol::ProofSystem::Groth16Bn254,
            ProofSystemName::Simulation => bitai_protocol::ProofSystem::SimulationOnly,
        }
    }
}

/// `[chain]`: the AI chain `bitai devnet` creates at its first start and sequences.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainSection {
    /// Its name. Default `devnet`.
    pub name: String,
    /// Transactions per L2 block: the circuit size. Default 4.
    pub block_txs: u32,
    /// Genesis accounts, with keys drawn from the node seed (the load generator signs for
    /// them). Default 50.
    pub accounts: u32,
    /// Balance of each genesis account. Default 1,000,000,000.
    pub balance: u64,
    /// `groth16` (default) or `simulation`.
    pub proof_system: ProofSystemName,
    /// Proof-of-Compute op slots per L2 block (0: the chain takes no ops). Default 2.
    pub block_ops: u32,
    /// `[chain.poc]`: the chain's Proof-of-Compute parameters (windows in L2 blocks, stakes).
    pub poc: PocParams,
    /// Neurons `bitai devnet` runs (each an extra genesis account with keys from the node
    /// seed, registered with `neuron_stake` at the first start). Default 3.
    pub neurons: u32,
    /// Stake each devnet neuron registers with. Default 10,000.
    pub neuron_stake: u64,
}

impl ChainSection {
    /// The block circuit this section describes: 2^32 accounts, `block_txs` transfer slots,
    /// `block_ops` op slots, the `[chain.poc]` parameters.
    pub fn circuit(&self) -> CircuitConfig {
        CircuitConfig {
            max_ops: self.block_ops as usize,
            poc: self.poc,
            ..CircuitConfig::production(self.block_txs as usize)
        }
    }
}

impl Default for ChainSection {
    fn default() -> Self {
        Self {
            name: "devnet".into(),
            block_txs: 4,
            accounts: 50,
            balance: 1_000_000_000,
            proof_system: ProofSystemName::Groth16,
            block_ops: 2,
            poc: PocParams::DEFAULT,
            neurons: 3,
            neuron_stake: 10_000,
        }
    }
}

/// `[prover]`: the local prover pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProverSection {
    /// Local prover actors. Each uses every core while it proves, so more than one helps
    /// only on a machine with many cores. 0 (prove only on prover nodes) needs `[cluster]
    /// listen`. Default 1.
    pub workers: u32,
    /// Where devnet proving keys are cached, relative to `node.data_dir` unless absolute.
    /// Default `keys`.
    pub key_cache_dir: PathBuf,
    /// A lease is taken back after this long, ms. Default 600,000.
    pub lease_timeout_ms: u64,
    /// Failed attempts per block (failures its provers report) before it is parked as
    /// failed; expired leases and proofs that do not verify do not count. Default 3.
    pub max_attempts: u32,
    /// Most blocks queued; sequencers wait beyond it. Default 1,024.
    pub max_queue: usize,
    /// A proof not verified on the BitAI side this long after it was emitted is emitted
    /// again (the mempool dedups), ms. Default 60,000.
    pub reemit_after_ms: u64,
}

impl Default for ProverSection {
    fn default() -> Self {
        Self {
            workers: 1,
            key_cache_dir: PathBuf::from("keys"),
            lease_timeout_ms: 600_000,
            max_attempts: 3,
            max_queue: 1_024,
            reemit_after_ms: 60_000,
        }
    }
}
