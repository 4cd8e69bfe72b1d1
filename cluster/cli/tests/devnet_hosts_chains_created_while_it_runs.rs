//! Two AI chains created with `bitai chain create` while `bitai devnet` runs: the devnet
//! hosts them beside its own chain (sequencer, provers, verifier contract), a transfer sent
//! on each with `bitai send` becomes final, `bitai status` lists the three chains with the
//! new ones' verified roots equal to their sequencers' roots, and SIGINT stops the devnet
//! cleanly (exit 0). Started again on the same data directory, it still hosts them: a
//! second transfer becomes final. Every step runs the real `bitai` binary.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use bitai_protocol::ChainId;
use bitai_rpc::{Client, Stage};
use std::time::Duration;
use support::{hex64, run_ok, Background, DevnetProcess};

/// Supply of each new chain's account 0.
const SUPPLY: u64 = 1_000_000;
const AMOUNT: u64 = 250;
const FEE: u64 = 1;

#[test]
fn devnet_hosts_two_chains_created_while_it_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = support::write_config(dir.path(), &[]);
    let data_dir = dir.path().join("data");
    let devnet = DevnetProcess::start(
        &config,
        &data_dir,
        &[
            "--simulation-proofs",
            "--no-load",
            "--block-interval-ms",
            "300",
        ],
    );
    let url = devnet.url().to_owned();
    let context = || devnet.diagnostics();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    // alpha's creator key from `bitai keygen`; beta's made by `bitai chain create` itself.
    let alpha_public = hex64(&run_ok(&["keygen", "--out", &path("a.key")], context));
    let recipient = hex64(&run_ok(&["keygen", "--out", &path("r.key")], context));

    // Both chains created at once, each command waiting for its CreateChain on Bitcoin.
    let supply = SUPPLY.to_string();
    let create = |name: &str, key: &str| {
        Background::start(&[
            "chain",
            "create",
            "--rpc",
            &url,
            "--key",
            &path(key),
            "--name",
            name,
            "--supply",
            &supply,
            "--block-txs",
            "4",
            "--wait",
            "--timeout-secs",
            "60",
        ])
    };
    let creations = [create("alpha", "a.key"), create("beta", "b.key")];
    let ids: Vec<String> = creations
        .into_iter()
        .map(|c| hex64(&c.finish(context)))
        .collect();
    assert_ne!(ids[0], ids[1], "two chains, two ids");

    // One transfer on each chain from account 0 to account 1 (a new account with the
    // recipient's key), sent at once, each waiting until final.
    let (amount, fee) = (AMOUNT.to_string(), FEE.to_string());
    let sends: Vec<Background> = ids
        .iter()
        .zip(["a.key", "b.key"])
        .map(|(id, key)| {
            Background::start(&[
                "send",
                "--rpc",
                &url,
                "--chain",
                id,
                "--key",
                &path(key),
                "--from",
                "0",
                "--to",
                "1",
                "--to-key",
                &recipient,
                "--amount",
                &amount,
                "--fee",
                &fee,
                "--wait",
                "final",
                "--timeout-secs",
                "60",
            ])
        })
        .collect();
    let hashes: Vec<String> = sends
        .into_iter()
        .map(|s| hex64(&s.finish(context)))
        .collect();
    for (hash, id) in hashes.iter().zip(&ids) {
        let status = devnet.tx_status(hash);
        assert_eq!(status.stage, Stage::Final, "{status:?}");
        assert_eq!(
            status.chain.map(|c| c.to_string()).as_deref(),
            Some(id.as_str())
        );
        assert_eq!(status.block_number, Some(1), "{status:?}");
        assert!(status.bitcoin_height.is_some(), "{status:?}");
    }

    // Three chains: the devnet's own (no load, so no blocks) and the two new ones, each
    // verified and final through its block 1, with the sequencer's root the verified one.
    let chains = devnet.chains();
    assert_eq!(chains.len(), 3, "{chains:#?}");
    let find = |id: &str| {
        chains
            .iter()
            .find(|c| c.id.to_string() == id)
            .unwrap_or_else(|| panic!("chain {id} listed: {chains:#?}"))
    };
    let own = find(devnet.chain());
    assert_eq!(own.name, "devnet");
    assert!(own.created_height.is_some(), "{own:#?}");
    for (id, name) in ids.iter().zip(["alpha", "beta"]) {
        let c = find(id);
        assert_eq!(c.name, name);
        assert_eq!(c.max_block_txs, 4);
        assert!(c.created_height.is_some(), "{c:#?}");
        assert!(c.verified_block >= 1, "{c:#?}");
        assert!(c.final_block >= 1, "{c:#?}");
        let sequencer = c.sequencer.as_ref().expect("the devnet hosts the chain");
        assert_eq!(sequencer.pending, 0, "{c:#?}");
        assert_eq!(sequencer.head_block, c.verified_block, "{c:#?}");
        assert_eq!(sequencer.state_root, c.verified_root, "{c:#?}");
        assert_eq!(c.final_root, c.verified_root, "{c:#?}");
    }

    // The accounts after the transfer, through the library's JSON-RPC client: account 0 paid
    // amount + fee under its creator's key, account 1 holds the amount under the recipient's.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::new(&url).expect("client");
    for (i, id) in ids.iter().enumerate() {
        let chain = ChainId(bitai_protocol::Hash32::from_hex(id).expect("chain id"));
        let sender = rt
            .block_on(client.account(chain, 0))
            .expect("account 0 answered")
            .expect("account 0 exists");
        let receiver = rt
            .block_on(client.account(chain, 1))
            .expect("account 1 answered")
            .expect("account 1 exists");
        assert_eq!(sender.balance, SUPPLY - AMOUNT - FEE);
        assert_eq!(sender.nonce, 1);
        assert_eq!(receiver.balance, AMOUNT);
        assert_eq!(receiver.nonce, 0);
        assert_eq!(hex::encode(receiver.public_key), recipient);
        let creator = if i == 0 {
            alpha_public.clone()
        } else {
            public_key_in(&dir.path().join("b.key"))
        };
        assert_eq!(hex::encode(sender.public_key), creator);
    }

    // Ctrl-C: the devnet stops cleanly and says so.
    interrupt_and_expect_clean_exit(devnet);

    // Started again on the same data directory, it hosts the chains created through
    // JSON-RPC too: a second transfer on alpha (nonce 1, from the node) becomes final in
    // alpha's block 2.
    let devnet = DevnetProcess::start(
        &config,
        &data_dir,
        &[
            "--simulation-proofs",
            "--no-load",
            "--block-interval-ms",
            "300",
        ],
    );
    let url = devnet.url().to_owned();
    let context = || devnet.diagnostics();
    let listed: Vec<String> = devnet.chains().iter().map(|c| c.id.to_string()).collect();
    for id in &ids {
        assert!(
            listed.contains(id),
            "{id} listed after the restart: {listed:?}"
        );
    }
    let hash = hex64(&run_ok(
        &[
            "send",
            "--rpc",
            &url,
            "--chain",
            &ids[0],
            "--key",
            &path("a.key"),
            "--from",
            "0",
            "--to",
            "1",
            "--to-key",
            &recipient,
            "--amount",
            &amount,
            "--fee",
            &fee,
            "--wait",
            "final",
            "--timeout-secs",
            "60",
        ],
        context,
    ));
    let status = devnet.tx_status(&hash);
    assert_eq!(status.stage, Stage::Final, "{status:?}");
    assert_eq!(status.block_number, Some(2), "{status:?}");
    let alpha = devnet
        .chains()
        .into_iter()
        .find(|c| c.id.to_string() == ids[0])
        .expect("alpha listed");
    assert_eq!(alpha.verified_block, 2, "{alpha:#?}");
    let sequencer = alpha.sequencer.as_ref().expect("alpha hosted");
    assert_eq!(sequencer.state_root, alpha.verified_root, "{alpha:#?}");
    interrupt_and_expect_clean_exit(devnet);
}

/// SIGINT; the devnet exits 0 and says it stopped cleanly.
fn interrupt_and_expect_clean_exit(mut devnet: DevnetProcess) {
    devnet.interrupt();
    let (status, stdout) = devnet.wait(Duration::from_secs(30));
    assert!(
        status.success(),
        "exit {status} after SIGINT; stdout: {stdout}\n{}",
        devnet.diagnostics()
    );
    assert!(stdout.contains("stopped cleanly"), "{stdout}");
}

/// The public key in a key file `bitai keygen` or `bitai chain create` wrote.
fn public_key_in(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).expect("the key file exists");
    let file: serde_json::Value = serde_json::from_str(&text).expect("the key file is JSON");
    file["public_key"]
        .as_str()
        .expect("the key file names its public key")
        .to_owned()
}
