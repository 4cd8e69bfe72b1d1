//! The Bitcoin Core backend of the Bitcoin port against a double of Bitcoin Core 29 and 30
//! (`bitai_tests::support::core_rpc_double`): every port method on both versions, over real
//! blocks (a regtest chain mined with the `bitcoin` crate and a recorded mainnet block) and
//! real signed transactions; authentication by password and by cookie; what the node refuses
//! (`rejects`), replies of the wrong shape or lost on the way (`faults`), and the wallet
//! endpoints (`wallet`).

#[path = "bitcoin_core_rpc_backend/faults.rs"]
mod faults;
#[path = "bitcoin_core_rpc_backend/rejects.rs"]
mod rejects;
#[path = "bitcoin_core_rpc_backend/wallet.rs"]
mod wallet;

use bitai_bitcoin::{
    BitcoinPort, CoreNetwork, CoreRpc, CoreRpcConfig, CoreRpcError, PortError, Utxo,
};
use bitai_tests::support::core_rpc_double::{
    descriptor_with_checksum, CannedChain, CoreDouble, CoreVersion,
};
use bitai_tests::support::p2tr::Key;
use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, Block, BlockHash, FeeRate, Transaction, TxOut, Txid};
use serde_json::json;
use std::collections::BTreeSet;

/// Blocks mined on regtest's genesis: coinbases at heights 1 to 10 are mature (101 deep).
const CHAIN_LENGTH: u64 = 110;
const WALLET: &str = "inscriber";

/// The inscriber's key and its taproot address on regtest.
fn key() -> Key {
    Key::new([7; 32])
}

/// A double of `version` with a 110-block regtest chain paying `key`, and its wallet loaded.
fn regtest_double(version: CoreVersion, key: &Key) -> CoreDouble {
    let double = CoreDouble::start(
        version,
        CannedChain::regtest(CHAIN_LENGTH, key.address.script_pubkey()),
    );
    double.load_wallet(WALLET, BTreeSet::from([key.address.script_pubkey()]));
    double
}

/// A config for `double` with password authentication and the wallet.
fn config(double: &CoreDouble) -> CoreRpcConfig {
    let (user, password) = double.credentials();
    CoreRpcConfig {
        rpc_user: Some(user),
        rpc_password: Some(password),
        wallet: Some(WALLET.to_owned()),
        timeout_ms: 5_000,
        ..CoreRpcConfig::new(double.url())
    }
}

fn connect(double: &CoreDouble) -> CoreRpc {
    CoreRpc::connect(&config(double)).expect("connects to the double")
}

/// Spends `inputs` (paying to `key`) to `outputs`, signed on the taproot key path.
fn spend(key: &Key, inputs: &[Utxo], outputs: Vec<TxOut>) -> Transaction {
    key.spend(inputs, outputs)
}

/// One output paying `value` back to `key`.
fn pay(key: &Key, value: Amount) -> TxOut {
    key.pay(value)
}

#[test]
fn the_double_computes_descriptor_checksums_as_bip_380() {
    assert_eq!(
        descriptor_with_checksum("raw(deadbeef)"),
        "raw(deadbeef)#89f8spxm"
    );
}

#[test]
fn connects_and_reads_the_chain_on_core_29_and_30() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        assert_eq!(rpc.node_version(), version.number());
        assert_eq!(rpc.network(), CoreNetwork::Regtest);
        let tip = rpc.tip().expect("tip");
        assert_eq!((tip.height, tip.hash), double.tip());
        for height in 0..=tip.height {
            let expected = double.block(height);
            let hash = rpc
                .block_hash(height)
                .expect("hash")
                .expect("below the tip");
            assert_eq!(hash, expected.block_hash());
            let bytes = rpc.block(&hash).expect("block");
            assert_eq!(bytes, serialize(&expected));
            let block: Block = deserialize(&bytes).expect("consensus bytes");
            assert!(block.check_merkle_root() && block.check_witness_commitment());
        }
        assert_eq!(rpc.block_hash(tip.height + 1).expect("above the tip"), None);
        assert_eq!(rpc.block_hash(u64::MAX).expect("far above the tip"), None);
        let unknown = BlockHash::from_byte_array([9; 32]);
        assert!(matches!(rpc.block(&unknown), Err(PortError::NotFound(_))));

        let requests = double.requests();
        assert!(requests.iter().all(|r| r.jsonrpc.as_deref() == Some("2.0")));
        let get_block = requests
            .iter()
            .find(|r| r.method == "getblock")
            .expect("a getblock");
        assert_eq!(
            (get_block.path.as_str(), &get_block.params[1]),
            ("/", &json!(0))
        );
        let wallet_check = requests
            .iter()
            .find(|r| r.method == "getwalletinfo")
            .expect("checked");
        assert_eq!(wallet_check.path, "/wallet/inscriber");
    }
}

