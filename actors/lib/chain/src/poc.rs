//! Proof-of-Compute: the transactions through which an AI chain's neurons are registered,
//! its models deployed and its inference requests assigned, answered, agreed on and paid.
//! They go through the same state transition function ([`crate::stf`]) and the same block
//! circuit as transfers, so a settlement, a payment or a slashing is part of the proven state.
//!
//! The life of a request (all times are L2 block numbers; `b` is the block executing the op,
//! `c` the block that created the request, `cw`/`rw` the commit and reveal windows):
//!
//! 1. **Request** (signed by the requester): names a deployed model, commits to its input
//!    (SHA-256 of the input bytes, which ride along as the op's payload and so reach DA),
//!    and moves `escrow` from the requester's balance into the request. The chain draws
//!    [`ASSIGNEES`] neurons: `seed = Poseidon(prev_root, request_id)` where `prev_root` is
//!    the state root before the block (the previous block's root, fixed before the request
//!    could be placed), `start = (seed mod 2^64) mod n`, and seats `j = 0, 1, 2` go to the
//!    neurons at positions `(start + j) mod n` of the active list (`n >= 3` is required).
//! 2. **Commit** (signed by an assignee, while `b <= c + cw`): stores
//!    `Poseidon(result, salt, account)` for its seat, where `result` is [`output_digest`] of
//!    the canonical output bytes. The account is inside the hash, so copying another seat's
//!    commitment is useless: it could only be opened by that seat's account.
//! 3. **Reveal** (signed by a committed assignee, once every seat has committed or `b > c +
//!    cw`, and while `b <= c + cw + rw`): opens the commitment with `(result, salt)`; the
//!    output bytes ride along as the payload. No commitment can be made once any reveal is
//!    possible, so nobody commits after seeing a reveal.
//! 4. **Settle** (unsigned, added by the sequencer, one op per part `p = 0..=3`, once every
//!    committed seat has revealed and the commit window is closed, or `b > c + cw + rw`):
//!    seats agreeing with another revealed seat form the quorum (at least [`QUORUM`] of
//!    three). With a quorum each agreeing seat (part `p = j`) is paid `escrow / agreeing` and
//!    every other seat is slashed; without one only seats that never revealed are slashed.
//!    Part 3 refunds the requester what is left (`escrow mod agreeing`, or all of it without
//!    a quorum). A slash takes `min(stake, slash_amount)` from the neuron's stake and burns it.
//!
//! Every path ends in settlement, so no fee is ever stuck: a request nobody answers settles
//! after its reveal window and refunds the requester. Neurons **register** with a stake of at
//! least `min_stake` (appended to the active list), **unbond** (leave the list at once, stake
//! locked until `b + unbond_delay`), and **withdraw** the stake afterwards. **DeployModel**
//! records a model's content hash (SHA-256 of its canonical encoding, also its DA
//! commitment), size and owner under the next model id. Every signed op pays a fee, burned
//! like a transfer's.
//!
//! - [`records`]: what the state holds for neurons, models and requests, and their leaves.
//! - [`codec`]: the wire form of an op.

pub mod codec;
pub mod records;

use crate::eddsa::{PrivateKey, Signature};
use crate::field::{split_hash, Fr};
use crate::poseidon::poseidon;
use crate::tx::{AccountIndex, MAX_FEE};
use ark_ff::PrimeField;
use bitai_protocol::{ChainId, Hash32};
pub use codec::{PocCodecError, MAX_PAYLOAD_BYTES};
pub use records::{ModelRecord, NeuronRecord, ObjectValue, Outcome, RequestRecord};

/// Neurons assigned to every request.
pub const ASSIGNEES: usize = 3;

/// Agreeing seats needed to settle a result (two thirds of [`ASSIGNEES`], rounded up).
pub const QUORUM: usize = 2;

/// Settlement parts per request: one per seat, then the requester's refund.
pub const SETTLE_PARTS: u8 = 4;

/// Levels of the active-neuron list tree (arity four): room for 4^5 = 1,024 neurons a chain.
pub const NEURON_LIST_DEPTH: usize = 5;

/// Most neurons active at once on one chain.
pub const MAX_NEURONS: u64 = 1 << (2 * NEURON_LIST_DEPTH);

/// Largest window or delay, in blocks (keeps every deadline far inside 64 bits).
pub const MAX_WINDOW_BLOCKS: u64 = 1 << 20;

