//! The pause of hot swaps of the pipeline's own roles under load: `bitai devnet` (simulation
//! proofs, so the prover's time stays out of the figure; a 500 ms block interval and the load
//! generator at 20 transfers a second, so the sequencer is cutting blocks and the inscriber
//! inscribing their proofs the whole time) with its admin endpoint on; then `--swaps` swaps
//! (default 40) through `bitai admin swap`, alternating the chain's sequencer (`interval` <->
//! `full-blocks`) and the inscriber (`prompt` <-> `economical`), every version both ways.
//! Each swap's pause is what the node measured: from the proxy's first buffered message (the
//! detach) until the new version runs with the buffer replayed to it; it includes the old
//! version's drain and `post_stop` and the new one's `pre_start` (the sequencer reopening its
//! chain's state from fjall). Reported per role as p50, p99 and max.
//!
//! `cargo bench -p bitai-cli --bench swap_pipeline -- [--swaps N]`

#![allow(clippy::disallowed_methods)] // Wall-clock pacing of real processes.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{arg, bitai, free_port};

/// configs/devnet.toml with the node's data in `dir`, RPC on `rpc`, the admin endpoint on
/// `admin` with the token in `dir/admin.token`.
fn config(dir: &Path, rpc: u16, admin: u16) -> std::path::PathBuf {
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
    let token = dir.join("admin.token");
    let made = bitai()
        .args(["admin", "token", "--out"])
        .arg(&token)
        .output()
        .expect("bitai admin token");
    assert!(made.status.success(), "{made:?}");
    set("node", "data_dir", s(&dir.join("data").to_string_lossy()));
    set("rpc", "listen", s(&format!("127.0.0.1:{rpc}")));
    set("metrics", "listen", s(""));
    set("admin", "listen", s(&format!("127.0.0.1:{admin}")));
    set("admin", "token_file", s(&token.to_string_lossy()));
    let path = dir.join("node.toml");
    std::fs::write(&path, toml::to_string(&t).expect("toml")).expect("write");
    path
}

fn admin(url: &str, token: &Path, args: &[&str]) -> std::process::Output {
    bitai()
        .arg("admin")
        .args(args)
        .args(["--admin", url, "--token-file"])
        .arg(token)
        .output()
        .expect("bitai admin runs")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let swaps = arg("--swaps", 40);
    let dir = tempfile::tempdir().expect("temp dir");
    let admin_port = free_port();
    let config = config(dir.path(), free_port(), admin_port);
    let token = dir.path().join("admin.token");
    let url = format!("http://127.0.0.1:{admin_port}");
    let mut devnet = bitai()
        .args(["devnet", "--no-progress", "--simulation-proofs", "--fresh"])
        .args(["--tps", "20", "--block-interval-ms", "500", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bitai devnet starts");
    let t = Instant::now();
    let sequencer = loop {
        let out = admin(&url, &token, &["status", "--json"]);
        if out.status.success() {
            let status: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("status JSON");
            let found = status["roles"].as_array().and_then(|roles| {
                roles.iter().find_map(|r| {
                    r["name"]
                        .as_str()
                        .filter(|n| n.starts_with("sequencer-"))
                        .map(str::to_owned)
                })
            });
            if let Some(name) = found {
                break name;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the devnet's admin endpoint never listed a sequencer"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Let the load run a while: blocks cut, proofs inscribed.
    std::thread::sleep(Duration::from_secs(10));
    let plan = [
        (sequencer.as_str(), "full-blocks"),
        ("inscriber", "economical"),
        (sequencer.as_str(), "interval"),
        ("inscriber", "prompt"),
    ];
    let mut pauses: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for i in 0..swaps as usize {
        let (role, to) = plan[i % plan.len()];
        let out = admin(&url, &token, &["swap", "--role", role, "--to", to]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "swap {i}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ms: f64 = text
            .split("(paused ")
            .nth(1)
            .and_then(|r| r.split(" ms").next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no pause in {text:?}"));
        let kind = if role == "inscriber" {
            "inscriber"
        } else {
            "sequencer"
        };
        pauses.entry(kind).or_default().push(ms);
        std::thread::sleep(Duration::from_millis(250));
    }
    let final_status = admin(&url, &token, &["status", "--json"]);
    let _ = Command::new("kill")
        .args(["-INT", &devnet.id().to_string()])
        .status();
    let exit = devnet.wait().expect("the devnet exits");
    assert!(
        exit.success(),
        "the devnet's checks failed after the swaps: {exit}"
    );
    let status: serde_json::Value =
        serde_json::from_slice(&final_status.stdout).expect("status JSON");
    let refused: u64 = status["roles"]
        .as_array()
        .map(|roles| roles.iter().filter_map(|r| r["refused"].as_u64()).sum())
        .unwrap_or(0);
    println!(
        "{swaps} swaps under the devnet's load (20 transfers a second, 500 ms blocks, \
         simulation proofs); messages refused by role proxies: {refused}; the devnet exited 0"
    );
    let mut all = Vec::new();
    for (kind, mut v) in pauses {
        v.sort_by(f64::total_cmp);
        println!(
            "{kind}: {} swaps, pause p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            v.len(),
            percentile(&v, 0.5),
            percentile(&v, 0.99),
            v[v.len() - 1]
        );
        all.extend(v);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "all: pause p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all[all.len() - 1]
    );
}
