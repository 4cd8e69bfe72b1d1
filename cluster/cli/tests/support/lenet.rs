//! The LeNet inference flow that binary-level Proof-of-Compute tests share: a devnet with
//! simulation proofs, no load and commit/reveal windows widened to 20 blocks (test builds
//! run the kernels unoptimised), the devnet chain's genesis account 0 as the signer (its key
//! drawn from `node.seed` = 1 as the load generator draws it), the Keras LeNet-5 fixture
//! imported, one sample of its inputs, and what `bitai model run` writes for it.

use super::{run_ok, wait_until, DevnetProcess};
use bitai_cli::keygen::write_key;
use bitai_node::pipeline::loadgen::account_keys;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A running devnet with the LeNet model imported and a sample ready.
pub struct LenetDevnet {
    /// The devnet process.
    pub devnet: DevnetProcess,
    /// Its JSON-RPC URL.
    pub url: String,
    /// The devnet chain's id.
    pub chain: String,
    /// The test's directory.
    pub dir: PathBuf,
    /// The imported model file.
    pub model: String,
    /// One input sample (little-endian f32).
    pub sample: String,
    /// What `bitai model run` writes for the sample.
    pub expected: String,
    key: String,
}

/// The LeNet model imported from its Keras fixture, one input sample, and what
/// `bitai model run` writes for it, as files in a directory.
#[derive(Clone)]
pub struct ModelFiles {
    /// The imported model file.
    pub model: String,
    /// One input sample (little-endian f32).
    pub sample: String,
    /// What `bitai model run` writes for the sample.
    pub expected: String,
}

impl ModelFiles {
    /// Makes the three files in `dir`.
    pub fn prepare(dir: &Path) -> Self {
        let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let files = ModelFiles {
            model: path("lenet.model"),
            sample: path("digit.f32"),
            expected: path("expected.f32"),
        };
        let fixtures =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../actors/lib/models/fixtures");
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
                &files.model,
            ],
            String::new,
        );
        let inputs = std::fs::read(fixtures.join("lenet5.input.f32")).expect("fixture");
        std::fs::write(&files.sample, &inputs[..28 * 28 * 4]).expect("sample");
        run_ok(
            &[
                "model",
                "run",
                &files.model,
                "--input",
                &files.sample,
                "--output",
                &files.expected,
            ],
            String::new,
        );
        files
    }
}

impl LenetDevnet {
    /// Starts the devnet in `dir` with `extra` devnet flags and prepares the model files.
    pub fn start(dir: &Path, extra: &[&str]) -> Self {
        Self::start_with(dir, extra, &[])
    }

    /// As [`Self::start`], with more config `overrides` (table, key, value).
    pub fn start_with(dir: &Path, extra: &[&str], overrides: &[(&str, &str, toml::Value)]) -> Self {
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
        let mut all = vec![("chain", "poc", toml::Value::Table(poc))];
        all.extend(overrides.iter().cloned());
        let config = super::write_config(dir, &all);
        let mut args = vec![
            "--simulation-proofs",
            "--no-load",
            "--block-interval-ms",
            "500",
        ];
        args.extend_from_slice(extra);
        let devnet = DevnetProcess::start(&config, &dir.join("data"), &args);
        let key = dir.join("account0.key").to_string_lossy().into_owned();
        write_key(Path::new(&key), &account_keys(1, 1).remove(0), false).expect("key file");
        let files = ModelFiles::prepare(dir);
        LenetDevnet {
            url: devnet.url().to_owned(),
            chain: devnet.chain().to_owned(),
            devnet,
            dir: dir.to_path_buf(),
            model: files.model,
            sample: files.sample,
            expected: files.expected,
            key,
        }
    }

    /// `bitai ARGS`, asserted to exit 0; its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        run_ok(args, || self.devnet.diagnostics())
    }

    /// `bitai HEAD --rpc --chain --key --account 0 TAIL` (an op signed by account 0).
    pub fn signed(&self, head: &[&str], tail: &[&str]) -> String {
        let signer = [
            "--rpc",
            &self.url,
            "--chain",
            &self.chain,
            "--key",
            &self.key,
            "--account",
            "0",
        ];
        let args: Vec<&str> = head.iter().chain(&signer).chain(tail).copied().collect();
        self.run(&args)
    }

    /// Deploys the model (`bitai model deploy --wait`); its id.
    pub fn deploy(&self) -> String {
        self.signed(
            &["model", "deploy", &self.model],
            &["--wait", "--timeout-secs", "120"],
        )
        .trim()
        .to_owned()
    }

    /// The chain's neurons (`bitai neuron list --json`).
    pub fn neurons(&self) -> Value {
        serde_json::from_str(&self.run(&[
            "neuron",
            "list",
            "--rpc",
            &self.url,
            "--chain",
            &self.chain,
            "--json",
        ]))
        .expect("json")
    }

    /// Waits until `n` neurons are active.
    pub fn wait_active(&self, n: usize) {
        wait_until(
            "active neurons",
            Duration::from_secs(120),
            Duration::from_millis(500),
            || {
                let list = self.neurons();
                let active = list
                    .as_array()
                    .map_or(0, |l| l.iter().filter(|v| v["active"] == true).count());
                (active >= n).then_some(())
            },
            || self.devnet.diagnostics(),
        );
    }

    /// `bitai infer` of the sample with model `id` and `escrow`, checked to settle with a
    /// quorum and to write exactly what `bitai model run` wrote; the report.
    pub fn infer_matches_model_run(&self, id: &str, escrow: &str) -> String {
        let out = self.dir.join("out.f32").to_string_lossy().into_owned();
        let report = self.signed(
            &[
                "infer",
                "--model-id",
                id,
                "--input",
                &self.sample,
                "--output",
                &out,
            ],
            &["--escrow", escrow, "--timeout-s", "300"],
        );
        assert!(report.contains("quorum of"), "{report}");
        assert_eq!(
            std::fs::read(&out).expect("infer wrote the output"),
            std::fs::read(&self.expected).expect("model run wrote the output"),
            "bitai infer returns the bits of bitai model run\n{report}"
        );
        report
    }

    /// The chain's status (`bitai status --json`).
    pub fn status(&self) -> Value {
        serde_json::from_str(&self.run(&[
            "status",
            "--rpc",
            &self.url,
            "--chain",
            &self.chain,
            "--json",
        ]))
        .expect("json")
    }
}
