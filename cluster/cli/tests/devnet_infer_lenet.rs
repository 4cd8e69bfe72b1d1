//! `bitai infer` on the devnet with the LeNet fixture returns the same bits as `bitai model
//! run`: the devnet (simulation-only proofs, no load) runs its three neurons; the test signs
//! as the devnet chain's genesis account 0, deploys the model with `bitai model deploy
//! --wait`, asks for one inference and compares `--output` with `bitai model run --output`
//! byte for byte (`support::lenet` has the shared flow).
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use support::lenet::LenetDevnet;

#[test]
fn infer_on_the_devnet_returns_what_model_run_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let world = LenetDevnet::start(dir.path(), &[]);
    let id = world.deploy();
    // The devnet's neurons register at its first start.
    world.wait_active(3);
    world.infer_matches_model_run(&id, "30");
    let summary = world.status();
    assert_eq!(summary["poc"]["open_requests"], 0, "{summary}");
}
