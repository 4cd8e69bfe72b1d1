//! The Proof-of-Compute client commands against a real node (`bitai devnet`, simulation-only
//! proofs, no load), every step the real `bitai` binary.
//!
//! - `ops_reach_the_sequencer_of_a_real_node`: `bitai chain create` makes a chain with op
//!   slots (`bitai status --json` shows them), `bitai model deploy` puts the LeNet fixture
//!   (0.6 MB of hex: the default request limit admits it) on the node's DA and its
//!   `DeployModel` op is accepted, `bitai neuron register` is accepted, and `bitai infer` is
//!   refused by the sequencer (exit 5) while the chain (counting pending ops) has fewer than
//!   three neurons.
//! - `deploy_register_status_and_refusals_once_blocks_carry_ops`: the same with `--wait`,
//!   reading the model id and the neuron back from blocks; `bitai infer` refused by the
//!   sequencer (exit 5) with one neuron where a request draws three; unbonding, then a
//!   withdrawal before the delay refused (exit 1).
//!
//! Requests that neurons answer are the integrator's devnet scenarios (neurons run there).
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use bitai_protocol::{ChainId, Hash32};
use bitai_rpc::{ApiError, Client, ClientError};
use serde_json::Value;
use std::path::Path;
use support::{bitai, hex64, run_ok, DevnetProcess};

/// A one-sample LeNet input (28 x 28 float32) from the fixture's inputs, written to `path`.
fn lenet_sample(fixtures: &Path, path: &str) {
    let inputs = std::fs::read(fixtures.join("lenet5.input.f32")).expect("fixture");
    std::fs::write(path, &inputs[..28 * 28 * 4]).expect("sample");
}

