//! The canonical output: the same bytes as `bitai model run`'s file for the same input, the
//! same bytes on any thread count, refusals for bad input, and a decoder that never panics.

use super::*;
use crate::tests::{lenet, lenet_input};
use bitai_kernels::CpuBackend;
use proptest::prelude::*;

/// What `bitai model run` writes for one sample (the steps of its `run_cmd`).
fn model_run_file(model: &CheckedModel, input: &[u8]) -> Vec<u8> {
    let values: Vec<f32> = input
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let backend = CpuBackend::new(1).expect("pool");
    let exec = Executor::new(model, &backend);
    let mut parts = Vec::new();
    let mut at = 0;
    for s in model.input_sizes() {
        parts.push(&values[at..at + s]);
        at += s;
    }
    let (outs, _) = exec.run_f32(&parts).expect("runs");
    outs.iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

#[test]
fn the_f32_file_of_the_canonical_output_is_what_model_run_writes() {
    let model = lenet();
    for n in [0, 5] {
        let input = lenet_input(n);
        let backend = CpuBackend::new(2).expect("pool");
        let canonical = canonical_output(model, &input, &backend).expect("runs");
        assert_eq!(canonical[0], TAG_VALUES);
        assert_eq!(canonical.len(), 1 + 8 * 10, "ten Q32.32 logits");
        assert_eq!(
            output_to_f32_file(&canonical).expect("values"),
            model_run_file(model, &input),
            "sample {n}"
        );
        let one = CpuBackend::new(1).expect("pool");
        assert_eq!(
            canonical_output(model, &input, &one).expect("runs"),
            canonical,
            "the thread count does not change the bytes"
        );
    }
}

#[test]
fn bad_inputs_are_canonical_refusals() {
    let model = lenet();
    let backend = CpuBackend::new(1).expect("pool");
    let mut input = lenet_input(0);
    let run = |input: &[u8]| canonical_output(model, input, &backend).expect("runs");
    assert_eq!(
        run(&input[1..]),
        vec![TAG_REFUSED, Refusal::InputSize as u8]
    );
    assert_eq!(run(&[]), vec![TAG_REFUSED, Refusal::InputSize as u8]);
    input[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_eq!(run(&input), vec![TAG_REFUSED, Refusal::NotANumber as u8]);
    let refused = CanonicalOutput::from_bytes(&run(&input)).expect("decodes");
    assert_eq!(refused, CanonicalOutput::Refused(Refusal::NotANumber));
    assert_eq!(
        output_to_f32_file(&run(&input)),
        Err(OutputDecodeError::Refused(Refusal::NotANumber))
    );
}

#[test]
fn malformed_outputs_are_typed_errors() {
    use OutputDecodeError as E;
    assert_eq!(CanonicalOutput::from_bytes(&[]), Err(E::Empty));
    assert_eq!(CanonicalOutput::from_bytes(&[7]), Err(E::Tag(7)));
    assert_eq!(CanonicalOutput::from_bytes(&[0]), Err(E::Length(0)));
    assert_eq!(CanonicalOutput::from_bytes(&[0, 1, 2]), Err(E::Length(2)));
    assert_eq!(CanonicalOutput::from_bytes(&[1, 9]), Err(E::BadRefusal));
    assert_eq!(CanonicalOutput::from_bytes(&[1, 1, 1]), Err(E::BadRefusal));
    let big = vec![0u8; MAX_PAYLOAD_BYTES + 1];
    assert_eq!(
        CanonicalOutput::from_bytes(&big),
        Err(E::TooLarge(MAX_PAYLOAD_BYTES + 1))
    );
}

proptest! {
    #[test]
    fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = output_to_f32_file(&bytes);
        if let Ok(decoded) = CanonicalOutput::from_bytes(&bytes) {
            prop_assert_eq!(decoded.to_bytes(), bytes, "one encoding per output");
        }
    }

    #[test]
    fn values_round_trip(values in proptest::collection::vec(any::<i64>(), 1..64)) {
        let out = CanonicalOutput::Values(values.into_iter().map(Fx).collect());
        prop_assert_eq!(CanonicalOutput::from_bytes(&out.to_bytes()), Ok(out));
    }
}
