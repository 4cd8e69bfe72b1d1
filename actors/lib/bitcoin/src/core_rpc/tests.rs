//! Unit tests of the pieces that need no node: config, cookie, amounts, reject strings. The
//! whole backend is tested against a Bitcoin Core double in `tests/bitcoin_core_rpc_backend.rs`.

use super::config::{read_cookie_file, Auth};
use super::reject::{broadcast_error, reject};
use super::reply::btc_to_amount;
use super::*;
use crate::{BroadcastReject, ReplacementViolation};
use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, Sequence, TxIn, TxOut, Witness};
use proptest::prelude::*;

const REGTEST_EXAMPLE: &str = include_str!("../../../../../configs/bitcoin-core-regtest.toml");

#[test]
fn the_shipped_regtest_config_parses_and_validates() {
    let config: CoreRpcConfig = toml::from_str(REGTEST_EXAMPLE).expect("example config parses");
    assert_eq!(config.url, "http://127.0.0.1:18443");
    assert_eq!(config.network, CoreNetwork::Regtest);
    assert_eq!(config.wallet, None, "Core's wallet is optional");
    assert_eq!(config.timeout_ms, 30_000);
    assert_eq!(config.fallback_fee_rate_sat_per_kvb, 1_000);
    assert_eq!(
        config.validate().expect("valid"),
        Auth::CookieFile("/home/bitai/.bitcoin/regtest/.cookie".into())
    );
}

#[test]
fn defaults_fill_every_optional_key() {
    let config: CoreRpcConfig =
        toml::from_str("url = \"http://127.0.0.1:8332\"\nrpc_user = \"u\"\nrpc_password = \"p\"")
            .expect("parses");
    assert_eq!(
        config,
        CoreRpcConfig {
            rpc_user: Some("u".into()),
            rpc_password: Some("p".into()),
            ..CoreRpcConfig::new("http://127.0.0.1:8332")
        }
    );
    assert!(
        !format!("{config:?}").contains("\"p\""),
        "debug output hides the password"
    );
}

#[test]
fn unknown_keys_and_networks_are_refused() {
    assert!(toml::from_str::<CoreRpcConfig>("url = \"http://h:1\"\nrpcuser = \"u\"").is_err());
    assert!(toml::from_str::<CoreRpcConfig>("url = \"http://h:1\"\nnetwork = \"main\"").is_err());
    for (name, network) in [
        ("mainnet", CoreNetwork::Mainnet),
        ("testnet", CoreNetwork::Testnet),
        ("testnet4", CoreNetwork::Testnet4),
        ("signet", CoreNetwork::Signet),
    ] {
        let text = format!("url = \"http://h:1\"\nnetwork = \"{name}\"");
        assert_eq!(
            toml::from_str::<CoreRpcConfig>(&text)
                .expect("parses")
                .network,
            network
        );
    }
}