#[test]
fn ops_reach_the_sequencer_of_a_real_node() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = support::write_config(dir.path(), &[]);
    let devnet = DevnetProcess::start(
        &config,
        &dir.path().join("data"),
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
    let key = path("a.key");
    let create = [
        "chain",
        "create",
        "--rpc",
        &url,
        "--key",
        &key,
        "--name",
        "poc",
        "--supply",
        "1000000",
        "--block-txs",
        "4",
        "--wait",
        "--timeout-secs",
        "60",
    ];
    let chain = hex64(&run_ok(&create, context));
    let status: Value = serde_json::from_str(&run_ok(
        &["status", "--rpc", &url, "--chain", &chain, "--json"],
        context,
    ))
    .expect("json");
    let poc = &status["poc"];
    assert_eq!(poc["max_ops"], 2, "the shipped configs' op slots: {status}");
    assert_eq!(poc["active_neurons"], 0, "{status}");
    assert_eq!(poc["params"]["min_stake"], 1000, "{status}");

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../actors/lib/models/fixtures");
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
    let args = |head: &[&str], tail: &[&str]| -> Vec<String> {
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
    let deploy_op = hex64(&run(args(&["model", "deploy", &model], &[])));
    let register_op = hex64(&run(args(&["neuron", "register", "--stake", "2000"], &[])));
    assert_ne!(deploy_op, register_op);
    for op in [&deploy_op, &register_op] {
        let status = devnet.tx_status(op);
        assert_eq!(
            status.chain.map(|c| c.to_string()).as_deref(),
            Some(chain.as_str()),
            "the node knows the op: {status:?}"
        );
    }
    // The typed client against the real node: the model's bytes come back from its DA, the
    // nonce counts the two pending ops, and no request exists yet.
    let client = Client::new(&url).expect("client");
    let id = ChainId(Hash32::from_hex(&chain).expect("chain id"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let model_bytes = std::fs::read(&model).expect("model file");
    rt.block_on(async {
        let hash = Hash32::sha256(&model_bytes);
        let back = client.model_bytes(hash).await.expect("answer");
        assert_eq!(
            back.as_deref(),
            Some(model_bytes.as_slice()),
            "DA has the model"
        );
        assert_eq!(
            client.model_bytes(Hash32([9; 32])).await.expect("answer"),
            None
        );
        assert_eq!(client.nonce(id, 0).await.expect("answer"), Some(2));
        assert_eq!(client.nonce(id, 5).await.expect("answer"), None);
        assert_eq!(client.request(id, 0).await.expect("answer"), None);
        assert_eq!(client.request_input(id, 0).await.expect("answer"), None);
        assert!(client.assignments(id, 0).await.expect("answer").is_empty());
        assert!(
            client.neurons(id).await.expect("answer").is_empty(),
            "none in a block yet"
        );
        let refused = client.put_model(id, b"BITAIMDL garbage".to_vec()).await;
        assert!(
            matches!(refused, Err(ClientError::Api(ApiError::InvalidParams(_)))),
            "{refused:?}"
        );
    });
    let sample = path("digit.f32");
    lenet_sample(&fixtures, &sample);
    // The model is only pending, so infer does not find it among the chain's models (1); by
    // id the chain has no model 0 yet (1) either.
    let infer = args(
        &["infer", &model, "--input", &sample],
        &["--timeout-s", "5"],
    );
    let out = bitai().args(&infer).output().expect("bitai runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unknown_chain = "00".repeat(32);
    let list = ["neuron", "list", "--rpc", &url, "--chain", &unknown_chain];
    let out = bitai().args(list).output().expect("bitai runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a chain the node does not sequence"
    );
}

#[test]
fn deploy_register_status_and_refusals_once_blocks_carry_ops() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = support::write_config(dir.path(), &[]);
    let devnet = DevnetProcess::start(
        &config,
        &dir.path().join("data"),
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

    let key = path("a.key");
    let create = [
        "chain",
        "create",
        "--rpc",
        &url,
        "--key",
        &key,
        "--name",
        "poc",
        "--supply",
        "1000000",
        "--block-txs",
        "4",
        "--wait",
        "--timeout-secs",
        "60",
    ];
    let chain = hex64(&run_ok(&create, context));
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
    let with_signer = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter()
            .chain(&signer)
            .chain(tail)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let run = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_ok(&args, context)
    };

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../actors/lib/models/fixtures");
    let model = path("lenet.model");
    let fixture = |name: &str| fixtures.join(name).to_string_lossy().into_owned();
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
    let deploy = with_signer(
        &["model", "deploy", &model],
        &["--wait", "--timeout-secs", "60"],
    );
    assert_eq!(run(&deploy).trim(), "0", "the chain's first model");
    let register = with_signer(
        &["neuron", "register", "--stake", "2000"],
        &["--wait", "--timeout-secs", "60"],
    );
    hex64(&run(&register));

    let neurons: Value = serde_json::from_str(&run_ok(
        &["neuron", "list", "--rpc", &url, "--chain", &chain, "--json"],
        context,
    ))
    .expect("json");
    assert_eq!(neurons[0]["account"], 0, "{neurons}");
    assert_eq!(neurons[0]["stake"], 2000, "{neurons}");
    assert_eq!(neurons[0]["active"], true, "{neurons}");
    let status: Value = serde_json::from_str(&run_ok(
        &["status", "--rpc", &url, "--chain", &chain, "--json"],
        context,
    ))
    .expect("json");
    let poc = &status["poc"];
    assert_eq!(poc["active_neurons"], 1, "{status}");
    assert_eq!(poc["models_deployed"], 1, "{status}");
    assert!(poc["max_ops"].as_u64().unwrap_or(0) >= 1, "{status}");
    let lenet_bytes = std::fs::metadata(&model).expect("model file").len();
    assert_eq!(poc["models"][0]["size"], lenet_bytes, "{status}");
    assert_eq!(poc["models"][0]["owner"], 0, "{status}");

    let sample = path("digit.f32");
    lenet_sample(&fixtures, &sample);
    let infer = with_signer(
        &["infer", &model, "--input", &sample],
        &["--escrow", "30", "--timeout-s", "20"],
    );
    let out = bitai().args(&infer).output().expect("bitai runs");
    assert_eq!(
        out.status.code(),
        Some(5),
        "one neuron is not enough to draw three: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        context()
    );

    hex64(&run(&with_signer(
        &["neuron", "unbond"],
        &["--wait", "--timeout-secs", "60"],
    )));
    let withdraw = with_signer(&["neuron", "withdraw"], &[]);
    let out = bitai().args(&withdraw).output().expect("bitai runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the stake is locked until the unbonding delay: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
