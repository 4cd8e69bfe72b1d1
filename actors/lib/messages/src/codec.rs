//! The building blocks of the cluster wire protocols ([`crate::prover::wire`],
//! [`crate::neuron::wire`]): a version byte, a tag byte, then fixed-width little-endian
//! fields and `u32`-length-prefixed byte strings, each bounded by the protocol; trailing bytes
//! are an error. The [`Reader`] never panics on a peer's bytes. Frames travel in ractor's
//! envelope as a `Cast` whose `variant` names the protocol.

use bitai_protocol::Hash32;
use ractor::message::{BoxedDowncastErr, SerializedMessage};

/// Why bytes from a peer are not a message of a protocol.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The message ended early.
    #[error("message truncated")]
    Truncated,
    /// Another protocol version.
    #[error("unsupported protocol version {0}")]
    Version(u8),
    /// An unknown message tag.
    #[error("unknown message tag {0}")]
    Tag(u8),
    /// A byte string or list over its bound.
    #[error("{what} of {len} exceeds {max}")]
    TooLong {
        /// Which field.
        what: &'static str,
        /// Its declared length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A text field that is not UTF-8.
    #[error("reason is not utf-8")]
    Utf8,
    /// Bytes after the message.
    #[error("{0} trailing bytes")]
    Trailing(usize),
    /// A field that does not decode as its type (a record, an op).
    #[error("{what}: {reason}")]
    Field {
        /// Which field.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// Appends a `u32` length and `bytes` (the senders keep lengths far below `u32::MAX`; the
/// receiver checks its bound).
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// A cursor over a message's bytes.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader of `bytes`, past their version byte, which must be `version`.
    pub fn new(bytes: &'a [u8], version: u8) -> Result<Self, WireError> {
        let mut r = Reader { rest: bytes };
        match r.u8()? {
            v if v == version => Ok(r),
            v => Err(WireError::Version(v)),
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, WireError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    /// 32 raw bytes.
    pub fn hash(&mut self) -> Result<Hash32, WireError> {
        let mut b = [0u8; 32];
        b.copy_from_slice(self.take(32)?);
        Ok(Hash32(b))
    }

    /// A `u32`-length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, what: &'static str, max: usize) -> Result<Vec<u8>, WireError> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(WireError::TooLong { what, len, max });
        }
        Ok(self.take(len)?.to_vec())
    }

    /// A length-prefixed UTF-8 string of at most `max` bytes.
    pub fn text(&mut self, what: &'static str, max: usize) -> Result<String, WireError> {
        String::from_utf8(self.bytes(what, max)?).map_err(|_| WireError::Utf8)
    }

    /// Ends the message: no byte may be left.
    pub fn finish(self) -> Result<(), WireError> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(WireError::Trailing(n)),
        }
    }
}

/// `args` in ractor's envelope, as a cast of protocol `variant`.
pub fn frame(variant: &str, args: Vec<u8>) -> SerializedMessage {
    SerializedMessage::Cast {
        variant: variant.to_owned(),
        args,
        metadata: None,
    }
}

/// The bytes of a peer's frame; anything but a cast is dropped with a warning.
pub fn unframe(what: &str, msg: SerializedMessage) -> Result<Vec<u8>, BoxedDowncastErr> {
    match msg {
        SerializedMessage::Cast { args, .. } => Ok(args),
        _ => {
            tracing::warn!(what, "dropping a peer's frame that is not a cast");
            Err(BoxedDowncastErr)
        }
    }
}

/// `reason` cut to `max` bytes on a character boundary.
pub fn bounded_text(mut reason: String, max: usize) -> String {
    if reason.len() > max {
        let mut end = max;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

/// Implements `ractor::Message` for a cluster message type that has
/// `to_bytes(&self) -> Option<Vec<u8>>` (`None`: a local-only message, never sent) and
/// `from_bytes(&[u8]) -> Result<Self, WireError>`: frames of protocol `$variant`; a peer's
/// frame that does not decode is dropped with a warning saying what it was (`$what`) and
/// whom it came from (`$from`).
macro_rules! cluster_message {
    ($ty:ty, $variant:expr, $what:literal, $from:literal) => {
        impl ractor::Message for $ty {
            fn serializable() -> bool {
                true
            }

            fn serialize(
                self,
            ) -> Result<ractor::message::SerializedMessage, ractor::message::BoxedDowncastErr>
            {
                self.to_bytes()
                    .map(|b| $crate::codec::frame($variant, b))
                    .ok_or(ractor::message::BoxedDowncastErr)
            }

            fn deserialize(
                msg: ractor::message::SerializedMessage,
            ) -> Result<Self, ractor::message::BoxedDowncastErr> {
                let bytes = $crate::codec::unframe($what, msg)?;
                <$ty>::from_bytes(&bytes).map_err(|e| {
                    tracing::warn!(error = %e, concat!("dropping a malformed message from ", $from));
                    ractor::message::BoxedDowncastErr
                })
            }
        }
    };
}
pub(crate) use cluster_message;
