//! The Keras importer: a Keras 3 `model.to_json()` config plus its weights, to a model.
//!
//! Weights come as one file of little-endian float32: for each layer in the order of the
//! config's `layers` list, that layer's `get_weights()` arrays, each flattened in row-major
//! (C) order, nothing else (see `fixtures/make_fixtures.py`). This was chosen over
//! `.weights.h5` because reading HDF5 needs the C libhdf5 (the `hdf5`/`hdf5-metno` crates)
//! or a young pure-Rust reader (`hdf5-pure`) that would parse hostile files for us, while
//! the config already fixes every weight's shape: the
//! importer derives the shapes from the config and the input shapes, and the file must
//! hold exactly that many floats, so a file for another model is refused rather than
//! misread. Sequential models and functional models (with `inbound_nodes`) are read; a layer
//! applied more than once (shared layers) is refused.

mod layers;
#[cfg(test)]
mod tests;

use crate::checked::{CheckedModel, Limits};
use crate::error::ModelError;
use crate::format::{InputSpec, Model, Node};
use crate::shapes::infer;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a Keras model could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The config is not JSON.
    #[error("config is not valid json: {0}")]
    Json(String),
    /// The config is JSON but not a Keras model config we understand.
    #[error("layer {layer}: {reason}")]
    Config {
        /// The layer's name (or `model`).
        layer: String,
        /// What is wrong.
        reason: String,
    },
    /// A layer class this format does not have.
    #[error("layer {layer}: unsupported layer class {class}")]
    UnsupportedLayer {
        /// The layer's name.
        layer: String,
        /// Its Keras class.
        class: String,
    },
    /// An activation this format does not have.
    #[error("layer {layer}: unsupported activation {activation}")]
    UnsupportedActivation {
        /// The layer's name.
        layer: String,
        /// The activation's name.
        activation: String,
    },
    /// The weights file is shorter or longer than the config needs, or not whole floats.
    #[error("weights file holds {actual_bytes} bytes, the config needs {expected_bytes}")]
    WeightsSize {
        /// Bytes the config needs (so far, when short).
        expected_bytes: usize,
        /// Bytes in the file.
        actual_bytes: usize,
    },
    /// A weight that is NaN.
    #[error("layer {layer}: weight {index} is not a number")]
    WeightNotANumber {
        /// The layer's name.
        layer: String,
        /// Index within the file's floats.
        index: usize,
    },
    /// The converted model failed a check (shapes, limits).
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Reads little-endian float32 weights in order.
pub(crate) struct WeightReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl WeightReader<'_> {
    /// The next `n` floats converted to fixed point.
    pub(crate) fn take(
        &mut self,
        layer: &str,
        n: usize,
    ) -> Result<Vec<bitai_kernels::Fx>, ImportError> {
        let end = n.checked_mul(4).and_then(|b| b.checked_add(self.at));
        let Some(end) = end.filter(|&e| e <= self.bytes.len()) else {
            return Err(ImportError::WeightsSize {
                expected_bytes: self.at.saturating_add(n.saturating_mul(4)),
                actual_bytes: self.bytes.len(),
            });
        };
        let mut out = Vec::with_capacity(n);
        for (k, chunk) in self.bytes[self.at..end].chunks_exact(4).enumerate() {
            let v = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let (fx, _) =
                bitai_kernels::Fx::from_f32(v).map_err(|_| ImportError::WeightNotANumber {
                    layer: layer.to_string(),
                    index: self.at / 4 + k,
                })?;
            out.push(fx);
        }
        self.at = end;
        Ok(out)
    }
}

fn config_err(layer: &str, reason: impl Into<String>) -> ImportError {
    ImportError::Config {
        layer: layer.to_string(),
        reason: reason.into(),
    }
}

