//! The client subcommands end to end: `bitai keygen`, `bitai chain create`, `bitai send`
//! and `bitai status` parsed from argv and run as the binary runs them, against the real
//! server in front of [`TestNode`], which checks the bytes it receives (the CreateChain
//! decodes and names the genesis root; each transfer decodes and its signature verifies).

use crate as cli;
use crate::{Cli, Command};
use bitai_chain::babyjubjub::pack_point;
use bitai_protocol::{decode_tx, BitaiTx, ChainId, Hash32};
use bitai_rpc::test_node::{Call, TestNode};
use bitai_rpc::*;
use clap::Parser;
use std::process::ExitCode;
use std::sync::Arc;

fn run(args: &[&str]) -> ExitCode {
    let cli = Cli::try_parse_from(std::iter::once("bitai").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} parses: {e}"));
    cli::run(cli)
}

fn bad() -> ExitCode {
    ExitCode::from(cli::EXIT_BAD_INPUT)
}

fn failed() -> ExitCode {
    ExitCode::from(cli::EXIT_FAILURE)
}

/// The node's view of the transfers it received, decoded (and their signatures checked).
fn received_transfers(
    node: &TestNode,
    chain: ChainId,
    sender: &bitai_chain::babyjubjub::Point,
) -> Vec<bitai_chain::tx::SignedTransfer> {
    node.calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::SendTransaction(id, bytes) if id == chain => Some(bytes),
            _ => None,
        })
        .map(|bytes| {
            let t = bitai_rpc::test_node::decode_transfer(&bytes).expect("decodes");
            bitai_chain::eddsa::verify(sender, t.transfer.message(&chain), &t.signature)
                .expect("signature verifies");
            t
        })
        .collect()
}

