//! Neurons on other machines: the devnet runs no neurons of its own (`--neurons 0`); three
//! `bitai neuron run` processes, each with its own data directory, register genesis accounts
//! 1 to 3 with a stake and answer through the node's JSON-RPC alone. A LeNet inference asked
//! with `bitai infer` settles with a quorum and returns the bits of `bitai model run`, and
//! `bitai neuron list` shows the three paid (`support::lenet` has the shared flow).
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use bitai_cli::keygen::write_key;
use bitai_node::pipeline::loadgen::account_keys;
use std::path::Path;
use support::lenet::LenetDevnet;
use support::Background;

#[test]
fn three_neuron_processes_answer_through_json_rpc() {
    let dir = tempfile::tempdir().expect("temp dir");
    let world = LenetDevnet::start(dir.path(), &["--neurons", "0"]);
    let id = world.deploy();
    // Three neurons on "other machines": their own processes and data directories.
    let keys = account_keys(1, 4);
    let mut neurons = Vec::new();
    for account in 1..=3u32 {
        let path = |name: String| dir.path().join(name).to_string_lossy().into_owned();
        let key_file = path(format!("neuron{account}.key"));
        write_key(Path::new(&key_file), &keys[account as usize], false).expect("key file");
        let data_dir = path(format!("neuron{account}"));
        let account = account.to_string();
        neurons.push(Background::start(&[
            "neuron",
            "run",
            "--rpc",
            &world.url,
            "--chain",
            &world.chain,
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
    drop(neurons);
}
