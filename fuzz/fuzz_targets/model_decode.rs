//! Fuzzes the model decoder: any bytes give a model or a typed error, never a panic; a
//! decoded model is canonical (its bytes are the input) and runs on zeros without a panic.
#![no_main]

use bitai_kernels::{CpuBackend, Fx};
use bitai_models::{CheckedModel, Executor, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the checks are the same as with the defaults.
    let limits = Limits {
        file_bytes_max: 1 << 20,
        tensor_values_max: 1 << 14,
        params_max: 1 << 16,
        ..Limits::default()
    };
    let Ok(model) = CheckedModel::decode(data, &limits) else {
        return;
    };
    assert_eq!(model.bytes(), data, "decoded models are canonical");
    let cpu = CpuBackend::new(1).expect("one-thread pool");
    let inputs = model
        .input_sizes()
        .iter()
        .map(|&n| vec![Fx::ZERO; n])
        .collect();
    // Embedding indices of zero are valid; any other failure must be a typed error.
    let _ = Executor::new(&model, &cpu).run(inputs);
});
