//! Hostile and unusual Keras inputs give typed errors, never a panic.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn dense_model(units: u64, activation: &str) -> String {
    json!({
        "class_name": "Sequential",
        "config": {"name": "m", "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "in"}},
            {"class_name": "Dense", "config": {"name": "d", "units": units, "activation": activation}}
        ]}
    })
    .to_string()
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn imports_a_small_sequential_model() {
    let weights = f32s(&[1.0, 0.0, 0.0, 1.0, 0.5, -0.5, 0.25, 0.75]);
    let model = import(&dense_model(2, "relu"), &weights, &Limits::default()).expect("imports");
    assert_eq!(model.input_sizes(), vec![3]);
    assert_eq!(model.output_sizes(), vec![2]);
    assert_eq!(model.param_count(), 8);
}

#[test]
fn weights_of_the_wrong_size_are_refused() {
    let short = f32s(&[1.0; 7]);
    let long = f32s(&[1.0; 9]);
    for (w, expected, actual) in [(short, 32, 28), (long, 32, 36)] {
        let err = import(&dense_model(2, "linear"), &w, &Limits::default());
        assert!(
            matches!(err, Err(ImportError::WeightsSize { expected_bytes, actual_bytes }) if expected_bytes == expected && actual_bytes == actual),
            "{err:?}"
        );
    }
    let mut ragged = f32s(&[1.0; 8]);
    ragged.push(0);
    assert!(matches!(
        import(&dense_model(2, "linear"), &ragged, &Limits::default()),
        Err(ImportError::WeightsSize { .. })
    ));
    let nan = f32s(&[1.0, f32::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert!(matches!(
        import(&dense_model(2, "linear"), &nan, &Limits::default()),
        Err(ImportError::WeightNotANumber { index: 1, .. })
    ));
}

#[test]
fn unknown_layers_and_activations_are_refused() {
    let err = import(
        &dense_model(2, "gelu"),
        &f32s(&[0.0; 8]),
        &Limits::default(),
    );
    assert!(
        matches!(err, Err(ImportError::UnsupportedActivation { .. })),
        "{err:?}"
    );
    let json = dense_model(2, "linear").replace("\"Dense\"", "\"MultiHeadAttention\"");
    let err = import(&json, &[], &Limits::default());
    assert!(
        matches!(&err, Err(ImportError::UnsupportedLayer { class, .. }) if class == "MultiHeadAttention"),
        "{err:?}"
    );
}

#[test]
fn malformed_configs_are_refused() {
    let limits = Limits::default();
    assert!(matches!(
        import("{not json", &[], &limits),
        Err(ImportError::Json(_))
    ));
    assert!(matches!(
        import("[]", &[], &limits),
        Err(ImportError::Config { .. })
    ));
    let no_layers = json!({"class_name": "Sequential", "config": {"layers": []}}).to_string();
    assert!(matches!(
        import(&no_layers, &[], &limits),
        Err(ImportError::Config { .. })
    ));
    let zero_units = dense_model(0, "linear");
    assert!(matches!(
        import(&zero_units, &[], &limits),
        Err(ImportError::Model(_))
    ));
    let huge = dense_model(u64::from(u32::MAX), "linear");
    assert!(import(&huge, &[], &limits).is_err());
    let weird_shape = json!({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [null, -3], "name": "in"}}
    ]}})
    .to_string();
    assert!(matches!(
        import(&weird_shape, &[], &limits),
        Err(ImportError::Config { .. })
    ));
}

#[test]
fn shape_mismatches_are_refused() {
    // A Conv2D on a flat input.
    let json = json!({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "in"}},
        {"class_name": "Conv2D", "config": {"name": "c", "filters": 1, "kernel_size": [1, 1]}}
    ]}})
    .to_string();
    assert!(import(&json, &[], &Limits::default()).is_err());
    // An Add of two different shapes in a functional model.
    let t = |name: &str, width: u64| json!({"class_name": "__keras_tensor__", "config": {"shape": [null, width], "keras_history": [name, 0, 0]}});
    let json = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
        {"class_name": "InputLayer", "name": "a", "config": {"batch_shape": [null, 2], "name": "a"}, "inbound_nodes": []},
        {"class_name": "InputLayer", "name": "b", "config": {"batch_shape": [null, 3], "name": "b"}, "inbound_nodes": []},
        {"class_name": "Add", "name": "add", "config": {"name": "add"},
         "inbound_nodes": [{"args": [[t("a", 2), t("b", 3)]], "kwargs": {}}]}
    ], "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": ["add", 0, 0]}})
    .to_string();
    let err = import(&json, &[], &Limits::default());
    assert!(
        matches!(err, Err(ImportError::Model(ModelError::Shape { .. }))),
        "{err:?}"
    );
    // A reference to a layer defined later (or never).
    let json = json.replace(
        r#""keras_history":["b",0,0]"#,
        r#""keras_history":["nowhere",0,0]"#,
    );
    let err = import(&json, &[], &Limits::default());
    assert!(
        matches!(&err, Err(ImportError::Config { reason, .. }) if reason.contains("nowhere")),
        "{err:?}"
    );
}

/// Every number or string leaf of a real config, replaced by a hostile value.
fn mutate(value: &mut Value, target: usize, seen: &mut usize, replacement: &Value) {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| mutate(v, target, seen, replacement)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| mutate(v, target, seen, replacement)),
        leaf => {
            if *seen == target {
                *leaf = replacement.clone();
            }
            *seen += 1;
        }
    }
}

fn fixture(name: &str) -> (String, Vec<u8>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("config");
    let weights = std::fs::read(dir.join(format!("{name}.weights.f32"))).expect("weights");
    (json, weights)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Hostile edits to real configs and weights give an error or a model, never a panic.
    #[test]
    fn mutated_keras_configs_never_panic(
        model in 0usize..4,
        target in 0usize..600,
        replacement in prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u32>().prop_map(Value::from),
            (-3i64..70).prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[a-z_]{0,12}".prop_map(Value::from),
            Just(Value::Null),
            Just(json!([1, 2])),
        ],
        cut in 0usize..64,
    ) {
        let name = ["lenet5", "lstm_text", "vision_misc", "sequence_misc"][model];
        let (json, weights) = fixture(name);
        let mut value: Value = serde_json::from_str(&json).expect("fixture json");
        mutate(&mut value, target, &mut 0, &replacement);
        if let Ok(model) = import(&value.to_string(), &weights, &Limits::default()) {
            // What imports also runs (on zeros) without a panic.
            let cpu = bitai_kernels::CpuBackend::new(1).expect("pool");
            let zeros = model.input_sizes().iter().map(|&n| vec![bitai_kernels::Fx::ZERO; n]).collect();
            let _ = crate::Executor::new(&model, &cpu).run(zeros);
        }
        let _ = import(&json, &weights[..weights.len().saturating_sub(cut)], &Limits::default());
    }
}
