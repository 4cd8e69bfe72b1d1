//! The AI chain's state transition function: the one definition of what a block does to the
//! state, used by the sequencer to execute blocks and by the prover to build the circuit's
//! witness. The circuit (`bitai_proofs::circuit`) enforces exactly these rules.
//!
//! State: accounts `(public key, balance, nonce)` in an arity-four Poseidon sparse Merkle tree
//! ([`crate::smt`]), leaf = `Poseidon(A.x, A.y, balance, nonce)`, empty leaf = 0. A transfer
//! is valid iff the sender exists, the nonce equals the sender's, the fee is at most
//! [`crate::tx::MAX_FEE`], the signature verifies, `amount + fee` is at most the sender's
//! balance, the recipient key is a valid subgroup point that equals the stored key of an
//! existing recipient, and no balance or nonce overflows 64 bits. It debits `amount + fee` from
//! the sender and bumps its nonce first, then credits `amount` to the recipient (a transfer to
//! oneself therefore costs exactly the fee and a nonce).
//!
//! **Fees are burned**: nobody is credited the fee, so the sum of all balances shrinks by the
//! fees of every executed transfer. A sequencer's income is out of scope for now.
//!
//! Beside the accounts the state holds the Proof-of-Compute records ([`poc`]: neurons, models,
//! requests). The **state root** is `Poseidon(account_root, object_root, list_root,
//! counters)` ([`StateParts::root`]). A block applies its transfers first, then its
//! Proof-of-Compute ops ([`crate::poc::PocOp`]), each through the same rules the circuit
//! enforces.

use crate::babyjubjub::{checked_point, Point, PointError};
use crate::eddsa::{verify, SignatureError};
use crate::field::{fr_to_hash, Fr};
use crate::poc::{PocOp, PocParams};
use crate::poseidon::poseidon;
use crate::smt::{MerkleProof, SparseMerkleTree, TreeError};
use crate::tx::{AccountIndex, SignedTransfer, MAX_FEE};
use bitai_protocol::{ChainId, Hash32};
use std::collections::BTreeMap;

pub mod poc;

pub use poc::{Counters, ListTouch, ObjectTouch, PocError, PocOpWitness, PocState, StateParts};

/// An account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// The key that signs for the account.
    pub public_key: Point,
    /// Balance in the chain's smallest unit.
    pub balance: u64,
    /// Transfers sent so far.
    pub nonce: u64,
}

impl Account {
    /// The account's leaf in the tree: `Poseidon(A.x, A.y, balance, nonce)`.
    pub fn leaf(&self) -> Fr {
        poseidon(&[
            self.public_key.x,
            self.public_key.y,
            self.balance.into(),
            self.nonce.into(),
        ])
    }
}

/// Why a transaction or block is refused. The state is left as it was.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StfError {
    /// No account at the sender's index.
    #[error("sender account {0} does not exist")]
    UnknownSender(AccountIndex),
    /// The transfer's nonce is not the sender's.
    #[error("nonce {got} does not match the account's {expected}")]
    BadNonce {
        /// The account's nonce.
        expected: u64,
        /// The transfer's nonce.
        got: u64,
    },
    /// The signature does not verify.
    #[error("signature: {0}")]
    BadSignature(#[from] SignatureError),
    /// The amount plus the fee exceeds the sender's balance (or 64 bits).
    #[error("amount {amount} plus fee {fee} exceeds balance {balance}")]
    Overdraft {
        /// The sender's balance.
        balance: u64,
        /// The amount.
        amount: u64,
        /// The fee.
        fee: u64,
    },
    /// The fee does not fit the 48 bits of the signed message.
    #[error("fee {fee} exceeds the largest fee {max}", max = crate::tx::MAX_FEE)]
    FeeTooLarge {
        /// The fee.
        fee: u64,
    },
    /// The recipient key is not a valid point.
    #[error("recipient key: {0}")]
    BadRecipientKey(PointError),
    /// The recipient exists with a different key.
    #[error("recipient account {0} has a different key")]
    RecipientKeyMismatch(AccountIndex),
    /// The recipient's balance would overflow.
    #[error("recipient balance would overflow")]
    BalanceOverflow,
    /// The sender's nonce would overflow.
    #[error("sender nonce exhausted")]
    NonceExhausted,
    /// An index is beyond the tree.
    #[error("tree: {0}")]
    Tree(#[from] TreeError),
    /// The block holds more transactions than the circuit size allows.
    #[error("block has {got} transactions, the most is {max}")]
    TooManyTxs {
        /// Transactions in the block.
        got: usize,
        /// The block size.
        max: usize,
    },
    /// A Proof-of-Compute rule refused the op.
    #[error("{0}")]
    Poc(#[from] PocError),
    /// The block holds more Proof-of-Compute ops than the circuit size allows.
    #[error("block has {got} ops, the most is {max}")]
    TooManyOps {
        /// Ops in the block.
        got: usize,
        /// The block size.
        max: usize,
    },
    /// Transaction `index` of the block failed.
    #[error("transaction {index}: {source}")]
    InBlock {
        /// Position in the block.
        index: usize,
        /// Why.
        source: Box<StfError>,
    },
}

/// What the circuit needs to re-check one transfer: the accounts and paths before each write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferWitness {
    /// The signed transfer.
    pub tx: SignedTransfer,
    /// The sender before the transfer.
    pub sender: Account,
    /// The sender's path in the state before the transfer.
    pub sender_proof: MerkleProof,
    /// The recipient after the sender's update (None: empty slot).
    pub recipient: Option<Account>,
    /// The recipient's path in the state after the sender's update.
    pub recipient_proof: MerkleProof,
    /// Account-tree roots before, after the sender's update, after the recipient's update.
    pub roots: [Fr; 3],
}

/// A block of transfers to execute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The chain.
    pub chain_id: ChainId,
    /// Block number (1 for the first block after genesis).
    pub number: u64,
    /// The DA commitment the proof binds.
    pub da_commitment: Hash32,
    /// The transfers, at most the circuit's transfer slots; applied first.
    pub txs: Vec<SignedTransfer>,
    /// The Proof-of-Compute ops, at most the circuit's op slots; applied after the transfers.
    pub ops: Vec<PocOp>,
}

