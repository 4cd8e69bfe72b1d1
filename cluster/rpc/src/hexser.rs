//! Hex on the wire: every byte field of the JSON-RPC types is a lower-case hex string (ids,
//! hashes and keys as exactly 64 digits, no `0x`), read back strictly. These are the serde
//! `with` modules the types use; a bad string is a serde error, which the server reports as
//! invalid params (-32602).

use bitai_protocol::{ChainId, Hash32};
use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

fn decode_32<E: serde::de::Error>(s: &str) -> Result<[u8; 32], E> {
    if s.len() != 64 {
        return Err(E::custom(format!(
            "expected 64 hex digits, got {} characters",
            s.len()
        )));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|e| E::custom(format!("bad hex: {e}")))?;
    Ok(out)
}

/// `[u8; 32]` as 64 hex digits.
pub mod bytes32 {
    use super::*;

    /// Writes 64 hex digits.
    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Reads exactly 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        decode_32(&s)
    }
}

/// [`Hash32`] as 64 hex digits.
pub mod hash {
    use super::*;

    /// Writes 64 hex digits.
    pub fn serialize<S: Serializer>(v: &Hash32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v.0))
    }

    /// Reads exactly 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash32, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        decode_32(&s).map(Hash32)
    }
}

/// [`ChainId`] as 64 hex digits.
pub mod chain {
    use super::*;

    /// Writes 64 hex digits.
    pub fn serialize<S: Serializer>(v: &ChainId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v.0 .0))
    }

    /// Reads exactly 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ChainId, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        decode_32(&s).map(|b| ChainId(Hash32(b)))
    }
}

/// `Option<ChainId>`: 64 hex digits or `null`.
pub mod opt_chain {
    use super::*;

    /// Writes 64 hex digits or `null`.
    pub fn serialize<S: Serializer>(v: &Option<ChainId>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(c) => s.serialize_some(&hex::encode(c.0 .0)),
            None => s.serialize_none(),
        }
    }

    /// Reads 64 hex digits or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ChainId>, D::Error> {
        let s = Option::<std::borrow::Cow<str>>::deserialize(d)?;
        s.map(|s| decode_32(&s).map(|b| ChainId(Hash32(b))))
            .transpose()
    }
}

/// `Vec<Hash32>` as an array of 64-digit hex strings.
pub mod hashes {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Writes an array of hex strings.
    pub fn serialize<S: Serializer>(v: &[Hash32], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&hex::encode(h.0))?;
        }
        seq.end()
    }

    /// Reads an array of 64-digit hex strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash32>, D::Error> {
        let v = Vec::<std::borrow::Cow<str>>::deserialize(d)?;
        v.iter().map(|s| decode_32(s).map(Hash32)).collect()
    }
}

/// `Vec<u8>` as hex of any even length (the size is bounded by the request size limit).
pub mod bytes {
    use super::*;

    /// Writes hex.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    /// Reads hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        hex::decode(s.as_bytes()).map_err(|e| D::Error::custom(format!("bad hex: {e}")))
    }
}

/// `Option<Vec<u8>>` as hex or `null`.
pub mod opt_bytes {
    use super::*;

    /// Writes hex or `null`.
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Reads hex or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s = Option::<std::borrow::Cow<str>>::deserialize(d)?;
        s.map(|s| hex::decode(s.as_bytes()).map_err(|e| D::Error::custom(format!("bad hex: {e}"))))
            .transpose()
    }
}

/// `Option<[u8; 32]>` as 64 hex digits or `null`.
pub mod opt_bytes32 {
    use super::*;

    /// Writes 64 hex digits or `null`.
    pub fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Reads 64 hex digits or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        let s = Option::<std::borrow::Cow<str>>::deserialize(d)?;
        s.map(|s| decode_32(&s)).transpose()
    }
}
