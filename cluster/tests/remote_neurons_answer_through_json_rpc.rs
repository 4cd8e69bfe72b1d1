//! Neurons on other machines: the devnet runs no neurons of its own (`--neurons 0`); three
//! `bitai neuron run` processes, each with its own data directory, register genesis accounts
//! 1 to 3 with a stake and answer through the node's JSON-RPC alone. A LeNet inference asked
//! with `bitai infer` settles with a quorum and returns the bits of `bitai model run`, and
//! `bitai neuron list` shows the three paid.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use bitai_cluster::cli::keygen::write_key;
use bitai_cluster::pipeline::loadgen::account_keys;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use support::{run_ok, wait_until, Background, DevnetProcess};

#[test]
fn three_neuron_processes_answer_through_json_rpc() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut poc = toml::Table::new();
    for (k, v) in [
        ("commit_window_blocks", 20),
        ("reveal_window_blocks", 20),
        ("min_stake", 1000),
        ("slash_amount", 500),
        ("unbond_delay_blocks", 64),
    ] {
        poc.insert(k.into(), toml::Value::Integer(v));
    }
    let config = support::write_config(dir.path(), &[("chain", "poc", toml::Value::Table(poc))]);
    let devnet = DevnetProcess::start(
        &config,
        &dir.path().join("data"),
        &[
            "--simulation-proofs",
            "--no-load",
            "--neurons",
            "0",
            "--block-interval-ms",
            "500",
        ],
    );
    let url = devnet.url().to_owned();
    let chain = devnet.chain().to_owned();
    let context = || devnet.diagnostics();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    // node.seed = 1 in configs/devnet.toml.
    let key = path("account0.key");
    let account0 = account_keys(1, 1).remove(0);
    write_key(Path::new(&key), &account0, false).expect("key file");

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../actors/models/fixtures");
    let fixture = |name: &str| fixtures.join(name).to_string_lossy().into_owned();
    let model = path("lenet.model");
    run_ok(
        &[
            "model",
            "import",
            "--keras-json",
            &fixture("lenet5.json"),
            "--weights",
            &fixture("lenet5.weights.f32"),
            "-o",
            &model,
        ],
        context,
    );
    let inputs = std::fs::read(fixtures.join("lenet5.input.f32")).expect("fixture");
    let sample = path("digit.f32");
    std::fs::write(&sample, &inputs[..28 * 28 * 4]).expect("sample");
    let expected = path("expected.f32");
    run_ok(
        &[
            "model", "run", &model, "--input", &sample, "--output", &expected,
        ],
        context,
    );

    let signer = [
        "--rpc",
        &url,
        "--chain",
        &chain,
        "--key",
        &key,
        "--account",
        "0",
    ];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter()
            .chain(&signer)
            .chain(tail)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_ok(&args, context)
    };
    let id = run(with(
        &["model", "deploy", &model],
        &["--wait", "--timeout-secs", "120"],
    ));
    let id = id.trim().to_owned();

    // Three neurons on "other machines": their own processes and data directories.
    let keys = account_keys(1, 4);
    let mut neurons = Vec::new();
    for account in 1..=3u32 {
        let key_file = path(&format!("neuron{account}.key"));
        write_key(Path::new(&key_file), &keys[account as usize], false).expect("key file");
        let data_dir = path(&format!("neuron{account}"));
        let account = account.to_string();
        neurons.push(Background::start(&[
            "neuron",
            "run",
            "--rpc",
            &url,
            "--chain",
            &chain,
            "--key",
            &key_file,
            "--account",
            &account,
            "--stake",
            "2000",
            "--poll-interval-ms",
            "200",
            "--data-dir",
            &data_dir,
        ]));
    }
    wait_until(
        "three active neurons",
        Duration::from_secs(120),
        Duration::from_millis(500),
        || {
            let out = run_ok(
                &["neuron", "list", "--rpc", &url, "--chain", &chain, "--json"],
                context,
            );
            let list: Value = serde_json::from_str(&out).expect("json");
            let active = list
                .as_array()
                .map_or(0, |l| l.iter().filter(|n| n["active"] == true).count());
            (active >= 3).then_some(())
        },
        context,
    );

    let out = path("out.f32");
    let report = run(with(
        &[
            "infer",
            "--model-id",
            &id,
            "--input",
            &sample,
            "--output",
            &out,
        ],
        &["--escrow", "30", "--timeout-s", "300"],
    ));
    assert!(report.contains("quorum of"), "{report}");
    assert_eq!(
        std::fs::read(&out).expect("infer wrote the output"),
        std::fs::read(&expected).expect("model run wrote the output"),
        "bitai infer returns the bits of bitai model run\n{report}"
    );
    let summary: Value = serde_json::from_str(&run_ok(
        &["status", "--rpc", &url, "--chain", &chain, "--json"],
        context,
    ))
    .expect("json");
    assert_eq!(summary["poc"]["open_requests"], 0, "{summary}");
    let list: Value = serde_json::from_str(&run_ok(
        &["neuron", "list", "--rpc", &url, "--chain", &chain, "--json"],
        context,
    ))
    .expect("json");
    let paid = list
        .as_array()
        .expect("a list")
        .iter()
        .filter(|n| n["rewards"] == 10)
        .count();
    assert_eq!(
        paid, 3,
        "the three agreeing neurons share the escrow of 30: {list}"
    );
    drop(neurons);
}
