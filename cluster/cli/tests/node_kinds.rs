//! The BitAI side and a chain's side as separate processes (`bitai node` with
//! `kind = "bitai"` and `kind = "chain"`, from the shipped configs/bitai.toml and chain.toml):
//! a chain created on the chain node is registered through the BitAI node's mempool,
//! inscriber, indexer and state machine; a transfer sent to the chain node goes final; the
//! chain node's admin endpoint says it is a chain node and runs the relay, not the BitAI
//! roles; the BitAI node's inscriber is hot-swapped to its `economical` fee version before
//! the first transfer, and the chain's sequencer to its `full-blocks` version and back
//! (`bitai admin swap`; an unknown version refused); the BitAI node is SIGKILLed, a transfer
//! is sent meanwhile, and after its restart that transfer goes final too (the chain node
//! sends its proof again); both nodes report the same verified root, equal to the
//! sequencer's, and the supply is conserved.
//!
//! Simulation-only proofs keep it short. The second test, ignored in the suite, is the
//! real-Groth16 run with prover and neuron nodes under churn:
//!
//! Every node kind as its own process on 127.0.0.1, under load, with faults: a BitAI node
//! (`configs/bitai.toml`), a chain node (`configs/chain.toml`, no local prover), two prover
//! nodes (`configs/prover.toml`, one thread each) and three neuron nodes
//! (`configs/neuron.toml`), each started as `bitai node --config FILE`. Real Groth16 proofs
//! of one transfer and two Proof-of-Compute op slots per block; transfers flow the whole time
//! and two LeNet inference requests are made. Meanwhile:
//!
//! - prover-1 is SIGKILLed while it holds a proof lease (the admin endpoint shows it), and
//!   prover-3 joins;
//! - neuron-3 is SIGSTOPped as the first request is made (it misses its seat by the chain's
//!   rules; its lease goes back) and continued after the request settles;
//! - the BitAI node is SIGKILLed and restarted once;
//! - a rolling replacement of both prover nodes then running: prover-2 is drained through
//!   the admin endpoint (exit 0) while prover-4 joins, then prover-3 while prover-5 joins.
//!
//! At the end every L2 block is proven and verified (the verified block is the sequencer's
//! head, with the same root, on both nodes), both requests are settled, and the supply is
//! conserved. Minutes long: ignored in the suite; run it with
//! `cargo test -p bitai-cli --test node_kinds -- --ignored --nocapture`.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use bitai_cli::keygen::{public_hex, write_key};
use bitai_node::pipeline::loadgen::account_keys;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::lenet::ModelFiles;
use support::nodes::{i, kind_config, s, NodeProcess};
use support::prover::{free_port, key_cache};
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
    let bitai_admin = free_port();
    let bitai_url = format!("http://127.0.0.1:{bitai_rpc}");
    let chain_url = format!("http://127.0.0.1:{chain_rpc}");
    run_ok(
        &["admin", "token", "--out", &path("admin.token")],
        String::new,
    );
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
            ("admin", "listen", s(&format!("127.0.0.1:{bitai_admin}"))),
            ("admin", "token_file", s(&path("admin.token"))),
        ],
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

    // The BitAI node's inscriber runs its economical fee version for this transfer.
    let swapped = run_ok(
        &[
            "admin",
            "swap",
            "--role",
            "inscriber",
            "--to",
            "economical",
            "--admin",
            &format!("http://127.0.0.1:{bitai_admin}"),
            "--token-file",
            &path("admin.token"),
        ],
        context,
    );
    assert!(
        swapped.contains("inscriber: prompt -> economical"),
        "{swapped}"
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

    // Hot swap: the chain's sequencer moves to its other block-building policy while the
    // node runs; an unknown version is refused with the versions compiled in.
    let sequencer = format!("sequencer-{}", &chain[..12]);
    let admin_url = format!("http://127.0.0.1:{admin}");
    let swap = |to: &str| {
        support::bitai()
            .args([
                "admin", "swap", "--role", &sequencer, "--to", to, "--admin", &admin_url,
            ])
            .args(["--token-file", &path("admin.token")])
            .output()
            .expect("bitai runs")
    };
    let swapped = swap("full-blocks");
    let out = String::from_utf8_lossy(&swapped.stdout);
    assert!(
        swapped.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&swapped.stderr)
    );
    assert!(out.contains("interval -> full-blocks"), "{out}");
    let unknown = swap("v9");
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(2), "{err}");
    assert!(err.contains("full-blocks, interval"), "{err}");

    // The BitAI node dies; a transfer sent meanwhile goes final after its restart (cut by
    // the full-blocks version, which waits four intervals for the block to fill).
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
    let back = swap("interval");
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
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

