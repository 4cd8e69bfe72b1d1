//! The wire form of a Proof-of-Compute op: what clients and neurons submit, what DA blobs
//! hold beside transfers, and what an op's id ([`PocOp::hash`]) is computed over.
//!
//! A signed op ([`SIGNED_POC_HEADER_BYTES`] + payload):
//!
//! | offset | bytes | field |
//! | --- | --- | --- |
//! | 0 | 1 | kind tag (2..=9 except 7) |
//! | 1 | 4 | `account`, u32 little-endian |
//! | 5 | 4 | `target`, u32 little-endian |
//! | 9 | 8 | `amount`, u64 little-endian |
//! | 17 | 8 | `nonce`, u64 little-endian |
//! | 25 | 8 | `fee`, u64 little-endian, at most [`MAX_FEE`] |
//! | 33 | 32 | `data[0]`, a canonical field element, big-endian |
//! | 65 | 32 | `data[1]`, likewise |
//! | 97 | 64 | signature (packed `R8`, then `S`) |
//! | 161 | 4 | payload length, u32 little-endian, at most [`MAX_PAYLOAD_BYTES`] |
//! | 165 | n | payload |
//!
//! A settlement part is 6 bytes: tag 7, the request id (u32 little-endian), the part (0..=3).
//! Neither length is 128, a transfer's ([`crate::tx::SIGNED_TRANSFER_BYTES`]), so a block's
//! list of encoded transactions tells each kind by its length alone. Decoding is strict
//! (exact lengths, canonical field elements, a well-formed signature), so every op has one
//! encoding and one id.

use super::{PocKind, PocOp, PocTx, SignedPocTx, SETTLE_PARTS};
use crate::eddsa::{Signature, SignatureError};
use crate::field::{fr_from_be_bytes, fr_to_be_bytes};
use crate::tx::MAX_FEE;
use bitai_protocol::Hash32;

/// Largest payload (input or output bytes) an op carries.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// Bytes of a signed op before its payload.
pub const SIGNED_POC_HEADER_BYTES: usize = 165;

/// Bytes of an encoded settlement part.
pub const SETTLE_BYTES: usize = 6;

/// Why bytes are not an encoded op.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PocCodecError {
    /// Empty input.
    #[error("empty op")]
    Empty,
    /// The kind tag is unknown.
    #[error("unknown op kind {0}")]
    Kind(u8),
    /// The length does not fit the kind.
    #[error("op of {got} bytes, expected {expected}")]
    Length {
        /// Bytes given.
        got: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The payload is over [`MAX_PAYLOAD_BYTES`].
    #[error("payload of {0} bytes is over the limit of {max}", max = MAX_PAYLOAD_BYTES)]
    PayloadTooLarge(usize),
    /// The fee does not fit the signed message.
    #[error("fee {0} exceeds the largest fee {max}", max = MAX_FEE)]
    FeeTooLarge(u64),
    /// A data word is not a canonical field element.
    #[error("data word {0} is not a canonical field element")]
    Data(usize),
    /// The settlement part is not 0..=3.
    #[error("settlement part {0} is not 0..=3")]
    Part(u8),
    /// The signature is malformed.
    #[error("signature: {0}")]
    Signature(SignatureError),
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

impl PocOp {
    /// The wire form (see the module doc).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            PocOp::Settle { request, part } => {
                let mut out = vec![PocKind::Settle as u8];
                out.extend_from_slice(&request.to_le_bytes());
                out.push(*part);
                out
            }
            PocOp::Signed(s) => {
                let t = &s.tx;
                let mut out = Vec::with_capacity(SIGNED_POC_HEADER_BYTES + s.payload.len());
                out.push(t.kind as u8);
                out.extend_from_slice(&t.account.to_le_bytes());
                out.extend_from_slice(&t.target.to_le_bytes());
                out.extend_from_slice(&t.amount.to_le_bytes());
                out.extend_from_slice(&t.nonce.to_le_bytes());
                out.extend_from_slice(&t.fee.to_le_bytes());
                out.extend_from_slice(&fr_to_be_bytes(&t.data[0]));
                out.extend_from_slice(&fr_to_be_bytes(&t.data[1]));
                out.extend_from_slice(&s.signature.to_bytes());
                let len = u32::try_from(s.payload.len()).expect("payloads are far below 4 GiB");
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&s.payload);
                out
            }
        }
    }

    /// Decodes [`PocOp::to_bytes`], refusing anything but a canonical encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PocCodecError> {
        let tag = *bytes.first().ok_or(PocCodecError::Empty)?;
        let kind = PocKind::from_tag(tag).ok_or(PocCodecError::Kind(tag))?;
        if kind == PocKind::Settle {
            if bytes.len() != SETTLE_BYTES {
                return Err(PocCodecError::Length {
                    got: bytes.len(),
                    expected: SETTLE_BYTES,
                });
            }
            let part = bytes[5];
            if part >= SETTLE_PARTS {
                return Err(PocCodecError::Part(part));
            }
            return Ok(PocOp::Settle {
                request: u32::from_le_bytes(array(bytes, 1)),
                part,
            });
        }
        if bytes.len() < SIGNED_POC_HEADER_BYTES {
            return Err(PocCodecError::Length {
                got: bytes.len(),
                expected: SIGNED_POC_HEADER_BYTES,
            });
        }
        let len = u32::from_le_bytes(array(bytes, 161)) as usize;
        if len > MAX_PAYLOAD_BYTES {
            return Err(PocCodecError::PayloadTooLarge(len));
        }
        if bytes.len() != SIGNED_POC_HEADER_BYTES + len {
            return Err(PocCodecError::Length {
                got: bytes.len(),
                expected: SIGNED_POC_HEADER_BYTES + len,
            });
        }
        let fee = u64::from_le_bytes(array(bytes, 25));
        if fee > MAX_FEE {
            return Err(PocCodecError::FeeTooLarge(fee));
        }
        let d0 = fr_from_be_bytes(&array(bytes, 33)).map_err(|_| PocCodecError::Data(0))?;
        let d1 = fr_from_be_bytes(&array(bytes, 65)).map_err(|_| PocCodecError::Data(1))?;
        let signature =
            Signature::from_bytes(&array(bytes, 97)).map_err(PocCodecError::Signature)?;
        Ok(PocOp::Signed(SignedPocTx {
            tx: PocTx {
                kind,
                account: u32::from_le_bytes(array(bytes, 1)),
                target: u32::from_le_bytes(array(bytes, 5)),
                amount: u64::from_le_bytes(array(bytes, 9)),
                nonce: u64::from_le_bytes(array(bytes, 17)),
                fee,
                data: [d0, d1],
            },
            signature,
            payload: bytes[SIGNED_POC_HEADER_BYTES..].to_vec(),
        }))
    }

    /// The op's id: SHA-256 of [`PocOp::to_bytes`].
    pub fn hash(&self) -> Hash32 {
        Hash32::sha256(&self.to_bytes())
    }
}

#[cfg(test)]
mod tests;
