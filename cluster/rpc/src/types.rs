//! The JSON shapes of the node's API: what each method takes and returns. Byte fields are
//! hex strings (ids, hashes and keys as 64 digits), numbers are JSON numbers, enums are
//! snake_case strings. Params are objects with the names below (serde also reads them as a
//! positional array in the same order). The client and the server both use these types, so
//! they cannot drift apart.

use super::hexser;
use bitai_protocol::{ChainId, Hash32, ProofSystem};
use serde::{Deserialize, Serialize};

/// Where a user transaction stands, from the sequencer to Bitcoin finality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The node has never seen it.
    Unknown,
    /// Accepted by the sequencer, waiting for a block.
    Pending,
    /// In an L2 block the sequencer executed and posted to DA.
    InL2Block,
    /// The block's proof exists.
    Proven,
    /// The proof's `SubmitProof` is in a Bitcoin transaction.
    Inscribed,
    /// The state machine verified the proof: the chain's verified root covers the block.
    Verified,
    /// The verifying Bitcoin block has the configured finality depth.
    Final,
    /// Refused (see `reason`).
    Rejected,
}

impl Stage {
    /// Every stage, in pipeline order (`Rejected` last).
    pub const ALL: [Stage; 8] = [
        Stage::Unknown,
        Stage::Pending,
        Stage::InL2Block,
        Stage::Proven,
        Stage::Inscribed,
        Stage::Verified,
        Stage::Final,
        Stage::Rejected,
    ];

    /// The snake_case name, as on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Unknown => "unknown",
            Stage::Pending => "pending",
            Stage::InL2Block => "in_l2_block",
            Stage::Proven => "proven",
            Stage::Inscribed => "inscribed",
            Stage::Verified => "verified",
            Stage::Final => "final",
            Stage::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.name() == s)
            .ok_or_else(|| format!("unknown stage {s:?}"))
    }
}

/// A transaction's status (`bitai_getTransactionStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxStatus {
    /// The transaction hash (SHA-256 of the `SignedTransfer` bytes).
    #[serde(with = "hexser::hash")]
    pub hash: Hash32,
    /// Its chain, once known.
    #[serde(with = "hexser::opt_chain")]
    pub chain: Option<ChainId>,
    /// Where it stands.
    pub stage: Stage,
    /// The L2 block holding it, from `in_l2_block` on.
    pub block_number: Option<u64>,
    /// The Bitcoin transaction carrying the block's proof, from `inscribed` on.
    pub bitcoin_txid: Option<String>,
    /// The Bitcoin height of that transaction, once mined.
    pub bitcoin_height: Option<u64>,
    /// Why it was rejected, for `rejected`.
    pub reason: Option<String>,
}

impl TxStatus {
    /// The status of a hash the node has never seen.
    pub fn unknown(hash: Hash32) -> Self {
        TxStatus {
            hash,
            chain: None,
            stage: Stage::Unknown,
            block_number: None,
            bitcoin_txid: None,
            bitcoin_height: None,
            reason: None,
        }
    }
}

/// The sequencer's view of a chain this node sequences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequencerInfo {
    /// Number of the last L2 block (0: only genesis).
    pub head_block: u64,
    /// State root after that block.
    #[serde(with = "hexser::hash")]
    pub state_root: Hash32,
    /// Transactions accepted and waiting for a block.
    pub pending: u64,
    /// What the genesis supply became at the head (`None` from a node that did not say):
    /// anyone can check that nothing was made or lost.
    #[serde(default)]
    pub supply: Option<SupplyInfo>,
}

/// A chain's supply at its sequencer's head: balances, stakes, escrow, burned fees and
/// slashed stake always sum to the genesis supply, and the nonces count exactly the signed
/// transactions in blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplyInfo {
    /// Sum of every balance.
    pub balances: u128,
    /// Stake locked by neurons.
    pub stakes: u128,
    /// Escrow held by open inference requests.
    pub escrow: u128,
    /// Fees burned.
    pub fees_burned: u128,
    /// Stake slashed (burned).
    pub slashed: u128,
    /// The sum of the five: the genesis supply.
    pub total: u128,
    /// Transfers in blocks.
    pub transfers: u64,
    /// Signed Proof-of-Compute ops in blocks.
    pub signed_ops: u64,
    /// Sum of every account's nonce (transfers + signed ops).
    pub nonces: u64,
}

