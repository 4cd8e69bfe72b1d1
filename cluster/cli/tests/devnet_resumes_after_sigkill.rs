//! `bitai devnet --txs 300` killed with SIGKILL three times and started again on the same
//! data directory: each start resumes (same chain, nothing verified is lost) and the last
//! one finishes with exactly 300 transfers, balances plus burned fees equal to the supply,
//! nonces equal to the transfers and every verified root equal to the sequencer's.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::path::Path;
use std::time::Duration;
use support::{wait_until, DevnetProcess};

const ARGS: [&str; 7] = [
    "--simulation-proofs",
    "--txs",
    "300",
    "--tps",
    "100",
    "--block-interval-ms",
    "300",
];

/// Starts the devnet, checks it resumed from `before` (the devnet chain's id and verified
/// block seen before the last kill), waits until its chain has `kill_at` verified blocks,
/// and kills it; the chain id and the verified block seen last.
fn run_until_killed(
    config: &Path,
    data_dir: &Path,
    before: Option<(&str, u64)>,
    kill_at: u64,
) -> (String, u64) {
    let mut devnet = DevnetProcess::start(config, data_dir, &ARGS);
    let chain = devnet.chain().to_owned();
    let progress = |devnet: &DevnetProcess| {
        devnet
            .try_chains()
            .and_then(|cs| cs.into_iter().find(|c| c.id.to_string() == chain))
    };
    let verified = |devnet: &DevnetProcess| progress(devnet).map(|c| c.verified_block);
    if let Some((id, verified_before)) = before {
        assert_eq!(chain, id, "the restarted devnet resumes the same chain");
        let now = wait_until(
            "the restarted devnet to answer",
            Duration::from_secs(30),
            Duration::from_millis(100),
            || verified(&devnet),
            || devnet.diagnostics(),
        );
        let chains = devnet.chains();
        assert_eq!(
            chains.len(),
            1,
            "one devnet chain after the restart: {chains:#?}"
        );
        assert!(
            now >= verified_before,
            "verified block {now} after the restart, {verified_before} before the kill"
        );
    }
    let seen = wait_until(
        &format!("{kill_at} verified L2 blocks"),
        Duration::from_secs(60),
        Duration::from_millis(100),
        || progress(&devnet).filter(|c| c.verified_block >= kill_at),
        || devnet.diagnostics(),
    );
    devnet.kill();
    let (head, pending) = seen
        .sequencer
        .as_ref()
        .map_or((0, 0), |s| (s.head_block, s.pending));
    eprintln!(
        "killed the devnet (SIGKILL) at verified L2 block {}, final {}, sequencer head {head} \
         with {pending} transfers pending",
        seen.verified_block, seen.final_block
    );
    (chain, seen.verified_block)
}

#[test]
fn devnet_killed_three_times_resumes_and_finishes_with_nothing_lost_or_duplicated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = support::write_config(dir.path(), &[]);
    let data_dir = dir.path().join("data");

    // Killed as soon as it answers (its chain's CreateChain not yet on Bitcoin), once its
    // chain has 2 verified blocks, and 10 verified blocks later.
    let (chain, zeroth) = run_until_killed(&config, &data_dir, None, 0);
    let (again, first) = run_until_killed(&config, &data_dir, Some((&chain, zeroth)), 2);
    assert_eq!(again, chain);
    let (again, second) = run_until_killed(&config, &data_dir, Some((&chain, first)), first + 10);
    assert_eq!(again, chain);

    let mut devnet = DevnetProcess::start(&config, &data_dir, &ARGS);
    assert_eq!(
        devnet.chain(),
        chain,
        "the last start resumes the same chain"
    );
    let (status, stdout) = devnet.wait(Duration::from_secs(90));
    assert!(
        status.success(),
        "exit {status}; stdout: {stdout}\n{}",
        devnet.diagnostics()
    );
    let expect = [
        "300 transfers and ",
        "nonces match",
        "= supply 53000000000",
        "equals the sequencer's",
    ];
    for line in expect {
        assert!(
            stdout.contains(line),
            "the summary says {line:?} (killed at verified blocks {first} and {second}):\n{stdout}"
        );
    }
}
