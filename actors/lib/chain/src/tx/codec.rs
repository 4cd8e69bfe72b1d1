//! The wire form of a [`SignedTransfer`]: what users submit to a sequencer, what DA blobs
//! hold, and what a transfer's id ([`SignedTransfer::hash`]) is computed over.
//!
//! Fixed length, [`SIGNED_TRANSFER_BYTES`] = 128 bytes, no version byte (a new layout gets a new
//! length or a new kind of transaction):
//!
//! | offset | bytes | field |
//! | --- | --- | --- |
//! | 0 | 4 | `from`, u32 little-endian |
//! | 4 | 4 | `to`, u32 little-endian |
//! | 8 | 32 | `to_public_key`, packed as circomlib does ([`pack_point`]) |
//! | 40 | 8 | `amount`, u64 little-endian |
//! | 48 | 8 | `fee`, u64 little-endian, at most [`MAX_FEE`] |
//! | 56 | 8 | `nonce`, u64 little-endian |
//! | 64 | 64 | signature, circomlib's packed `R8` then `S` ([`Signature::to_bytes`]) |
//!
//! Decoding is strict: the exact length, a recipient key that unpacks to a point of the
//! prime-order subgroup other than the identity, a fee that fits the signed message, a
//! signature whose `R8` is such a point and whose `S` is below the subgroup order. Every
//! accepted encoding is canonical (it re-encodes to the same bytes), so a transfer has exactly
//! one id. Decoding does not verify the signature: that needs the sender's key, which only
//! the state knows (the state transition checks it).

use super::{SignedTransfer, Transfer, MAX_FEE};
use crate::babyjubjub::{pack_point, unpack_point, PointError};
use crate::eddsa::{Signature, SignatureError};
use bitai_protocol::Hash32;

/// Length of an encoded signed transfer.
pub const SIGNED_TRANSFER_BYTES: usize = 128;

/// Why bytes are not an encoded signed transfer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxCodecError {
    /// The input is not exactly [`SIGNED_TRANSFER_BYTES`] long.
    #[error("signed transfer has {got} bytes, expected {expected}")]
    Length {
        /// Bytes given.
        got: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The recipient key does not unpack to an acceptable point.
    #[error("recipient key: {0}")]
    RecipientKey(PointError),
    /// The fee does not fit the signed message.
    #[error("fee {0} exceeds the largest fee {max}", max = MAX_FEE)]
    FeeTooLarge(u64),
    /// The signature is malformed (bad `R8`, or `S` not below the subgroup order).
    #[error("signature: {0}")]
    Signature(SignatureError),
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

impl SignedTransfer {
    /// The 128-byte wire form (see the module doc for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let t = &self.transfer;
        let mut out = Vec::with_capacity(SIGNED_TRANSFER_BYTES);
        out.extend_from_slice(&t.from.to_le_bytes());
        out.extend_from_slice(&t.to.to_le_bytes());
        out.extend_from_slice(&pack_point(&t.to_public_key));
        out.extend_from_slice(&t.amount.to_le_bytes());
        out.extend_from_slice(&t.fee.to_le_bytes());
        out.extend_from_slice(&t.nonce.to_le_bytes());
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes [`SignedTransfer::to_bytes`], refusing anything but a canonical encoding of a
    /// well-formed transfer (the signature itself is checked by the state transition).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TxCodecError> {
        if bytes.len() != SIGNED_TRANSFER_BYTES {
            return Err(TxCodecError::Length {
                got: bytes.len(),
                expected: SIGNED_TRANSFER_BYTES,
            });
        }
        let fee = u64::from_le_bytes(array(bytes, 48));
        if fee > MAX_FEE {
            return Err(TxCodecError::FeeTooLarge(fee));
        }
        let to_public_key = unpack_point(&array(bytes, 8)).map_err(TxCodecError::RecipientKey)?;
        let signature =
            Signature::from_bytes(&array(bytes, 64)).map_err(TxCodecError::Signature)?;
        Ok(SignedTransfer {
            transfer: Transfer {
                from: u32::from_le_bytes(array(bytes, 0)),
                to: u32::from_le_bytes(array(bytes, 4)),
                to_public_key,
                amount: u64::from_le_bytes(array(bytes, 40)),
                fee,
                nonce: u64::from_le_bytes(array(bytes, 56)),
            },
            signature,
        })
    }

    /// The transfer's id: SHA-256 of [`SignedTransfer::to_bytes`].
    pub fn hash(&self) -> Hash32 {
        Hash32::sha256(&self.to_bytes())
    }
}

#[cfg(test)]
mod tests;