fn config_key(config: &CoreRpcConfig) -> &'static str {
    match config.validate() {
        Err(CoreRpcError::Config { key, .. }) => key,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn authentication_must_be_exactly_one_way() {
    let base = CoreRpcConfig::new("http://127.0.0.1:18443");
    assert_eq!(config_key(&base), "cookie_file");
    let both = CoreRpcConfig {
        cookie_file: Some("/c".into()),
        rpc_user: Some("u".into()),
        rpc_password: Some("p".into()),
        ..base.clone()
    };
    assert_eq!(config_key(&both), "cookie_file");
    let user_only = CoreRpcConfig {
        rpc_user: Some("u".into()),
        ..base.clone()
    };
    assert_eq!(config_key(&user_only), "rpc_user");
    let password_only = CoreRpcConfig {
        rpc_password: Some("p".into()),
        ..base.clone()
    };
    assert_eq!(config_key(&password_only), "rpc_user");
}

#[test]
fn urls_timeouts_and_wallet_names_are_checked() {
    let ok = CoreRpcConfig {
        cookie_file: Some("/c".into()),
        ..CoreRpcConfig::new("http://h:1/")
    };
    assert!(ok.validate().is_ok());
    for url in [
        "https://h:1",
        "h:1",
        "http://",
        "http://u:p@h:1",
        "http://h:1/wallet/w",
    ] {
        assert_eq!(
            config_key(&CoreRpcConfig {
                url: url.into(),
                ..ok.clone()
            }),
            "url",
            "{url}"
        );
    }
    assert_eq!(
        config_key(&CoreRpcConfig {
            timeout_ms: 0,
            ..ok.clone()
        }),
        "timeout_ms"
    );
    assert_eq!(
        config_key(&CoreRpcConfig {
            wallet: Some(String::new()),
            ..ok
        }),
        "wallet"
    );
}

#[test]
fn cookie_files_are_read_with_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".cookie");
    std::fs::write(&path, "__cookie__:00ff:aa\n").expect("write");
    let credentials = read_cookie_file(&path).expect("reads");
    assert_eq!(
        (credentials.user.as_str(), credentials.password.as_str()),
        ("__cookie__", "00ff:aa")
    );
    for bad in ["", "no colon here", ":password"] {
        std::fs::write(&path, bad).expect("write");
        assert!(
            matches!(
                read_cookie_file(&path),
                Err(CoreRpcError::CookieFile { .. })
            ),
            "{bad:?}"
        );
    }
    std::fs::write(&path, "a:".repeat(3000)).expect("write");
    assert!(matches!(
        read_cookie_file(&path),
        Err(CoreRpcError::CookieFile { .. })
    ));
    assert!(read_cookie_file(&dir.path().join("missing")).is_err());
}

fn number(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("a JSON number")
}

#[test]
fn btc_amounts_convert_exactly() {
    for (text, sat) in [
        ("0.00000001", 1),
        ("0.00001000", 1_000),
        ("0.1", 10_000_000),
        ("50.00000000", 5_000_000_000),
        ("50", 5_000_000_000),
        ("20999999.99999999", 2_099_999_999_999_999),
        ("21000000", 2_100_000_000_000_000),
        ("0.29", 29_000_000),
        ("1.1e-7", 11),
    ] {
        assert_eq!(
            btc_to_amount(&number(text)),
            Ok(Amount::from_sat(sat)),
            "{text}"
        );
    }
    for bad in [
        "0.000000001",
        "-0.1",
        "21000000.00000001",
        "\"0.1\"",
        "null",
        "1e30",
    ] {
        assert!(btc_to_amount(&number(bad)).is_err(), "{bad}");
    }
}

#[test]
fn fee_rates_round_up_to_whole_sat_per_kwu() {
    assert_eq!(
        fee_rate_from_sat_per_kvb(1_000),
        FeeRate::from_sat_per_kwu(250)
    );
    assert_eq!(
        fee_rate_from_sat_per_kvb(1_001),
        FeeRate::from_sat_per_kwu(251)
    );
    assert_eq!(
        fee_rate_from_sat_per_kvb(100),
        FeeRate::from_sat_per_kwu(25)
    );
    assert_eq!(fee_rate_from_sat_per_kvb(0), FeeRate::ZERO);
}

