//! The rules of every Proof-of-Compute op (see [`crate::poc`]), as a plan: which account,
//! objects and list slots the op writes and with what. [`plan`] checks everything and writes
//! nothing; [`super::State::apply_op`] then performs the writes in the plan's order.
//!
//! A signed op first passes the checks every kind shares ([`check_signed_op`]), then the rule
//! of its kind ([`by_kind`]); a settlement part is unsigned and has only its kind's rule. Each
//! function here has a twin in the circuit's op slot (`bitai_proofs::circuit::poc::slot`)
//! with the same name after the verb: `apply_register_neuron` here, `enforce_register_neuron`
//! there (see [`signed`] for the whole list).

mod by_kind;

use super::{Counters, State, StfError};
use crate::eddsa::verify;
use crate::field::Fr;
use crate::poc::records::{object_index, OBJECT_NEURON};
use crate::poc::{ObjectValue, PocKind, PocOp, PocParams, PocTx, SignedPocTx};
use crate::poseidon::poseidon;
use crate::stf::Account;
use crate::tx::{AccountIndex, MAX_FEE};
use ark_ff::{AdditiveGroup, PrimeField};
use bitai_protocol::ChainId;
use by_kind::{
    apply_commit, apply_deploy_model, apply_register_neuron, apply_request_inference, apply_reveal,
    apply_settle, apply_unbond, apply_withdraw,
};

