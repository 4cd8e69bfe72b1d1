//! `bitai neuron`, `bitai model deploy`, `bitai infer` and `bitai status` parsed from argv and
//! run as the binary runs them, against the real server in front of [`TestNode`] (whose chain
//! runs every op through the real state transition function), with three neurons answering
//! their assignments in the background through the client. `infer --output` is compared
//! byte for byte with `bitai model run --output` on the same model and input. Then the exit
//! codes of every bad input, a refusal, a timeout and an unreachable node.

use crate as cli;
use crate::infer::{EXIT_NO_QUORUM, EXIT_REFUSED, EXIT_TIMEOUT};
use crate::keygen::write_key;
use crate::Cli;
use bitai_rpc::poc_fixture::*;
use bitai_rpc::test_node::TestNode;
use bitai_rpc::*;
use clap::Parser;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("bitai").chain(args.iter().copied()))
}

fn run(args: &[&str]) -> ExitCode {
    cli::run(parse(args).unwrap_or_else(|e| panic!("{args:?} parses: {e}")))
}

/// Neurons' behaviour in the background: 0 idle, 1 honest, 2 two cheaters, 3 stop.
const IDLE: u8 = 0;
const HONEST: u8 = 1;
const CHEAT: u8 = 2;
const STOP: u8 = 3;

struct Fixture {
    rt: tokio::runtime::Runtime,
    server: Option<RpcServer>,
    url: String,
    chain: String,
    dir: tempfile::TempDir,
    mode: Arc<AtomicU8>,
}

