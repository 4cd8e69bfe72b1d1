//! Inputs of the wrong count or size, NaNs and bad embedding indices are typed errors.

use super::*;
use crate::checked::Limits;
use crate::format::{InputSpec, Model, Node};
use bitai_kernels::CpuBackend;

fn embedding_model() -> CheckedModel {
    let model = Model {
        name: "e".into(),
        inputs: vec![InputSpec {
            name: "tokens".into(),
            shape: vec![3],
        }],
        nodes: vec![
            Node {
                name: "emb".into(),
                layer: Layer::Embedding {
                    input_dim: 4,
                    output_dim: 2,
                    table: (0..8).map(|i| Fx::from_int(i).0).collect(),
                },
                inputs: vec![0],
            },
            Node {
                name: "flat".into(),
                layer: Layer::Flatten,
                inputs: vec![1],
            },
        ],
        outputs: vec![2],
    };
    CheckedModel::new(model, &Limits::default()).expect("valid")
}

#[test]
fn runs_and_rejects_bad_inputs() {
    let model = embedding_model();
    let cpu = CpuBackend::new(1).expect("pool");
    let exec = Executor::new(&model, &cpu);
    let (out, sats) = exec.run_f32(&[&[3.0, 0.0, 1.0]]).expect("runs");
    assert_eq!(out, vec![vec![6.0, 7.0, 0.0, 1.0, 2.0, 3.0]]);
    assert_eq!(sats, 0);
    assert_eq!(
        exec.run_f32(&[&[1.0, 2.0]]),
        Err(RunError::InputSize {
            index: 0,
            expected: 3,
            actual: 2
        })
    );
    assert_eq!(
        exec.run_f32(&[]),
        Err(RunError::InputCount {
            expected: 1,
            actual: 0
        })
    );
    assert_eq!(
        exec.run_f32(&[&[1.0, f32::NAN, 0.0]]),
        Err(RunError::NotANumber {
            index: 0,
            position: 1
        })
    );
    for bad in [4.0, -1.0, 1.5, 1e30] {
        let err = exec.run_f32(&[&[0.0, bad, 0.0]]);
        assert!(
            matches!(err, Err(RunError::Gather { node: 0, .. })),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn batch_norm_folds_in_fixed_point() {
    let (scale, shift, sats) = batch_norm_affine(
        Fx::ZERO,
        &Some(vec![Fx::from_int(2).0]),
        &Some(vec![Fx::ONE]),
        &[Fx::from_int(3).0],
        &[Fx::from_int(4).0],
    );
    // 2 / sqrt(4) = 1; 1 - 3 * 1 = -2.
    assert_eq!(
        (scale, shift, sats),
        (vec![Fx::ONE], vec![Fx::from_int(-2).0], 0)
    );
    // A zero variance with zero epsilon saturates and says so.
    let (_, _, sats) = batch_norm_affine(Fx::ZERO, &None, &None, &[Fx::ZERO], &[Fx::ZERO]);
    assert!(sats > 0);
}
