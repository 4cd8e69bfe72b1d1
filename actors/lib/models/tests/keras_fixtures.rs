//! Models made and run by real Keras 3 (`fixtures/make_fixtures.py`), imported and run here
//! in Q32.32: our outputs against Keras' own `predict`, and the same bits on 1 and 2 threads.
//!
//! Bound: every output within `KERAS_ABS_ERROR_MAX` of Keras' float32 result. Our fixed
//! point is exact to about 1e-9 per operation; the difference is dominated by Keras' float32
//! rounding (relative 6e-8 per operation, over hundreds of terms per dot product).

use bitai_kernels::{Backend, CpuBackend, Fx};
use bitai_models::{import, CheckedModel, Executor, Limits};
use std::path::PathBuf;

/// The documented bound on |ours - Keras| for every fixture output.
const KERAS_ABS_ERROR_MAX: f64 = 1e-5;

/// The fixtures folder; `BITAI_MODEL_FIXTURES` overrides it when the test binary runs
/// elsewhere (carried to a GPU machine).
fn fixtures() -> PathBuf {
    std::env::var_os("BITAI_MODEL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
}

fn floats(path: &PathBuf) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("fixture file");
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Runs every sample of the fixture on `backend`; returns all outputs in fixed point.
fn run_all(model: &CheckedModel, name: &str, backend: &dyn Backend) -> Vec<Fx> {
    let inputs = floats(&fixtures().join(format!("{name}.input.f32")));
    let sizes = model.input_sizes();
    let per_sample: usize = sizes.iter().sum();
    assert_eq!(inputs.len() % per_sample, 0, "{name}: whole samples");
    let exec = Executor::new(model, backend);
    let mut all = vec![];
    for sample in inputs.chunks_exact(per_sample) {
        let mut parts = vec![];
        let mut at = 0;
        for s in &sizes {
            let part = sample[at..at + s]
                .iter()
                .map(|&v| Fx::from_f32(v).expect("not NaN").0);
            parts.push(part.collect());
            at += s;
        }
        let out = exec.run(parts).expect("fixture runs");
        assert_eq!(out.saturations, 0, "{name}: nothing saturates");
        all.extend(out.outputs.into_iter().flatten());
    }
    all
}

/// FNV-1a over the Q32.32 output bits: the consensus-relevant result of a model.
fn digest(values: &[Fx]) -> u64 {
    let mut d: u64 = 0xcbf2_9ce4_8422_2325;
    for b in values.iter().flat_map(|v| v.0.to_le_bytes()) {
        d = (d ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    d
}

fn check_fixture(name: &str, pinned_digest: u64) -> f64 {
    let dir = fixtures();
    let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("config");
    let weights = std::fs::read(dir.join(format!("{name}.weights.f32"))).expect("weights");
    let model = import(&json, &weights, &Limits::default()).expect("imports");
    let one = CpuBackend::new(1).expect("pool");
    let two = CpuBackend::new(2).expect("pool");
    let ours = run_all(&model, name, &one);
    assert_eq!(
        ours,
        run_all(&model, name, &two),
        "{name}: 1 and 2 threads differ"
    );
    assert_eq!(ours, run_all(&model, name, &one), "{name}: two runs differ");
    let keras = floats(&dir.join(format!("{name}.output.f32")));
    assert_eq!(ours.len(), keras.len(), "{name}: output sizes");
    let max_err = ours
        .iter()
        .zip(&keras)
        .map(|(a, b)| (f64::from(a.to_f32()) - f64::from(*b)).abs())
        .fold(0.0, f64::max);
    println!(
        "{name}: {} outputs, largest |ours - keras| = {max_err:.3e}, digest {:#x}",
        ours.len(),
        digest(&ours)
    );
    // The bits themselves are pinned: any machine, and any change, must reproduce them.
    assert_eq!(digest(&ours), pinned_digest, "{name}: output bits changed");
    assert!(
        max_err <= KERAS_ABS_ERROR_MAX,
        "{name}: error {max_err:e} above bound"
    );
    // The importer is deterministic: the same files give the same model id.
    let again = import(&json, &weights, &Limits::default()).expect("imports");
    assert_eq!(model.id(), again.id());
    // And the model file round-trips through the decoder with the same id.
    let decoded = CheckedModel::decode(model.bytes(), &Limits::default()).expect("decodes");
    assert_eq!(decoded.id(), model.id());
    max_err
}

#[test]
fn lenet5_matches_keras() {
    check_fixture("lenet5", 0xa2f4_551a_7440_b27c);
}

#[test]
fn lstm_text_matches_keras() {
    check_fixture("lstm_text", 0x5e8a_58c5_82b6_a19f);
}

#[test]
fn vision_misc_matches_keras() {
    check_fixture("vision_misc", 0x99e7_8377_253f_bd23);
}

#[test]
fn sequence_misc_matches_keras() {
    check_fixture("sequence_misc", 0xc688_a250_477f_5df7);
}

/// On a GPU: every fixture model gives the same bits on CUDA as on the CPU.
#[cfg(feature = "cuda")]
#[test]
fn cuda_fixtures_match_cpu_bit_for_bit() {
    let gpu = match bitai_kernels::cuda::CudaBackend::new() {
        Ok(gpu) => gpu,
        Err(e) => {
            println!("cuda: skipping GPU-versus-CPU fixtures, no CUDA device: {e:?}");
            return;
        }
    };
    let cpu = CpuBackend::new(2).expect("pool");
    for name in ["lenet5", "lstm_text", "vision_misc", "sequence_misc"] {
        let dir = fixtures();
        let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("config");
        let weights = std::fs::read(dir.join(format!("{name}.weights.f32"))).expect("weights");
        let model = import(&json, &weights, &Limits::default()).expect("imports");
        assert_eq!(
            run_all(&model, name, &cpu),
            run_all(&model, name, &gpu),
            "{name} on {}",
            gpu.name()
        );
        println!(
            "cuda: {name} bit-identical on {} and {}",
            cpu.name(),
            gpu.name()
        );
    }
}

/// The model ids pin the encoding: a change to the format (a field, a variant order in
/// `Layer`, `Activation` or `Padding`) changes them and must bump `FORMAT_VERSION`.
#[test]
fn fixture_model_ids_are_pinned() {
    let pinned = [
        (
            "lenet5",
            "c402709f6045aa661b081bbf3b20916a0dcb70e32dbed772a77154045693cf16",
        ),
        (
            "lstm_text",
            "e91b312e08ce94e79b097cb4ea38c7a4d9db483f8494f6d4de3f9ce9bb9644da",
        ),
        (
            "vision_misc",
            "0e2a25b8b61c3ee903e35549458e01dae5eec959f1b50b4479bfef27c7aeefdf",
        ),
        (
            "sequence_misc",
            "d5c942d956b3a4e19ae7dc05e010350f10f67cffa7238a9af8473e7c456c7445",
        ),
    ];
    for (name, id) in pinned {
        let dir = fixtures();
        let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("config");
        let weights = std::fs::read(dir.join(format!("{name}.weights.f32"))).expect("weights");
        let model = import(&json, &weights, &Limits::default()).expect("imports");
        assert_eq!(model.id().to_string(), id, "{name}");
    }
}