/// The outcome of a block: roots and one witness per transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockWitness {
    /// The block executed.
    pub block: Block,
    /// State root before.
    pub prev_root: Fr,
    /// State root after.
    pub new_root: Fr,
    /// One per transfer, in order.
    pub transfers: Vec<TransferWitness>,
    /// One per op, in order.
    pub ops: Vec<PocOpWitness>,
    /// The parts of `prev_root`.
    pub prev_parts: StateParts,
    /// The parts of `new_root`.
    pub new_parts: StateParts,
}

/// The state of an AI chain.
#[derive(Clone, Debug)]
pub struct State {
    tree: SparseMerkleTree,
    accounts: BTreeMap<AccountIndex, Account>,
    poc: PocState,
}

impl State {
    /// An empty state with a tree of `depth` levels (16 for 2^32 accounts) and the default
    /// Proof-of-Compute parameters.
    pub fn new(depth: usize) -> Self {
        State::with_params(depth, PocParams::default())
    }

    /// An empty state with a tree of `depth` levels and Proof-of-Compute `params`.
    pub fn with_params(depth: usize, params: PocParams) -> Self {
        State {
            tree: SparseMerkleTree::new(depth),
            accounts: BTreeMap::new(),
            poc: PocState::new(depth, params),
        }
    }

    /// A genesis state holding `accounts` (keys must be valid subgroup points), with the
    /// default Proof-of-Compute parameters.
    pub fn genesis(
        depth: usize,
        accounts: impl IntoIterator<Item = (AccountIndex, Account)>,
    ) -> Result<Self, StfError> {
        State::genesis_with(depth, PocParams::default(), accounts)
    }

    /// A genesis state holding `accounts`, with Proof-of-Compute `params`.
    pub fn genesis_with(
        depth: usize,
        params: PocParams,
        accounts: impl IntoIterator<Item = (AccountIndex, Account)>,
    ) -> Result<Self, StfError> {
        let mut state = State::with_params(depth, params);
        for (index, account) in accounts {
            let key = account.public_key;
            checked_point(key.x, key.y)
                .map(drop)
                .map_err(StfError::BadRecipientKey)?;
            state.put(index, account)?;
        }
        Ok(state)
    }

    /// Tree depth.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The state root: `Poseidon(account_root, object_root, list_root, counters)`.
    pub fn root(&self) -> Fr {
        self.parts().root()
    }

    /// Every account, by index.
    pub fn accounts(&self) -> impl Iterator<Item = (AccountIndex, &Account)> {
        self.accounts.iter().map(|(i, a)| (*i, a))
    }

    /// The state root as 32 bytes (what `SubmitProof` carries).
    pub fn root_hash(&self) -> Hash32 {
        fr_to_hash(&self.root())
    }