const COOKIE: &str = "churn-test-cookie";
const SUPPLY: u64 = 1_000_000_000;

#[derive(Clone)]
struct Cluster {
    dir: std::path::PathBuf,
    chain_url: String,
    bitai_url: String,
    admin_url: String,
    cluster: String,
    chain: String,
}

impl Cluster {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn admin(&self, args: &[&str]) -> String {
        let token = self.path("admin.token");
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        all.extend(["--admin", &self.admin_url, "--token-file", &token]);
        run_ok(&all, String::new)
    }

    fn admin_status(&self) -> Value {
        serde_json::from_str(&self.admin(&["status", "--json"])).expect("JSON")
    }

    fn chain_info(&self, url: &str) -> Value {
        let out = run_ok(
            &["status", "--rpc", url, "--chain", &self.chain, "--json"],
            String::new,
        );
        serde_json::from_str(&out).expect("JSON")
    }

    fn prover(&self, n: u32) -> NodeProcess {
        let config = kind_config(
            &self.dir,
            "prover.toml",
            &format!("prover-{n}.toml"),
            &[
                ("join", "coordinator", s(&self.cluster)),
                ("join", "cookie", s(COOKIE)),
                ("join", "name", s(&format!("prover-{n}"))),
                ("prover_node", "keys", s(&key_cache().to_string_lossy())),
                ("prover_node", "threads", i(1)),
            ],
        );
        NodeProcess::start(&config, self.dir.join(format!("prover-{n}.stderr")))
    }

    fn neuron(&self, n: u32) -> NodeProcess {
        let config = kind_config(
            &self.dir,
            "neuron.toml",
            &format!("neuron-{n}.toml"),
            &[
                ("join", "coordinator", s(&self.cluster)),
                ("join", "cookie", s(COOKIE)),
                ("join", "name", s(&format!("neuron-{n}"))),
                ("neuron_node", "chain", s(&self.chain)),
                (
                    "neuron_node",
                    "key",
                    s(&self.path(&format!("account{n}.key"))),
                ),
                ("neuron_node", "account", i(i64::from(n))),
                ("neuron_node", "stake", i(2_000)),
                (
                    "neuron_node",
                    "data_dir",
                    s(&self.path(&format!("neuron-{n}"))),
                ),
                ("neuron_node", "poll_interval_ms", i(500)),
                ("neuron_node", "heartbeat_interval_ms", i(500)),
            ],
        );
        NodeProcess::start(&config, self.dir.join(format!("neuron-{n}.stderr")))
    }

