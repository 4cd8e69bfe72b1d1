//! Planted bugs: deliberate defects compiled in only with the `planted-bugs` cargo feature
//! (test builds; no release build has it), each switched on by name at run time, so a test
//! can show that the simulation's oracles catch it (docs/simulation.md lists them and the
//! oracle each must trip). Without the feature this module is empty and every site that
//! plants a bug is compiled out.

use std::sync::Mutex;

static ACTIVE: Mutex<Option<&'static str>> = Mutex::new(None);

/// Every planted bug, by name.
pub const ALL: [&str; 6] = [
    "undo_entry_skipped",
    "batch_inscribed_twice_after_crash",
    "stale_prev_root_accepted",
    "disagreeing_neuron_paid",
    "ack_before_persist",
    "hung_prover_job_kept",
];

/// Switches the named bug on (None: all off). Process-wide.
pub fn set(bug: Option<&'static str>) {
    *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = bug;
}

/// Whether the named bug is on.
pub fn on(bug: &str) -> bool {
    *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) == Some(bug)
}
