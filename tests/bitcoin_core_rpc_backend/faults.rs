//! Replies of the wrong shape and replies lost on the way: each is a typed error
//! (`UnexpectedReply` naming the call, or `Transport` saying what to check), and the same
//! client goes on working with the next call.

use super::{config, connect, key, pay, regtest_double, spend};
use bitai_bitcoin::{BitcoinPort, CoreRpc, CoreRpcConfig, PortError};
use bitai_tests::support::core_rpc_double::{CoreDouble, CoreVersion, Injection};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, Txid};
use serde_json::{json, Value};
use std::time::Duration;

/// A change to a real result.
type Change = Box<dyn FnOnce(&mut Value) + Send>;

/// The call fails with `UnexpectedReply` from `method`, then the client still reads the tip.
fn assert_unexpected<T: std::fmt::Debug>(
    result: Result<T, PortError>,
    method: &str,
    rpc: &CoreRpc,
    double: &CoreDouble,
) {
    match result {
        Err(PortError::UnexpectedReply {
            method: got,
            reason,
        }) => {
            assert_eq!(got, method, "{reason}");
        }
        other => panic!("expected an unexpected reply from {method}, got {other:?}"),
    }
    assert_eq!(rpc.tip().expect("the client goes on").hash, double.tip().1);
}

fn transport_message<T: std::fmt::Debug>(result: Result<T, PortError>) -> String {
    match result {
        Err(PortError::Transport(message)) => message,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn wrong_shapes_are_unexpected_replies_and_the_client_goes_on() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        let tip = rpc.tip().expect("tip");
        let address = [key.address.clone()];
        let shapes: Vec<(&str, Change)> = vec![
            (
                "getblockchaininfo",
                Box::new(|r| r["blocks"] = json!(r["blocks"].to_string())),
            ),
            ("getblockchaininfo", Box::new(|r| r["blocks"] = json!(-1))),
            (
                "getblockchaininfo",
                Box::new(|r| {
                    if let Some(info) = r.as_object_mut() {
                        info.remove("bestblockhash");
                    }
                }),
            ),
            (
                "getblockchaininfo",
                Box::new(|r| r["bestblockhash"] = json!("00ff")),
            ),
            ("getblockchaininfo", Box::new(|r| *r = json!([]))),
        ];
        for (method, change) in shapes {
            double.inject(method, Injection::Mutate(change));
            assert_unexpected(rpc.tip(), method, &rpc, &double);
        }

        double.inject("getblockhash", Injection::mutate(|r| *r = json!(110)));
        assert_unexpected(rpc.block_hash(1), "getblockhash", &rpc, &double);

        double.inject("getblock", Injection::mutate(|r| *r = json!("zz")));
        assert_unexpected(rpc.block(&tip.hash), "getblock", &rpc, &double);
        double.inject("getblock", Injection::mutate(|r| *r = json!("00")));
        assert_unexpected(rpc.block(&tip.hash), "getblock", &rpc, &double);
        let other_block = bitcoin::consensus::encode::serialize_hex(&double.block(1));
        double.inject(
            "getblock",
            Injection::mutate(move |r| *r = json!(other_block)),
        );
        assert_unexpected(rpc.block(&tip.hash), "getblock", &rpc, &double);
        double.inject(
            "getblock",
            Injection::mutate(|r| *r = json!("00".repeat(4_000_001))),
        );
        assert_unexpected(rpc.block(&tip.hash), "getblock", &rpc, &double);

        let txid = Txid::from_byte_array([1; 32]);
        let not_an_entry = br#"{"jsonrpc":"2.0","result":"yes","id":1}"#.to_vec();
        double.inject(
            "getmempoolentry",
            Injection::Body {
                status: 200,
                body: not_an_entry,
            },
        );
        assert_unexpected(rpc.in_mempool(&txid), "getmempoolentry", &rpc, &double);

        double.set_fee_estimate(Some(1_000));
        let fee_shapes: Vec<Change> = vec![
            Box::new(|r| r["feerate"] = json!("0.00001000")),
            Box::new(|r| r["feerate"] = json!(0.000000001)),
            Box::new(|r| r["feerate"] = json!(-0.0001)),
            Box::new(|r| *r = json!({"blocks": 2})),
        ];
        for change in fee_shapes {
            double.inject("estimatesmartfee", Injection::Mutate(change));
            assert_unexpected(rpc.estimate_fee_rate(2), "estimatesmartfee", &rpc, &double);
        }

        let utxo_shapes: Vec<Change> = vec![
            Box::new(|r| r[0]["amount"] = json!(-50)),
            Box::new(|r| r[0]["amount"] = json!("50.00000000")),
            Box::new(|r| r[0]["confirmations"] = json!(-1)),
            Box::new(|r| r[0]["vout"] = json!(4_294_967_296u64)),
            Box::new(|r| r[0]["txid"] = json!(null)),
            Box::new(|r| r[0]["scriptPubKey"] = json!("0014")),
            Box::new(|r| r[0] = json!("an entry")),
            Box::new(|r| *r = json!({"utxos": []})),
        ];
        for change in utxo_shapes {
            double.inject("listunspent", Injection::Mutate(change));
            assert_unexpected(rpc.utxos(&address), "listunspent", &rpc, &double);
        }

        let coin = rpc.utxos(&address).expect("utxos").remove(0);
        let tx = spend(&key, &[coin], vec![pay(&key, Amount::from_int_btc(49))]);
        double.inject(
            "sendrawtransaction",
            Injection::mutate(|r| *r = json!(Txid::from_byte_array([2; 32]).to_string())),
        );
        assert_unexpected(rpc.broadcast(&tx), "sendrawtransaction", &rpc, &double);
    }
}