    fn signer(&self, account: u32) -> Vec<String> {
        [
            "--rpc",
            &self.chain_url,
            "--chain",
            &self.chain,
            "--key",
            &self.path(&format!("account{account}.key")),
            "--account",
            &account.to_string(),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn send(&self, to: u32, amount: u64, wait: bool) -> bool {
        let key = self.path("account0.key");
        let to_key = std::fs::read_to_string(self.path(&format!("account{to}.pub"))).expect("pub");
        let (to, amount) = (to.to_string(), amount.to_string());
        let mut args = vec![
            "send",
            "--rpc",
            &self.chain_url,
            "--chain",
            &self.chain,
            "--key",
            &key,
            "--from",
            "0",
            "--to",
            &to,
            "--to-key",
            &to_key,
            "--amount",
            &amount,
        ];
        if wait {
            args.extend(["--wait", "final", "--timeout-secs", "600"]);
        }
        support::bitai()
            .args(&args)
            .output()
            .expect("bitai runs")
            .status
            .success()
    }

    /// `bitai infer` of the sample (exit 0: a quorum; 3: settled without one).
    fn infer(&self, model: &str, files: &ModelFiles, out: &str) -> std::process::Output {
        let mut args: Vec<String> = [
            "infer",
            "--model-id",
            model,
            "--input",
            &files.sample,
            "--output",
            out,
            "--escrow",
            "30",
            "--timeout-s",
            "900",
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(self.signer(0));
        support::bitai().args(&args).output().expect("bitai runs")
    }
}

/// `bitai admin drain --node NAME`: the node exits 0.
fn drain(c: &Cluster, node: &mut NodeProcess, name: &str) {
    let drained = c.admin(&["drain", "--node", name]);
    assert!(
        drained.contains(&format!("drain sent to prover node {name}")),
        "{drained}"
    );
    assert_eq!(
        node.exit_within(Duration::from_secs(120)),
        Some(0),
        "{}",
        node.output()
    );
}

#[test]
#[ignore = "minutes of real Groth16 proving across seven processes; run with --ignored"]
fn every_node_kind_apart_survives_crashes_hangs_a_bitai_restart_and_rolling_replacement() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let (bitai_rpc, chain_rpc, admin, cluster) =
        (free_port(), free_port(), free_port(), free_port());
    let c = Cluster {
        dir: d.to_path_buf(),
        chain_url: format!("http://127.0.0.1:{chain_rpc}"),
        bitai_url: format!("http://127.0.0.1:{bitai_rpc}"),
        admin_url: format!("http://127.0.0.1:{admin}"),
        cluster: format!("127.0.0.1:{cluster}"),
        chain: String::new(),
    };
    let bitai_config = kind_config(
        d,
        "bitai.toml",
        "bitai.toml",
        &[
            ("node", "data_dir", s(&c.path("bitai-node"))),
            ("bitcoin", "sim", {
                let mut t = toml::Table::new();
                t.insert("block_interval_mean_ms".into(), i(1_000));
                toml::Value::Table(t)
            }),
            ("statemachine", "finality_depth", i(2)),
            ("rpc", "listen", s(&format!("127.0.0.1:{bitai_rpc}"))),
        ],
    );
    run_ok(
        &["admin", "token", "--out", &c.path("admin.token")],
        String::new,
    );
    let mut poc = toml::Table::new();
    for (k, v) in [
        ("commit_window_blocks", 6),
        ("reveal_window_blocks", 6),
        ("min_stake", 1000),
        ("slash_amount", 500),
    ] {
        poc.insert(k.into(), i(v));
    }
    let chain_config = kind_config(
        d,
        "chain.toml",
        "chain.toml",
        &[
            ("node", "data_dir", s(&c.path("chain-node"))),
            (
                "bitai_nodes",
                "urls",
                toml::Value::Array(vec![s(&c.bitai_url)]),
            ),
            ("chain", "block_txs", i(1)),
            ("chain", "block_ops", i(2)),
            ("chain", "poc", toml::Value::Table(poc)),
            ("prover", "key_cache_dir", s(&key_cache().to_string_lossy())),
            ("prover", "reemit_after_ms", i(15_000)),
            ("sequencer", "block_interval_ms", i(3_000)),
            ("cluster", "listen", s(&c.cluster)),
            ("cluster", "cookie", s(COOKIE)),
            ("cluster", "heartbeat_interval_ms", i(500)),
            ("cluster", "heartbeat_timeout_ms", i(4_000)),
            ("rpc", "listen", s(&format!("127.0.0.1:{chain_rpc}"))),
            ("admin", "listen", s(&format!("127.0.0.1:{admin}"))),
            ("admin", "token_file", s(&c.path("admin.token"))),
        ],
    );
    let mut bitai = NodeProcess::start(&bitai_config, d.join("bitai.stderr"));
    bitai.wait_for("node: kind bitai", Duration::from_secs(120));
    let chain_node = NodeProcess::start(&chain_config, d.join("chain.stderr"));
    chain_node.wait_for("node: kind chain", Duration::from_secs(600));
    let mut prover1 = c.prover(1);
    let mut prover2 = c.prover(2);
    eprintln!("[{:?}] nodes up", started.elapsed());

    // Accounts: 0 the creator (all the supply), 1-3 the neurons, 4 the load's recipient.
    for (n, key) in account_keys(7, 5).iter().enumerate() {
        write_key(Path::new(&c.path(&format!("account{n}.key"))), key, false).expect("key");
        std::fs::write(c.path(&format!("account{n}.pub")), public_hex(key)).expect("pub");
    }
    let mut c = c;
    c.chain = run_ok(
        &[
            "chain",
            "create",
            "--rpc",
            &c.chain_url,
            "--key",
            &c.path("account0.key"),
            "--name",
            "churn",
            "--supply",
            &SUPPLY.to_string(),
            "--block-txs",
            "1",
            "--block-ops",
            "2",
            "--wait",
            "--timeout-secs",
            "300",
        ],
        || chain_node.output(),
    )
    .trim()
    .to_owned();
    for n in 1..=4 {
        assert!(c.send(n, 10_000, n == 4), "funding account {n}");
    }
    let files = ModelFiles::prepare(d);
    let mut deploy = vec!["model".to_owned(), "deploy".to_owned(), files.model.clone()];
    deploy.extend(c.signer(0));
    deploy.extend(["--wait", "--timeout-secs", "600"].map(str::to_owned));
    let deploy: Vec<&str> = deploy.iter().map(String::as_str).collect();
    let model = run_ok(&deploy, || chain_node.output()).trim().to_owned();
    let neurons: Vec<NodeProcess> = (1..=3).map(|n| c.neuron(n)).collect();
    wait_until(
        "three active neurons",
        Duration::from_secs(600),
        Duration::from_secs(1),
        || {
            let info = c.chain_info(&c.chain_url);
            (info["poc"]["active_neurons"] == 3).then_some(())
        },
        || format!("{}\n{}", chain_node.output(), neurons[0].output()),
    );
    eprintln!("[{:?}] chain, model and neurons ready", started.elapsed());

    // Load: a transfer every second from account 0 to account 4, the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let load = {
        let (stop, accepted) = (stop.clone(), accepted.clone());
        let c = c.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if c.send(4, 1, false) {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };

    // prover-1 dies holding a lease; prover-3 joins.
    wait_until(
        "prover-1 to hold a proof lease",
        Duration::from_secs(300),
        Duration::from_millis(300),
        || {
            let status = c.admin_status();
            let leases = status["leases"].as_array()?.clone();
            leases
                .iter()
                .any(|l| l["kind"] == "proof" && l["holder"] == "prover-1")
                .then_some(())
        },
        || chain_node.output(),
    );
    prover1.kill();
    let mut prover3 = c.prover(3);
    eprintln!(
        "[{:?}] prover-1 SIGKILLed mid-proof; prover-3 joins",
        started.elapsed()
    );

    // The first request, with neuron-3 hung (SIGSTOP: connected, silent) when its
    // assignment arrives. Blocks of one transfer are cut as the load's transfers come, so a
    // neuron acts within a second or two of a request: it is stopped first.
    neurons[2].signal("STOP");
    let first = {
        let c = c.clone();
        let files = files.clone();
        let model = model.clone();
        std::thread::spawn(move || c.infer(&model, &files, &c.path("out1.f32")))
    };
    eprintln!(
        "[{:?}] neuron-3 SIGSTOPped; request 1 made",
        started.elapsed()
    );

    // The BitAI node dies and comes back.
    std::thread::sleep(Duration::from_secs(10));
    bitai.kill();
    std::thread::sleep(Duration::from_secs(3));
    bitai.restart();
    eprintln!(
        "[{:?}] BitAI node SIGKILLed and restarted",
        started.elapsed()
    );

    let first = first.join().expect("infer thread");
    let report = String::from_utf8_lossy(&first.stdout).into_owned()
        + &String::from_utf8_lossy(&first.stderr);
    eprintln!(
        "request 1 (neuron-3 hung): exit {:?}\n{report}",
        first.status.code()
    );
    assert!(
        matches!(first.status.code(), Some(0 | 3)),
        "the first request settles by the chain's rules: {report}"
    );
    // Account 3's seat (neuron-3's) was never committed: missed by the chain's rules.
    let seat3 = report
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cols| cols.len() >= 7 && cols[1] == "3")
        .unwrap_or_else(|| panic!("account 3 holds a seat: {report}"));
    assert_eq!(
        seat3[2], "false",
        "the hung neuron committed nothing: {report}"
    );
    neurons[2].signal("CONT");
    eprintln!(
        "[{:?}] request 1 settled; neuron-3 continued",
        started.elapsed()
    );

    // Rolling replacement of both prover nodes running now: prover-2 drains through the
    // admin endpoint while prover-4 joins, then prover-3 while prover-5 joins.
    let _prover4 = c.prover(4);
    drain(&c, &mut prover2, "prover-2");
    let _prover5 = c.prover(5);
    drain(&c, &mut prover3, "prover-3");
    eprintln!(
        "[{:?}] prover-2 and prover-3 drained; prover-4 and prover-5 joined",
        started.elapsed()
    );

    // The second request, with the three neurons up, reaches a quorum.
    let second = c.infer(&model, &files, &c.path("out2.f32"));
    let report = String::from_utf8_lossy(&second.stdout);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{report}{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        std::fs::read(c.path("out2.f32")).expect("output"),
        std::fs::read(&files.expected).expect("expected"),
        "{report}"
    );
    stop.store(true, Ordering::Relaxed);
    load.join().expect("load thread");
    eprintln!(
        "[{:?}] request 2 settled with a quorum; {} load transfers accepted",
        started.elapsed(),
        accepted.load(Ordering::Relaxed)
    );

    // Everything proven, verified and final, with the roots agreeing and the supply whole.
    wait_until(
        "every block verified and final",
        Duration::from_secs(900),
        Duration::from_secs(1),
        || {
            let info = c.chain_info(&c.chain_url);
            let seq = &info["sequencer"];
            (seq["pending"] == 0
                && info["verified_block"] == seq["head_block"]
                && info["final_block"] == seq["head_block"])
                .then_some(())
        },
        || c.chain_info(&c.chain_url).to_string(),
    );
    let on_chain = c.chain_info(&c.chain_url);
    let on_bitai = c.chain_info(&c.bitai_url);
    let seq = &on_chain["sequencer"];
    assert_eq!(on_chain["verified_root"], seq["state_root"], "{on_chain}");
    assert_eq!(on_bitai["verified_root"], seq["state_root"], "{on_bitai}");
    assert_eq!(on_bitai["final_block"], seq["head_block"], "{on_bitai}");
    assert_eq!(on_chain["poc"]["open_requests"], 0, "{on_chain}");
    assert_eq!(on_chain["poc"]["requests_made"], 2, "{on_chain}");
    let supply = &seq["supply"];
    assert_eq!(supply["total"], SUPPLY, "{supply}");
    assert_eq!(
        supply["nonces"].as_u64(),
        Some(
            supply["transfers"].as_u64().unwrap_or(0) + supply["signed_ops"].as_u64().unwrap_or(0)
        ),
        "{supply}"
    );
    let blocks = seq["head_block"].as_u64().unwrap_or(0);
    eprintln!(
        "[{:?}] {blocks} blocks proven, verified and final; roots agree; supply {SUPPLY} conserved",
        started.elapsed()
    );
    drop(neurons);
}
