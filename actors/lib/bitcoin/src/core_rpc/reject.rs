//! Why Bitcoin Core refused a `sendrawtransaction`, as a [`BroadcastReject`].
//!
//! Core answers a refused broadcast with an RPC error whose code says who refused it and whose
//! message is the validation state's text, `<reject reason>[, <debug message>]`:
//! - `-26` (`RPC_VERIFY_REJECTED`): the mempool's policy or consensus checks, for example
//!   `txn-mempool-conflict`, `insufficient fee, rejecting replacement <txid>; new feerate
//!   0.00001000 BTC/kvB <= old feerate 0.00002000 BTC/kvB`, `min relay fee not met, 110 <
//!   141`, `tx-size`, `too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]`,
//!   `mandatory-script-verify-flag-failed (...)` (Core 29) or
//!   `mempool-script-verify-flag-failed (...), input 0 of <txid> (wtxid <wtxid>), spending
//!   <txid>:<n>` (Core 30);
//! - `-25` (`RPC_VERIFY_ERROR`): missing inputs (`bad-txns-inputs-missingorspent`) and the
//!   node's own limits (`Fee exceeds maximum configured by user ...`);
//! - `-27` (`RPC_VERIFY_ALREADY_IN_UTXO_SET`, formerly `..._IN_CHAIN`): `Transaction outputs
//!   already in utxo set` (`Transaction already in block chain` before Core 28).
//!
//! Each known reason maps onto its variant, with the numbers in the message parsed where the
//! variant carries them; anything else stays `Other(message)`, never dropped.

use crate::refusal::classify;
use crate::{BroadcastReject, PortError, ReplacementViolation};
use bitcoin::{Amount, Denomination, Transaction};

/// `RPC_VERIFY_ERROR`, also `RPC_TRANSACTION_ERROR`.
pub(crate) const RPC_VERIFY_ERROR: i32 = -25;
/// `RPC_VERIFY_REJECTED`, also `RPC_TRANSACTION_REJECTED`.
pub(crate) const RPC_VERIFY_REJECTED: i32 = -26;
/// `RPC_VERIFY_ALREADY_IN_UTXO_SET` (named `RPC_VERIFY_ALREADY_IN_CHAIN` before Core 28).
pub(crate) const RPC_VERIFY_ALREADY_IN_UTXO_SET: i32 = -27;

/// The standard weight limit of one transaction (`MAX_STANDARD_TX_WEIGHT`).
const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;

/// Maps an RPC error answering `sendrawtransaction` of `tx`: refusals of codes -25, -26 and -27
/// become [`PortError::Rejected`], other codes (a decode failure, bad parameters) stay
/// [`PortError::Rpc`].
pub(crate) fn broadcast_error(code: i32, message: &str, tx: &Transaction) -> PortError {
    match code {
        RPC_VERIFY_ALREADY_IN_UTXO_SET => PortError::Rejected(BroadcastReject::AlreadyKnown),
        RPC_VERIFY_ERROR | RPC_VERIFY_REJECTED => PortError::Rejected(reject(message, tx)),
        _ => PortError::Rpc {
            code,
            message: message.to_owned(),
        },
    }
}

/// Maps one reject message of a -25 or -26 error onto its [`BroadcastReject`].
pub(crate) fn reject(message: &str, tx: &Transaction) -> BroadcastReject {
    let other = || BroadcastReject::Other(message.to_owned());
    let (reason, detail) = match message.split_once(", ") {
        Some((reason, detail)) => (reason, detail),
        None => (message, ""),
    };
    let reason = reason.trim_end();
    // Core 31 says "(including sibling eviction)" after the two replacement reasons.
    let base = reason
        .strip_suffix(" (including sibling eviction)")
        .unwrap_or(reason);
    let owned = || reason.to_owned();
    match base {
        "bad-txns-inputs-missingorspent" | "Missing inputs" | "Inputs missing or spent" => {
            Some(BroadcastReject::MissingInputs)
        }
        "txn-mempool-conflict" | "bip125-replacement-disallowed" => Some(BroadcastReject::Conflict),
        "txn-already-known" | "txn-already-in-mempool" | "txn-same-nonwitness-data-in-mempool" => {
            Some(BroadcastReject::AlreadyKnown)
        }
        "insufficient fee" => replacement_fee(detail).map(BroadcastReject::Replacement),
        "too many potential replacements" => too_many_replacements(detail),
        "replacement-adds-unconfirmed" => Some(BroadcastReject::Replacement(
            ReplacementViolation::NewUnconfirmedInput,
        )),
        "replacement-failed" => Some(BroadcastReject::Replacement(
            ReplacementViolation::DiagramNotImproved,
        )),
        "min relay fee not met" | "mempool min fee not met" => fee_too_low(detail, tx),
        "tx-size" => Some(BroadcastReject::OverWeight {
            weight: tx.weight().to_wu(),
            max: MAX_STANDARD_TX_WEIGHT,
        }),
        "too-long-mempool-chain" | "too-large-cluster" => {
            let which = if detail.is_empty() { message } else { detail };
            Some(BroadcastReject::ChainTooLong(which.to_owned()))
        }
        "bad-txns-premature-spend-of-coinbase" => premature_coinbase(detail),
        "max feerate exceeded" | "max-fee-exceeded" => {
            Some(BroadcastReject::FeeAboveMaximum(message.to_owned()))
        }
        _ if reason.starts_with("Fee exceeds maximum configured by user") => {
            Some(BroadcastReject::FeeAboveMaximum(message.to_owned()))
        }
        _ => script_failure(message, tx).or_else(|| classify(base, &owned())),
    }
    .unwrap_or_else(other)
}