/// A chain's Proof-of-Compute parameters. They are baked into the block circuit, so they are
/// part of the chain's verifying key: changing them is a new circuit.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(deny_unknown_fields, default)]
pub struct PocParams {
    /// Blocks after the request during which assignees commit.
    pub commit_window_blocks: u64,
    /// Blocks after the commit window during which committed assignees reveal.
    pub reveal_window_blocks: u64,
    /// Smallest stake a neuron registers with.
    pub min_stake: u64,
    /// Most stake one slashing takes (burned).
    pub slash_amount: u64,
    /// Blocks between unbonding and the earliest withdrawal of the stake.
    pub unbond_delay_blocks: u64,
}

impl PocParams {
    /// The defaults: windows of 4 blocks, a minimum stake of 1,000, slashes of 500, an
    /// unbonding delay of 16 blocks.
    pub const DEFAULT: PocParams = PocParams {
        commit_window_blocks: 4,
        reveal_window_blocks: 4,
        min_stake: 1_000,
        slash_amount: 500,
        unbond_delay_blocks: 16,
    };
}

impl Default for PocParams {
    fn default() -> Self {
        PocParams::DEFAULT
    }
}

/// Why a [`PocParams`] is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PocParamsError {
    /// A window or delay is 0 or above [`MAX_WINDOW_BLOCKS`].
    #[error("{0} must be 1..={max} blocks", max = MAX_WINDOW_BLOCKS)]
    Window(&'static str),
    /// The unbonding delay does not outlast a request's life.
    #[error("unbond delay {delay} must exceed the commit and reveal windows ({windows})")]
    UnbondDelay {
        /// The delay.
        delay: u64,
        /// Commit plus reveal window.
        windows: u64,
    },
    /// The minimum stake is 0.
    #[error("min stake must be at least 1")]
    MinStake,
}

impl PocParams {
    /// Checks the parameters hold together.
    pub fn check(&self) -> Result<(), PocParamsError> {
        for (name, v) in [
            ("commit window", self.commit_window_blocks),
            ("reveal window", self.reveal_window_blocks),
            ("unbond delay", self.unbond_delay_blocks),
        ] {
            if v == 0 || v > MAX_WINDOW_BLOCKS {
                return Err(PocParamsError::Window(name));
            }
        }
        let windows = self.commit_window_blocks + self.reveal_window_blocks;
        if self.unbond_delay_blocks <= windows {
            return Err(PocParamsError::UnbondDelay {
                delay: self.unbond_delay_blocks,
                windows,
            });
        }
        if self.min_stake == 0 {
            return Err(PocParamsError::MinStake);
        }
        Ok(())
    }
}

/// The kind of a Proof-of-Compute op; the value is the kind tag in the signed message
/// (transfers are [`crate::tx::KIND_TRANSFER`] = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum PocKind {
    /// Register the signer as a neuron, staking `amount`.
    RegisterNeuron = 2,
    /// Record a model: `data` = its content hash halves, `amount` = its size in bytes.
    DeployModel = 3,
    /// Ask for an inference of model `target` on the input whose SHA-256 halves are `data`,
    /// escrowing `amount`.
    RequestInference = 4,
    /// Commit to a result of request `target`: `data[0]` = the commitment.
    Commit = 5,
    /// Open the commitment of request `target`: `data = [result, salt]`.
    Reveal = 6,
    /// Settle part `amount` of request `target` (unsigned; added by the sequencer).
    Settle = 7,
    /// Leave the active list; the stake unlocks after the unbonding delay.
    Unbond = 8,
    /// Take an unlocked stake back into the balance.
    Withdraw = 9,
}

impl PocKind {
    /// Every kind, in tag order.
    pub const ALL: [PocKind; 8] = [
        PocKind::RegisterNeuron,
        PocKind::DeployModel,
        PocKind::RequestInference,
        PocKind::Commit,
        PocKind::Reveal,
        PocKind::Settle,
        PocKind::Unbond,
        PocKind::Withdraw,
    ];

    /// The kind with tag `tag`.
    pub fn from_tag(tag: u8) -> Option<PocKind> {
        PocKind::ALL.into_iter().find(|k| *k as u8 == tag)
    }

    /// The kind's name as operators and the RPC write it.
    pub fn name(self) -> &'static str {
        match self {
            PocKind::RegisterNeuron => "register_neuron",
            PocKind::DeployModel => "deploy_model",
            PocKind::RequestInference => "request_inference",
            PocKind::Commit => "commit",
            PocKind::Reveal => "reveal",
            PocKind::Settle => "settle",
            PocKind::Unbond => "unbond",
            PocKind::Withdraw => "withdraw",
        }
    }
}

