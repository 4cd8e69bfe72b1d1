//! The neuron's scenarios, each against a [`crate::testing::TestChain`] (a real state
//! transition) with the LeNet-5 fixture of `actors/lib/models/fixtures`, under tokio's paused
//! time: honest neurons are paid, a cheat is slashed, a restarted neuron still reveals, a late
//! neuron does not commit, and no-shows refund the requester.

pub(crate) mod harness;
mod honest;
mod late_and_absent;
mod restart;

use bitai_models::{import, CheckedModel, Limits};
use std::path::PathBuf;
use std::sync::OnceLock;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lib/models/fixtures")
}

/// The LeNet-5 fixture, imported once.
pub(crate) fn lenet() -> &'static CheckedModel {
    static MODEL: OnceLock<CheckedModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = fixtures();
        let json = std::fs::read_to_string(dir.join("lenet5.json")).expect("lenet5 config");
        let weights = std::fs::read(dir.join("lenet5.weights.f32")).expect("lenet5 weights");
        import(&json, &weights, &Limits::default()).expect("lenet5 imports")
    })
}

/// Sample `n` of the LeNet-5 fixture's inputs (784 little-endian f32).
pub(crate) fn lenet_input(n: usize) -> Vec<u8> {
    let bytes = std::fs::read(fixtures().join("lenet5.input.f32")).expect("lenet5 inputs");
    let per = 784 * 4;
    bytes[n * per..(n + 1) * per].to_vec()
}
