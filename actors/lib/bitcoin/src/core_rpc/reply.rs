//! Reading Bitcoin Core's JSON replies by hand. The backend asks for plain
//! `serde_json::Value`s (the typed structs of `bitcoincore-rpc` 0.19 break when a field
//! changes between Core versions) and takes out only the fields it needs; anything missing, of
//! the wrong type or out of range becomes [`PortError::UnexpectedReply`] naming the call and
//! the field. Amounts arrive as JSON numbers in BTC with 8 decimals and are converted to
//! satoshis exactly, through their decimal text, never by float arithmetic.

use crate::PortError;
use bitcoin::{Amount, Denomination};
use serde_json::{Map, Value};
use std::str::FromStr;

/// Longest excerpt of a bad value quoted in an error message.
const EXCERPT_MAX_CHARS: usize = 80;

/// A [`PortError::UnexpectedReply`] for `method`.
pub(crate) fn unexpected(method: &'static str, reason: impl Into<String>) -> PortError {
    PortError::UnexpectedReply {
        method,
        reason: reason.into(),
    }
}

/// A short, bounded rendering of `value` for error messages.
pub(crate) fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    truncate_chars(&text, EXCERPT_MAX_CHARS)
}

/// `text` cut to at most `max` characters (on a character boundary), marked when cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The reply as a JSON object.
pub(crate) fn object<'a>(
    method: &'static str,
    reply: &'a Value,
) -> Result<&'a Map<String, Value>, PortError> {
    reply.as_object().ok_or_else(|| {
        unexpected(
            method,
            format!("expected a JSON object, got {}", excerpt(reply)),
        )
    })
}

/// Field `key` of `object`, which must be present.
pub(crate) fn field<'a>(
    method: &'static str,
    object: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Value, PortError> {
    object
        .get(key)
        .ok_or_else(|| unexpected(method, format!("missing field `{key}`")))
}

/// `value` (named `what` in errors) as a non-negative integer.
pub(crate) fn as_u64(method: &'static str, what: &str, value: &Value) -> Result<u64, PortError> {
    value.as_u64().ok_or_else(|| {
        unexpected(
            method,
            format!("`{what}` is not a non-negative integer: {}", excerpt(value)),
        )
    })
}

/// `value` as a string.
pub(crate) fn as_str<'a>(
    method: &'static str,
    what: &str,
    value: &'a Value,
) -> Result<&'a str, PortError> {
    value.as_str().ok_or_else(|| {
        unexpected(
            method,
            format!("`{what}` is not a string: {}", excerpt(value)),
        )
    })
}

/// `value` as a hash in Bitcoin Core's hex (64 digits, byte-reversed as Core prints them).
pub(crate) fn as_hash<H: FromStr>(
    method: &'static str,
    what: &str,
    value: &Value,
) -> Result<H, PortError> {
    let text = as_str(method, what, value)?;
    if text.len() != 64 {
        return Err(unexpected(
            method,
            format!("`{what}` is not a 64-digit hex hash: {}", excerpt(value)),
        ));
    }
    H::from_str(text).map_err(|_| {
        unexpected(
            method,
            format!("`{what}` is not a 64-digit hex hash: {}", excerpt(value)),
        )
    })
}

/// `value` as an amount in BTC, converted exactly to satoshis.
pub(crate) fn as_btc(method: &'static str, what: &str, value: &Value) -> Result<Amount, PortError> {
    btc_to_amount(value).map_err(|reason| {
        unexpected(
            method,
            format!(
                "`{what}` is not an amount in BTC ({reason}): {}",
                excerpt(value)
            ),
        )
    })
}

/// Converts a JSON number in BTC (at most 8 decimals, at most 21 million) to an [`Amount`].
///
/// serde_json (with `float_roundtrip`) keeps the nearest `f64` to what the node wrote, and
/// Rust prints the shortest decimal that reads back as that `f64`; for a value with at most 8
/// decimals and at most 21e6 that decimal is the one the node wrote, so parsing it in BTC gives
/// the satoshis exactly. A ninth decimal is refused, not rounded.
pub(crate) fn btc_to_amount(value: &Value) -> Result<Amount, String> {
    let Value::Number(number) = value else {
        return Err("not a JSON number".to_owned());
    };
    let text = match number.as_u64() {
        Some(whole) => whole.to_string(),
        None => {
            let float = number.as_f64().ok_or("not representable")?;
            if float < 0.0 {
                return Err("negative".to_owned());
            }
            format!("{float}")
        }
    };
    let amount = Amount::from_str_in(&text, Denomination::Bitcoin).map_err(|e| e.to_string())?;
    if amount > Amount::MAX_MONEY {
        return Err("above 21 million BTC".to_owned());
    }
    Ok(amount)
}

/// Decodes hex of even length, refusing anything longer than `max_bytes` when decoded.
pub(crate) fn hex_bytes(
    method: &'static str,
    what: &str,
    text: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, PortError> {
    if text.len() > max_bytes.saturating_mul(2) {
        return Err(unexpected(
            method,
            format!(
                "`{what}` is {} hex digits, over the limit of {max_bytes} bytes",
                text.len()
            ),
        ));
    }
    if !text.len().is_multiple_of(2) {
        return Err(unexpected(
            method,
            format!("`{what}` has an odd number of hex digits"),
        ));
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| match (hex_digit(pair[0]), hex_digit(pair[1])) {
            (Some(high), Some(low)) => Ok(high << 4 | low),
            _ => Err(unexpected(method, format!("`{what}` is not hex"))),
        })
        .collect()
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}