impl Fixture {
    fn new() -> Self {
        // A runtime of its own serves the node (and the neurons) while the commands run
        // theirs on this thread.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let node = Arc::new(TestNode::default());
        let config = RpcConfig {
            listen: "127.0.0.1:0".into(),
            ..RpcConfig::default()
        };
        let server = rt.block_on(serve(&config, node)).expect("server starts");
        let url = server.url();
        let client = Client::new(&url).expect("client");
        let chain = rt.block_on(create_poc_chain(&client));
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..ACCOUNTS {
            write_key(&dir.path().join(format!("{i}.key")), &key(i), false).expect("key");
        }
        let mode = Arc::new(AtomicU8::new(IDLE));
        let m = mode.clone();
        rt.spawn(async move {
            loop {
                let cheaters: &[u32] = match m.load(Ordering::SeqCst) {
                    STOP => return,
                    HONEST => &[],
                    CHEAT => &[2, 3],
                    _ => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                serve_assignments(&client, chain, &[1, 2, 3], cheaters).await;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        });
        Fixture {
            rt,
            server: Some(server),
            url,
            chain: chain.to_string(),
            dir,
            mode,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// `--rpc`, `--chain`, `--key`, `--account` of fixture account `i`.
    fn signer(&self, i: u32) -> Vec<String> {
        vec![
            "--rpc".into(),
            self.url.clone(),
            "--chain".into(),
            self.chain.clone(),
            "--key".into(),
            self.path(&format!("{i}.key")),
            "--account".into(),
            i.to_string(),
        ]
    }

    fn run_with(&self, head: &[&str], account: u32, tail: &[&str]) -> ExitCode {
        let signer = self.signer(account);
        let mut args: Vec<&str> = head.to_vec();
        args.extend(signer.iter().map(String::as_str));
        args.extend_from_slice(tail);
        run(&args)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.mode.store(STOP, Ordering::SeqCst);
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.stop());
        }
    }
}

#[test]
fn neurons_deploy_infer_and_status_through_the_real_server() {
    let f = Fixture::new();
    for i in 1..=3 {
        let code = f.run_with(&["neuron", "register", "--stake", "2000"], i, &["--wait"]);
        assert_eq!(code, ExitCode::SUCCESS, "neuron {i} registers");
    }
    assert_eq!(
        run(&["neuron", "list", "--rpc", &f.url, "--chain", &f.chain]),
        ExitCode::SUCCESS
    );
    let model = f.path("small.model");
    std::fs::write(&model, small_model().bytes()).expect("model file");
    let deploy = f.run_with(
        &["model", "deploy", &model],
        0,
        &["--wait", "--timeout-secs", "5"],
    );
    assert_eq!(deploy, ExitCode::SUCCESS);
    let input = f.path("in.f32");
    std::fs::write(&input, f32_bytes(&[0.5, -1.5, 2.25, 3.0])).expect("input");

    // The reference: `bitai model run` on the same model and input.
    let expected = f.path("expected.f32");
    let model_run = run(&[
        "model", "run", &model, "--input", &input, "--output", &expected,
    ]);
    assert_eq!(model_run, ExitCode::SUCCESS);

    f.mode.store(HONEST, Ordering::SeqCst);
    let out = f.path("out.f32");
    let infer = [
        "infer", &model, "--input", &input, "--output", &out, "--escrow", "90",
    ];
    assert_eq!(
        f.run_with(&infer, 0, &["--timeout-s", "20"]),
        ExitCode::SUCCESS
    );
    assert_eq!(
        std::fs::read(&out).expect("written"),
        std::fs::read(&expected).expect("written"),
        "infer writes what model run writes"
    );
    let by_id = [
        "infer",
        "--model-id",
        "0",
        "--input",
        &input,
        "--escrow",
        "30",
    ];
    assert_eq!(
        f.run_with(&by_id, 0, &["--timeout-s", "20"]),
        ExitCode::SUCCESS
    );

    // Two cheaters with different wrong answers: nobody agrees, the escrow comes back.
    f.mode.store(CHEAT, Ordering::SeqCst);
    assert_eq!(
        f.run_with(&by_id, 0, &["--timeout-s", "20"]),
        ExitCode::from(EXIT_NO_QUORUM)
    );
    f.mode.store(IDLE, Ordering::SeqCst);

    for args in [
        vec!["status", "--rpc", &f.url],
        vec!["status", "--rpc", &f.url, "--json"],
        vec!["status", "--rpc", &f.url, "--chain", &f.chain],
        vec!["status", "--rpc", &f.url, "--chain", &f.chain, "--json"],
        vec![
            "neuron", "list", "--rpc", &f.url, "--chain", &f.chain, "--json",
        ],
    ] {
        assert_eq!(run(&args), ExitCode::SUCCESS, "{args:?}");
    }
    // Unbond, then a withdrawal before the delay is refused by the chain.
    assert_eq!(
        f.run_with(&["neuron", "unbond"], 1, &["--wait"]),
        ExitCode::SUCCESS
    );
    assert_eq!(
        f.run_with(&["neuron", "withdraw"], 1, &[]),
        ExitCode::from(cli::EXIT_FAILURE)
    );
}

#[test]
fn bad_input_refusals_timeouts_and_unreachable_nodes_have_their_exit_codes() {
    let f = Fixture::new();
    let bad = ExitCode::from(cli::EXIT_BAD_INPUT);
    let failed = ExitCode::from(cli::EXIT_FAILURE);
    let model = f.path("small.model");
    std::fs::write(&model, small_model().bytes()).expect("model file");
    let input = f.path("in.f32");
    std::fs::write(&input, f32_bytes(&[1.0, 2.0, 3.0, 4.0])).expect("input");

    // Usage errors clap reports (exit 2 from the binary).
    assert!(parse(&[
        "infer",
        "--input",
        &input,
        "--chain",
        "00",
        "--key",
        "k",
        "--account",
        "0"
    ])
    .is_err());
    assert!(parse(&["infer", &model, "--model-id", "0", "--input", &input]).is_err());
    assert!(parse(&["neuron", "register", "--chain", "00"]).is_err());

    // Bad input found before or by the node.
    let mut bad_chain = f.signer(0);
    bad_chain[3] = "xyz".into();
    let mut args = vec!["infer", &model, "--input", &input];
    args.extend(bad_chain.iter().map(String::as_str));
    assert_eq!(run(&args), bad);
    let mut no_key = f.signer(0);
    no_key[5] = f.path("missing.key");
    let mut args = vec!["neuron", "unbond"];
    args.extend(no_key.iter().map(String::as_str));
    assert_eq!(run(&args), bad);
    let junk = f.path("junk.model");
    std::fs::write(&junk, b"not a model").expect("file");
    assert_eq!(f.run_with(&["model", "deploy", &junk], 0, &[]), bad);
    assert_eq!(
        f.run_with(&["neuron", "register", "--stake", "0"], 1, &[]),
        bad
    );
    assert_eq!(
        f.run_with(
            &["neuron", "register", "--stake", "5"],
            1,
            &["--fee", "999999999999999999"]
        ),
        bad
    );
    assert_eq!(
        f.run_with(&["neuron", "unbond"], 1, &[]),
        failed,
        "not a neuron"
    );
    assert_eq!(
        f.run_with(&["neuron", "unbond"], 4, &[]),
        failed,
        "account 4 is not a neuron either"
    );

    // Three neurons and a deployed model, but nobody answers.
    for i in 1..=3 {
        let code = f.run_with(&["neuron", "register", "--stake", "2000"], i, &[]);
        assert_eq!(code, ExitCode::SUCCESS);
    }
    assert_eq!(
        f.run_with(&["model", "deploy", &model], 0, &["--wait"]),
        ExitCode::SUCCESS
    );
    let short = f.path("short.f32");
    std::fs::write(&short, f32_bytes(&[1.0, 2.0])).expect("input");
    assert_eq!(
        f.run_with(&["infer", &model, "--input", &short], 0, &[]),
        bad
    );
    let nan = f.path("nan.f32");
    std::fs::write(&nan, f32_bytes(&[1.0, f32::NAN, 0.0, 0.0])).expect("input");
    assert_eq!(f.run_with(&["infer", &model, "--input", &nan], 0, &[]), bad);
    let other = f.path("other.model");
    std::fs::write(
        &other,
        bitai_rpc::poc_fixture::small_model_variant().bytes(),
    )
    .expect("file");
    assert_eq!(
        f.run_with(&["infer", &other, "--input", &input], 0, &[]),
        failed,
        "a model that is not deployed"
    );
    assert_eq!(
        f.run_with(&["infer", "--model-id", "7", "--input", &input], 0, &[]),
        failed
    );
    let escrow_all = format!("{}", BALANCE * 2);
    assert_eq!(
        f.run_with(
            &["infer", &model, "--input", &input, "--escrow", &escrow_all],
            0,
            &[]
        ),
        ExitCode::from(EXIT_REFUSED)
    );
    assert_eq!(
        f.run_with(
            &["infer", &model, "--input", &input],
            0,
            &["--timeout-s", "1"]
        ),
        ExitCode::from(EXIT_TIMEOUT)
    );

    // Nobody listens on port 1.
    let mut down = f.signer(0);
    down[1] = "http://127.0.0.1:1".into();
    let mut args = vec!["infer", &model, "--input", &input];
    args.extend(down.iter().map(String::as_str));
    assert_eq!(run(&args), failed);
}