/// A transaction with `inputs` inputs and one output, for the reject mapping.
fn tx(inputs: usize) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: (0..inputs)
            .map(|_| TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(1_000),
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

#[test]
fn reject_strings_map_onto_their_variants() {
    let one = tx(1);
    let vsize = one.vsize() as u64;
    let cases: Vec<(&str, BroadcastReject)> = vec![
        ("txn-mempool-conflict", BroadcastReject::Conflict),
        ("bad-txns-inputs-missingorspent", BroadcastReject::MissingInputs),
        ("Missing inputs", BroadcastReject::MissingInputs),
        ("txn-already-known", BroadcastReject::AlreadyKnown),
        (
            "insufficient fee, rejecting replacement 1111111111111111111111111111111111111111111111111111111111111111; new feerate 0.00001000 BTC/kvB <= old feerate 0.00002000 BTC/kvB",
            BroadcastReject::Replacement(ReplacementViolation::FeeRateNotHigher),
        ),
        (
            "insufficient fee, rejecting replacement 11, less fees than conflicting txs; 0.00001 < 0.0000215",
            BroadcastReject::Replacement(ReplacementViolation::FeeNotHigher {
                replacement: Amount::from_sat(1_000),
                evicted: Amount::from_sat(2_150),
            }),
        ),
        (
            "insufficient fee, rejecting replacement 11, not enough additional fees to relay; 0.00000010 < 0.0000011",
            BroadcastReject::Replacement(ReplacementViolation::InsufficientIncrement {
                paid: Amount::from_sat(10),
                required: Amount::from_sat(110),
            }),
        ),
        (
            "too many potential replacements, rejecting replacement 11; too many potential replacements (101 > 100)\n",
            BroadcastReject::Replacement(ReplacementViolation::TooManyEvictions { count: 101, max: 100 }),
        ),
        (
            "replacement-adds-unconfirmed, replacement 11 adds unconfirmed input, idx 0",
            BroadcastReject::Replacement(ReplacementViolation::NewUnconfirmedInput),
        ),
        (
            "min relay fee not met, 50 < 110",
            BroadcastReject::FeeTooLow {
                paid_sat_per_kvb: 50_000 / vsize,
                min_sat_per_kvb: 110_000u64.div_ceil(vsize),
            },
        ),
        (
            "mempool min fee not met, 0 < 1000",
            BroadcastReject::FeeTooLow { paid_sat_per_kvb: 0, min_sat_per_kvb: 1_000_000u64.div_ceil(vsize) },
        ),
        ("tx-size", BroadcastReject::OverWeight { weight: one.weight().to_wu(), max: 400_000 }),
        (
            "too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]",
            BroadcastReject::ChainTooLong("too many unconfirmed ancestors [limit: 25]".into()),
        ),
        (
            "mandatory-script-verify-flag-failed (Invalid Schnorr signature)",
            BroadcastReject::BadSignature { input: 0, reason: "Invalid Schnorr signature".into() },
        ),
        ("non-final", BroadcastReject::NotFinal { reason: "non-final".into() }),
        (
            "replacement-failed, insufficient feerate: does not improve feerate diagram",
            BroadcastReject::Replacement(ReplacementViolation::DiagramNotImproved),
        ),
        (
            "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 12",
            BroadcastReject::PrematureCoinbaseSpend { input: 0, confirmations: 12, required: 100 },
        ),
        ("dust", BroadcastReject::NonStandard { reason: "dust".into() }),
        ("bad-txns-nonstandard-inputs, input 0 script unknown", BroadcastReject::NonStandard { reason: "bad-txns-nonstandard-inputs".into() }),
        ("bad-txns-in-belowout, value in (0.01) < value out (0.02)", BroadcastReject::Invalid { reason: "bad-txns-in-belowout".into() }),
        ("mempool full", BroadcastReject::MempoolFull),
        ("insufficient fee, something new", BroadcastReject::Other("insufficient fee, something new".into())),
    ];
    for (message, expected) in cases {
        assert_eq!(reject(message, &one), expected, "{message}");
    }
}

#[test]
fn core_30_script_failures_name_their_input_and_core_29_ones_only_when_unambiguous() {
    let two = tx(2);
    let core_30 = "mempool-script-verify-flag-failed (Invalid Schnorr signature), input 1 of 22 (wtxid 22), spending 33:0";
    assert_eq!(
        reject(core_30, &two),
        BroadcastReject::BadSignature {
            input: 1,
            reason: "Invalid Schnorr signature".into()
        }
    );
    let core_29 = "non-mandatory-script-verify-flag (Witness program hash mismatch)";
    assert_eq!(
        reject(core_29, &two),
        BroadcastReject::NonStandard {
            reason: core_29.into()
        }
    );
    let consensus_29 = "mandatory-script-verify-flag-failed (Invalid Schnorr signature)";
    assert_eq!(
        reject(consensus_29, &two),
        BroadcastReject::Invalid {
            reason: consensus_29.into()
        }
    );
    assert_eq!(
        reject(core_29, &tx(1)),
        BroadcastReject::BadSignature {
            input: 0,
            reason: "Witness program hash mismatch".into()
        }
    );
}

#[test]
fn broadcast_error_codes_decide_between_rejected_and_rpc() {
    let one = tx(1);
    for message in [
        "Transaction outputs already in utxo set",
        "Transaction already in block chain",
    ] {
        assert_eq!(
            broadcast_error(-27, message, &one),
            PortError::Rejected(BroadcastReject::AlreadyKnown)
        );
    }
    assert_eq!(
        broadcast_error(-25, "bad-txns-inputs-missingorspent", &one),
        PortError::Rejected(BroadcastReject::MissingInputs)
    );
    let decode = "TX decode failed. Make sure the tx has at least one input.";
    assert_eq!(
        broadcast_error(-22, decode, &one),
        PortError::Rpc {
            code: -22,
            message: decode.into()
        }
    );
}

proptest! {
    /// Every amount Core can write (8 decimals, at most 21 million BTC) reads back exactly.
    #[test]
    fn every_core_amount_round_trips(sat in 0..=Amount::MAX_MONEY.to_sat()) {
        let text = format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000);
        prop_assert_eq!(btc_to_amount(&number(&text)), Ok(Amount::from_sat(sat)));
    }

    /// Hostile reject messages never panic the mapping, whatever their bytes.
    #[test]
    fn any_reject_message_maps_without_panicking(message in "\\PC{0,200}", inputs in 0usize..3, code in -30i32..0) {
        let _ = broadcast_error(code, &message, &tx(inputs));
    }

    /// Reject messages built from Core's formats with arbitrary numbers parse back exactly.
    #[test]
    fn replacement_amounts_parse_back(a in 0..=Amount::MAX_MONEY.to_sat(), b in 0..=Amount::MAX_MONEY.to_sat()) {
        let btc = |sat: u64| format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000);
        let message = format!("insufficient fee, rejecting replacement 11, less fees than conflicting txs; {} < {}", btc(a), btc(b));
        prop_assert_eq!(reject(&message, &tx(1)), BroadcastReject::Replacement(ReplacementViolation::FeeNotHigher {
            replacement: Amount::from_sat(a),
            evicted: Amount::from_sat(b),
        }));
    }
}

