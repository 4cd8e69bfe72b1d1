//! The wallet endpoints: `/wallet/<name>` when a wallet is configured, none at all when not
//! (the coins are then scanned for), and why the backend reads `getwalletinfo` as plain JSON.

use super::{config, connect, key, regtest_double, WALLET};
use bitai_bitcoin::{BitcoinPort, CoreRpc, CoreRpcConfig};
use bitai_tests::support::core_rpc_double::CoreVersion;

#[test]
fn typed_getwalletinfo_of_bitcoincore_rpc_breaks_on_core_30_but_the_backend_does_not() {
    use bitcoincore_rpc::RpcApi;
    let key = key();
    for version in CoreVersion::ALL {
        let double = regtest_double(version, &key);
        let (user, password) = double.credentials();
        let url = format!("{}/wallet/{WALLET}", double.url());
        let typed =
            bitcoincore_rpc::Client::new(&url, bitcoincore_rpc::Auth::UserPass(user, password))
                .expect("a client");
        match (version, typed.get_wallet_info()) {
            (CoreVersion::V29, result) => assert!(result.is_ok(), "{result:?}"),
            (CoreVersion::V30, result) => {
                let error = result
                    .expect_err("Core 30 has no balance fields")
                    .to_string();
                assert!(error.contains("missing field `balance`"), "{error}");
            }
        }
        connect(&double);
    }
}

#[test]
fn without_a_wallet_name_no_wallet_is_asked_anything() {
    // Core's wallet is optional: with no `wallet` key the backend never calls a wallet
    // method, and finds the coins with `scantxoutset` (the double does not implement it;
    // tests/bitcoin_core_regtest.rs runs the wallet-less path against a real node).
    let key = key();
    let double = regtest_double(CoreVersion::V30, &key);
    let rpc = CoreRpc::connect(&CoreRpcConfig {
        wallet: None,
        ..config(&double)
    })
    .expect("connects");
    let _ = rpc.utxos(std::slice::from_ref(&key.address));
    let requests = double.requests();
    for wallet_call in ["getwalletinfo", "listunspent"] {
        assert!(
            !requests.iter().any(|r| r.method == wallet_call),
            "{wallet_call} was called without a wallet"
        );
    }
    let scan = requests
        .iter()
        .find(|r| r.method == "scantxoutset")
        .expect("the coins are scanned for");
    assert_eq!(scan.path, "/");
}
