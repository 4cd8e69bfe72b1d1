//! Reading envelopes out of transactions: for each input, its tapscript (by ord's rule), a
//! cheap check that it could hold an envelope at all, the scan, and the decode of each
//! envelope found. Inputs whose tapscript does not parse give no envelope, as in ord, and are
//! reported in [`TransactionScan::malformed`] when they contained an envelope candidate.

use bitcoin::{Script, Transaction};
use thiserror::Error;

use super::decode::{decode, Located};
use super::scan::{may_hold_envelope, reveal_key, scan, tapscript};
use super::{Envelope, ParseLimits};

/// Why the envelopes of one tapscript were ignored.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TapscriptError {
    /// An instruction does not parse (a push runs past the end of the script). ord ignores
    /// every envelope of such a tapscript, complete or not.
    #[error(
        "tapscript does not parse: the push at byte {position} runs past the end \
         ({envelopes_discarded} complete envelopes before it are ignored, as ord does)"
    )]
    Malformed {
        /// Byte offset of the push that runs past the end.
        position: usize,
        /// Complete envelopes that preceded it.
        envelopes_discarded: usize,
    },
}

/// An input whose tapscript held an envelope candidate but does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedInput {
    /// The input index.
    pub input: u32,
    /// What is wrong.
    pub error: TapscriptError,
}

/// The envelopes of a transaction, and the inputs ord would skip as malformed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransactionScan {
    /// Every envelope, in input order then script order (the inscription index is the
    /// position in this list).
    pub envelopes: Vec<Envelope>,
    /// Inputs ignored because their tapscript does not parse.
    pub malformed: Vec<MalformedInput>,
}

/// Every envelope of one tapscript, found in input `input`.
pub fn parse_tapscript(
    script: &Script,
    input: u32,
    limits: &ParseLimits,
) -> Result<Vec<Envelope>, TapscriptError> {
    if !may_hold_envelope(script.as_bytes()) {
        return Ok(Vec::new());
    }
    let raw = scan(script).map_err(|e| TapscriptError::Malformed {
        position: e.position,
        envelopes_discarded: e.envelopes_before,
    })?;
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let key = reveal_key(script);
    let envelopes = raw
        .iter()
        .zip(0u32..)
        .map(|(raw, offset)| {
            decode(
                script,
                raw,
                Located {
                    input,
                    offset,
                    reveal_key: key,
                },
                limits,
            )
        })
        .collect();
    Ok(envelopes)
}

/// Every envelope of `tx`, with the malformed inputs reported.
pub fn scan_transaction(tx: &Transaction, limits: &ParseLimits) -> TransactionScan {
    let mut result = TransactionScan::default();
    for (txin, input) in tx.input.iter().zip(0u32..) {
        let Some(script) = tapscript(&txin.witness) else {
            continue;
        };
        match parse_tapscript(script, input, limits) {
            Ok(envelopes) => result.envelopes.extend(envelopes),
            Err(error) => result.malformed.push(MalformedInput { input, error }),
        }
    }
    result
}

/// Every envelope of `tx`, as ord finds them, with the default limits.
pub fn parse_transaction(tx: &Transaction) -> Vec<Envelope> {
    scan_transaction(tx, &ParseLimits::default()).envelopes
}
