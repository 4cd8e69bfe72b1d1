//! The BitAI contract rules, as pure functions shared by the BitAI mempool and the state
//! machine: the **chain registry** (may this `CreateChain` register?) and the **verifier
//! contract** (may this `SubmitProof` advance its chain?), and which chain and block a
//! BitAI transaction is about. The state machine applies them to what Bitcoin confirmed; the
//! mempool applies the very same functions to its projection of the state, so the two can
//! never disagree about what is valid.

use bitai_protocol::{BitaiTx, ChainId, CreateChain, Hash32, ProofSystem, SubmitProof};
use serde::{Deserialize, Serialize};

/// Why a BitAI transaction is not valid against a state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RuleError {
    /// A field is over a protocol limit.
    #[error("field over limit: {0}")]
    OverLimit(String),
    /// The chain registers `SimulationOnly` proofs and this node does not allow them.
    #[error("simulation-only proof system not allowed here")]
    SimulationOnlyNotAllowed,
    /// A chain with this id is already registered.
    #[error("chain {0} already exists")]
    DuplicateChain(ChainId),
    /// The registry is full.
    #[error("the registry holds its maximum of {max} chains")]
    TooManyChains {
        /// The limit.
        max: u64,
    },
    /// The verifying key is not a valid key of its proof system (or the system has no
    /// verifier here).
    #[error("bad verifying key: {0}")]
    BadKey(String),
    /// The proof names a chain that does not exist.
    #[error("unknown chain {0}")]
    UnknownChain(ChainId),
    /// The proof is not for the block after the verified one.
    #[error("block {got} is not the next block (expected {expected})")]
    WrongBlockNumber {
        /// The block the chain expects next.
        expected: u64,
        /// The block the proof claims.
        got: u64,
    },
    /// The proof's previous root is not the chain's verified root.
    #[error("previous root {got} is not the verified root {expected}")]
    WrongPrevRoot {
        /// The chain's verified root.
        expected: Hash32,
        /// The proof's previous root.
        got: Hash32,
    },
    /// The proof is larger than the chain allows.
    #[error("proof of {len} bytes is over the chain's limit of {max}")]
    ProofTooLarge {
        /// Proof length.
        len: usize,
        /// The chain's limit.
        max: u32,
    },
    /// The proof does not verify against the chain's key and the claimed statement.
    #[error("proof invalid: {0}")]
    ProofInvalid(String),
    /// A BitAI transaction kind this node does not execute.
    #[error("unsupported transaction kind {0}")]
    UnsupportedKind(String),
}

impl RuleError {
    /// A short label of the reason, for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            RuleError::OverLimit(_) => "over_limit",
            RuleError::SimulationOnlyNotAllowed => "simulation_only",
            RuleError::DuplicateChain(_) => "duplicate_chain",
            RuleError::TooManyChains { .. } => "too_many_chains",
            RuleError::BadKey(_) => "bad_key",
            RuleError::UnknownChain(_) => "unknown_chain",
            RuleError::WrongBlockNumber { .. } => "wrong_block_number",
            RuleError::WrongPrevRoot { .. } => "wrong_prev_root",
            RuleError::ProofTooLarge { .. } => "proof_too_large",
            RuleError::ProofInvalid(_) => "proof_invalid",
            RuleError::UnsupportedKind(_) => "unsupported_kind",
        }
    }
}

/// The chain a transaction names (a new chain's id for a `CreateChain`), without panicking on
/// a transaction over a protocol limit (`CreateChain::chain_id` expects one that encodes):
/// such a `CreateChain` names no chain.
pub fn chain_of(tx: &BitaiTx) -> Option<ChainId> {
    match tx {
        BitaiTx::CreateChain(_) => bitai_protocol::encode_tx(tx)
            .ok()
            .map(|bytes| ChainId(Hash32::sha256(&bytes))),
        BitaiTx::SubmitProof(p) => Some(p.chain_id),
        _ => None,
    }
}

/// The registry's limits, from the node's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryRules {
    /// Whether `SimulationOnly` chains may register.
    pub allow_simulation_only: bool,
    /// Most chains.
    pub max_chains: u64,
}

