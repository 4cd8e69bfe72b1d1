//! The built-in explorer in a real browser: a devnet with real Groth16 proofs runs with its
//! explorer on; headless Chromium (Debian's package), driven by playwright-core
//! (`tests/browser/explorer.mjs`), opens the front page, follows a transaction on its own
//! page until it says final, checks a block's proof in the browser with snarkjs (valid),
//! changes one public input and checks again (invalid), and opens the Bitcoin and queue
//! pages. With `BITAI_EXPLORER_SCREENSHOTS=DIR` the pages' screenshots are written there
//! (`docs/explorer/` holds the committed ones).
//!
//! Needs node, `npm install --prefix tests/browser`, `npm install --prefix
//! actors/lib/proofs/interop` (snarkjs) and /usr/bin/chromium (or `BITAI_CHROMIUM`); without
//! them it says what is missing and skips, unless `BITAI_REQUIRE_BROWSER=1` (`.ci/run`).
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What is missing to run the browser, if anything.
fn missing() -> Option<String> {
    let chromium = std::env::var("BITAI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let needs = [
        (
            root().join("tests/browser/node_modules/playwright-core"),
            "npm install --prefix tests/browser",
        ),
        (
            root().join("actors/lib/proofs/interop/node_modules/snarkjs/build/snarkjs.min.js"),
            "npm install --prefix actors/lib/proofs/interop",
        ),
        (PathBuf::from(&chromium), "apt-get install chromium"),
    ];
    let absent: Vec<String> = needs
        .iter()
        .filter(|(path, _)| !path.exists())
        .map(|(path, how)| format!("{} ({how})", path.display()))
        .collect();
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut all = absent;
    if !node {
        all.push("node".into());
    }
    (!all.is_empty()).then(|| all.join(", "))
}

#[test]
fn the_explorer_follows_a_transaction_to_final_and_checks_a_proof_in_chromium() {
    if let Some(what) = missing() {
        assert!(
            std::env::var_os("BITAI_REQUIRE_BROWSER").is_none(),
            "BITAI_REQUIRE_BROWSER is set, but missing: {what}"
        );
        println!("SKIPPED: missing {what}");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let snarkjs =
        root().join("actors/lib/proofs/interop/node_modules/snarkjs/build/snarkjs.min.js");
    let snarkjs = toml::Value::String(snarkjs.to_string_lossy().into_owned());
    let devnet = support::groth16_devnet(
        dir.path(),
        60,
        &[
            ("explorer", "snarkjs_js", snarkjs),
            ("explorer", "refresh_ms", toml::Value::Integer(500)),
        ],
    );
    assert!(
        !devnet.explorer().is_empty(),
        "the devnet prints its explorer\n{}",
        devnet.diagnostics()
    );
    let mut cmd = Command::new("node");
    cmd.arg(root().join("tests/browser/explorer.mjs")).args([
        "--explorer",
        devnet.explorer(),
        "--chain",
        devnet.chain(),
    ]);
    if let Some(dir) = std::env::var_os("BITAI_EXPLORER_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        cmd.arg("--screenshots").arg(dir);
    }
    let out = cmd.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        devnet.diagnostics()
    );
    assert!(stdout.contains("in-browser check: valid"), "{stdout}");
    assert!(stdout.contains(": invalid"), "{stdout}");
}
