//! The BitAI transactions: what the inscriber writes into envelopes and the state machine
//! executes. Each variant is a command to a system contract of the BitAI node.
//!
//! The enum is append-only: postcard encodes the variant index, so a new kind goes at the end
//! and an old node rejects it as an unknown variant rather than misreading it.

use crate::codec;
use crate::ids::{ChainId, Hash32};
use crate::limits;
use serde::{Deserialize, Serialize};

/// The proof system a chain registers; the verifier contract dispatches on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ProofSystem {
    /// Groth16 over BN254, proofs and keys in gnark's binary format.
    Groth16Bn254,
    /// A cheap stand-in proof system that only simulated chains may register, for sweeps
    /// over thousands of seeds (docs/design.md, "The proof side").
    SimulationOnly,
}

/// Per-chain limits, fixed at creation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLimits {
    /// Most AI-chain transactions in one L2 block (the circuit size).
    pub max_block_txs: u32,
    /// Largest proof the chain accepts, in bytes.
    pub max_proof_bytes: u32,
}

/// Registers a new AI chain with the chain registry. Anyone may send one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateChain {
    /// Human-readable name (not unique; the id is).
    pub name: String,
    /// Proof system of the verifying key.
    pub proof_system: ProofSystem,
    /// Verifying key in the proof system's own format (gnark binary for Groth16).
    pub verifying_key: Vec<u8>,
    /// State root of the chain's genesis state.
    pub genesis_state_root: Hash32,
    /// Limits of the chain.
    pub limits: ChainLimits,
    /// Creator-chosen salt, so two chains with identical parameters get different ids.
    pub salt: u64,
}

impl CreateChain {
    /// The chain id: SHA-256 of this transaction's canonical encoding.
    pub fn chain_id(&self) -> ChainId {
        let bytes = codec::encode_tx(&BitaiTx::CreateChain(self.clone()))
            .expect("a CreateChain that passed validate encodes; an invalid one still hashes");
        ChainId(Hash32::sha256(&bytes))
    }
}

/// Claims an L2 block's state transition with a validity proof for the verifier contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitProof {
    /// Chain the block belongs to.
    pub chain_id: ChainId,
    /// L2 block number (the first block after genesis is 1).
    pub block_number: u64,
    /// State root before the block; must equal the chain's verified root.
    pub prev_state_root: Hash32,
    /// State root after the block.
    pub new_state_root: Hash32,
    /// Commitment to the block's data on the DA layer.
    pub da_commitment: Hash32,
    /// The proof bytes in the chain's proof-system format.
    pub proof: Vec<u8>,
}

/// A BitAI transaction, as carried in one envelope body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum BitaiTx {
    /// Create an AI chain.
    CreateChain(CreateChain),
    /// Advance an AI chain's verified root by a proof.
    SubmitProof(SubmitProof),
}

impl BitaiTx {
    /// A short name of the kind, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            BitaiTx::CreateChain(_) => "create_chain",
            BitaiTx::SubmitProof(_) => "submit_proof",
        }
    }

    /// Checks the field limits that the type system does not.
    pub fn validate(&self) -> Result<(), codec::DecodeError> {
        use codec::DecodeError::FieldTooLarge;
        match self {
            BitaiTx::CreateChain(c) => {
                if c.name.len() > limits::MAX_CHAIN_NAME_BYTES {
                    return Err(FieldTooLarge {
                        field: "name",
                        len: c.name.len(),
                        max: limits::MAX_CHAIN_NAME_BYTES,
                    });
                }
                if c.verifying_key.len() > limits::MAX_VERIFYING_KEY_BYTES {
                    return Err(FieldTooLarge {
                        field: "verifying_key",
                        len: c.verifying_key.len(),
                        max: limits::MAX_VERIFYING_KEY_BYTES,
                    });
                }
            }
            BitaiTx::SubmitProof(p) => {
                if p.proof.len() > limits::MAX_PROOF_BYTES {
                    return Err(FieldTooLarge {
                        field: "proof",
                        len: p.proof.len(),
                        max: limits::MAX_PROOF_BYTES,
                    });
                }
            }
        }
        Ok(())
    }
}
