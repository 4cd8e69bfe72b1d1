//! AI-chain transactions as users sign them. A transfer moves `amount` from account `from` to
//! account `to`, creating the recipient with `to_public_key` if its slot is empty, and is
//! authorised by an EdDSA-Poseidon signature of its [`Transfer::message`] under the sender's
//! key.
//!
//! The message binds the chain (its id, split in two 128-bit halves, so a signature for one
//! chain is worthless on another), the kind of transaction, both accounts, the recipient's key,
//! the amount and the sender's nonce. The small fields are packed into one field element,
//! `from | to << 32 | amount << 64 | nonce << 128 | kind << 192`, which the circuit rebuilds
//! from the bits it range-checks anyway, so the message hash is one five-input Poseidon.

use crate::babyjubjub::Point;
use crate::eddsa::{PrivateKey, Signature};
use crate::field::{split_hash, Fr};
use crate::poseidon::poseidon;
use ark_ff::PrimeField;
use bitai_protocol::ChainId;

/// The kind tag of a transfer in the packed message word.
pub const KIND_TRANSFER: u64 = 1;

/// An account index (a leaf position of the account tree).
pub type AccountIndex = u32;

/// A transfer, unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Sender's account index.
    pub from: AccountIndex,
    /// Recipient's account index.
    pub to: AccountIndex,
    /// Recipient's public key: must equal the stored key, or creates the account.
    pub to_public_key: Point,
    /// Amount moved, in the chain's smallest unit.
    pub amount: u64,
    /// The sender's nonce before this transfer.
    pub nonce: u64,
}

/// A transfer with its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedTransfer {
    /// What is signed.
    pub transfer: Transfer,
    /// The sender's signature of [`Transfer::message`].
    pub signature: Signature,
}

impl Transfer {
    /// `from | to << 32 | amount << 64 | nonce << 128 | kind << 192`.
    pub fn packed(&self) -> Fr {
        let mut bytes = [0u8; 32];
        bytes[0..4].copy_from_slice(&self.from.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.to.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.amount.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.nonce.to_le_bytes());
        bytes[24..32].copy_from_slice(&KIND_TRANSFER.to_le_bytes());
        Fr::from_le_bytes_mod_order(&bytes)
    }

    /// The field element the sender signs on chain `chain_id`.
    pub fn message(&self, chain_id: &ChainId) -> Fr {
        let [hi, lo] = split_hash(&chain_id.0);
        poseidon(&[
            hi,
            lo,
            self.packed(),
            self.to_public_key.x,
            self.to_public_key.y,
        ])
    }

    /// Signs this transfer for `chain_id` with `key`.
    pub fn sign(self, chain_id: &ChainId, key: &PrivateKey) -> SignedTransfer {
        SignedTransfer {
            transfer: self,
            signature: key.sign(self.message(chain_id)),
        }
    }
}