#[test]
fn serves_a_recorded_mainnet_block_byte_for_byte() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/vectors/blocks/mainnet-c835b2ad.raw"
    ))
    .expect("the fixture");
    let block: Block = deserialize(&bytes).expect("a block");
    let double = CoreDouble::start(CoreVersion::V30, CannedChain::mainnet_block(block.clone()));
    let config = CoreRpcConfig {
        wallet: None,
        network: CoreNetwork::Mainnet,
        ..config(&double)
    };
    let rpc = CoreRpc::connect(&config).expect("connects");
    let tip = rpc.tip().expect("tip");
    assert_eq!(
        tip.hash.to_string(),
        "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae"
    );
    assert_eq!(tip.height, block.bip34_block_height().expect("bip34"));
    assert_eq!(rpc.block_hash(tip.height).expect("hash"), Some(tip.hash));
    assert_eq!(rpc.block(&tip.hash).expect("the block"), bytes);
}

#[test]
fn broadcast_mempool_and_utxos_follow_a_real_spend() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = connect(&double);
        let addresses = [key.address.clone(), key.address.clone()];
        let before = rpc.utxos(&addresses).expect("utxos");
        assert_eq!(before.len(), 10, "the mature coinbases at heights 1 to 10");
        let confirmations: BTreeSet<u32> = before.iter().map(|u| u.confirmations).collect();
        assert_eq!(confirmations, (101..=110).collect());
        assert!(before.iter().all(|u| u.value == Amount::from_int_btc(50)
            && u.script_pubkey == key.address.script_pubkey()));

        let tx = spend(
            &key,
            &before[..1],
            vec![pay(&key, Amount::from_sat(4_999_990_000))],
        );
        let txid = rpc.broadcast(&tx).expect("accepted");
        assert_eq!(txid, tx.compute_txid());
        assert_eq!(
            rpc.broadcast(&tx),
            Ok(txid),
            "a second broadcast is harmless"
        );
        assert!(rpc.in_mempool(&txid).expect("entry"));
        assert!(!rpc
            .in_mempool(&Txid::from_byte_array([3; 32]))
            .expect("no entry"));
        let after = rpc
            .utxos(std::slice::from_ref(&key.address))
            .expect("utxos");
        let change = after
            .iter()
            .find(|u| u.outpoint.txid == txid)
            .expect("the unconfirmed change");
        assert_eq!(
            (change.confirmations, change.value),
            (0, Amount::from_sat(4_999_990_000))
        );
        assert!(
            !after.iter().any(|u| u.outpoint == before[0].outpoint),
            "the spent one is gone"
        );

        double.mine(1);
        assert!(!rpc.in_mempool(&txid).expect("mined"));
        assert_eq!(rpc.tip().expect("tip").height, CHAIN_LENGTH + 1);
        let mined = rpc
            .utxos(std::slice::from_ref(&key.address))
            .expect("utxos");
        assert_eq!(
            mined
                .iter()
                .find(|u| u.outpoint.txid == txid)
                .map(|u| u.confirmations),
            Some(1)
        );
        assert_eq!(
            rpc.broadcast(&tx),
            Err(PortError::Rejected(
                bitai_bitcoin::BroadcastReject::AlreadyKnown
            ))
        );

        let list = double
            .requests()
            .into_iter()
            .find(|r| r.method == "listunspent")
            .expect("listed");
        assert_eq!(list.path, "/wallet/inscriber");
        assert_eq!(
            list.params,
            vec![json!(0), json!(9_999_999), json!([key.address.to_string()])]
        );
        let count = double.requests().len();
        assert_eq!(rpc.utxos(&[]), Ok(Vec::new()));
        assert_eq!(
            double.requests().len(),
            count,
            "no addresses, no request (Core would list all)"
        );
    }
}