/// An AI chain as the BitAI side sees it (`bitai_getChain`, `bitai_listChains`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainInfo {
    /// Chain id (SHA-256 of its `CreateChain`).
    #[serde(with = "hexser::chain")]
    pub id: ChainId,
    /// Its name.
    pub name: String,
    /// `groth16_bn254` or `simulation_only` (see [`proof_system_name`]).
    pub proof_system: String,
    /// Transactions per L2 block (the circuit size).
    pub max_block_txs: u32,
    /// Bitcoin height of the block that registered it; `None` while its `CreateChain` is
    /// still on its way to Bitcoin (known to this node's mempool only).
    pub created_height: Option<u64>,
    /// Last L2 block whose proof the verifier contract accepted (0: genesis).
    pub verified_block: u64,
    /// The chain's verified state root.
    #[serde(with = "hexser::hash")]
    pub verified_root: Hash32,
    /// Last verified L2 block that is final.
    pub final_block: u64,
    /// Its state root.
    #[serde(with = "hexser::hash")]
    pub final_root: Hash32,
    /// The sequencer's head, when this node sequences the chain.
    pub sequencer: Option<SequencerInfo>,
}

/// An account of an AI chain (`bitai_getAccount`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Its index in the account tree.
    pub index: u32,
    /// Packed Baby Jubjub public key (`bitai_chain::babyjubjub::pack_point`).
    #[serde(with = "hexser::bytes32")]
    pub public_key: [u8; 32],
    /// Balance.
    pub balance: u64,
    /// Transfers sent so far (the nonce the next transfer must carry).
    pub nonce: u64,
}

/// An L2 block (`bitai_getBlock`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct L2Block {
    /// Its chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// Block number (1 is the first after genesis).
    pub number: u64,
    /// State root before.
    #[serde(with = "hexser::hash")]
    pub prev_state_root: Hash32,
    /// State root after.
    #[serde(with = "hexser::hash")]
    pub new_state_root: Hash32,
    /// Commitment of its data on DA.
    #[serde(with = "hexser::hash")]
    pub da_commitment: Hash32,
    /// Hashes of its transactions, in order.
    #[serde(with = "hexser::hashes")]
    pub txs: Vec<Hash32>,
}

/// A block in the prover pool (`bitai_proverJobs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProverJob {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// The block.
    pub block_number: u64,
    /// `pending`, `leased`, `proved` or `failed`.
    pub state: String,
    /// Proving attempts so far.
    pub attempts: u32,
}

/// A batch of BitAI transactions the inscriber is putting on Bitcoin (`bitai_inscriptions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InscriptionJob {
    /// The inscriber's batch id.
    pub batch_id: u64,
    /// Its stage in the inscriber (commit/reveal, confirmations).
    pub stage: String,
    /// Envelopes (BitAI transactions) it carries.
    pub envelopes: u64,
    /// The active commit transaction.
    pub commit_txid: String,
    /// The active reveal transaction.
    pub reveal_txid: String,
    /// Fee rate of the active version, sat/kvB.
    pub fee_rate_sat_per_kvb: u64,
    /// Height of the block holding the reveal, once mined.
    pub reveal_height: Option<u64>,
}

/// A BitAI transaction in the node's mempool (`bitai_mempool`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MempoolEntry {
    /// Its id (SHA-256 of the encoded BitAI transaction).
    #[serde(with = "hexser::hash")]
    pub id: Hash32,
    /// `create_chain` or `submit_proof`.
    pub kind: String,
    /// The chain it creates or advances.
    #[serde(with = "hexser::opt_chain")]
    pub chain: Option<ChainId>,
    /// The L2 block a `submit_proof` proves.
    pub block_number: Option<u64>,
    /// Handed to the inscriber.
    pub handed: bool,
}

/// The verifying key the node's provers use for blocks of one size (`bitai_getCircuitKey`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitKey {
    /// `groth16_bn254` or `simulation_only`.
    pub proof_system: String,
    /// Transactions per block.
    pub max_block_txs: u32,
    /// The key, in the proof system's format (gnark binary for Groth16; empty for
    /// simulation-only proofs).
    #[serde(with = "hexser::bytes")]
    pub verifying_key: Vec<u8>,
    /// Proof-of-Compute op slots per block of that circuit; `null` when the node proves
    /// any shape (simulation-only proofs). A new chain's genesis must name the same.
    #[serde(default)]
    pub max_block_ops: Option<u32>,
    /// The Proof-of-Compute parameters baked into that circuit (`null` as above).
    #[serde(default)]
    pub poc: Option<bitai_chain::poc::PocParams>,
}

