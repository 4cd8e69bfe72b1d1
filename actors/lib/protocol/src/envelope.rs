//! Inscription envelopes in the ord format: how BitAI transactions ride on Bitcoin.
//!
//! An envelope is a run of pushes inside a branch that never executes, in the tapscript that a
//! taproot script-path spend reveals: `OP_FALSE OP_IF "ord" <tag> <value> ... OP_0 <body
//! pushes> OP_ENDIF`. ord reads it without running it, and so do we, rule for rule, so that
//! standard inscription tooling and this node agree on what every transaction carries:
//!
//! - the tapscript of an input is its witness's second-to-last element, or third-to-last when
//!   the last starts with the annex byte `0x50`; a witness of one element, or of two whose last
//!   is an annex, is a key-path spend and holds no tapscript ([`tapscript`]);
//! - an envelope starts at any empty push followed by `OP_IF` and the push `"ord"`; pushes
//!   (`OP_1NEGATE` and `OP_1`..`OP_16` count as pushes of their value and set the `pushnum`
//!   flag) continue it until `OP_ENDIF`; any other opcode, or the end of the script, abandons
//!   it and the scan goes on after that opcode;
//! - pushes pair up as tag and value until an empty push in a tag position, the body tag; every
//!   push after it is body, concatenated;
//! - a tapscript that does not parse instruction by instruction (a push running past the end)
//!   yields no envelope at all for that input, even ones complete before the bad push.
//!
//! BitAI envelopes carry metaprotocol (tag 7) [`BITAI_METAPROTOCOL`] and content type (tag 1)
//! [`BITAI_CONTENT_TYPE`]; their body is one [`crate::encode_tx`] encoding. [`build`] makes
//! them for the inscriber; [`parse`] reads them for the indexer.

pub mod build;
mod decode;
mod instructions;
pub mod parse;
mod scan;

pub use build::{
    envelope_script_len, reveal_input_weight, reveal_script, reveal_script_len, BuildError, Reveal,
    CONTROL_BLOCK_BYTES, MAX_PUSH_BYTES, REVEAL_INPUT_NON_WITNESS_WEIGHT, SCHNORR_SIGNATURE_BYTES,
};
pub use parse::{
    parse_tapscript, parse_transaction, scan_transaction, MalformedInput, TapscriptError,
    TransactionScan,
};
pub use scan::tapscript;

use crate::codec::{decode_tx, DecodeError};
use crate::limits::MAX_TX_BYTES;
use crate::tx::BitaiTx;
use thiserror::Error;

/// The protocol id push that opens every ord envelope.
pub const PROTOCOL_ID: &[u8] = b"ord";

/// The metaprotocol (tag 7) value that marks a BitAI envelope.
pub const BITAI_METAPROTOCOL: &[u8] = b"bitai";

/// The content type (tag 1) of a BitAI envelope: a vendor media type naming the body format
/// (one format-version byte, then postcard; see [`crate::codec`]).
pub const BITAI_CONTENT_TYPE: &[u8] = b"application/vnd.bitai.tx";

/// Largest generic (non-BitAI) body assembled by default: the 4,000,000 WU block weight
/// limit, which no witness can exceed.
pub const MAX_GENERIC_BODY_BYTES: usize = 4_000_000;

/// Most raw tag/value pairs that ord does not take that an [`Envelope`] keeps; the rest are
/// counted in [`Fields::unknown_count`], so a hostile envelope cannot make the parse output
/// many times larger than its script.
pub const MAX_KEPT_UNKNOWN_FIELDS: usize = 64;

/// The tags ord recognizes. Odd tags are optional (unknown odd tags are ignored); even tags
/// change how an inscription is bound (an unknown even tag makes ord mark it unbound).
pub mod tag {
    /// Content type of the body (MIME type).
    pub const CONTENT_TYPE: u8 = 1;
    /// Output offset the inscription goes to (little-endian integer).
    pub const POINTER: u8 = 2;
    /// Parent inscription id (repeatable).
    pub const PARENT: u8 = 3;
    /// CBOR metadata (chunked: every value is concatenated).
    pub const METADATA: u8 = 5;
    /// Metaprotocol name; `bitai` marks ours.
    pub const METAPROTOCOL: u8 = 7;
    /// Content encoding of the body (for example `br`).
    pub const CONTENT_ENCODING: u8 = 9;
    /// Delegate inscription id.
    pub const DELEGATE: u8 = 11;
    /// Rune name commitment.
    pub const RUNE: u8 = 13;
    /// Reserved by ord, never read (so it stays an unknown odd tag).
    pub const NOTE: u8 = 15;
    /// Gallery properties (chunked).
    pub const PROPERTIES: u8 = 17;
    /// Encoding of the properties.
    pub const PROPERTY_ENCODING: u8 = 19;
    /// Reserved by ord to make an inscription unbound (an even tag it never reads).
    pub const UNBOUND: u8 = 66;
    /// Reserved by ord as a no-op odd tag.
    pub const NOP: u8 = 255;
}

/// One raw tag/value pair, as pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The tag push (usually one byte).
    pub tag: Vec<u8>,
    /// The value push.
    pub value: Vec<u8>,
}

