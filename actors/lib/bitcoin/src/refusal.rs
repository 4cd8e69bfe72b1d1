//! What a refusal reason means, whoever gave it: Bitcoin Core's validation results sort every
//! reject reason into classes (consensus-invalid, non-standard, premature, mempool policy), and
//! [`classify`] maps a bare reason onto the [`BroadcastReject`] of its class. The Core
//! backend uses it for every reason it does not parse numbers from; SimBitcoin uses it for
//! the reasons its own checks give, so both backends answer the same kind for the same
//! refusal (tests/bitcoin_core_regtest.rs checks them against each other and against Core's
//! source).

use crate::BroadcastReject;

/// Reasons Core gives for transactions invalid by consensus (`TX_CONSENSUS`) that do not
/// start with `bad-txns-` (every other `bad-txns-` reason is consensus, but the two policy
/// ones in [`POLICY_REASONS`], which are matched first).
pub const CONSENSUS_REASONS: [&str; 2] = ["coinbase", "bad-cb-length"];

/// Reasons of Core's standardness policy (`TX_NOT_STANDARD`, `TX_INPUTS_NOT_STANDARD`,
/// `TX_WITNESS_MUTATED` and the policy rules of `TX_MEMPOOL_POLICY`): `IsStandardTx`'s
/// reasons, the input and witness checks, ephemeral dust, TRUC (v3) rules.
pub const POLICY_REASONS: [&str; 16] = [
    "bad-txns-nonstandard-inputs",
    "bad-txns-too-many-sigops",
    "version",
    "tx-size-small",
    "scriptsig-size",
    "scriptsig-not-pushonly",
    "scriptpubkey",
    "datacarrier",
    "multi-op-return",
    "bare-multisig",
    "dust",
    "bad-witness-nonstandard",
    "TRUC-violation",
    "missing-ephemeral-spends",
    "unspent-dust",
    "non-mandatory-script-verify-flag",
];

/// The refusal of bare reason `base` (Core's reject reason without its detail), carrying
/// `reason` (the text to keep); `None` for a reason no class here covers.
pub fn classify(base: &str, reason: &str) -> Option<BroadcastReject> {
    let reason = reason.to_owned();
    match base {
        "non-final" | "non-BIP68-final" | "bad-txns-nonfinal" => {
            Some(BroadcastReject::NotFinal { reason })
        }
        "mempool full" => Some(BroadcastReject::MempoolFull),
        "no-mempool" => Some(BroadcastReject::NoMempool),
        _ if POLICY_REASONS.contains(&base) => Some(BroadcastReject::NonStandard { reason }),
        _ if CONSENSUS_REASONS.contains(&base) || base.starts_with("bad-txns-") => {
            Some(BroadcastReject::Invalid { reason })
        }
        _ => None,
    }
}

/// [`classify`] of `reason`'s base (what comes before `, ` or ` (`), or `Other(reason)` when
/// no class covers it.
pub fn refusal(reason: &str) -> BroadcastReject {
    let end = [reason.find(", "), reason.find(" (")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(reason.len());
    let base = reason[..end].trim_end();
    classify(base, reason).unwrap_or_else(|| BroadcastReject::Other(reason.to_owned()))
}