#[test]
fn keygen_chain_create_send_and_status_through_the_real_server() {
    // A runtime of its own serves the node while the commands run theirs on this thread.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let node = Arc::new(TestNode::default());
    let config = RpcConfig {
        listen: "127.0.0.1:0".into(),
        ..RpcConfig::default()
    };
    let server = rt
        .block_on(serve(&config, node.clone()))
        .expect("server starts");
    let url = server.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    // keygen: writes, refuses to overwrite, overwrites with --force.
    assert_eq!(
        run(&["keygen", "--out", &path("bob.key")]),
        ExitCode::SUCCESS
    );
    assert_eq!(run(&["keygen", "--out", &path("bob.key")]), bad());
    assert_eq!(
        run(&["keygen", "--out", &path("bob.key"), "--force"]),
        ExitCode::SUCCESS
    );
    let bob = cli::keygen::read_key(dir.path().join("bob.key").as_path()).expect("bob's key");
    let bob_hex = hex::encode(pack_point(&bob.public_key()));

    // chain create: alice.key does not exist yet, so it is made.
    let create = [
        "chain",
        "create",
        "--rpc",
        &url,
        "--key",
        &path("alice.key"),
        "--name",
        "demo",
        "--supply",
        "5000",
        "--block-txs",
        "4",
        "--salt",
        "42",
        "--wait",
        "--timeout-secs",
        "5",
    ];
    assert_eq!(run(&create), ExitCode::SUCCESS);
    let alice = cli::keygen::read_key(dir.path().join("alice.key").as_path()).expect("made");
    let (create_bytes, genesis) = node
        .calls()
        .into_iter()
        .find_map(|c| match c {
            Call::CreateChain(bytes, genesis) => Some((bytes, genesis)),
            _ => None,
        })
        .expect("the node got a CreateChain");
    let Ok(BitaiTx::CreateChain(created)) = decode_tx(&create_bytes) else {
        panic!("the CreateChain decodes");
    };
    assert_eq!(
        genesis.root().expect("valid genesis"),
        created.genesis_state_root
    );
    assert_eq!((created.name.as_str(), created.salt), ("demo", 42));
    assert_eq!(
        genesis.accounts[0].public_key,
        pack_point(&alice.public_key())
    );
    let chain = created.chain_id();
    let chain_hex = chain.to_string();
    // The same parameters again: the same id, which the node refuses as a duplicate.
    assert_eq!(run(&create), failed());

    // send twice; the second nonce comes from the node.
    let send = [
        "send",
        "--rpc",
        &url,
        "--chain",
        &chain_hex,
        "--key",
        &path("alice.key"),
        "--from",
        "0",
        "--to",
        "1",
        "--to-key",
        &bob_hex,
        "--amount",
        "100",
        "--fee",
        "1",
        "--wait",
        "in_l2_block",
        "--timeout-secs",
        "5",
    ];
    assert_eq!(run(&send), ExitCode::SUCCESS);
    assert_eq!(run(&send), ExitCode::SUCCESS);
    let transfers = received_transfers(&node, chain, &alice.public_key());
    assert_eq!(transfers.len(), 2);
    assert_eq!(
        transfers
            .iter()
            .map(|t| t.transfer.nonce)
            .collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(transfers[0].transfer.to_public_key, bob.public_key());
    let client = Client::new(&url).expect("client");
    let bob_account = rt
        .block_on(client.account(chain, 1))
        .expect("answers")
        .expect("bob's account exists");
    assert_eq!(bob_account.balance, 200);
    // Bob's key does not own account 0: refused before anything is sent.
    let bob_path = path("bob.key");
    let mut wrong_key = send;
    wrong_key[6] = &bob_path;
    assert_eq!(run(&wrong_key), bad());
    assert_eq!(
        received_transfers(&node, chain, &alice.public_key()).len(),
        2
    );

    // status: a transaction, a chain, every chain, as JSON; unknowns and bad input.
    let hash = transfers[1].hash().to_string();
    assert_eq!(run(&["status", "--rpc", &url, &hash]), ExitCode::SUCCESS);
    assert_eq!(
        run(&["status", "--rpc", &url, "--chain", &chain_hex]),
        ExitCode::SUCCESS
    );
    assert_eq!(run(&["status", "--rpc", &url]), ExitCode::SUCCESS);
    assert_eq!(run(&["status", "--rpc", &url, "--json"]), ExitCode::SUCCESS);
    assert_eq!(run(&["status", "--rpc", &url, &"00".repeat(32)]), failed());
    assert_eq!(run(&["status", "--rpc", &url, "xyz"]), bad());
    assert!(node.calls().contains(&Call::TransactionStatus(
        Hash32::from_hex(&hash).expect("hex")
    )));

    rt.block_on(server.stop());
    assert_eq!(
        run(&["status", "--rpc", &url]),
        failed(),
        "unreachable node"
    );
}

#[test]
fn client_subcommands_parse() {
    let cli = Cli::try_parse_from([
        "bitai", "send", "--chain", "ab", "--key", "k", "--from", "0", "--to", "1", "--to-key",
        "cd", "--amount", "5", "--wait", "final",
    ])
    .expect("parses");
    let Command::Send(a) = cli.command else {
        panic!("send");
    };
    assert_eq!((a.from, a.to, a.amount, a.fee, a.nonce), (0, 1, 5, 1, None));
    assert_eq!(a.wait, Some(Stage::Final));
    assert_eq!(a.rpc, cli::status::DEFAULT_RPC_URL);

    let cli = Cli::try_parse_from(["bitai", "chain", "create", "--key", "k"]).expect("parses");
    let Command::Chain(cli::chain::ChainArgs {
        command: cli::chain::ChainCommand::Create(c),
    }) = cli.command
    else {
        panic!("chain create");
    };
    assert_eq!(
        (c.block_txs, c.salt, c.wait, c.name.as_str()),
        (4, None, false, "ai-chain")
    );

    for bad_args in [
        &["bitai", "send", "--chain", "ab"][..],
        &["bitai", "chain", "create", "--key", "k", "--block-txs", "0"],
        &[
            "bitai", "send", "--chain", "a", "--key", "k", "--from", "0", "--to", "1", "--to-key",
            "c", "--amount", "5", "--wait", "soon",
        ],
        &["bitai", "status", "abcd", "--chain", "ef"],
        &["bitai", "keygen"],
    ] {
        assert!(
            Cli::try_parse_from(bad_args).is_err(),
            "{bad_args:?} is refused"
        );
    }
}

#[test]
fn send_refuses_bad_input_before_any_network() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("k").to_string_lossy().into_owned();
    assert_eq!(run(&["keygen", "--out", &key]), ExitCode::SUCCESS);
    let chain = "ab".repeat(32);
    let good_key = hex::encode(pack_point(
        &bitai_chain::eddsa::PrivateKey([1; 32]).public_key(),
    ));
    // The node URL points nowhere: every refusal below happens before a connection.
    let base = |to_key: &str, chain: &str| -> ExitCode {
        run(&[
            "send",
            "--rpc",
            "http://127.0.0.1:1",
            "--chain",
            chain,
            "--key",
            &key,
            "--from",
            "0",
            "--to",
            "1",
            "--to-key",
            to_key,
            "--amount",
            "5",
        ])
    };
    assert_eq!(base(&"ff".repeat(32), &chain), bad(), "not a curve point");
    assert_eq!(base(&good_key, "abc"), bad(), "short chain id");
    assert_eq!(
        base(&good_key, &chain),
        failed(),
        "valid input, unreachable node"
    );
}
