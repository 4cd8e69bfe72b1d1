//! Hostile model files: every malformed, oversized or inconsistent one is a typed error.

use super::*;
use crate::format::{InputSpec, Layer, Node};
use bitai_kernels::{Activation, Fx};
use proptest::prelude::*;

fn dense_model(in_dim: u32, units: u32) -> Model {
    Model {
        name: "m".into(),
        inputs: vec![InputSpec {
            name: "x".into(),
            shape: vec![in_dim],
        }],
        nodes: vec![Node {
            name: "d".into(),
            layer: Layer::Dense {
                units,
                activation: Activation::Softmax,
                kernel: (0..in_dim * units)
                    .map(|i| Fx(i64::from(i) << 28))
                    .collect(),
                bias: Some(vec![Fx::ONE; units as usize]),
            },
            inputs: vec![0],
        }],
        outputs: vec![1],
    }
}

fn bytes_of(model: Model) -> Vec<u8> {
    CheckedModel::new(model, &Limits::default())
        .expect("valid")
        .bytes()
        .to_vec()
}

#[test]
fn round_trip_keeps_the_id() {
    let checked = CheckedModel::new(dense_model(3, 2), &Limits::default()).expect("valid");
    let decoded = CheckedModel::decode(checked.bytes(), &Limits::default()).expect("decodes");
    assert_eq!(decoded, checked);
    assert_eq!(checked.shape(1), &[2]);
    assert_ne!(
        checked.id(),
        CheckedModel::new(dense_model(3, 3), &Limits::default())
            .expect("valid")
            .id()
    );
}

#[test]
fn framing_errors() {
    let limits = Limits::default();
    let good = bytes_of(dense_model(3, 2));
    assert_eq!(
        CheckedModel::decode(b"", &limits),
        Err(ModelError::BadMagic)
    );
    assert_eq!(
        CheckedModel::decode(b"BITAIMDX\x01", &limits),
        Err(ModelError::BadMagic)
    );
    let mut v2 = good.clone();
    v2[8] = 2;
    assert_eq!(
        CheckedModel::decode(&v2, &limits),
        Err(ModelError::UnsupportedVersion(2))
    );
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        CheckedModel::decode(&trailing, &limits),
        Err(ModelError::NonCanonical)
    );
    assert!(matches!(
        CheckedModel::decode(&good[..good.len() - 3], &limits),
        Err(ModelError::Decode(_))
    ));
    let small = Limits {
        file_bytes_max: good.len() - 1,
        ..Limits::default()
    };
    assert!(matches!(
        CheckedModel::decode(&good, &small),
        Err(ModelError::FileTooLarge { .. })
    ));
}

#[test]
fn oversized_and_inconsistent_models() {
    let limits = Limits::default();
    let mut wrong_weights = dense_model(3, 2);
    if let Layer::Dense { kernel, .. } = &mut wrong_weights.nodes[0].layer {
        kernel.pop();
    }
    assert!(matches!(
        CheckedModel::new(wrong_weights, &limits),
        Err(ModelError::WeightLength { what: "kernel", .. })
    ));
    let mut dangling = dense_model(3, 2);
    dangling.nodes[0].inputs = vec![5];
    assert!(matches!(
        CheckedModel::new(dangling, &limits),
        Err(ModelError::BadReference { input: 5, .. })
    ));
    let mut self_ref = dense_model(3, 2);
    self_ref.nodes[0].inputs = vec![1];
    assert!(matches!(
        CheckedModel::new(self_ref, &limits),
        Err(ModelError::BadReference { .. })
    ));
    let mut no_output = dense_model(3, 2);
    no_output.outputs = vec![9];
    assert!(matches!(
        CheckedModel::new(no_output, &limits),
        Err(ModelError::Structure(_))
    ));
    let mut huge_input = dense_model(3, 2);
    huge_input.inputs[0].shape = vec![1 << 13, 1 << 13, 1 << 13];
    assert!(matches!(
        CheckedModel::new(huge_input, &limits),
        Err(ModelError::Limit {
            what: "tensor values",
            ..
        })
    ));
    let mut rank = dense_model(3, 2);
    rank.inputs[0].shape = vec![1, 1, 1, 1, 3];
    assert!(matches!(
        CheckedModel::new(rank, &limits),
        Err(ModelError::Limit {
            what: "tensor rank",
            ..
        })
    ));
    let few = Limits {
        params_max: 5,
        ..Limits::default()
    };
    assert!(matches!(
        CheckedModel::new(dense_model(3, 2), &few),
        Err(ModelError::Limit {
            what: "weight values",
            ..
        })
    ));
    let mut zero = dense_model(3, 2);
    zero.inputs[0].shape = vec![0];
    assert!(matches!(
        CheckedModel::new(zero, &limits),
        Err(ModelError::Structure(_))
    ));
    // A huge declared vector length in the encoding fails cleanly, without allocating it.
    let mut lying = MAGIC.to_vec();
    lying.extend_from_slice(&[1, 1, b'm', 0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(matches!(
        CheckedModel::decode(&lying, &limits),
        Err(ModelError::Decode(_))
    ));
}

proptest! {
    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut bytes = MAGIC.to_vec();
        bytes.push(1);
        bytes.extend_from_slice(&body);
        let _ = CheckedModel::decode(&bytes, &Limits::default());
        let _ = CheckedModel::decode(&body, &Limits::default());
    }

    #[test]
    fn mutated_models_never_panic(at in any::<prop::sample::Index>(), value: u8, cut in any::<prop::sample::Index>()) {
        let good = bytes_of(dense_model(3, 2));
        let mut bytes = good.clone();
        let i = at.index(bytes.len());
        bytes[i] = value;
        if let Ok(m) = CheckedModel::decode(&bytes, &Limits::default()) {
            // Whatever decodes is canonical: its bytes are exactly the input.
            prop_assert_eq!(m.bytes(), &bytes[..]);
        }
        let _ = CheckedModel::decode(&good[..cut.index(good.len())], &Limits::default());
    }
}