/// A signed Proof-of-Compute op, unsigned. Fields a kind does not use must be zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PocTx {
    /// What it does (never [`PocKind::Settle`], which is unsigned).
    pub kind: PocKind,
    /// The signer's account.
    pub account: AccountIndex,
    /// Model id (request), request id (commit, reveal); else 0.
    pub target: u32,
    /// Stake (register), model size (deploy), escrow (request); else 0.
    pub amount: u64,
    /// The signer's nonce before this op (shared with its transfers).
    pub nonce: u64,
    /// Fee, burned; at most [`MAX_FEE`].
    pub fee: u64,
    /// Kind-specific field elements (see [`PocKind`]).
    pub data: [Fr; 2],
}

impl PocTx {
    /// `account | target << 32 | amount << 64 | nonce << 128 | fee << 192 | kind << 240`,
    /// the layout of [`crate::tx::Transfer::packed`] with the op's kind tag.
    pub fn packed(&self) -> Fr {
        let mut bytes = [0u8; 32];
        bytes[0..4].copy_from_slice(&self.account.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.target.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.amount.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.nonce.to_le_bytes());
        bytes[24..30].copy_from_slice(&(self.fee & MAX_FEE).to_le_bytes()[..6]);
        bytes[30] = self.kind as u8;
        Fr::from_le_bytes_mod_order(&bytes)
    }

    /// The field element the signer signs on `chain_id`:
    /// `Poseidon(chain_hi, chain_lo, packed, data0, data1)`.
    pub fn message(&self, chain_id: &ChainId) -> Fr {
        let [hi, lo] = split_hash(&chain_id.0);
        poseidon(&[hi, lo, self.packed(), self.data[0], self.data[1]])
    }

    /// Signs for `chain_id` with `key`, attaching `payload` (input or output bytes).
    pub fn sign(self, chain_id: &ChainId, key: &PrivateKey, payload: Vec<u8>) -> SignedPocTx {
        SignedPocTx {
            tx: self,
            signature: key.sign(self.message(chain_id)),
            payload,
        }
    }
}

/// A signed op with its payload: the input bytes of a request, the output bytes of a
/// reveal, nothing for other kinds. The payload is not signed by itself; its hash is (in
/// `data`), and the state transition checks the bytes against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedPocTx {
    /// What is signed.
    pub tx: PocTx,
    /// The signer's signature of [`PocTx::message`].
    pub signature: Signature,
    /// Input (request) or output (reveal) bytes; at most [`MAX_PAYLOAD_BYTES`].
    pub payload: Vec<u8>,
}

/// One Proof-of-Compute op of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // Few ops live at once; a box would buy nothing.
pub enum PocOp {
    /// An op a user or neuron signed.
    Signed(SignedPocTx),
    /// A settlement part, added by the sequencer when due.
    Settle {
        /// The request.
        request: u32,
        /// 0..=2: seat `part`; 3: the requester's refund.
        part: u8,
    },
}

impl PocOp {
    /// The op's kind.
    pub fn kind(&self) -> PocKind {
        match self {
            PocOp::Signed(s) => s.tx.kind,
            PocOp::Settle { .. } => PocKind::Settle,
        }
    }
}

/// The digest of a model output that neurons commit to and reveal: the first 31 bytes of
/// SHA-256 of the canonical output bytes, read big-endian (248 bits, always a field element).
pub fn output_digest(output: &[u8]) -> Fr {
    Fr::from_be_bytes_mod_order(&Hash32::sha256(output).0[..31])
}

/// A neuron's commitment to `result` with `salt`, bound to its `account`:
/// `Poseidon(result, salt, account)`.
pub fn commitment(result: Fr, salt: Fr, account: AccountIndex) -> Fr {
    poseidon(&[result, salt, Fr::from(account)])
}

/// A 32-byte hash as the two field elements (high and low 16 bytes) that carry it in `data`
/// (a request's input hash, a deploy's model hash).
pub fn hash_halves(hash: &Hash32) -> [Fr; 2] {
    split_hash(hash)
}

/// The hash whose halves are `data`, if both are below 2^128.
pub fn hash_from_halves(data: &[Fr; 2]) -> Option<Hash32> {
    let mut out = [0u8; 32];
    for (half, x) in out.chunks_mut(16).zip(data) {
        let bytes = crate::field::fr_to_be_bytes(x);
        if bytes[..16].iter().any(|b| *b != 0) {
            return None;
        }
        half.copy_from_slice(&bytes[16..]);
    }
    Some(Hash32(out))
}
