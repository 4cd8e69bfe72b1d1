//! `bitai devnet` with no local prover (`[prover] workers = 0`) and `[cluster] listen` set,
//! and `bitai prover run` processes joining it over real TCP: a prover with a wrong cookie
//! is refused and exits 1 with a clear message; a prover with the right cookie and the
//! devnet's key cache proves every L2 block with real Groth16 proofs (nothing else can: the
//! devnet has no local prover), the devnet finishes with two L2 blocks final and every
//! verified root equal to the sequencer's, and the prover exits 1 once the coordinator is
//! gone.
//!
//! The devnet setup for one transfer and no op slot per block is cached under
//! `CARGO_TARGET_TMPDIR` (the cache directory of `devnet_groth16_smoke`; key files are named
//! by circuit), so a rerun loads it.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::time::Duration;
use support::prover::{free_port, key_cache, remote_only_config, ProverProcess, DEVNET_ARGS};
use support::DevnetProcess;

const COOKIE: &str = "remote-prover-test-cookie";

#[test]
fn a_remote_prover_proves_every_block_and_a_wrong_cookie_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_cache = key_cache();
    let listen = format!("127.0.0.1:{}", free_port());
    let config = remote_only_config(dir.path(), &listen, COOKIE, 500, 5_000);
    let data_dir = dir.path().join("data");
    let mut devnet = DevnetProcess::start(&config, &data_dir, &DEVNET_ARGS);

    // A wrong cookie: client_connect succeeds, the coordinator drops the session.
    let mut refused = ProverProcess::start(
        &listen,
        "not-the-cookie",
        &key_cache,
        dir.path().join("refused.stderr"),
    );
    let code = refused.exit_within(Duration::from_secs(30));
    assert_eq!(
        code,
        Some(1),
        "stderr: {}\n{}",
        refused.stderr(),
        devnet.diagnostics()
    );
    assert!(
        refused.stderr().contains("refused the handshake"),
        "{}",
        refused.stderr()
    );

    let mut prover = ProverProcess::start(
        &listen,
        COOKIE,
        &key_cache,
        dir.path().join("prover.stderr"),
    );
    support::prover::devnet_final_through(&mut devnet, &mut prover, &data_dir);
}