    /// The account at `index`, if any.
    pub fn account(&self, index: AccountIndex) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// Applies one transfer on `chain_id`; on error nothing changes.
    pub fn apply_transfer(
        &mut self,
        chain_id: &ChainId,
        tx: &SignedTransfer,
    ) -> Result<TransferWitness, StfError> {
        let t = &tx.transfer;
        let sender = *self
            .accounts
            .get(&t.from)
            .ok_or(StfError::UnknownSender(t.from))?;
        let sender_proof = self.tree.proof(t.from.into())?;
        self.tree.proof(t.to.into())?;
        if t.nonce != sender.nonce {
            return Err(StfError::BadNonce {
                expected: sender.nonce,
                got: t.nonce,
            });
        }
        if t.fee > MAX_FEE {
            return Err(StfError::FeeTooLarge { fee: t.fee });
        }
        verify(&sender.public_key, t.message(chain_id), &tx.signature)?;
        let debit = t
            .total_debit()
            .filter(|debit| *debit <= sender.balance)
            .ok_or(StfError::Overdraft {
                balance: sender.balance,
                amount: t.amount,
                fee: t.fee,
            })?;
        let key = t.to_public_key;
        checked_point(key.x, key.y)
            .map(drop)
            .map_err(StfError::BadRecipientKey)?;
        let new_nonce = sender
            .nonce
            .checked_add(1)
            .ok_or(StfError::NonceExhausted)?;
        let debited = Account {
            balance: sender.balance - debit,
            nonce: new_nonce,
            ..sender
        };
        // The recipient as it is after the sender's update (itself, for a self-transfer).
        let recipient = if t.to == t.from {
            Some(debited)
        } else {
            self.accounts.get(&t.to).copied()
        };
        let credited = match recipient {
            Some(r) if r.public_key != key => return Err(StfError::RecipientKeyMismatch(t.to)),
            Some(r) => Account {
                balance: r
                    .balance
                    .checked_add(t.amount)
                    .ok_or(StfError::BalanceOverflow)?,
                ..r
            },
            None => Account {
                public_key: key,
                balance: t.amount,
                nonce: 0,
            },
        };
        let root_before = self.tree.root();
        self.put(t.from, debited)?;
        let root_mid = self.tree.root();
        let recipient_proof = self.tree.proof(t.to.into())?;
        self.put(t.to, credited)?;
        Ok(TransferWitness {
            tx: *tx,
            sender,
            sender_proof,
            recipient,
            recipient_proof,
            roots: [root_before, root_mid, self.tree.root()],
        })
    }

    /// Applies a whole block of at most `max_txs` transfers and `max_ops` ops, atomically: on
    /// error the state is as before and the error names the failing transaction (transfers
    /// count first, then ops).
    pub fn apply_block(
        &mut self,
        block: &Block,
        max_txs: usize,
        max_ops: usize,
    ) -> Result<BlockWitness, StfError> {
        if block.txs.len() > max_txs {
            return Err(StfError::TooManyTxs {
                got: block.txs.len(),
                max: max_txs,
            });
        }
        if block.ops.len() > max_ops {
            return Err(StfError::TooManyOps {
                got: block.ops.len(),
                max: max_ops,
            });
        }
        let prev_parts = self.parts();
        let prev_root = prev_parts.root();
        let saved_poc = (!block.ops.is_empty()).then(|| self.poc.clone());
        let mut undo: Vec<(AccountIndex, Option<Account>)> = Vec::new();
        let mut transfers = Vec::with_capacity(block.txs.len());
        let mut ops = Vec::with_capacity(block.ops.len());
        let mut failed = None;
        for (index, tx) in block.txs.iter().enumerate() {
            let t = &tx.transfer;
            let saved = [
                (t.from, self.accounts.get(&t.from).copied()),
                (t.to, self.accounts.get(&t.to).copied()),
            ];
            match self.apply_transfer(&block.chain_id, tx) {
                Ok(w) => {
                    undo.extend(saved);
                    transfers.push(w);
                }
                Err(e) => {
                    failed = Some((index, e));
                    break;
                }
            }
        }
        if failed.is_none() {
            for (i, op) in block.ops.iter().enumerate() {
                match self.apply_op(&block.chain_id, block.number, prev_root, op) {
                    Ok(w) => {
                        undo.push((w.account_index, Some(w.account)));
                        ops.push(w);
                    }
                    Err(e) => {
                        failed = Some((block.txs.len() + i, e));
                        break;
                    }
                }
            }
        }
        if let Some((index, e)) = failed {
            for (i, account) in undo.into_iter().rev() {
                self.restore(i, account);
            }
            if let Some(poc) = saved_poc {
                self.poc = poc;
            }
            return Err(StfError::InBlock {
                index,
                source: Box::new(e),
            });
        }
        let new_parts = self.parts();
        Ok(BlockWitness {
            block: block.clone(),
            prev_root,
            new_root: new_parts.root(),
            transfers,
            ops,
            prev_parts,
            new_parts,
        })
    }

    fn put(&mut self, index: AccountIndex, account: Account) -> Result<(), StfError> {
        self.tree.set(index.into(), account.leaf())?;
        self.accounts.insert(index, account);
        Ok(())
    }

    fn restore(&mut self, index: AccountIndex, account: Option<Account>) {
        let leaf = account.map_or(Fr::from(0u64), |a| a.leaf());
        self.tree
            .set(index.into(), leaf)
            .expect("restoring a position that was written");
        match account {
            Some(a) => self.accounts.insert(index, a),
            None => self.accounts.remove(&index),
        };
    }
}

#[cfg(test)]
mod tests;