#[test]
fn fee_estimates_convert_exactly_and_fall_back_when_core_has_none() {
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let rpc = CoreRpc::connect(&CoreRpcConfig {
            fallback_fee_rate_sat_per_kvb: 2_000,
            ..config(&double)
        })
        .expect("connects");
        double.set_fee_estimate(Some(1_234));
        assert_eq!(
            rpc.estimate_fee_rate(6),
            Ok(FeeRate::from_sat_per_kwu(309)),
            "1234 sat/kvB, rounded up"
        );
        double.set_fee_estimate(Some(25_000));
        assert_eq!(
            rpc.estimate_fee_rate(1),
            Ok(FeeRate::from_sat_per_vb(25).expect("a rate"))
        );
        double.set_fee_estimate(None);
        assert_eq!(
            rpc.estimate_fee_rate(6),
            Ok(FeeRate::from_sat_per_kwu(500)),
            "the fallback"
        );
        rpc.estimate_fee_rate(0).expect("clamped to 1");
        rpc.estimate_fee_rate(5_000).expect("clamped to 1008");
        let targets: Vec<_> = double
            .requests()
            .into_iter()
            .filter(|r| r.method == "estimatesmartfee")
            .map(|r| r.params)
            .collect();
        assert_eq!(targets, [6, 1, 6, 1, 1008].map(|t| vec![json!(t)]));
    }
}

#[test]
fn cookie_authentication_follows_a_restarted_node() {
    let key = key();
    let double = regtest_double(CoreVersion::V30, &key);
    let dir = tempfile::tempdir().expect("a temp dir");
    let cookie = dir.path().join(".cookie");
    let first = "3f0a41c1f5d2d3a4c1f0e8b9a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8";
    double.set_credentials("__cookie__", first);
    std::fs::write(&cookie, format!("__cookie__:{first}")).expect("write the cookie");
    let config = CoreRpcConfig {
        cookie_file: Some(cookie.clone()),
        rpc_user: None,
        rpc_password: None,
        ..config(&double)
    };
    let rpc = CoreRpc::connect(&config).expect("connects with the cookie");
    rpc.tip().expect("tip");

    let second = "0000000000000000000000000000000000000000000000000000000000000001";
    double.set_credentials("__cookie__", second);
    std::fs::write(&cookie, format!("__cookie__:{second}")).expect("the node writes a new cookie");
    assert_eq!(rpc.tip().expect("re-read the cookie").hash, double.tip().1);

    double.set_credentials("__cookie__", "a-cookie-we-never-see");
    match rpc.tip() {
        Err(PortError::Transport(message)) => assert!(
            message.contains("authentication failed: check the cookie file or rpcuser/rpcpassword"),
            "{message}"
        ),
        other => panic!("expected an authentication failure, got {other:?}"),
    }
}

#[test]
fn connect_checks_auth_network_wallet_and_version() {
    let key = key();
    let double = regtest_double(CoreVersion::V29, &key);
    let wrong_password = CoreRpcConfig {
        rpc_password: Some("wrong".into()),
        ..config(&double)
    };
    match CoreRpc::connect(&wrong_password) {
        Err(CoreRpcError::Port(PortError::Transport(message))) => {
            assert!(
                message.contains(
                    "authentication failed: check the cookie file or rpcuser/rpcpassword"
                ),
                "{message}"
            );
        }
        other => panic!("expected an authentication failure, got {other:?}"),
    }
    let signet = CoreRpcConfig {
        network: CoreNetwork::Signet,
        ..config(&double)
    };
    assert!(matches!(
        CoreRpc::connect(&signet),
        Err(CoreRpcError::WrongNetwork { expected: "signet", ref actual }) if actual == "regtest"
    ));
    let other_wallet = CoreRpcConfig {
        wallet: Some("nope".into()),
        ..config(&double)
    };
    assert!(matches!(
        CoreRpc::connect(&other_wallet),
        Err(CoreRpcError::Port(PortError::Rpc { code: -18, .. }))
    ));
    double.set_node_version(270_100);
    assert_eq!(
        connect(&double).node_version(),
        270_100,
        "an untested version only warns"
    );

    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let nobody = CoreRpcConfig {
        url: format!("http://{free_port}"),
        ..config(&double)
    };
    match CoreRpc::connect(&nobody) {
        Err(CoreRpcError::Port(PortError::Transport(message))) => {
            assert!(message.contains("connection refused"), "{message}")
        }
        other => panic!("expected a refused connection, got {other:?}"),
    }
}
