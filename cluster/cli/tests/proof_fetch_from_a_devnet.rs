//! Anyone can check a chain: a devnet with real Groth16 proofs runs; while it does, its
//! transactions are followed through every stage (`proven` seen, the Bitcoin txid present
//! from `inscribed` on); `bitai proof fetch` takes a verified block's proof and the chain's
//! key from the node (checked against the chain id and the block's statement); both
//! `bitai proof verify` and `snarkjs groth16 verify` (npm, nobody here wrote it) accept them,
//! and both refuse them once one public input is changed. snarkjs comes from
//! `npm install --prefix actors/lib/proofs/interop` (`.ci/run` installs it); without it that
//! half says it was skipped, unless `BITAI_REQUIRE_SNARKJS=1`.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use bitai_protocol::{ChainId, Hash32};
use bitai_rpc::{Client, Stage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{bitai, DevnetProcess};

fn snarkjs() -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../actors/lib/proofs/interop/node_modules/.bin/snarkjs");
    let found = local.exists().then_some(local);
    if found.is_none() && std::env::var_os("BITAI_REQUIRE_SNARKJS").is_some() {
        panic!("BITAI_REQUIRE_SNARKJS is set but snarkjs is not installed");
    }
    found
}

/// `bitai ARGS`: exit code and stdout (stderr appended).
fn run(args: &[&str]) -> (i32, String) {
    let out = bitai().args(args).output().expect("bitai runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Follows the transactions of blocks 1 and 2 until block 1 is final: each one's stages in
/// the order seen, checking that whenever a stage is `inscribed` or later the Bitcoin txid
/// is there.
fn follow(devnet: &DevnetProcess, chain: ChainId) -> BTreeMap<Hash32, Vec<Stage>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::new(devnet.url()).expect("client");
    let mut seen: BTreeMap<Hash32, Vec<Stage>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(240);
    rt.block_on(async {
        loop {
            assert!(
                Instant::now() < deadline,
                "block 1 not final in 240 s\n{}",
                devnet.diagnostics()
            );
            for n in [1, 2] {
                if let Ok(Some(block)) = client.block(chain, n).await {
                    for tx in block.txs {
                        seen.entry(tx).or_default();
                    }
                }
            }
            for (hash, stages) in seen.iter_mut() {
                let status = client.transaction_status(*hash).await.expect("status");
                if status.stage >= Stage::Inscribed && status.stage != Stage::Rejected {
                    assert!(status.bitcoin_txid.is_some(), "{status:?}");
                }
                if stages.last() != Some(&status.stage) {
                    stages.push(status.stage);
                }
            }
            let info = client.chain(chain).await.expect("chain").expect("known");
            if info.final_block >= 1 && !seen.is_empty() {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

#[test]
fn a_fetched_block_proof_verifies_with_bitai_and_snarkjs_and_a_changed_input_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let devnet = support::groth16_devnet(dir.path(), 30, &[]);
    let chain = ChainId(Hash32::from_hex(devnet.chain()).expect("chain id"));

    // Stages as they happen.
    let seen = follow(&devnet, chain);
    println!("stages seen: {seen:?}");
    for (hash, stages) in &seen {
        assert!(stages.windows(2).all(|w| w[0] < w[1]), "{hash}: {stages:?}");
    }
    assert!(
        seen.values().any(|s| s.contains(&Stage::Proven)),
        "proven is reported: {seen:?}"
    );
    assert!(
        seen.values().any(|s| s.contains(&Stage::Inscribed)),
        "inscribed is reported: {seen:?}"
    );

    // Fetch block 1's proof and the chain's key.
    let out = dir.path().join("proof-1");
    let out_s = out.to_string_lossy().into_owned();
    let (code, text) = run(&[
        "proof",
        "fetch",
        "--rpc",
        devnet.url(),
        "--chain",
        devnet.chain(),
        "--block",
        "1",
        "--out",
        &out_s,
    ]);
    assert_eq!(code, 0, "{text}\n{}", devnet.diagnostics());
    let (code, text) = run(&[
        "proof",
        "fetch",
        "--rpc",
        devnet.url(),
        "--chain",
        devnet.chain(),
        "--block",
        "999",
        "--out",
        &out_s,
    ]);
    assert_eq!(code, 1, "an unverified block: {text}");
    let block: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("block.json")).expect("block.json"))
            .expect("json");
    assert_eq!(block["number"], 1);
    assert!(
        block["bitcoin_txid"]
            .as_str()
            .is_some_and(|t| t.len() == 64),
        "{block}"
    );
    drop(devnet);

    let file = |name: &str| out.join(name).to_string_lossy().into_owned();
    let verify = |inputs: &str| {
        run(&[
            "proof",
            "verify",
            "--vk",
            &file("vk"),
            "--proof",
            &file("proof"),
            "--public-inputs",
            inputs,
        ])
    };
    let (code, text) = verify(&file("public-inputs"));
    assert_eq!(code, 0, "bitai proof verify accepts it: {text}");

    // One public input changed: the block number.
    let mut inputs: Vec<String> =
        serde_json::from_slice(&std::fs::read(out.join("public-inputs")).expect("read"))
            .expect("json");
    let n: u64 = inputs[2].parse().expect("the block number");
    assert_eq!(n, 1, "{inputs:?}");
    inputs[2] = "2".into();
    let wrong = out.join("wrong-inputs").to_string_lossy().into_owned();
    std::fs::write(&wrong, serde_json::to_string(&inputs).expect("json")).expect("write");
    let (code, text) = verify(&wrong);
    assert_eq!(code, 1, "bitai proof verify refuses it: {text}");

    let Some(snarkjs) = snarkjs() else {
        println!("SKIPPED the snarkjs half: npm install --prefix actors/lib/proofs/interop");
        return;
    };
    for (inputs, to) in [
        (file("public-inputs"), "snarkjs"),
        (wrong.clone(), "snarkjs-wrong"),
    ] {
        let dest = out.join(to).to_string_lossy().into_owned();
        let (code, text) = run(&[
            "proof",
            "export",
            "--format",
            "snarkjs",
            "--vk",
            &file("vk"),
            "--proof",
            &file("proof"),
            "--public-inputs",
            &inputs,
            "--out",
            &dest,
        ]);
        assert_eq!(code, 0, "{text}");
    }
    let snark = |sub: &str| {
        let out = Command::new(&snarkjs)
            .args([
                "groth16",
                "verify",
                "verification_key.json",
                "public.json",
                "proof.json",
            ])
            .current_dir(out.join(sub))
            .output()
            .expect("snarkjs runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ok = snark("snarkjs");
    assert!(ok.contains("OK!"), "snarkjs accepts it: {ok}");
    let bad = snark("snarkjs-wrong");
    assert!(
        !bad.contains("OK!"),
        "snarkjs refuses the changed input: {bad}"
    );
}
