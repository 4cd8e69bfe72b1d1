//! Inference latency of the fixture models (one sample) on the CPU backend with 1 and 2
//! threads. Run: `cargo bench -p bitai-models --bench inference`; the Keras side is
//! `python3 actors/lib/models/fixtures/bench_keras.py`. Figures: docs/benchmarks/models.md.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use bitai_kernels::CpuBackend;
use bitai_models::{import, CheckedModel, Executor, Limits};
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use std::time::Duration;

const MODELS: [&str; 4] = ["lenet5", "lstm_text", "vision_misc", "sequence_misc"];

fn load(name: &str) -> (CheckedModel, Vec<f32>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("config");
    let weights = std::fs::read(dir.join(format!("{name}.weights.f32"))).expect("weights");
    let model = import(&json, &weights, &Limits::default()).expect("imports");
    let bytes = std::fs::read(dir.join(format!("{name}.input.f32"))).expect("inputs");
    let per_sample: usize = model.input_sizes().iter().sum();
    let first = bytes
        .chunks_exact(4)
        .take(per_sample)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (model, first)
}

fn inference(c: &mut Criterion) {
    let mut group = c.benchmark_group("inference");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for threads in [1, 2] {
        let cpu = CpuBackend::new(threads).expect("pool");
        for name in MODELS {
            let (model, sample) = load(name);
            let sizes = model.input_sizes();
            let mut parts = vec![];
            let mut at = 0;
            for s in &sizes {
                parts.push(&sample[at..at + s]);
                at += s;
            }
            let exec = Executor::new(&model, &cpu);
            group.bench_function(format!("{name}/cpu-{threads}-threads"), |b| {
                b.iter(|| exec.run_f32(&parts).expect("runs"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, inference);
criterion_main!(benches);