/// A verified L2 block's proof, as the state machine accepted it (`bitai_getBlockProof`):
/// everything a verifier needs beside the chain's key, and where it is on Bitcoin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockProof {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// The L2 block.
    pub number: u64,
    /// `groth16_bn254` or `simulation_only`.
    pub proof_system: String,
    /// The proof bytes the `SubmitProof` carried (gnark's binary format for Groth16).
    #[serde(with = "hexser::bytes")]
    pub proof: Vec<u8>,
    /// The public inputs, decimal strings in the verifier's order (snarkjs' `public.json`):
    /// chain id high and low halves, block number, previous root, new root, DA commitment
    /// high and low halves.
    pub public_inputs: Vec<String>,
    /// State root before the block.
    #[serde(with = "hexser::hash")]
    pub prev_state_root: Hash32,
    /// State root after it.
    #[serde(with = "hexser::hash")]
    pub new_state_root: Hash32,
    /// Commitment of its data on DA.
    #[serde(with = "hexser::hash")]
    pub da_commitment: Hash32,
    /// The Bitcoin transaction (the inscription's reveal) that carried the proof.
    pub bitcoin_txid: String,
    /// The height of the Bitcoin block holding it.
    pub bitcoin_height: u64,
    /// Whether that Bitcoin block has the finality depth.
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// The verifying key a chain registered (`bitai_getChainKey`), with the `CreateChain` that
/// carried it: its SHA-256 is the chain id, so the key is checked without trusting the node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainKey {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// `groth16_bn254` or `simulation_only`.
    pub proof_system: String,
    /// The key, in the proof system's format (gnark binary for Groth16).
    #[serde(with = "hexser::bytes")]
    pub verifying_key: Vec<u8>,
    /// SHA-256 of the key.
    #[serde(with = "hexser::hash")]
    pub verifying_key_sha256: Hash32,
    /// The encoded `CreateChain` (SHA-256 of these bytes = the chain id; the key is inside).
    #[serde(with = "hexser::bytes")]
    pub create_chain: Vec<u8>,
}

/// The wire name of a proof system.
pub fn proof_system_name(system: ProofSystem) -> String {
    match system {
        ProofSystem::Groth16Bn254 => "groth16_bn254".into(),
        ProofSystem::SimulationOnly => "simulation_only".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The proof system a wire name stands for.
pub fn parse_proof_system(name: &str) -> Option<ProofSystem> {
    match name {
        "groth16_bn254" => Some(ProofSystem::Groth16Bn254),
        "simulation_only" => Some(ProofSystem::SimulationOnly),
        _ => None,
    }
}

/// Params of `bitai_sendTransaction`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendTransactionParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// `SignedTransfer` bytes, hex.
    #[serde(with = "hexser::bytes")]
    pub tx: Vec<u8>,
}

/// Params of `bitai_getTransactionStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionStatusParams {
    /// The transaction hash.
    #[serde(with = "hexser::hash")]
    pub hash: Hash32,
}

/// Params of `bitai_getBlock`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// The block number.
    pub number: u64,
}

/// Params of `bitai_getAccount`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
    /// The account index.
    pub index: u32,
}

/// Params of `bitai_getChain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainParams {
    /// The chain.
    #[serde(with = "hexser::chain")]
    pub chain: ChainId,
}

/// Params of `bitai_getCircuitKey`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitKeyParams {
    /// Transactions per block.
    pub max_block_txs: u32,
}

/// Params of `bitai_createChain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateChainParams {
    /// The encoded `BitaiTx::CreateChain`, hex.
    #[serde(with = "hexser::bytes")]
    pub create: Vec<u8>,
    /// The genesis state whose root the `CreateChain` names.
    pub genesis: super::GenesisSpec,
}

/// Params of `bitai_submitBitaiTx`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitBitaiTxParams {
    /// An encoded BitAI transaction, hex.
    #[serde(with = "hexser::bytes")]
    pub tx: Vec<u8>,
}

/// Params of the methods without any (absent, `[]` and `{}` are all accepted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// A hash or id as a bare hex string (the result of the methods that return one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HexHash(#[serde(with = "hexser::hash")] pub Hash32);
