//! The wallet endpoints: `/wallet/<name>` when a wallet is configured, `/` (the node's only
//! loaded wallet) when not, and why the backend reads `getwalletinfo` as plain JSON.

use super::{config, connect, key, regtest_double, WALLET};
use bitai_bitcoin::{BitcoinPort, CoreRpc, CoreRpcConfig, PortError};
use bitai_tests::support::core_rpc_double::{CannedChain, CoreDouble, CoreVersion};

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
fn without_a_wallet_name_wallet_calls_go_to_the_only_loaded_wallet() {
    let key = key();
    let double = regtest_double(CoreVersion::V30, &key);
    let rpc = CoreRpc::connect(&CoreRpcConfig {
        wallet: None,
        ..config(&double)
    })
    .expect("connects");
    assert_eq!(
        rpc.utxos(std::slice::from_ref(&key.address))
            .expect("utxos")
            .len(),
        10
    );
    let requests = double.requests();
    assert!(
        !requests.iter().any(|r| r.method == "getwalletinfo"),
        "no wallet to check"
    );
    let list = requests
        .iter()
        .find(|r| r.method == "listunspent")
        .expect("listed");
    assert_eq!(list.path, "/");

    let no_wallet = CoreDouble::start(
        CoreVersion::V30,
        CannedChain::regtest(1, key.address.script_pubkey()),
    );
    let rpc = CoreRpc::connect(&CoreRpcConfig {
        wallet: None,
        ..config(&no_wallet)
    })
    .expect("connects");
    assert!(matches!(
        rpc.utxos(std::slice::from_ref(&key.address)),
        Err(PortError::Rpc { code: -18, .. })
    ));
}
