//! `bitai devnet --config configs/devnet-core.toml` against a real Bitcoin Core regtest node
//! (no Core wallet; the harness of `tests/support/regtest_core.rs`), the harness mining a
//! block a second to the inscriber's printed address: the devnet reaches its goal of 16 final
//! L2 blocks with every chain's verified root equal to its sequencer's (its own check, exit 0).
//! On the way the harness reorgs Core three times under it, at depths 1, 3 and 6
//! (`invalidateblock` of the blocks holding the last proofs, then a longer branch): the
//! indexer follows, the state machine rolls back and verifies again, the inscriber
//! re-inscribes what a reorg dropped. Between the second and third reorg the devnet is
//! SIGKILLed and started again on the same data. At the end every SubmitProof of the
//! canonical chain is read back from Core's blocks: none is there twice, none is missing
//! (the devnet's own goal needs every block verified).
//!
//! Without a bitcoind the test skips and says how to get one; in CI it never skips
//! (`BITAI_REQUIRE_BITCOIND=1`). Simulation proofs keep the prover's time out of it (the
//! Core path is the same for real ones).

#![allow(clippy::disallowed_methods)] // Wall-clock pacing of real processes.

#[path = "../../../tests/support/regtest_core.rs"]
#[allow(dead_code)]
mod regtest_core;
mod support;

use bitai_protocol::envelope::{scan_transaction, ParseLimits};
use bitai_protocol::BitaiTx;
use bitcoin::consensus::encode::deserialize;
use bitcoin::{Address, Block, Network};
use regtest_core::{bitcoind, RegtestNode};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::bitai;

/// Kills the devnet if the test ends early (a failed assertion).
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-9", &self.0.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

/// L2 blocks that must go final.
const GOAL: u64 = 16;

/// configs/devnet-core.toml pointed at `node`, with its data in `dir`.
fn config(dir: &Path, node: &RegtestNode) -> std::path::PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/devnet-core.toml");
    let mut t: toml::Table = std::fs::read_to_string(shipped)
        .expect("devnet-core.toml")
        .parse()
        .expect("parses");
    let s = |v: String| toml::Value::String(v);
    let table = |t: &mut toml::Table, name: &str| -> toml::Table {
        t.get(name)
            .and_then(toml::Value::as_table)
            .cloned()
            .unwrap_or_default()
    };
    let mut node_t = table(&mut t, "node");
    node_t.insert("data_dir".into(), s(dir.join("data").display().to_string()));
    t.insert("node".into(), toml::Value::Table(node_t));
    let mut bitcoin = table(&mut t, "bitcoin");
    let mut core = bitcoin
        .get("core")
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();
    core.insert("url".into(), s(node.rpc_url()));
    core.insert(
        "cookie_file".into(),
        s(node.cookie_file().display().to_string()),
    );
    bitcoin.insert("core".into(), toml::Value::Table(core));
    t.insert("bitcoin".into(), toml::Value::Table(bitcoin));
    let mut rpc = table(&mut t, "rpc");
    rpc.insert("listen".into(), s(String::new()));
    t.insert("rpc".into(), toml::Value::Table(rpc));
    let mut metrics = table(&mut t, "metrics");
    metrics.insert("listen".into(), s(String::new()));
    t.insert("metrics".into(), toml::Value::Table(metrics));
    let mut explorer = table(&mut t, "explorer");
    explorer.insert("listen".into(), s("127.0.0.1:0".into()));
    t.insert("explorer".into(), toml::Value::Table(explorer));
    let path = dir.join("devnet-core.toml");
    std::fs::write(&path, toml::to_string(&t).expect("toml")).expect("write");
    path
}

