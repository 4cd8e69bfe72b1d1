//! A hung prover node: `bitai prover run` stopped with SIGSTOP while it proves a leased
//! block stays connected and in its process group (ractor_cluster's pings have no timeout),
//! so only its missing heartbeats tell. The devnet (no local prover) takes the lease back
//! after `heartbeat_timeout_ms`, a second prover node proves the block, and the devnet
//! finishes with two L2 blocks final (its lease timeout, ten minutes, plays no part).
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::time::Duration;
use support::prover::{free_port, key_cache, remote_only_config, ProverProcess, DEVNET_ARGS};
use support::{wait_until, DevnetProcess};

const COOKIE: &str = "hung-prover-test-cookie";

#[test]
fn a_hung_prover_loses_its_lease_by_heartbeat_timeout_and_another_proves_the_block() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listen = format!("127.0.0.1:{}", free_port());
    let config = remote_only_config(dir.path(), &listen, COOKIE, 300, 3_000);
    let data_dir = dir.path().join("data");
    let mut devnet = DevnetProcess::start(&config, &data_dir, &DEVNET_ARGS);

    let hung = ProverProcess::start(
        &listen,
        COOKIE,
        &key_cache(),
        dir.path().join("hung.stderr"),
    );
    wait_until(
        "the first prover to take a lease",
        Duration::from_secs(60),
        Duration::from_millis(20),
        || hung.stderr().contains("proving chain=").then_some(()),
        || format!("{}\n{}", hung.stderr(), devnet.diagnostics()),
    );
    hung.signal("STOP");
    let healthy = ProverProcess::start(
        &listen,
        COOKIE,
        &key_cache(),
        dir.path().join("healthy.stderr"),
    );
    let (status, stdout) = devnet.wait(Duration::from_secs(300));
    assert!(
        status.success(),
        "exit {status}; stdout: {stdout}\nhealthy prover: {}\n{}",
        healthy.stderr(),
        devnet.diagnostics()
    );
    assert!(
        stdout.contains("L2 blocks final on the BitAI side"),
        "{stdout}"
    );
    let log = std::fs::read_to_string(data_dir.join("bitai.log")).expect("the devnet's log");
    assert!(
        log.contains("no heartbeat in time"),
        "the hung prover's lease was taken back by heartbeat timeout:\n{log}"
    );
    assert!(
        healthy.stderr().contains("proved block=1"),
        "the healthy prover proved block 1:\n{}",
        healthy.stderr()
    );
    assert!(
        !hung.stderr().contains("proved"),
        "the hung prover never finished:\n{}",
        hung.stderr()
    );
}
