//! A restart of a node's binary, as an upgrade does it: `bitai node` serving a chain on a
//! warm store gets SIGTERM, stops (every role, last started first; the store flushed), and
//! the binary is started again on the same store; the figure is SIGTERM to serving again
//! (the chain's sequencer answering `bitai_getChain` with its head), split into the stop and
//! the start. The store is warmed first by `bitai devnet` (simulation proofs, so the
//! figure is the node's, not the prover's key loading): a hosted chain with its blocks, the
//! indexer's and state machine's cursors, SimBitcoin's chain.
//!
//! `cargo bench -p bitai-cli --bench node_restart -- [--rounds N] [--l2-blocks N]`

#![allow(clippy::disallowed_methods)] // Wall-clock timing of real processes.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{arg, bitai, free_port};

/// configs/devnet.toml with simulation proofs, the node's data in `dir`, RPC on `port`.
fn config(dir: &Path, port: u16) -> std::path::PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/devnet.toml");
    let mut t: toml::Table = std::fs::read_to_string(shipped)
        .expect("devnet.toml")
        .parse()
        .expect("parses");
    let mut set = |table: &str, key: &str, v: toml::Value| {
        t.get_mut(table)
            .and_then(toml::Value::as_table_mut)
            .expect("table")
            .insert(key.into(), v);
    };
    let s = |v: &str| toml::Value::String(v.into());
    set("node", "data_dir", s(&dir.join("data").to_string_lossy()));
    set("rpc", "listen", s(&format!("127.0.0.1:{port}")));
    set("metrics", "listen", s(""));
    set("chain", "proof_system", s("simulation"));
    set("chain", "neurons", toml::Value::Integer(0));
    set(
        "statemachine",
        "allow_simulation_only",
        toml::Value::Boolean(true),
    );
    let path = dir.join("node.toml");
    std::fs::write(&path, toml::to_string(&t).expect("toml")).expect("write");
    path
}

/// Whether the node at `url` serves the chain: its sequencer's head is known.
fn serving(url: &str, chain: &str) -> bool {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"bitai_getChain","params":{{"chain":"{chain}"}}}}"#
    );
    let Ok(mut stream) = std::net::TcpStream::connect(url) else {
        return false;
    };
    use std::io::{Read, Write};
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {url}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.contains("\"head_block\"")
}

fn start(config: &Path) -> Child {
    bitai()
        .args(["node", "--no-progress", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bitai node starts")
}

fn wait_serving(addr: &str, chain: &str) -> Duration {
    let t = Instant::now();
    while !serving(addr, chain) {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the node never served"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    t.elapsed()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds = arg("--rounds", 7);
    let blocks = arg("--l2-blocks", 30);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = config(dir.path(), port);
    let warm = bitai()
        .args([
            "devnet",
            "--no-progress",
            "--simulation-proofs",
            "--l2-blocks",
        ])
        .arg(blocks.to_string())
        .args(["--tps", "20", "--block-interval-ms", "500", "--config"])
        .arg(&config)
        .output()
        .expect("bitai devnet runs");
    let stderr = String::from_utf8_lossy(&warm.stderr);
    assert!(warm.status.success(), "{stderr}");
    let chain = stderr
        .lines()
        .find_map(|l| l.strip_prefix("devnet chain: "))
        .expect("the devnet names its chain")
        .trim()
        .to_owned();
    let addr = format!("127.0.0.1:{port}");
    println!("warm store: {blocks} final L2 blocks of chain {chain}; {rounds} restarts");
    let mut node = start(&config);
    wait_serving(&addr, &chain);
    let (mut stops, mut starts, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        std::thread::sleep(Duration::from_millis(500));
        let t = Instant::now();
        Command::new("kill")
            .args(["-TERM", &node.id().to_string()])
            .status()
            .expect("kill runs");
        let status = node.wait().expect("the node exits");
        assert!(status.success(), "exit {status}");
        let stop = t.elapsed();
        node = start(&config);
        let start = wait_serving(&addr, &chain);
        let total = t.elapsed();
        println!(
            "round {round}: stop {:.0} ms, start to serving {:.0} ms, SIGTERM to serving {:.0} ms",
            stop.as_secs_f64() * 1e3,
            start.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3
        );
        stops.push(stop.as_secs_f64() * 1e3);
        starts.push(start.as_secs_f64() * 1e3);
        totals.push(total.as_secs_f64() * 1e3);
    }
    let _ = node.kill();
    let _ = node.wait();
    println!(
        "median of {rounds}: stop {:.0} ms, start to serving {:.0} ms, SIGTERM to serving {:.0} ms",
        median(stops),
        median(starts),
        median(totals)
    );
}