/// `bitai devnet` on `config` towards [`GOAL`], its stderr lines sent to `lines`.
fn start(config: &Path, fresh: bool, lines: mpsc::Sender<String>) -> std::process::Child {
    let mut cmd = bitai();
    cmd.args(["devnet", "--no-progress", "--simulation-proofs"]);
    if fresh {
        cmd.arg("--fresh");
    }
    let mut devnet = cmd
        .args(["--tps", "2", "--l2-blocks", &GOAL.to_string(), "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bitai devnet starts");
    let stderr = devnet.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    devnet
}

/// Every SubmitProof on Core's canonical chain, as (chain, L2 block) -> how many times.
fn inscribed_proofs(node: &RegtestNode) -> BTreeMap<(String, u64), u32> {
    let mut seen = BTreeMap::new();
    for height in 1..=node.height() {
        let hash = node.ok("getblockhash", &[json!(height)]);
        let hex_block = node.ok("getblock", &[hash, json!(0)]);
        let bytes = hex::decode(hex_block.as_str().expect("hex")).expect("hex");
        let block: Block = deserialize(&bytes).expect("a block");
        for tx in &block.txdata {
            for envelope in scan_transaction(tx, &ParseLimits::default()).envelopes {
                if let Ok(BitaiTx::SubmitProof(p)) = envelope.bitai_tx() {
                    *seen
                        .entry((p.chain_id.to_string(), p.block_number))
                        .or_insert(0) += 1;
                }
            }
        }
    }
    seen
}

#[test]
fn the_devnet_settles_on_a_real_bitcoin_core_through_three_reorgs() {
    let Some(bin) = bitcoind() else {
        return;
    };
    let node = RegtestNode::start(&bin, &[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(dir.path(), &node);
    let (lines_tx, lines) = mpsc::channel::<String>();
    let mut devnet = start(&config, true, lines_tx.clone());
    let mut _guard = KillOnDrop(devnet.id());
    let mut log = Vec::new();
    let address = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no inscriber address printed: {log:#?}"));
        log.push(line.clone());
        if let Some(a) = line.strip_prefix("inscriber wallet: send funds to ") {
            break a
                .trim()
                .parse::<Address<_>>()
                .expect("an address")
                .require_network(Network::Regtest)
                .expect("a regtest address");
        }
    };
    node.mine(101, &address);
    let elsewhere = {
        let secp = bitcoin::key::Secp256k1::new();
        let key = bitcoin::key::Keypair::from_seckey_slice(&secp, &[3; 32]).expect("a key");
        Address::p2tr(&secp, key.x_only_public_key().0, None, Network::Regtest)
    };

    // A block a second; three reorgs once proofs are on the chain: at depths 1, 3 and 6.
    let started = Instant::now();
    let mut reorgs = vec![6u64, 3, 1];
    let mut last_reorg = Instant::now();
    let mut killed = false;
    let status = loop {
        if let Some(status) = devnet.try_wait().expect("try_wait") {
            break status;
        }
        while let Ok(line) = lines.try_recv() {
            log.push(line);
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the devnet did not reach {GOAL} final blocks in 10 minutes:\n{}",
            log[log.len().saturating_sub(80)..].join("\n")
        );
        let proofs = inscribed_proofs(&node).len() as u64;
        if let Some(&depth) = reorgs.last() {
            if proofs >= 2 * (4 - reorgs.len() as u64)
                && last_reorg.elapsed() > Duration::from_secs(4)
            {
                let tip = node.height();
                let first_dropped = node.ok("getblockhash", &[json!(tip + 1 - depth)]);
                node.ok("invalidateblock", std::slice::from_ref(&first_dropped));
                // A longer branch: the dropped blocks' transactions go back to the mempool.
                // Paid to another address, so no block of it is the very block invalidated.
                node.mine(depth + 1, &elsewhere);
                eprintln!("reorg: depth {depth} at height {tip} ({proofs} proofs inscribed)");
                node.ok("reconsiderblock", &[first_dropped]);
                reorgs.pop();
                last_reorg = Instant::now();
                if reorgs.len() == 1 && !killed {
                    // Mid-flight, between two reorgs: SIGKILL, and the same command again
                    // on the same data (no --fresh): it resumes.
                    devnet.kill().expect("SIGKILL");
                    let _ = devnet.wait();
                    eprintln!("SIGKILLed the devnet ({proofs} proofs inscribed); restarting");
                    devnet = start(&config, false, lines_tx.clone());
                    _guard = KillOnDrop(devnet.id());
                    killed = true;
                }
                continue;
            }
        }
        node.mine(1, &address);
        std::thread::sleep(Duration::from_secs(1));
    };
    log.extend(lines.try_iter());
    // What the node logged of the reorgs (re-anchored batches among it).
    let node_log = std::fs::read_to_string(dir.path().join("data/bitai.log")).unwrap_or_default();
    let reanchored = node_log.matches("re-anchoring this one").count();
    let mut out = String::new();
    use std::io::Read;
    devnet
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("stdout");
    assert!(status.success(), "exit {status}\n{out}\n{}", log.join("\n"));
    assert!(
        reorgs.is_empty(),
        "every reorg struck: {reorgs:?} left\n{out}"
    );
    assert!(killed, "the devnet was SIGKILLed and restarted once");
    assert!(
        out.contains("equals the sequencer's") && out.contains("nonces match"),
        "{out}"
    );
    let proofs = inscribed_proofs(&node);
    let twice: Vec<_> = proofs.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "inscribed twice: {twice:?}");
    assert!(
        proofs.len() as u64 >= GOAL,
        "{} proofs on the chain",
        proofs.len()
    );
    eprintln!(
        "{} proofs inscribed once each, three reorgs, {reanchored} batches re-anchored, {:.0} s\n{out}",
        proofs.len(),
        started.elapsed().as_secs_f64()
    );
}