/// `tried to spend coinbase at depth N`: the coinbase's confirmations at the next block.
fn premature_coinbase(detail: &str) -> Option<BroadcastReject> {
    let depth: u32 = detail
        .trim()
        .strip_prefix("tried to spend coinbase at depth ")?
        .trim()
        .parse()
        .ok()?;
    Some(BroadcastReject::PrematureCoinbaseSpend {
        // Core does not say which input: the first coinbase spend is as good a guess as
        // any, and the inscriber never spends a coinbase.
        input: 0,
        confirmations: depth,
        required: COINBASE_MATURITY,
    })
}

/// Confirmations a coinbase output needs before it may be spent (`COINBASE_MATURITY`).
const COINBASE_MATURITY: u32 = 100;

/// The three `insufficient fee` texts of a replacement (BIP-125 rules 6, 3 and 4).
fn replacement_fee(detail: &str) -> Option<ReplacementViolation> {
    if detail.contains("; new feerate ") && detail.contains(" <= old feerate ") {
        return Some(ReplacementViolation::FeeRateNotHigher);
    }
    if let Some(amounts) = detail
        .split_once("less fees than conflicting txs; ")
        .map(|(_, a)| a)
    {
        let (replacement, evicted) = two_btc_amounts(amounts)?;
        return Some(ReplacementViolation::FeeNotHigher {
            replacement,
            evicted,
        });
    }
    if let Some(amounts) = detail
        .split_once("not enough additional fees to relay; ")
        .map(|(_, a)| a)
    {
        let (paid, required) = two_btc_amounts(amounts)?;
        return Some(ReplacementViolation::InsufficientIncrement { paid, required });
    }
    None
}

/// `A < B` with both amounts written by Core's `FormatMoney` (BTC).
fn two_btc_amounts(text: &str) -> Option<(Amount, Amount)> {
    let (left, right) = text.trim().split_once(" < ")?;
    let left = Amount::from_str_in(left.trim(), Denomination::Bitcoin).ok()?;
    let right = Amount::from_str_in(right.trim(), Denomination::Bitcoin).ok()?;
    Some((left, right))
}

/// `rejecting replacement <txid>; too many potential replacements (101 > 100)`.
fn too_many_replacements(detail: &str) -> Option<BroadcastReject> {
    let open = detail.rfind('(')?;
    let close = detail[open..].find(')')? + open;
    let (count, max) = detail[open + 1..close].split_once(" > ")?;
    Some(BroadcastReject::Replacement(
        ReplacementViolation::TooManyEvictions {
            count: count.trim().parse().ok()?,
            max: max.trim().parse().ok()?,
        },
    ))
}

/// `<paid> < <required>`: absolute fees in satoshis for the transaction's virtual size,
/// turned into sat/kvB with `tx`'s vsize (Core may count a sigop-heavy transaction as larger).
fn fee_too_low(detail: &str, tx: &Transaction) -> Option<BroadcastReject> {
    let (paid, required) = detail.trim().split_once(" < ")?;
    let paid_sat: u64 = paid.trim().parse().ok()?;
    let required_sat: u64 = required.trim().parse().ok()?;
    let vsize = u64::try_from(tx.vsize()).ok()?.max(1);
    Some(BroadcastReject::FeeTooLow {
        paid_sat_per_kvb: paid_sat.checked_mul(1000)? / vsize,
        min_sat_per_kvb: required_sat.checked_mul(1000)?.div_ceil(vsize),
    })
}

/// A failed script check: `<prefix> (<script error>)`, and in Core 30 `, input <n> of ...`.
/// Core 29 does not say which input failed: for a one-input transaction it is input 0; for
/// others, rather than name an input that may be wrong, the refusal is `NonStandard` (a
/// policy flag failed) or `Invalid` (a consensus flag failed) with Core's whole message.
fn script_failure(message: &str, tx: &Transaction) -> Option<BroadcastReject> {
    const PREFIXES: [&str; 4] = [
        "mempool-script-verify-flag-failed (",
        "mandatory-script-verify-flag-failed (",
        "non-mandatory-script-verify-flag (",
        "block-script-verify-flag-failed (",
    ];
    let rest = PREFIXES
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))?;
    let (reason, after) = match rest.find("), input ") {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest.strip_suffix(')').unwrap_or(rest), ""),
    };
    let input = match after.strip_prefix(", input ") {
        Some(tail) => tail.split(' ').next()?.parse().ok()?,
        None if tx.input.len() == 1 => 0,
        None if message.starts_with("mandatory-") || message.starts_with("block-") => {
            return Some(BroadcastReject::Invalid {
                reason: message.to_owned(),
            })
        }
        None => {
            return Some(BroadcastReject::NonStandard {
                reason: message.to_owned(),
            })
        }
    };
    Some(BroadcastReject::BadSignature {
        input,
        reason: reason.to_owned(),
    })
}