/// The cheap half of the registry's check: the fields are within limits, the proof system
/// is allowed, the id is free and there is room. Returns the new chain's id.
pub fn check_registration(
    create: &CreateChain,
    chain_exists: impl FnOnce(&ChainId) -> bool,
    chain_count: u64,
    rules: &RegistryRules,
) -> Result<ChainId, RuleError> {
    let tx = BitaiTx::CreateChain(create.clone());
    tx.validate()
        .map_err(|e| RuleError::OverLimit(e.to_string()))?;
    if create.proof_system == ProofSystem::SimulationOnly && !rules.allow_simulation_only {
        return Err(RuleError::SimulationOnlyNotAllowed);
    }
    let id = create.chain_id();
    if chain_exists(&id) {
        return Err(RuleError::DuplicateChain(id));
    }
    if chain_count >= rules.max_chains {
        return Err(RuleError::TooManyChains {
            max: rules.max_chains,
        });
    }
    Ok(id)
}

/// The expensive half: the verifying key is a valid key of its proof system (and the system
/// has a verifier here). Depends only on the registration.
pub fn check_key(create: &CreateChain) -> Result<(), RuleError> {
    bitai_proofs::verifier::verifier_for(create.proof_system)
        .and_then(|v| v.check_key(&create.verifying_key))
        .map_err(|e| RuleError::BadKey(e.to_string()))
}

/// The registry's whole check of a `CreateChain`, given whether its id is taken and how many
/// chains exist: [`check_registration`] then [`check_key`]. Returns the new chain's id.
pub fn check_create_chain(
    create: &CreateChain,
    chain_exists: impl FnOnce(&ChainId) -> bool,
    chain_count: u64,
    rules: &RegistryRules,
) -> Result<ChainId, RuleError> {
    let id = check_registration(create, chain_exists, chain_count, rules)?;
    check_key(create)?;
    Ok(id)
}

/// What the verifier contract knows of a chain: its registration and its verified head.
#[derive(Debug, Clone, Copy)]
pub struct ChainHead<'a> {
    /// The chain's registration (its key, proof system and limits).
    pub create: &'a CreateChain,
    /// The last verified block (0: genesis).
    pub verified_block: u64,
    /// The verified state root.
    pub verified_root: Hash32,
}

/// The cheap half of the verifier contract: the chain exists, the proof is for the next
/// block, builds on the verified root and fits the chain's size limit.
pub fn check_proof_sequence(
    proof: &SubmitProof,
    head: Option<ChainHead<'_>>,
) -> Result<(), RuleError> {
    let head = head.ok_or(RuleError::UnknownChain(proof.chain_id))?;
    let expected = head.verified_block.saturating_add(1);
    if proof.block_number != expected {
        return Err(RuleError::WrongBlockNumber {
            expected,
            got: proof.block_number,
        });
    }
    #[cfg(feature = "planted-bugs")]
    let stale_ok = bitai_runtime::planted::on("stale_prev_root_accepted");
    #[cfg(not(feature = "planted-bugs"))]
    let stale_ok = false;
    if proof.prev_state_root != head.verified_root && !stale_ok {
        return Err(RuleError::WrongPrevRoot {
            expected: head.verified_root,
            got: proof.prev_state_root,
        });
    }
    let max = head.create.limits.max_proof_bytes;
    if proof.proof.len() > max as usize {
        return Err(RuleError::ProofTooLarge {
            len: proof.proof.len(),
            max,
        });
    }
    Ok(())
}

/// The expensive half: the proof verifies against the chain's key for the claimed statement
/// (chain, number, roots, DA commitment). Depends only on the proof and the registration, so
/// a proof that verified once verifies again.
pub fn check_proof_validity(proof: &SubmitProof, create: &CreateChain) -> Result<(), RuleError> {
    bitai_proofs::verifier::verify_submit_proof(create.proof_system, &create.verifying_key, proof)
        .map_err(|e| RuleError::ProofInvalid(e.to_string()))
}

/// The whole verifier contract: [`check_proof_sequence`] then [`check_proof_validity`].
pub fn check_submit_proof(
    proof: &SubmitProof,
    head: Option<ChainHead<'_>>,
) -> Result<(), RuleError> {
    check_proof_sequence(proof, head)?;
    let head = head.ok_or(RuleError::UnknownChain(proof.chain_id))?;
    check_proof_validity(proof, head.create)
}

/// The L2 block a BitAI transaction is about: a `SubmitProof`'s block number (None for
/// every other kind).
pub fn block_of(tx: &BitaiTx) -> Option<u64> {
    match tx {
        BitaiTx::SubmitProof(p) => Some(p.block_number),
        _ => None,
    }
}