/// The per-sample shape of a `batch_shape` (first entry the batch axis, null).
fn input_shape(name: &str, config: &Value) -> Result<Vec<u32>, ImportError> {
    let shape = config
        .get("batch_shape")
        .or_else(|| config.get("batch_input_shape"))
        .and_then(Value::as_array)
        .ok_or_else(|| config_err(name, "input layer without batch_shape"))?;
    shape
        .iter()
        .skip(1)
        .map(|d| {
            d.as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .ok_or_else(|| config_err(name, format!("input dimension {d} is not a size")))
        })
        .collect()
}

/// Imports a Keras model from its JSON config and its float32 weights.
pub fn import(json: &str, weights: &[u8], limits: &Limits) -> Result<CheckedModel, ImportError> {
    let root: Value = serde_json::from_str(json).map_err(|e| ImportError::Json(e.to_string()))?;
    let class = root
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let config = root
        .get("config")
        .ok_or_else(|| config_err("model", "no config"))?;
    let name = config
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("model")
        .to_string();
    let layers = config
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| config_err("model", "no layers list"))?;
    if layers.len() > limits.nodes_max + limits.inputs_max {
        return Err(ModelError::Limit {
            what: "layers",
            value: layers.len(),
            max: limits.nodes_max + limits.inputs_max,
        }
        .into());
    }
    let mut builder = Builder {
        model: Model {
            name,
            inputs: vec![],
            nodes: vec![],
            outputs: vec![],
        },
        shapes: vec![],
        by_name: BTreeMap::new(),
        weights: WeightReader {
            bytes: weights,
            at: 0,
        },
    };
    match class {
        "Sequential" => builder.sequential(&root, layers)?,
        "Functional" | "Model" => builder.functional(config, layers)?,
        other => {
            return Err(config_err(
                "model",
                format!("unsupported model class {other:?}"),
            ))
        }
    }
    if builder.weights.at != weights.len() {
        return Err(ImportError::WeightsSize {
            expected_bytes: builder.weights.at,
            actual_bytes: weights.len(),
        });
    }
    Ok(CheckedModel::new(builder.model, limits)?)
}

/// Accumulates the model while the layers are read.
struct Builder<'a> {
    model: Model,
    shapes: Vec<Vec<usize>>,
    by_name: BTreeMap<String, u32>,
    weights: WeightReader<'a>,
}

