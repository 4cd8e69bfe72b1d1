//! The BitAI side and a chain's side as separate processes (`bitai node` with
//! `kind = "bitai"` and `kind = "chain"`, from the shipped configs/bitai.toml and chain.toml):
//! a chain created on the chain node is registered through the BitAI node's mempool,
//! inscriber, indexer and state machine; a transfer sent to the chain node goes final; the
//! chain node's admin endpoint says it is a chain node and runs the relay, not the BitAI
//! roles; the BitAI node is SIGKILLed, a transfer is sent meanwhile, and after its restart
//! that transfer goes final too (the chain node sends its proof again); both nodes report
//! the same verified root, equal to the sequencer's, and the supply is conserved.
//!
//! Simulation-only proofs keep it short; the real-Groth16 run with prover and neuron nodes
//! under churn is `node_kinds_under_churn.rs` (ignored in the suite: it runs for minutes).
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::time::Duration;
use support::nodes::{i, kind_config, s, NodeProcess};
use support::prover::free_port;
use support::{run_ok, wait_until};

fn chain_info(url: &str, chain: &str) -> serde_json::Value {
    let out = run_ok(
        &["status", "--rpc", url, "--chain", chain, "--json"],
        String::new,
    );
    serde_json::from_str(&out).expect("status --json")
}

fn send(url: &str, chain: &str, dir: &std::path::Path, amount: &str, wait: bool) -> String {
    let key = dir.join("alice.key").to_string_lossy().into_owned();
    let bob = dir.join("bob.pub");
    let bob = std::fs::read_to_string(bob).expect("bob's public key");
    let mut args = vec![
        "send",
        "--rpc",
        url,
        "--chain",
        chain,
        "--key",
        &key,
        "--from",
        "0",
        "--to",
        "1",
        "--to-key",
        bob.trim(),
        "--amount",
        amount,
    ];
    if wait {
        args.extend(["--wait", "final", "--timeout-secs", "180"]);
    }
    run_ok(&args, String::new)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_chain_node_settles_through_a_separate_bitai_node_across_its_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let path = |name: &str| d.join(name).to_string_lossy().into_owned();
    let (bitai_rpc, chain_rpc, admin) = (free_port(), free_port(), free_port());
    let bitai_url = format!("http://127.0.0.1:{bitai_rpc}");
    let chain_url = format!("http://127.0.0.1:{chain_rpc}");
    let bitai_config = kind_config(
        d,
        "bitai.toml",
        "bitai.toml",
        &[
            ("node", "data_dir", s(&path("bitai-node"))),
            ("bitcoin", "sim", {
                let mut t = toml::Table::new();
                t.insert("block_interval_mean_ms".into(), i(500));
                toml::Value::Table(t)
            }),
            ("statemachine", "finality_depth", i(2)),
            (
                "statemachine",
                "allow_simulation_only",
                toml::Value::Boolean(true),
            ),
            ("rpc", "listen", s(&format!("127.0.0.1:{bitai_rpc}"))),
        ],
    );
    run_ok(
        &["admin", "token", "--out", &path("admin.token")],
        String::new,
    );
    let chain_config = kind_config(
        d,
        "chain.toml",
        "chain.toml",
        &[
            ("node", "data_dir", s(&path("chain-node"))),
            (
                "bitai_nodes",
                "urls",
                toml::Value::Array(vec![s(&bitai_url)]),
            ),
            ("bitai_nodes", "poll_interval_ms", i(300)),
            ("chain", "proof_system", s("simulation")),
            ("chain", "block_txs", i(1)),
            ("chain", "block_ops", i(0)),
            ("prover", "workers", i(1)),
            ("prover", "reemit_after_ms", i(3_000)),
            ("sequencer", "block_interval_ms", i(300)),
            ("cluster", "listen", s("")),
            ("rpc", "listen", s(&format!("127.0.0.1:{chain_rpc}"))),
            ("admin", "listen", s(&format!("127.0.0.1:{admin}"))),
            ("admin", "token_file", s(&path("admin.token"))),
        ],
    );
    let mut bitai = NodeProcess::start(&bitai_config, d.join("bitai.stderr"));
    bitai.wait_for("node: kind bitai", Duration::from_secs(60));
    let chain_node = NodeProcess::start(&chain_config, d.join("chain.stderr"));
    chain_node.wait_for("node: kind chain", Duration::from_secs(60));
    let context = || format!("{}\n{}", bitai.output(), chain_node.output());

    let chain = run_ok(
        &[
            "chain",
            "create",
            "--rpc",
            &chain_url,
            "--key",
            &path("alice.key"),
            "--name",
            "apart",
            "--block-txs",
            "1",
            "--block-ops",
            "0",
            "--wait",
            "--timeout-secs",
            "120",
        ],
        context,
    )
    .trim()
    .to_owned();
    let bob = run_ok(&["keygen", "--out", &path("bob.key")], String::new);
    std::fs::write(d.join("bob.pub"), bob.lines().last().unwrap_or_default()).expect("write");
    // Registered on the BitAI node, by its own state machine.
    let on_bitai = chain_info(&bitai_url, &chain);
    assert!(on_bitai["created_height"].as_u64().is_some(), "{on_bitai}");
    assert!(
        on_bitai["sequencer"].is_null(),
        "the BitAI node sequences nothing: {on_bitai}"
    );

    send(&chain_url, &chain, d, "250", true);

    let status = run_ok(
        &[
            "admin",
            "status",
            "--json",
            "--admin",
            &format!("http://127.0.0.1:{admin}"),
            "--token-file",
            &path("admin.token"),
        ],
        context,
    );
    let status: serde_json::Value = serde_json::from_str(&status).expect("JSON");
    assert_eq!(status["node"]["kind"], "chain", "{status}");
    let roles: Vec<&str> = status["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(roles.contains(&"bitai_relay"), "{roles:?}");
    for absent in ["inscriber", "indexer", "statemachine", "mempool"] {
        assert!(
            !roles.contains(&absent),
            "{absent} runs on a chain node: {roles:?}"
        );
    }

    // The BitAI node dies; a transfer sent meanwhile goes final after its restart.
    bitai.kill();
    let hash = send(&chain_url, &chain, d, "5", false);
    std::thread::sleep(Duration::from_secs(2));
    bitai.restart();
    wait_until(
        "the transfer sent while the BitAI node was down to go final",
        Duration::from_secs(180),
        Duration::from_millis(500),
        || {
            let out = support::bitai()
                .args(["status", &hash, "--rpc", &chain_url, "--json"])
                .output()
                .expect("bitai status runs");
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            (v["stage"] == "final").then_some(())
        },
        || format!("{}\n{}", bitai.output(), chain_node.output()),
    );
    let on_chain_node = chain_info(&chain_url, &chain);
    let on_bitai = chain_info(&bitai_url, &chain);
    let seq = &on_chain_node["sequencer"];
    assert_eq!(
        on_chain_node["verified_block"], seq["head_block"],
        "{on_chain_node}"
    );
    assert_eq!(
        on_chain_node["verified_root"], seq["state_root"],
        "{on_chain_node}"
    );
    assert_eq!(on_bitai["verified_root"], seq["state_root"], "{on_bitai}");
    let supply = &seq["supply"];
    assert_eq!(supply["total"], 1_000_000_000u64, "{supply}");
    assert_eq!(supply["nonces"], supply["transfers"], "{supply}");
    assert_eq!(supply["transfers"], 2, "{supply}");
}