/// The fields of an envelope as ord reads them: the first value of each single-valued tag,
/// every value of `parent`, chunked tags concatenated, and what ord leaves untaken.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// Tag 1.
    pub content_type: Option<Vec<u8>>,
    /// Tag 2 (raw little-endian bytes).
    pub pointer: Option<Vec<u8>>,
    /// Tag 3, every value in order.
    pub parents: Vec<Vec<u8>>,
    /// Tag 5, all values concatenated.
    pub metadata: Option<Vec<u8>>,
    /// Tag 7.
    pub metaprotocol: Option<Vec<u8>>,
    /// Tag 9.
    pub content_encoding: Option<Vec<u8>>,
    /// Tag 11.
    pub delegate: Option<Vec<u8>>,
    /// Tag 13.
    pub rune: Option<Vec<u8>>,
    /// Tag 17, all values concatenated.
    pub properties: Option<Vec<u8>>,
    /// Tag 19.
    pub property_encoding: Option<Vec<u8>>,
    /// Pairs ord does not take (unknown tags, and repeated values of single-valued tags), in
    /// script order, at most [`MAX_KEPT_UNKNOWN_FIELDS`].
    pub unknown: Vec<Field>,
    /// How many such pairs there were in all.
    pub unknown_count: usize,
}

/// The body of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body tag: the envelope has fields only.
    Absent,
    /// The body pushes, concatenated.
    Bytes(Vec<u8>),
    /// The body is longer than the limit that applies, so it was not assembled.
    OverLimit {
        /// Its length in bytes.
        len: usize,
        /// The limit that applied.
        max: usize,
    },
}

/// What ord notes about an envelope's shape; all but `stutter` and `pushnum` are
/// about fields. ord curses (before the jubilee) or marks such inscriptions; we keep them and
/// report the flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnvelopeFlags {
    /// Some tag appears more than once.
    pub duplicate_field: bool,
    /// The fields end with a tag that has no value.
    pub incomplete_field: bool,
    /// An even tag ord does not take is present (ord: the inscription is unbound).
    pub unrecognized_even_field: bool,
    /// A payload push was made with `OP_1NEGATE` or `OP_1`..`OP_16`.
    pub pushnum: bool,
    /// The envelope came right after an abandoned `OP_FALSE` (ord's "stutter").
    pub stutter: bool,
}

/// One envelope found in a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Index of the input whose tapscript holds it.
    pub input: u32,
    /// Index of the envelope among the complete envelopes of that input.
    pub offset: u32,
    /// The x-only key of a tapscript that starts `<32 bytes> OP_CHECKSIG` (ord's reveal
    /// script shape): the key whose signature spent the input, if the transaction is valid.
    pub reveal_key: Option<[u8; 32]>,
    /// The fields.
    pub fields: Fields,
    /// The body.
    pub body: Body,
    /// Shape flags.
    pub flags: EnvelopeFlags,
}

/// Size limits for assembling bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest body assembled for a BitAI envelope.
    pub max_bitai_body_bytes: usize,
    /// Largest body assembled for any other envelope.
    pub max_body_bytes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_bitai_body_bytes: MAX_TX_BYTES,
            max_body_bytes: MAX_GENERIC_BODY_BYTES,
        }
    }
}

/// Why an envelope does not give a BitAI transaction.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The metaprotocol is not [`BITAI_METAPROTOCOL`].
    #[error("not a bitai envelope")]
    NotBitai,
    /// The envelope has no body tag.
    #[error("bitai envelope has no body")]
    NoBody,
    /// The body is over the limit and was not assembled.
    #[error("bitai envelope body is {len} bytes, over the limit of {max}")]
    BodyTooLarge {
        /// Body length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The envelope declares a content encoding; BitAI bodies are never encoded.
    #[error("bitai envelope body has content encoding {0:?}")]
    ContentEncoded(String),
    /// The body is not a BitAI transaction.
    #[error("bitai envelope body does not decode: {0}")]
    Decode(#[from] DecodeError),
}

impl Envelope {
    /// Whether the metaprotocol marks this envelope as BitAI's.
    pub fn is_bitai(&self) -> bool {
        self.fields.metaprotocol.as_deref() == Some(BITAI_METAPROTOCOL)
    }

    /// The body bytes, if there is a body and it was assembled.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Bytes(bytes) => Some(bytes),
            Body::Absent | Body::OverLimit { .. } => None,
        }
    }

    /// The body length, assembled or not.
    pub fn body_len(&self) -> Option<usize> {
        match &self.body {
            Body::Absent => None,
            Body::Bytes(bytes) => Some(bytes.len()),
            Body::OverLimit { len, .. } => Some(*len),
        }
    }

    /// Decodes the BitAI transaction this envelope carries.
    pub fn bitai_tx(&self) -> Result<BitaiTx, EnvelopeError> {
        if !self.is_bitai() {
            return Err(EnvelopeError::NotBitai);
        }
        if let Some(encoding) = &self.fields.content_encoding {
            return Err(EnvelopeError::ContentEncoded(
                String::from_utf8_lossy(encoding).into_owned(),
            ));
        }
        match &self.body {
            Body::Absent => Err(EnvelopeError::NoBody),
            Body::OverLimit { len, max } => Err(EnvelopeError::BodyTooLarge {
                len: *len,
                max: *max,
            }),
            Body::Bytes(bytes) if bytes.len() > MAX_TX_BYTES => Err(EnvelopeError::BodyTooLarge {
                len: bytes.len(),
                max: MAX_TX_BYTES,
            }),
            Body::Bytes(bytes) => Ok(decode_tx(bytes)?),
        }
    }
}

#[cfg(test)]
mod tests;
