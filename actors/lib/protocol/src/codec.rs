//! The wire format of a BitAI transaction: one format-version byte, then the postcard
//! encoding of [`BitaiTx`]. Decoding checks the total size before postcard sees a byte (so a
//! hostile length prefix cannot make it allocate more than the input), then the version, then
//! every field limit, and refuses trailing bytes and non-canonical forms (re-encoding must
//! give back the input) so each transaction has one encoding.

use crate::limits::MAX_TX_BYTES;
use crate::tx::BitaiTx;
use thiserror::Error;

/// The current wire format version; the first byte of every encoded BitAI transaction.
pub const FORMAT_VERSION: u8 = 1;

/// Why bytes are not a BitAI transaction.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// No bytes at all.
    #[error("empty input")]
    Empty,
    /// The input is over [`MAX_TX_BYTES`].
    #[error("encoded transaction is {len} bytes, over the limit of {max}")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The format byte names a version this node does not read.
    #[error("unknown format version {0} (this node reads version {FORMAT_VERSION})")]
    UnknownVersion(u8),
    /// postcard could not read the body.
    #[error("malformed body: {0}")]
    Malformed(String),
    /// Bytes left over after a complete transaction.
    #[error("{0} trailing bytes after the transaction")]
    TrailingBytes(usize),
    /// The bytes decode, but are not the transaction's canonical encoding (postcard reads
    /// over-long varints and non-minimal forms); accepting them would give one transaction
    /// several byte strings, hence several hashes.
    #[error("not the canonical encoding of the transaction")]
    NonCanonical,
    /// A field is over its limit.
    #[error("field {field} is {len} bytes, over the limit of {max}")]
    FieldTooLarge {
        /// Field name.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Why a transaction cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field or the whole is over a limit.
    #[error("transaction over a limit: {0}")]
    OverLimit(#[from] DecodeError),
    /// postcard failed (only for types postcard cannot encode).
    #[error("postcard: {0}")]
    Postcard(String),
}

/// Encodes `tx` as format byte + postcard, after checking every limit.
pub fn encode_tx(tx: &BitaiTx) -> Result<Vec<u8>, EncodeError> {
    tx.validate()?;
    let mut out = vec![FORMAT_VERSION];
    let body = postcard::to_stdvec(tx).map_err(|e| EncodeError::Postcard(e.to_string()))?;
    out.extend_from_slice(&body);
    if out.len() > MAX_TX_BYTES {
        return Err(DecodeError::TooLarge {
            len: out.len(),
            max: MAX_TX_BYTES,
        }
        .into());
    }
    Ok(out)
}

/// Decodes one BitAI transaction from exactly `bytes`.
pub fn decode_tx(bytes: &[u8]) -> Result<BitaiTx, DecodeError> {
    let (&version, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
    if bytes.len() > MAX_TX_BYTES {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: MAX_TX_BYTES,
        });
    }
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let (tx, rest): (BitaiTx, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes(rest.len()));
    }
    tx.validate()?;
    let canonical = postcard::to_stdvec(&tx).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if canonical != body {
        return Err(DecodeError::NonCanonical);
    }
    Ok(tx)
}

#[cfg(test)]
mod tests;