#[test]
fn bodies_that_are_not_json_rpc_are_typed_errors_and_the_client_goes_on() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        double.inject(
            "getblockhash",
            Injection::Body {
                status: 200,
                body: b"<html>oops</html>".to_vec(),
            },
        );
        assert_unexpected(rpc.block_hash(1), "getblockhash", &rpc, &double);
        double.inject("getblockchaininfo", Injection::Truncated);
        assert_unexpected(rpc.tip(), "getblockchaininfo", &rpc, &double);
        let tip = rpc.tip().expect("tip");
        double.inject("getblock", Injection::Truncated);
        assert_unexpected(rpc.block(&tip.hash), "getblock", &rpc, &double);
        double.inject(
            "getblockhash",
            Injection::Body {
                status: 200,
                body: b"{\"result\":".to_vec(),
            },
        );
        assert_unexpected(rpc.block_hash(1), "getblockhash", &rpc, &double);

        double.inject(
            "getblockhash",
            Injection::Body {
                status: 500,
                body: b"Internal Server Error".to_vec(),
            },
        );
        let message = transport_message(rpc.block_hash(1));
        assert!(message.contains("HTTP 500"), "{message}");
        // A node started with -disablewallet has no /wallet/ handler: 404 with an empty body.
        double.set_wallet_enabled(false);
        let message = transport_message(rpc.utxos(std::slice::from_ref(&key.address)));
        assert!(
            message.contains("HTTP 404") && message.contains("/wallet/inscriber"),
            "{message}"
        );
        double.set_wallet_enabled(true);
        assert_eq!(rpc.tip().expect("still fine").hash, double.tip().1);
    }
}

#[test]
fn one_dropped_connection_is_retried_two_are_a_transport_error() {
    let key = key();
    let double = regtest_double(CoreVersion::V30, &key);
    let rpc = connect(&double);
    let asked = |double: &CoreDouble| {
        double
            .requests()
            .iter()
            .filter(|r| r.method == "getblockchaininfo")
            .count()
    };
    let before = asked(&double);
    double.inject("getblockchaininfo", Injection::Close);
    rpc.tip()
        .expect("the transport sends it once more on a fresh connection");
    assert_eq!(asked(&double), before + 2);
    double.inject("getblockchaininfo", Injection::Close);
    double.inject("getblockchaininfo", Injection::Close);
    let message = transport_message(rpc.tip());
    assert!(message.contains("bad HTTP reply"), "{message}");
    rpc.tip().expect("the client goes on");
}

#[test]
fn a_node_that_does_not_answer_in_time_is_a_transport_error() {
    let key = key();
    let double = regtest_double(CoreVersion::V29, &key);
    let rpc = CoreRpc::connect(&CoreRpcConfig {
        timeout_ms: 300,
        ..config(&double)
    })
    .expect("connects");
    // The transport retries once on a fresh connection, so both attempts must be slow.
    double.inject(
        "getblockchaininfo",
        Injection::Delay(Duration::from_millis(1_000)),
    );
    double.inject(
        "getblockchaininfo",
        Injection::Delay(Duration::from_millis(1_000)),
    );
    let message = transport_message(rpc.tip());
    assert!(message.contains("within timeout_ms = 300 ms"), "{message}");
    rpc.tip().expect("the client goes on");
}

#[test]
fn legacy_envelopes_with_http_500_errors_map_the_same() {
    let key = key();
    let double = regtest_double(CoreVersion::V29, &key);
    double.set_legacy_envelopes(true);
    let rpc = connect(&double);
    let tip = rpc.tip().expect("tip");
    assert_eq!(
        rpc.block_hash(tip.height + 1),
        Ok(None),
        "-8 in an HTTP 500 body"
    );
    assert_eq!(
        rpc.in_mempool(&Txid::from_byte_array([4; 32])),
        Ok(false),
        "-5 in an HTTP 500 body"
    );
    double.inject(
        "sendrawtransaction",
        Injection::rpc_error(-26, "txn-mempool-conflict"),
    );
    let coin = rpc
        .utxos(std::slice::from_ref(&key.address))
        .expect("utxos")
        .remove(0);
    let tx = spend(&key, &[coin], vec![pay(&key, Amount::from_int_btc(49))]);
    assert_eq!(
        rpc.broadcast(&tx),
        Err(PortError::Rejected(
            bitai_bitcoin::BroadcastReject::Conflict
        ))
    );
    double.inject(
        "getblockhash",
        Injection::rpc_error(-32601, "Method not found"),
    );
    assert_eq!(
        rpc.block_hash(1),
        Err(PortError::Rpc {
            code: -32601,
            message: "Method not found".into()
        }),
        "HTTP 404 with a JSON body"
    );
}