/// Any JSON value, with the keys of a `listunspent` entry likely.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[0-9a-f]{0,70}".prop_map(Value::String),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![
            Just("txid".to_owned()),
            Just("vout".to_owned()),
            Just("scriptPubKey".to_owned()),
            Just("amount".to_owned()),
            Just("confirmations".to_owned()),
            "[a-z]{1,8}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(key, inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever a node sends as a `listunspent` entry, reading it returns, never panics.
    #[test]
    fn any_listunspent_entry_is_read_without_panicking(entry in any_json()) {
        let scripts = BTreeSet::from([ScriptBuf::from_bytes(vec![0x51, 0x20, 7])]);
        let _ = utxo(&entry, &scripts);
        let _ = btc_to_amount(&entry);
    }

    /// A well-formed entry reads back exactly.
    #[test]
    fn well_formed_listunspent_entries_read_back_exactly(
        txid in proptest::array::uniform32(any::<u8>()),
        vout in any::<u32>(),
        sat in 0..=Amount::MAX_MONEY.to_sat(),
        confirmations in any::<u32>(),
        script in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        use bitcoin::hashes::Hash;
        let txid = Txid::from_byte_array(txid);
        let script = ScriptBuf::from_bytes(script);
        let amount: serde_json::Value =
            serde_json::from_str(&format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000)).expect("a number");
        let entry = serde_json::json!({
            "txid": txid.to_string(),
            "vout": vout,
            "scriptPubKey": script.to_hex_string(),
            "amount": amount,
            "confirmations": confirmations,
            "spendable": true,
            "safe": true,
        });
        let read = utxo(&entry, &BTreeSet::from([script.clone()])).expect("well formed");
        prop_assert_eq!(read, Utxo {
            outpoint: OutPoint { txid, vout },
            value: Amount::from_sat(sat),
            script_pubkey: script,
            confirmations,
        });
    }
}
