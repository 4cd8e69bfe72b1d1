//! Planted bugs (feature `planted-bugs`; no release build has it): each one is switched on,
//! seeds run until an oracle fires, and the test asserts that the oracle that fired is the
//! one that must catch that bug, within 50 seeds. Run with
//! `cargo test --workspace --features bitai-sim/planted-bugs --test planted_bugs` (CI does).

use bitai_sim::faults::parse_list;
use bitai_sim::world::Proofs;
use bitai_sim::{planted, SimOptions};
use std::sync::Mutex;

/// One run at a time: the switch is process-wide.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn caught_within_50_seeds(bug: &'static str, faults: &str, blocks: u64, oracles: &[&str]) {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    planted::set(Some(bug));
    let mut fired = None;
    for seed in 1..=50 {
        let opts = SimOptions {
            seed,
            bitcoin_blocks: blocks,
            faults: parse_list(faults).expect("fault list"),
            fault_gaps: Vec::new(),
            proofs: Proofs::Sim,
            trace_file: None,
            progress: false,
            record: None,
            replay: None,
        };
        let outcome = bitai_sim::run(&opts).expect("the run completes");
        if let Some(v) = outcome.violations.first() {
            fired = Some((seed, v.oracle, v.detail.clone()));
            break;
        }
    }
    planted::set(None);
    let (seed, oracle, detail) =
        fired.unwrap_or_else(|| panic!("{bug}: no oracle fired in 50 seeds"));
    assert!(
        oracles.contains(&oracle),
        "{bug}: seed {seed} fired {oracle} ({detail}), expected one of {oracles:?}"
    );
    eprintln!("{bug}: caught by {oracle} at seed {seed}: {detail}");
}

#[test]
fn an_undo_journal_entry_skipped_is_caught_by_the_replay() {
    caught_within_50_seeds("undo_entry_skipped", "reorg", 48, &["replay", "roots"]);
}

#[test]
fn a_batch_inscribed_twice_after_a_crash_is_caught() {
    caught_within_50_seeds(
        "batch_inscribed_twice_after_crash",
        "panic",
        48,
        &["inscribed_once"],
    );
}

#[test]
fn a_proof_over_a_stale_root_accepted_is_caught_by_the_roots() {
    caught_within_50_seeds("stale_prev_root_accepted", "bad_proof", 48, &["roots"]);
}

#[test]
fn a_disagreeing_neuron_paid_is_caught_by_the_poc_oracle() {
    caught_within_50_seeds("disagreeing_neuron_paid", "neuron_cheat", 36, &["poc"]);
}

#[test]
fn a_transfer_acknowledged_before_it_is_persisted_is_caught_as_lost() {
    caught_within_50_seeds("ack_before_persist", "panic,crash", 48, &["lost"]);
}

#[test]
fn a_hung_provers_job_never_handed_back_is_caught_by_liveness() {
    caught_within_50_seeds("hung_prover_job_kept", "hung_prover", 48, &["liveness"]);
}
