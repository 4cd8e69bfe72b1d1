//! `bitai devnet` with real Groth16 proofs: the devnet setup for one transfer per block
//! (cached under `CARGO_TARGET_TMPDIR`, so a rerun loads it instead of redoing it), every L2
//! block proved by the local prover, each proof verified by the state machine's verifier
//! contract, and the run stops once two L2 blocks are final with the verified root equal to
//! the sequencer's.
//!
//! Measured on the shared 2-core machine: 24 s with the key cached, 28 s without. (Before
//! the node's log filter turned ark-r1cs-std's `r1cs` spans off, see
//! `cluster/node/src/telemetry.rs`, the setup alone ran for over ten minutes.)
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::time::Duration;

#[test]
fn devnet_with_real_groth16_proofs_finishes_with_every_root_verified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let mut devnet = support::groth16_devnet(dir.path(), 2, &[]);
    // The chain the devnet made registers the Groth16 verifying key of its setup.
    let chains = devnet.chains();
    let own = chains
        .iter()
        .find(|c| c.id.to_string() == devnet.chain())
        .unwrap_or_else(|| panic!("the devnet chain is listed: {chains:#?}"));
    assert_eq!(own.proof_system, "groth16_bn254", "{own:#?}");
    assert_eq!(own.max_block_txs, 1, "{own:#?}");

    let (status, stdout) = devnet.wait(Duration::from_secs(300));
    assert!(
        status.success(),
        "exit {status}; stdout: {stdout}\n{}",
        devnet.diagnostics()
    );
    assert!(
        stdout.contains("L2 blocks final on the BitAI side"),
        "{stdout}"
    );
    assert!(stdout.contains("equals the sequencer's"), "{stdout}");
    assert!(stdout.contains("nonces match"), "{stdout}");
    let log = std::fs::read_to_string(data_dir.join("bitai.log")).expect("the devnet's log");
    assert!(
        log.contains("kind=\"submit_proof\""),
        "the state machine executed SubmitProofs:\n{log}"
    );
}
