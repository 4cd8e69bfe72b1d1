//! Runs a fixture model's first sample N times on the CPU backend: a fixed workload for
//! instruction counting (`valgrind --tool=callgrind`), which is repeatable on a busy
//! machine where wall-clock figures are not.
//! Usage: `cargo run --release -p bitai-models --example run_fixture -- NAME ITERATIONS [THREADS]`

use bitai_kernels::CpuBackend;
use bitai_models::{import, Executor, Limits};
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("lenet5", String::as_str);
    let iterations: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let threads: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("config");
    let weights = std::fs::read(dir.join(format!("{name}.weights.f32"))).expect("weights");
    let model = import(&json, &weights, &Limits::default()).expect("imports");
    let bytes = std::fs::read(dir.join(format!("{name}.input.f32"))).expect("inputs");
    let sizes = model.input_sizes();
    let sample: Vec<f32> = bytes
        .chunks_exact(4)
        .take(sizes.iter().sum())
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut parts = vec![];
    let mut at = 0;
    for s in &sizes {
        parts.push(&sample[at..at + s]);
        at += s;
    }
    let cpu = CpuBackend::new(threads).expect("pool");
    let exec = Executor::new(&model, &cpu);
    let mut checksum = 0f32;
    for _ in 0..iterations {
        let (outs, _) = exec.run_f32(&parts).expect("runs");
        checksum += outs[0][0];
    }
    println!("{name}: {iterations} runs, checksum {checksum}");
}