impl Builder<'_> {
    fn add_input(&mut self, name: &str, shape: Vec<u32>) -> u32 {
        let v = self.shapes.len() as u32;
        self.shapes
            .push(shape.iter().map(|&d| d as usize).collect());
        self.model.inputs.push(InputSpec {
            name: name.to_string(),
            shape,
        });
        self.by_name.insert(name.to_string(), v);
        v
    }

    /// Converts one layer reading `inputs`, returns its value.
    fn add_layer(
        &mut self,
        layer: &Value,
        name: &str,
        inputs: Vec<u32>,
    ) -> Result<u32, ImportError> {
        if self.by_name.contains_key(name) {
            return Err(config_err(name, "layer name used twice"));
        }
        let in_shapes: Vec<Vec<usize>> = inputs
            .iter()
            .map(|&v| self.shapes[v as usize].clone())
            .collect();
        let converted = layers::convert(layer, name, &in_shapes, &mut self.weights)?;
        let node = Node {
            name: name.to_string(),
            layer: converted,
            inputs,
        };
        let refs: Vec<&[usize]> = in_shapes.iter().map(Vec::as_slice).collect();
        let shape = infer(self.model.nodes.len(), &node, &refs)?;
        let v = self.shapes.len() as u32;
        self.shapes.push(shape);
        self.model.nodes.push(node);
        self.by_name.insert(name.to_string(), v);
        Ok(v)
    }

    fn sequential(&mut self, root: &Value, layers: &[Value]) -> Result<(), ImportError> {
        let mut current: Option<u32> = None;
        for layer in layers {
            let (class, name, config) = layers::header(layer)?;
            if class == "InputLayer" {
                if current.is_some() {
                    return Err(config_err(&name, "input layer after the first layer"));
                }
                current = Some(self.add_input(&name, input_shape(&name, config)?));
                continue;
            }
            let input = match current {
                Some(v) => v,
                None => {
                    // No InputLayer: the model's build_config gives the input shape.
                    let build = root.get("build_config").unwrap_or(&Value::Null);
                    let shape = input_shape(
                        "input",
                        &serde_json::json!({
                            "batch_shape": build.get("input_shape").cloned().unwrap_or(Value::Null)
                        }),
                    )?;
                    self.add_input("input", shape)
                }
            };
            current = Some(self.add_layer(layer, &name, vec![input])?);
        }
        let last = current.ok_or_else(|| config_err("model", "no layers"))?;
        self.model.outputs = vec![last];
        Ok(())
    }

    fn functional(&mut self, config: &Value, layers: &[Value]) -> Result<(), ImportError> {
        // Model inputs come first, in `input_layers` order (the layer list may differ).
        let ins = refs(config.get("input_layers"), "input_layers")?;
        for input in &ins {
            let entry = layers
                .iter()
                .find(|l| layers::header(l).is_ok_and(|(c, n, _)| c == "InputLayer" && n == *input))
                .ok_or_else(|| config_err("model", format!("input layer {input} not found")))?;
            let (_, name, layer_config) = layers::header(entry)?;
            if self.by_name.contains_key(&name) {
                return Err(config_err(&name, "input listed twice"));
            }
            self.add_input(&name, input_shape(&name, layer_config)?);
        }
        for layer in layers {
            let (class, name, _) = layers::header(layer)?;
            if class == "InputLayer" {
                if !ins.contains(&name.as_str()) {
                    return Err(config_err(&name, "input layer missing from input_layers"));
                }
                continue;
            }
            let nodes = layer
                .get("inbound_nodes")
                .and_then(Value::as_array)
                .ok_or_else(|| config_err(&name, "no inbound_nodes"))?;
            let [node] = nodes.as_slice() else {
                return Err(config_err(
                    &name,
                    format!(
                        "applied {} times; shared layers are not supported",
                        nodes.len()
                    ),
                ));
            };
            let mut inputs = vec![];
            collect_tensors(node.get("args").unwrap_or(&Value::Null), &mut |history| {
                let src = history
                    .first()
                    .and_then(Value::as_str)
                    .ok_or_else(|| config_err(&name, "keras_history without a layer name"))?;
                let v = self.by_name.get(src).ok_or_else(|| {
                    config_err(&name, format!("input {src} is not defined before it"))
                })?;
                inputs.push(*v);
                Ok(())
            })?;
            self.add_layer(layer, &name, inputs)?;
        }
        let outs = refs(config.get("output_layers"), "output_layers")?;
        for out in outs {
            let v = self
                .by_name
                .get(out)
                .ok_or_else(|| config_err("model", format!("output {out} unknown")))?;
            self.model.outputs.push(*v);
        }
        Ok(())
    }
}

/// The layer names of `input_layers` / `output_layers`: `[name, 0, 0]` or a list of them.
fn refs<'v>(value: Option<&'v Value>, what: &str) -> Result<Vec<&'v str>, ImportError> {
    let list = value
        .and_then(Value::as_array)
        .ok_or_else(|| config_err("model", format!("no {what}")))?;
    if let Some(name) = list.first().and_then(Value::as_str) {
        return Ok(vec![name]);
    }
    list.iter()
        .map(|r| {
            r.get(0)
                .and_then(Value::as_str)
                .ok_or_else(|| config_err("model", format!("bad {what}")))
        })
        .collect()
}

/// Walks `args` and calls `f` with the `keras_history` of every tensor, in order.
fn collect_tensors(
    args: &Value,
    f: &mut dyn FnMut(&[Value]) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    match args {
        Value::Array(items) => items.iter().try_for_each(|v| collect_tensors(v, f)),
        Value::Object(map)
            if map.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") =>
        {
            let history = map
                .get("config")
                .and_then(|c| c.get("keras_history"))
                .and_then(Value::as_array)
                .ok_or_else(|| config_err("model", "tensor without keras_history"))?;
            f(history)
        }
        _ => Ok(()),
    }
}