/// Why a Proof-of-Compute op is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PocError {
    /// A field the kind does not use is not zero.
    #[error("{0} must be zero for this kind of op")]
    UnusedField(&'static str),
    /// The payload does not match the hash the op signs, or a kind without one has one.
    #[error("payload does not match the signed {0}")]
    Payload(&'static str),
    /// The account is already a registered neuron.
    #[error("account {0} is already a neuron")]
    AlreadyNeuron(AccountIndex),
    /// The account is not a registered neuron.
    #[error("account {0} is not a neuron")]
    NotNeuron(AccountIndex),
    /// The stake is below the chain's minimum.
    #[error("stake {stake} is below the minimum {min}")]
    StakeTooLow {
        /// Offered.
        stake: u64,
        /// Required.
        min: u64,
    },
    /// The active list is full.
    #[error("the chain already has {0} active neurons")]
    TooManyNeurons(u64),
    /// Fewer active neurons than a request needs.
    #[error("{0} active neurons; a request needs 3")]
    TooFewNeurons(u32),
    /// No model with this id.
    #[error("model {0} does not exist")]
    UnknownModel(u32),
    /// No request with this id.
    #[error("request {0} does not exist")]
    UnknownRequest(u32),
    /// A model size or escrow of zero, or a model over 4 GiB.
    #[error("{0} must be positive")]
    Zero(&'static str),
    /// The hash halves are not a 32-byte hash.
    #[error("{0} is not a 32-byte hash")]
    BadHash(&'static str),
    /// The signer is not assigned to the request.
    #[error("account {0} is not assigned to this request")]
    NotAssigned(AccountIndex),
    /// The seat has already committed.
    #[error("seat {0} has already committed")]
    AlreadyCommitted(usize),
    /// The commit window is over.
    #[error("the commit window closed at block {0}")]
    CommitClosed(u64),
    /// The seat never committed.
    #[error("seat {0} never committed")]
    NotCommitted(usize),
    /// The seat has already revealed.
    #[error("seat {0} has already revealed")]
    AlreadyRevealed(usize),
    /// Reveals are not open at this block.
    #[error("reveals are not open at block {0}")]
    RevealNotOpen(u64),
    /// The reveal does not open the commitment.
    #[error("the reveal does not open seat {0}'s commitment")]
    BadOpening(usize),
    /// The part is already settled.
    #[error("part {0} is already settled")]
    AlreadySettled(u8),
    /// Settlement is not due yet.
    #[error("settlement is not due at block {0}")]
    SettleNotDue(u64),
    /// The neuron is already unbonding.
    #[error("account {0} is already unbonding")]
    Unbonding(AccountIndex),
    /// The stake is still locked (or the neuron never unbonded).
    #[error("the stake unlocks at block {0}")]
    Locked(u64),
}

/// What an op will write, in order.
pub(super) struct Plan {
    pub account_index: AccountIndex,
    pub account_after: Account,
    pub objects: Vec<(u64, ObjectValue)>,
    pub list: Vec<(u64, Option<AccountIndex>)>,
    pub counters: Counters,
    pub seat: usize,
}

fn poc(error: PocError) -> StfError {
    StfError::Poc(error)
}

fn zero(cond: bool, field: &'static str) -> Result<(), StfError> {
    if cond {
        Ok(())
    } else {
        Err(poc(PocError::UnusedField(field)))
    }
}

/// Whether `key` has a position in its object-tree region (below `4^depth`): a larger key
/// would alias another key's position (`object_index` ORs the region in).
fn key_fits(depth: usize, key: u32) -> bool {
    u64::from(key) < 1u64 << (2 * depth)
}

/// Checks `op` in block `number` and returns what it writes.
pub(super) fn plan(
    state: &State,
    chain_id: &ChainId,
    number: u64,
    block_prev_root: Fr,
    op: &PocOp,
) -> Result<Plan, StfError> {
    let plan = match op {
        PocOp::Settle { request, part } => apply_settle(state, number, *request, *part)?,
        PocOp::Signed(signed_tx) => signed(state, chain_id, number, block_prev_root, signed_tx)?,
    };
    // Every position must fit the trees, so the writes cannot fail halfway.
    state.tree.proof(plan.account_index.into())?;
    for (index, _) in &plan.objects {
        state.poc.objects.proof(*index)?;
    }
    for (slot, _) in &plan.list {
        state.poc.list.proof(*slot)?;
    }
    Ok(plan)
}

/// A signed op that passed [`check_signed_op`], with what every kind's rule reads.
struct SignedOp<'a> {
    state: &'a State,
    /// The block's number.
    number: u64,
    /// The op.
    tx: &'a PocTx,
    /// Its input (request) or output (reveal) bytes; empty for the other kinds.
    payload: &'a [u8],
    /// The signer's account before the op.
    account: Account,
    /// The position of the signer's neuron record in the object tree.
    neuron_index: u64,
    /// The state's account-tree depth (object keys have `2 * depth` bits).
    depth: usize,
    params: PocParams,
}

impl SignedOp<'_> {
    /// The refusal of a debit of the fee and `extra` that the balance does not cover.
    fn overdraft(&self, extra: u64) -> StfError {
        StfError::Overdraft {
            balance: self.account.balance,
            amount: extra,
            fee: self.tx.fee,
        }
    }

    /// The balance after paying the fee and `extra` (a stake or an escrow).
    fn debit(&self, extra: u64) -> Result<u64, StfError> {
        extra
            .checked_add(self.tx.fee)
            .filter(|total| *total <= self.account.balance)
            .map(|total| self.account.balance - total)
            .ok_or(self.overdraft(extra))
    }

    /// Whether both data field elements are zero (the kinds that carry none).
    fn no_data(&self) -> bool {
        self.tx.data == [Fr::ZERO; 2]
    }
}

/// What a signed op's rule writes besides the signer's nonce.
struct Effects {
    /// The signer's balance after.
    balance: u64,
    /// The object-tree writes, in order.
    objects: Vec<(u64, ObjectValue)>,
    /// The active-list writes, in order.
    list: Vec<(u64, Option<AccountIndex>)>,
    /// The seat of a commit or reveal; else 0.
    seat: usize,
}

/// The state transition of a signed op: the checks every kind shares, then its kind's rule.
///
/// Each rule is paired by name with its gadget in the circuit's op slot (`synthesize_op` in
/// `bitai_proofs::circuit::poc::slot`), which must enforce the same rule:
///
/// | state transition (here)   | circuit (op slot)            |
/// |---------------------------|------------------------------|
/// | [`check_signed_op`]       | `enforce_signed_op`          |
/// | `apply_register_neuron`   | `enforce_register_neuron`    |
/// | `apply_deploy_model`      | `enforce_deploy_model`       |
/// | `apply_request_inference` | `enforce_request_inference`  |
/// | `check_assigned_seat`     | `enforce_assigned_seat`      |
/// | `apply_commit`            | `enforce_commit`             |
/// | `apply_reveal`            | `enforce_reveal`             |
/// | `apply_settle` ([`plan`]) | `enforce_settle`             |
/// | `apply_unbond`            | `enforce_unbond`             |
/// | `apply_withdraw`          | `enforce_withdraw`           |
///
/// The circuit's `enforce_amount_and_hash` holds the checks deploy and request share there
/// (a positive amount, `data` as hash halves), which their `apply_` functions make here.
fn signed(
    state: &State,
    chain_id: &ChainId,
    number: u64,
    block_prev_root: Fr,
    signed_tx: &SignedPocTx,
) -> Result<Plan, StfError> {
    let (op, nonce) = check_signed_op(state, chain_id, number, signed_tx)?;
    let mut counters = state.poc.counters;
    let effects = match op.tx.kind {
        PocKind::RegisterNeuron => apply_register_neuron(&op, &mut counters)?,
        PocKind::DeployModel => apply_deploy_model(&op, &mut counters)?,
        PocKind::RequestInference => apply_request_inference(&op, &mut counters, block_prev_root)?,
        PocKind::Commit => apply_commit(&op)?,
        PocKind::Reveal => apply_reveal(&op)?,
        PocKind::Unbond => apply_unbond(&op, &mut counters)?,
        PocKind::Withdraw => apply_withdraw(&op)?,
        PocKind::Settle => unreachable!("refused by check_signed_op"),
    };
    Ok(Plan {
        account_index: op.tx.account,
        account_after: Account {
            balance: effects.balance,
            nonce,
            ..op.account
        },
        objects: effects.objects,
        list: effects.list,
        counters,
        seat: effects.seat,
    })
}

/// The checks every signed op passes, whatever its kind: a known signer, the next nonce, a
/// fee of at most [`MAX_FEE`], a signed kind, a valid signature, and a payload only for the
/// kinds that carry one. Returns the op with its signer and the signer's nonce after.
fn check_signed_op<'a>(
    state: &'a State,
    chain_id: &ChainId,
    number: u64,
    signed_tx: &'a SignedPocTx,
) -> Result<(SignedOp<'a>, u64), StfError> {
    let tx = &signed_tx.tx;
    let account = *state
        .accounts
        .get(&tx.account)
        .ok_or(StfError::UnknownSender(tx.account))?;
    if tx.nonce != account.nonce {
        return Err(StfError::BadNonce {
            expected: account.nonce,
            got: tx.nonce,
        });
    }
    if tx.fee > MAX_FEE {
        return Err(StfError::FeeTooLarge { fee: tx.fee });
    }
    if tx.kind == PocKind::Settle {
        return Err(poc(PocError::UnusedField(
            "a signature (settlement is unsigned)",
        )));
    }
    verify(
        &account.public_key,
        tx.message(chain_id),
        &signed_tx.signature,
    )?;
    let nonce = account
        .nonce
        .checked_add(1)
        .ok_or(StfError::NonceExhausted)?;
    if !matches!(tx.kind, PocKind::RequestInference | PocKind::Reveal)
        && !signed_tx.payload.is_empty()
    {
        return Err(poc(PocError::Payload("(no payload for this kind)")));
    }
    let depth = state.depth();
    let op = SignedOp {
        state,
        number,
        tx,
        payload: &signed_tx.payload,
        account,
        neuron_index: object_index(depth, OBJECT_NEURON, tx.account),
        depth,
        params: state.poc.params,
    };
    Ok((op, nonce))
}

/// The first seat's position in the active list: `(Poseidon(prev_root, id) mod 2^64) mod n`.
pub fn draw_start(block_prev_root: Fr, request_id: u32, n: u32) -> u64 {
    let seed = poseidon(&[block_prev_root, Fr::from(request_id)]);
    let low = seed.into_bigint().as_ref()[0];
    low % u64::from(n)
}
