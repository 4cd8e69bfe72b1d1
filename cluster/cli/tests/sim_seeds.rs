//! `bitai sim` in the suite, through the real binary and its swarm runner (one child process
//! per seed): the same seed gives the same trace hash in two processes and different seeds
//! differ (`--check-determinism` over 10 seeds of 20 Bitcoin blocks); 18 seeds with
//! simulation proofs (36 Bitcoin blocks each) and 2 with real Groth16 proofs run with every
//! fault enabled and no oracle fires.

use std::process::Command;

fn sim(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bitai"))
        .arg("sim")
        .args(args)
        .output()
        .expect("bitai runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.success(), format!("{stdout}\n{stderr}"))
}

fn hashes(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split("trace_hash=").nth(1))
        .map(str::to_owned)
        .collect()
}

#[test]
fn ten_seeds_give_the_same_trace_hash_in_two_processes_and_differ_from_each_other() {
    let (ok, out) = sim(&[
        "--seeds",
        "10",
        "--from",
        "100",
        "--jobs",
        "2",
        "--check-determinism",
        "--bitcoin-blocks",
        "20",
        "--faults",
        "all",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("seeds=10 failed=0"), "{out}");
    let mut h = hashes(&out);
    assert_eq!(h.len(), 10, "{out}");
    h.sort();
    h.dedup();
    assert_eq!(h.len(), 10, "different seeds gave the same trace: {out}");
}

#[test]
fn eighteen_seeds_with_every_fault_hold_every_oracle() {
    let (ok, out) = sim(&[
        "--seeds",
        "18",
        "--from",
        "1",
        "--jobs",
        "2",
        "--bitcoin-blocks",
        "36",
        "--faults",
        "all",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("seeds=18 failed=0"), "{out}");
}

#[test]
fn two_seeds_with_real_groth16_proofs_hold_every_oracle() {
    let (ok, out) = sim(&[
        "--seeds",
        "2",
        "--from",
        "1",
        "--jobs",
        "1",
        "--bitcoin-blocks",
        "30",
        "--faults",
        "all",
        "--proofs",
        "real",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("seeds=2 failed=0"), "{out}");
}

#[test]
fn one_run_ends_with_the_three_closing_lines_and_a_bad_fault_name_is_refused() {
    let (ok, out) = sim(&["--seed", "5", "--bitcoin-blocks", "30", "--no-progress"]);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.trim_end().lines().filter(|l| !l.is_empty()).collect();
    let n = lines.len();
    assert!(
        lines[n - 3].starts_with("summary: seed=5 bitcoin_blocks=30 l2_blocks="),
        "{out}"
    );
    for key in [
        "transfers_final=",
        "requests_settled=",
        "simulated_s=",
        "wall_s=",
    ] {
        assert!(lines[n - 3].contains(key), "{out}");
    }
    let hash = lines[n - 2]
        .strip_prefix("trace_hash=")
        .expect("trace hash line");
    assert_eq!(hash.len(), 64, "{out}");
    assert_eq!(lines[n - 1], "violations=0", "{out}");

    let out = Command::new(env!("CARGO_BIN_EXE_bitai"))
        .args(["sim", "--faults", "reorg,meteor"])
        .output()
        .expect("bitai runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fault \"meteor\""));
}

/// Regression: seed 189 (30 blocks, every fault; the 1,000-seed swarm of session 9) found
/// a store crash striking while a user created a chain: the sequencer failed to start, and
/// its role proxy's name and its metrics stayed registered, so the chain could never start
/// again in that process (the coordinator's restart failed with "already registered"); and
/// the simulated user gave up the whole run on the refusal. A failed start now leaves
/// nothing behind, and the user tries again a minute later.
/// Seed 303 (the same swarm) found the same refusal one step later: a failed store write
/// refused the new chain's neuron registrations.
#[test]
fn seeds_189_and_303_a_refused_chain_creation_is_tried_again() {
    for seed in ["189", "303"] {
        let (ok, out) = sim(&[
            "--seed",
            seed,
            "--bitcoin-blocks",
            "30",
            "--faults",
            "all",
            "--no-progress",
        ]);
        assert!(ok && out.contains("violations=0"), "seed {seed}: {out}");
    }
}

/// Regression: seeds 16 and 17 (40 blocks, every fault) found a lying prover taking all
/// three attempts of a job at once (it answers instantly and was back in rotation first), so
/// the job was parked and the chain stalled (the liveness oracle fired). A prover whose proof
/// does not verify now sits out a lease period.
#[test]
fn seeds_16_and_17_a_lying_prover_no_longer_stalls_a_chain() {
    for seed in ["16", "17"] {
        let (ok, out) = sim(&[
            "--seed",
            seed,
            "--bitcoin-blocks",
            "40",
            "--faults",
            "all",
            "--no-progress",
        ]);
        assert!(ok && out.contains("violations=0"), "seed {seed}: {out}");
    }
}

/// One whole simulated day of `seed` with every fault: no oracle fires.
fn whole_day_holds(seed: &str) {
    let (ok, out) = sim(&["--seed", seed, "--faults", "all", "--no-progress"]);
    assert!(ok && out.contains("violations=0"), "seed {seed}: {out}");
}

/// Regression, a whole simulated day (144 blocks, about 70 s on a release build, so ignored
/// in the suite: `cargo test --release -p bitai-cli --test sim_seeds -- --ignored`): seed 5
/// found the prover pool forgetting, across a node crash, a proof it had emitted and the
/// mempool had refused as out of order; no chain advanced for the day's last six hours (the
/// liveness oracle). The pool's re-emission list is now persisted (the prover crate's
/// `a_restarted_pool_emits_again_what_was_emitted_and_not_yet_verified` is the fast check).
#[test]
#[ignore = "a whole simulated day; run with --ignored on a release build"]
fn seed_5_a_crash_no_longer_loses_an_emitted_proof() {
    whole_day_holds("5");
}

/// Regression, a whole simulated day (ignored as above): seed 2, once the store faults came
/// in, found a supervisor that failed outright when a child's restart failed (its store had
/// crashed), leaving its other children running: the restarted node could not register its
/// miner again, or the run hung. A failed restart is now retried as one more failure
/// (`bitai-runtime`'s `a_restart_that_fails_is_tried_again_and_the_supervisor_runs_on`).
#[test]
#[ignore = "a whole simulated day; run with --ignored on a release build"]
fn seed_2_a_failed_restart_no_longer_orphans_the_node() {
    whole_day_holds("2");
}

/// Regression, a whole simulated day (ignored as above): seed 6 found the `bad_proof` fault's
/// "stale root" forgery not stale after an empty L2 block (an empty block keeps its root), so
/// the outsider's simulation-only proof was a valid next block, was verified, and the roots
/// oracle fired. A harness bug: simulation-only proofs prove nothing, which is why only
/// simulation chains accept them; the forgery now strikes only over a root that moved.
#[test]
#[ignore = "a whole simulated day; run with --ignored on a release build"]
fn seed_6_the_stale_root_forgery_is_really_stale() {
    whole_day_holds("6");
}

/// Regression, a whole simulated day (ignored as above): seed 7 hung with its store crashed.
/// A finished hand-off asks the sequencer for the next at once; with the hand-off cursor
/// failing to persist, the sequencer handed the same blocks again and again at one
/// simulated instant, so time never moved and the node was never taken down. A failed
/// cursor write now holds the hand-off until the next tick.
#[test]
#[ignore = "a whole simulated day; run with --ignored on a release build"]
fn seed_7_a_failing_store_no_longer_spins_the_sequencer() {
    whole_day_holds("7");
}

/// `state <height> <hash> <sha256>` lines of a trace: the coordinator's chains at each block.
fn states(trace: &std::path::Path) -> std::collections::BTreeMap<(String, String), String> {
    std::fs::read_to_string(trace)
        .expect("trace written")
        .lines()
        .filter_map(|l| {
            let p: Vec<&str> = l.split_whitespace().collect();
            (p.len() == 5 && p[1] == "state")
                .then(|| ((p[2].to_owned(), p[3].to_owned()), p[4].to_owned()))
        })
        .collect()
}

#[test]
fn a_recorded_chain_with_reorgs_replays_to_the_same_bitai_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (file, a, b) = (
        dir.path().join("chain.txt"),
        dir.path().join("a.trace"),
        dir.path().join("b.trace"),
    );
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_owned();
    // Seed 10 strikes a reorg within these 36 blocks (and may crash the node).
    let common = [
        "--seed",
        "10",
        "--bitcoin-blocks",
        "36",
        "--faults",
        "reorg,crash",
        "--no-progress",
    ];
    let (ok, out) = sim(&[
        &common[..],
        &["--record", &path(&file), "--trace", &path(&a)],
    ]
    .concat());
    assert!(ok, "{out}");
    let recorded = std::fs::read_to_string(&file).expect("recording");
    assert!(
        recorded.starts_with("bitai-sim recorded chain v1\nstart "),
        "{}",
        &recorded[..80]
    );
    assert!(
        recorded.lines().any(|l| l.starts_with("reorg ")),
        "the seed's reorgs are recorded"
    );
    let (ok, out) = sim(&[
        &common[..],
        &["--replay", &path(&file), "--trace", &path(&b)],
    ]
    .concat());
    assert!(ok, "{out}");
    let (sa, sb) = (states(&a), states(&b));
    let both: Vec<_> = sa.keys().filter(|k| sb.contains_key(*k)).collect();
    assert!(both.len() >= 25, "{} blocks seen by both runs", both.len());
    for k in both {
        assert_eq!(
            sa[k], sb[k],
            "the BitAI state at block {k:?} differs in the replay"
        );
    }
}

#[test]
fn the_help_names_every_fault() {
    let out = Command::new(env!("CARGO_BIN_EXE_bitai"))
        .args(["sim", "--help"])
        .output()
        .expect("bitai runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for kind in bitai_sim::faults::FaultKind::ALL {
        assert!(
            help.contains(kind.name()),
            "--help does not name {}",
            kind.name()
        );
    }
}
