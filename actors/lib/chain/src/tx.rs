//! AI-chain transactions as users sign them. A transfer moves `amount` from account `from` to
//! account `to`, creating the recipient with `to_public_key` if its slot is empty, pays a
//! `fee`, and is authorised by an EdDSA-Poseidon signature of its [`Transfer::message`] under
//! the sender's key.
//!
//! The message binds the chain (its id, split in two 128-bit halves, so a signature for one
//! chain is worthless on another), the kind of transaction, both accounts, the recipient's key,
//! the amount, the fee and the sender's nonce. The small fields are packed into one field
//! element (253 usable bits, BN254's scalar field):
//!
//! ```text
//! bits:   0..32  32..64  64..128  128..192  192..240  240..248
//!         from   to      amount   nonce     fee       kind
//! ```
//!
//! i.e. `from | to << 32 | amount << 64 | nonce << 128 | fee << 192 | kind << 240`, which the
//! circuit rebuilds from the bits it range-checks anyway, so the message hash stays one
//! five-input Poseidon. A full 64-bit fee does not fit beside two 64-bit values, two indices and
//! the kind, so the fee is limited to 48 bits ([`MAX_FEE`], about 2.8 * 10^14 of the chain's
//! smallest unit): the state transition refuses a larger fee (`StfError::FeeTooLarge`), the
//! byte decoder refuses it, and [`Transfer::packed`] keeps only its low 48 bits so that the
//! kind bits are always the transfer's, whatever the fee field holds.
//!
//! The fee is **burned**: the sender pays `amount + fee`, the recipient receives `amount`, and
//! the chain's total supply shrinks by the fees. Paying a sequencer is out of scope for now.
//!
//! The wire form of a signed transfer (what users submit, what DA blobs hold, what its id
//! hashes) lives in [`codec`]: [`SignedTransfer::to_bytes`], [`SignedTransfer::from_bytes`],
//! [`SignedTransfer::hash`].

pub mod codec;

use crate::babyjubjub::Point;
use crate::eddsa::{PrivateKey, Signature};
use crate::field::{split_hash, Fr};
use crate::poseidon::poseidon;
use ark_ff::PrimeField;
use bitai_protocol::ChainId;
pub use codec::{TxCodecError, SIGNED_TRANSFER_BYTES};

/// The kind tag of a transfer in the packed message word.
pub const KIND_TRANSFER: u64 = 1;

/// Bits of the fee in the packed message word.
pub const FEE_BITS: u32 = 48;

/// The largest fee a transfer may carry: `2^48 - 1`.
pub const MAX_FEE: u64 = (1 << FEE_BITS) - 1;

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
    /// Fee paid by the sender on top of `amount` and burned; at most [`MAX_FEE`].
    pub fee: u64,
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
    /// `from | to << 32 | amount << 64 | nonce << 128 | fee << 192 | kind << 240`, with only
    /// the fee's low 48 bits (a larger fee is refused by the state transition anyway; masking
    /// keeps the kind bits intact, so no transfer's message is another kind's). A consequence:
    /// a signature over a fee above [`MAX_FEE`] also signs the same transfer with the fee's
    /// low 48 bits, a smaller fee; wallets should refuse to sign such fees.
    pub fn packed(&self) -> Fr {
        let mut bytes = [0u8; 32];
        bytes[0..4].copy_from_slice(&self.from.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.to.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.amount.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.nonce.to_le_bytes());
        bytes[24..30].copy_from_slice(&(self.fee & MAX_FEE).to_le_bytes()[..6]);
        bytes[30..32].copy_from_slice(&KIND_TRANSFER.to_le_bytes()[..2]);
        Fr::from_le_bytes_mod_order(&bytes)
    }

    /// What the sender pays: `amount + fee`, or `None` if that overflows 64 bits.
    pub fn total_debit(&self) -> Option<u64> {
        self.amount.checked_add(self.fee)
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
