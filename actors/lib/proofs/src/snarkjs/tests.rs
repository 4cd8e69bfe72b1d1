//! Exported files have snarkjs' shape, and `snarkjs groth16 verify` accepts them when snarkjs
//! is installed (`npm install --prefix actors/lib/proofs/interop`); otherwise the check says it was
//! skipped.

use super::*;
use crate::groth16::testing::PowerCircuit;
use crate::groth16::Groth16Keys;
use rand::SeedableRng;
use std::path::PathBuf;

fn snarkjs_binary() -> Option<PathBuf> {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/node_modules/.bin/snarkjs");
    if local.exists() {
        return Some(local);
    }
    std::env::var_os("BITAI_SNARKJS").map(PathBuf::from)
}

#[test]
fn exported_proofs_verify_with_snarkjs() {
    let keys = Groth16Keys::devnet(
        PowerCircuit {
            x: 0,
            rounds: 6,
            tag: 0,
        },
        b"snarkjs",
    )
    .expect("setup");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let (p, inputs) = keys
        .prove(
            PowerCircuit {
                x: 9,
                rounds: 6,
                tag: 4,
            },
            &mut rng,
        )
        .expect("prove");
    let vk_json = verification_key(keys.vk());
    assert_eq!(vk_json["nPublic"], 2);
    assert_eq!(vk_json["IC"].as_array().map(Vec::len), Some(3));
    let proof_json = proof(&p);
    let public_json = public(&inputs);

    let Some(snarkjs) = snarkjs_binary() else {
        println!(
            "SKIPPED: snarkjs is not installed (npm install --prefix actors/lib/proofs/interop)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, v: &Value| {
        std::fs::write(dir.path().join(name), v.to_string()).expect("write");
    };
    write("verification_key.json", &vk_json);
    write("proof.json", &proof_json);
    write("public.json", &public_json);
    let run = |public_file: &str| {
        std::process::Command::new(&snarkjs)
            .args([
                "groth16",
                "verify",
                "verification_key.json",
                public_file,
                "proof.json",
            ])
            .current_dir(dir.path())
            .output()
            .expect("snarkjs runs")
    };
    let ok = run("public.json");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success() && stdout.contains("OK"),
        "snarkjs refused: {stdout}"
    );
    let mut wrong = inputs.clone();
    wrong[1] += bitai_chain::field::Fr::from(1u64);
    write("wrong.json", &public(&wrong));
    let bad = run("wrong.json");
    assert!(
        !String::from_utf8_lossy(&bad.stdout).contains("OK!"),
        "snarkjs accepted a wrong input"
    );
}
