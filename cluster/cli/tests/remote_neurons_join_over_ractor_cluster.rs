//! Neuron nodes over the cluster: the devnet runs no neurons of its own (`--neurons 0`) and
//! listens for cluster nodes (`[cluster] listen`, a cookie); three `bitai neuron run --join`
//! processes, each with its own data directory and key, join it over real TCP
//! (`ractor_cluster`), put their links in process group `neurons`, register genesis accounts
//! 1 to 3 with a stake through the node's neuron gateway, and answer their assignments with
//! the ops they sign themselves. A LeNet inference asked with `bitai infer` settles with a
//! quorum and returns the bits of `bitai model run`, and the three are paid. A neuron node
//! with a wrong cookie is refused and exits 1 with a clear message, and the node logs the
//! failed authentication. The node's admin endpoint (`bitai admin status --json`, its token
//! made by `bitai admin token`) lists the three neuron nodes by name, kind and version, their
//! three leases and the node's roles, and refuses a wrong token (exit 2). Then a rolling
//! replacement: `bitai admin drain --node neuron-1` drains that node (exit 0) and a new one for
//! its account, with an empty data directory, takes over; a second inference settles with
//! all three accounts paid again; last, a node drains on SIGTERM just the same.
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
        "--name",
        match account {
            "1" => "neuron-1",
            "2" => "neuron-2",
            _ => "neuron-3",
        },
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
    let admin_listen = format!("127.0.0.1:{}", free_port());
    let token = dir.path().join("admin.token");
    let token_file = token.to_string_lossy().into_owned();
    support::run_ok(&["admin", "token", "--out", &token_file], String::new);
    let s = |v: &str| toml::Value::String(v.to_owned());
    let world = LenetDevnet::start_with(
        dir.path(),
        &["--neurons", "0"],
        &[
            ("cluster", "listen", s(&listen)),
            ("cluster", "cookie", s(COOKIE)),
            ("admin", "listen", s(&admin_listen)),
            ("admin", "token_file", s(&token_file)),
        ],
    );
    let admin = Admin {
        url: format!("http://{admin_listen}"),
        token: token_file.clone(),
    };
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

    // Neuron 2's node serves its metrics.
    let metrics_listen = format!("127.0.0.1:{}", free_port());
    let mut neurons = Vec::new();
    for account in 1..=3u32 {
        let key_file = path(format!("neuron{account}.key"));
        write_key(Path::new(&key_file), &keys[account as usize], false).expect("key file");
        let data_dir = path(format!("neuron{account}"));
        let account_arg = account.to_string();
        let mut args = neuron_args(&world, &listen, COOKIE, &key_file, &account_arg, &data_dir);
        if account == 2 {
            args.extend(["--metrics-listen", &metrics_listen]);
        }
        neurons.push(Background::start(&args));
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

    admin.shows_three_neuron_nodes_and_refuses_a_wrong_token(dir.path());
    let metrics = support::http_get(&metrics_listen, "/metrics");
    assert!(
        metrics.contains(r#"bitai_node_info{kind="neuron",name="neuron-2""#),
        "{metrics}"
    );
    assert!(metrics.contains("bitai_node_session_up 1"), "{metrics}");
    assert!(metrics.contains("neuron_commits_total{"), "{metrics}");

    // A rolling replacement: the operator drains neuron 1's node through the admin endpoint
    // (exit 0, its lease handed back) and a new node for account 1, with an empty data
    // directory, takes over; the next inference settles with the three paid again.
    let drained = support::run_ok(
        &[
            "admin",
            "drain",
            "--admin",
            &admin.url,
            "--token-file",
            &admin.token,
            "--node",
            "neuron-1",
        ],
        String::new,
    );
    assert!(
        drained.contains("drain sent to neuron node neuron-1"),
        "{drained}"
    );
    let (code, stderr) = neurons[0].exit_within(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("drain asked by the coordinator"),
        "{stderr}"
    );
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
    // SIGTERM drains a node the same way.
    let (code, stderr) = neurons[1].terminate(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("terminated; draining"), "{stderr}");
    drop(neurons);
}

/// The devnet's admin endpoint.
struct Admin {
    url: String,
    token: String,
}

impl Admin {
    fn status(&self, token: &str) -> std::process::Output {
        support::bitai()
            .args([
                "admin",
                "status",
                "--json",
                "--admin",
                &self.url,
                "--token-file",
                token,
            ])
            .output()
            .expect("bitai runs")
    }

    /// `bitai admin status --json` lists the three neuron nodes (kind, version, a lease each),
    /// their leases and the node's roles; a wrong token is refused with exit 2.
    fn shows_three_neuron_nodes_and_refuses_a_wrong_token(&self, dir: &Path) {
        let out = self.status(&self.token);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let status: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let nodes = status["nodes"].as_array().expect("nodes");
        let names: Vec<&str> = nodes.iter().filter_map(|n| n["name"].as_str()).collect();
        assert_eq!(names, ["neuron-1", "neuron-2", "neuron-3"], "{status}");
        for n in nodes {
            assert_eq!(n["kind"], "neuron", "{n}");
            assert_eq!(n["version"], env!("CARGO_PKG_VERSION"), "{n}");
            assert_eq!(n["leases"], 1, "{n}");
            assert!(
                n["address"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("127.0.0.1:")),
                "{n}"
            );
        }
        let leases = status["leases"].as_array().expect("leases");
        let neuron_leases = leases.iter().filter(|l| l["kind"] == "neuron").count();
        assert_eq!(neuron_leases, 3, "{status}");
        let role = |name: &str| {
            status["roles"]
                .as_array()
                .expect("roles")
                .iter()
                .find(|r| r["name"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("no role {name}: {status}"))
        };
        assert_eq!(role("neuron_gateway")["running"], true, "{status}");
        assert!(
            role("prover_pool")["delivered"].as_u64() > Some(0),
            "{status}"
        );
        assert_eq!(status["node"]["kind"], "all", "{status}");

        let wrong = dir.join("wrong.token");
        std::fs::write(&wrong, "f".repeat(64)).expect("write");
        let out = self.status(&wrong.to_string_lossy());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("refused the token"), "{stderr}");
    }
}
