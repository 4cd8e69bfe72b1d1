//! Neuron nodes over the cluster: the devnet runs no neurons of its own (`--neurons 0`) and
//! listens for cluster nodes (`[cluster] listen`, a cookie); three `bitai neuron run --join`
//! processes, each with its own data directory and key, join it over real TCP
//! (`ractor_cluster`), put their links in process group `neurons`, register genesis accounts
//! 1 to 3 with a stake through the node's neuron gateway, and answer their assignments with
//! the ops they sign themselves. A LeNet inference asked with `bitai infer` settles with a
//! quorum and returns the bits of `bitai model run`, and the three are paid. A neuron node
//! with a wrong cookie is refused and exits 1 with a clear message, and the node logs the
//! failed authentication. Then a rolling replacement: one neuron node drains on SIGTERM and
//! a new one for its account, with an empty data directory, takes over; a second inference
//! settles with all three accounts paid again.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use bitai_cli::keygen::write_key;
use bitai_node::pipeline::loadgen::account_keys;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;
use support::lenet::LenetDevnet;
use support::prover::free_port;
use support::Background;

const COOKIE: &str = "remote-neuron-test-cookie";

/// A neuron process killed when the test ends, whatever happens.
struct Replacement(Child);

impl Drop for Replacement {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn neuron_args<'a>(
    world: &'a LenetDevnet,
    listen: &'a str,
    cookie: &'a str,
    key_file: &'a str,
    account: &'a str,
    data_dir: &'a str,
) -> Vec<&'a str> {
    vec![
        "neuron",
        "run",
        "--join",
        listen,
        "--cookie",
        cookie,
        "--chain",
        &world.chain,
        "--key",
        key_file,
        "--account",
        account,
        "--stake",
        "2000",
        "--poll-interval-ms",
        "200",
        "--heartbeat-interval-ms",
        "500",
        "--data-dir",
        data_dir,
    ]
}

#[test]
fn three_neuron_nodes_join_settle_an_inference_and_one_is_replaced_by_a_drain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listen = format!("127.0.0.1:{}", free_port());
    let s = |v: &str| toml::Value::String(v.to_owned());
    let world = LenetDevnet::start_with(
        dir.path(),
        &["--neurons", "0"],
        &[
            ("cluster", "listen", s(&listen)),
            ("cluster", "cookie", s(COOKIE)),
        ],
    );
    let id = world.deploy();
    let keys = account_keys(1, 4);
    let path = |name: String| dir.path().join(name).to_string_lossy().into_owned();

    // A wrong cookie: the coordinator drops the session, the node says so and exits 1.
    let key_file = path("refused.key".into());
    write_key(Path::new(&key_file), &keys[1], false).expect("key file");
    let data_dir = path("refused".into());
    let refused = support::bitai()
        .args(neuron_args(
            &world,
            &listen,
            "not-the-cookie",
            &key_file,
            "1",
            &data_dir,
        ))
        .output()
        .expect("bitai runs");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused the handshake"), "{stderr}");
    // The coordinator says so too, in its log.
    let log = std::fs::read_to_string(dir.path().join("data").join("bitai.log")).expect("log");
    assert!(
        log.contains("authentication failure"),
        "the node's log: {log}"
    );

    let mut neurons = Vec::new();
    for account in 1..=3u32 {
        let key_file = path(format!("neuron{account}.key"));
        write_key(Path::new(&key_file), &keys[account as usize], false).expect("key file");
        let data_dir = path(format!("neuron{account}"));
        let account = account.to_string();
        neurons.push(Background::start(&neuron_args(
            &world, &listen, COOKIE, &key_file, &account, &data_dir,
        )));
    }
    world.wait_active(3);
    world.infer_matches_model_run(&id, "30");
    let summary = world.status();
    assert_eq!(summary["poc"]["open_requests"], 0, "{summary}");
    let list = world.neurons();
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

    // A rolling replacement: neuron 1's node drains on SIGTERM (exit 0, its lease handed
    // back) and a new node for account 1, with an empty data directory, takes over; the next
    // inference settles with the three paid again.
    let (code, stderr) = neurons[0].terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("draining"), "{stderr}");
    let key_file = path("neuron1.key".into());
    let data_dir = path("neuron1-replacement".into());
    let stderr_path = dir.path().join("replacement.stderr");
    let _replacement = Replacement(
        support::bitai()
            .args(neuron_args(
                &world, &listen, COOKIE, &key_file, "1", &data_dir,
            ))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .expect("bitai starts"),
    );
    // The request goes out once the replacement answers (a debug build on a busy machine
    // takes seconds to start, and the commit window is ten).
    support::wait_until(
        "the replacement neuron to run",
        Duration::from_secs(120),
        Duration::from_millis(200),
        || {
            std::fs::read_to_string(&stderr_path)
                .ok()
                .filter(|e| e.contains("answering chain"))
        },
        || std::fs::read_to_string(&stderr_path).unwrap_or_default(),
    );
    world.infer_matches_model_run(&id, "30");
    let list = world.neurons();
    let paid_twice = list
        .as_array()
        .expect("a list")
        .iter()
        .filter(|n| n["rewards"] == 20)
        .count();
    assert_eq!(
        paid_twice, 3,
        "every account paid for both requests: {list}"
    );
    drop(neurons);
}
