//! Every refusal reason in Bitcoin Core's own validation and policy source maps to a typed
//! refusal. The reasons are read from the source tree the node was built from (found by
//! `regtest_core::core_source`): every `Invalid(TxValidationResult::…, "reason"` and
//! `strprintf("reason…")` in validation.cpp, consensus/tx_check.cpp, consensus/tx_verify.cpp
//! and policy/*.cpp, and every `reason = "…"` of `IsStandardTx` (policy/policy.cpp). Each is
//! sent as Core sends it (a -26 error to `sendrawtransaction`, with the detail Core's format
//! gives where the mapping reads numbers from it) through the backend, against the double,
//! and must come back as a `BroadcastReject` other than `Other`.

use bitai_bitcoin::{BitcoinPort, BroadcastReject, CoreRpc, CoreRpcConfig, PortError};
use bitai_tests::support::core_rpc_double::{CannedChain, CoreDouble, CoreVersion, Injection};
use bitai_tests::support::p2tr::Key;
use bitai_tests::support::regtest_core::core_source;
use bitcoin::{Amount, OutPoint};
use std::collections::BTreeSet;
use std::path::Path;

/// The files whose refusals a single transaction's broadcast can meet.
const FILES: [&str; 8] = [
    "validation.cpp",
    "consensus/tx_check.cpp",
    "consensus/tx_verify.cpp",
    "policy/policy.cpp",
    "policy/rbf.cpp",
    "policy/ephemeral_policy.cpp",
    "policy/truc_policy.cpp",
    "txmempool.cpp",
];

/// A string literal starting at `text` (just after its opening quote), unescaped enough for
/// reject reasons (which hold no escapes).
fn literal(text: &str) -> Option<&str> {
    text.find('"').map(|end| &text[..end])
}

/// The reasons in one file.
fn reasons_in(text: &str, out: &mut BTreeSet<String>) {
    for (at, _) in text.match_indices("TxValidationResult::") {
        let rest = &text[at..];
        let Some(comma) = rest.find(',') else {
            continue;
        };
        let name = &rest["TxValidationResult::".len()..comma];
        if name.contains(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
            continue; // Not a call's first argument.
        }
        let arg = rest[comma + 1..].trim_start();
        if let Some(lit) = arg.strip_prefix('"').and_then(literal) {
            out.insert(lit.to_owned());
        } else if let Some(fmt) = arg.strip_prefix("strprintf(\"").and_then(literal) {
            // The reason's fixed part: up to the first conversion.
            let fixed = fmt.split('%').next().unwrap_or(fmt).trim_end();
            out.insert(fixed.to_owned());
        }
    }
    for (at, _) in text.match_indices("reason = \"") {
        // `reason` itself, not `script_check_reason` (a log line's).
        if !text[..at].ends_with(char::is_whitespace) {
            continue;
        }
        if let Some(lit) = literal(&text[at + "reason = \"".len()..]) {
            out.insert(lit.to_owned());
        }
    }
}

/// Every reason in Core's source under `src`.
fn reasons(src: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in FILES {
        let path = src.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        reasons_in(&text, &mut out);
    }
    out.retain(|r| !r.is_empty());
    out
}

/// The message Core sends for `reason`: with the detail its format gives where the backend
/// parses one (numbers), else the reason alone or with a free-text detail.
fn message(reason: &str) -> String {
    let txid = "ab".repeat(32);
    match reason {
        "insufficient fee" => format!(
            "insufficient fee, rejecting replacement {txid}, less fees than conflicting txs; \
             0.00001 < 0.00002"
        ),
        "too many potential replacements" => format!(
            "too many potential replacements, rejecting replacement {txid}; too many \
             conflicting clusters (101 > 100)"
        ),
        "min relay fee not met" | "mempool min fee not met" => format!("{reason}, 0 < 111"),
        "bad-txns-premature-spend-of-coinbase" => {
            format!("{reason}, tried to spend coinbase at depth 6")
        }
        r if r.ends_with(" (") => format!(
            "{r}Invalid Schnorr signature), input 0 of {txid} (wtxid {txid}), spending {txid}:0"
        ),
        r => format!("{r}, a detail"),
    }
}

#[test]
fn every_refusal_reason_in_cores_source_maps_to_a_typed_refusal() {
    let Some(src) = core_source() else {
        return;
    };
    let found = reasons(&src);
    // The reader works: reasons the backend has always known are among them.
    for known in [
        "bad-txns-inputs-missingorspent",
        "txn-already-known",
        "min relay fee not met",
        "replacement-failed",
        "tx-size",
        "dust",
        "mempool-script-verify-flag-failed (",
    ] {
        assert!(
            found.contains(known),
            "{known} not read from the source: {found:?}"
        );
    }
    let key = Key::new([7; 32]);
    let double = CoreDouble::start(
        CoreVersion::V30,
        CannedChain::regtest(110, key.address.script_pubkey()),
    );
    let (user, password) = double.credentials();
    let rpc = CoreRpc::connect(&CoreRpcConfig {
        rpc_user: Some(user),
        rpc_password: Some(password),
        timeout_ms: 5_000,
        ..CoreRpcConfig::new(double.url())
    })
    .expect("connects to the double");
    let coin = bitai_bitcoin::Utxo {
        outpoint: OutPoint::null(),
        value: Amount::from_int_btc(1),
        script_pubkey: key.address.script_pubkey(),
        confirmations: 101,
    };
    let tx = key.spend(&[coin], vec![key.pay(Amount::from_sat(90_000_000))]);
    let mut untyped = Vec::new();
    for reason in &found {
        let message = message(reason);
        double.inject(
            "sendrawtransaction",
            Injection::rpc_error(-26, message.clone()),
        );
        match rpc.broadcast(&tx) {
            Err(PortError::Rejected(BroadcastReject::Other(m))) => untyped.push(m),
            Err(PortError::Rejected(_)) => {}
            other => panic!("{message}: {other:?}"),
        }
    }
    assert!(
        untyped.is_empty(),
        "{} of {} reasons in Core's source stay untyped: {untyped:#?}",
        untyped.len(),
        found.len()
    );
    eprintln!(
        "{} refusal reasons read from {}, every one typed",
        found.len(),
        src.display()
    );
}
