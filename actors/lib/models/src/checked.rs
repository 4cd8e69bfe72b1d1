//! Loading a model from outside: decode with limits, check every shape, compute the id.
//!
//! A [`CheckedModel`] exists only after its bytes passed every check: size, magic, version,
//! canonical postcard encoding, counts, references (each node reads earlier values only),
//! and shape inference for every node with its weight lengths. The executor runs only
//! checked models, so it never meets a shape it did not expect.

use crate::error::ModelError;
use crate::format::{Model, ModelFile, ModelId, FORMAT_VERSION, MAGIC};
use crate::shapes::infer;
use sha2::{Digest, Sha256};

/// Limits on a model taken from outside. Defaults suit the chain's models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest model file, bytes.
    pub file_bytes_max: usize,
    /// Most layers.
    pub nodes_max: usize,
    /// Most model inputs (and outputs).
    pub inputs_max: usize,
    /// Most inputs to one node.
    pub node_inputs_max: usize,
    /// Highest rank of a per-sample tensor.
    pub rank_max: usize,
    /// Most values in one per-sample tensor.
    pub tensor_values_max: usize,
    /// Most weight values in the model.
    pub params_max: usize,
    /// Longest name, bytes.
    pub name_bytes_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes_max: 64 << 20,
            nodes_max: 1024,
            inputs_max: 16,
            node_inputs_max: 16,
            rank_max: 4,
            tensor_values_max: 1 << 24,
            params_max: 8 << 20,
            name_bytes_max: 256,
        }
    }
}

/// A model that passed every check, with its id and the shape of every value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedModel {
    model: Model,
    id: ModelId,
    bytes: Vec<u8>,
    shapes: Vec<Vec<usize>>,
}

fn limit(what: &'static str, value: usize, max: usize) -> Result<(), ModelError> {
    if value > max {
        Err(ModelError::Limit { what, value, max })
    } else {
        Ok(())
    }
}

fn check_shape(shape: &[usize], limits: &Limits) -> Result<(), ModelError> {
    limit("tensor rank", shape.len(), limits.rank_max)?;
    let values = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .unwrap_or(usize::MAX);
    limit("tensor values", values, limits.tensor_values_max)?;
    if values == 0 {
        return Err(ModelError::Structure(format!(
            "empty tensor of shape {shape:?}"
        )));
    }
    Ok(())
}

impl CheckedModel {
    /// Decodes and checks model-file bytes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<CheckedModel, ModelError> {
        limit_file(bytes.len(), limits)?;
        let body = bytes.strip_prefix(&MAGIC).ok_or(ModelError::BadMagic)?;
        // The version is postcard's first field (a varint): read it on its own first, so a
        // future version's body is reported as such rather than as garbage.
        let (version, _) = postcard::take_from_bytes::<u16>(body)
            .map_err(|e| ModelError::Decode(e.to_string()))?;
        if version != FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion(version));
        }
        let file: ModelFile =
            postcard::from_bytes(body).map_err(|e| ModelError::Decode(e.to_string()))?;
        let checked = CheckedModel::new(file.model, limits)?;
        if checked.bytes != bytes {
            return Err(ModelError::NonCanonical);
        }
        Ok(checked)
    }

    /// Checks a model built in memory (by the importer) and encodes it.
    pub fn new(model: Model, limits: &Limits) -> Result<CheckedModel, ModelError> {
        let shapes = check(&model, limits)?;
        let file = ModelFile {
            version: FORMAT_VERSION,
            model,
        };
        let mut bytes = MAGIC.to_vec();
        let body = postcard::to_allocvec(&file).map_err(|e| ModelError::Decode(e.to_string()))?;
        bytes.extend_from_slice(&body);
        limit_file(bytes.len(), limits)?;
        let id = ModelId(Sha256::digest(&bytes).into());
        Ok(CheckedModel {
            model: file.model,
            id,
            bytes,
            shapes,
        })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Its id (SHA-256 of [`Self::bytes`]).
    pub fn id(&self) -> ModelId {
        self.id
    }

    /// Its canonical file bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The shape of value `v` (inputs first, then one per node).
    pub fn shape(&self, v: usize) -> &[usize] {
        &self.shapes[v]
    }

    /// Values per sample of each model input.
    pub fn input_sizes(&self) -> Vec<usize> {
        (0..self.model.inputs.len())
            .map(|i| self.shapes[i].iter().product())
            .collect()
    }

    /// Values per sample of each model output.
    pub fn output_sizes(&self) -> Vec<usize> {
        self.model
            .outputs
            .iter()
            .map(|&o| self.shapes[o as usize].iter().product())
            .collect()
    }

    /// Total weight values.
    pub fn param_count(&self) -> usize {
        self.model.nodes.iter().map(|n| n.layer.param_count()).sum()
    }
}

#[cfg(test)]
mod tests;

fn limit_file(size: usize, limits: &Limits) -> Result<(), ModelError> {
    if size > limits.file_bytes_max {
        return Err(ModelError::FileTooLarge {
            size,
            max: limits.file_bytes_max,
        });
    }
    Ok(())
}

/// Every structural check; returns the shape of every value.
fn check(model: &Model, limits: &Limits) -> Result<Vec<Vec<usize>>, ModelError> {
    limit("model inputs", model.inputs.len(), limits.inputs_max)?;
    limit("model outputs", model.outputs.len(), limits.inputs_max)?;
    limit("nodes", model.nodes.len(), limits.nodes_max)?;
    limit("name length", model.name.len(), limits.name_bytes_max)?;
    if model.inputs.is_empty() || model.outputs.is_empty() {
        return Err(ModelError::Structure(
            "a model needs inputs and outputs".into(),
        ));
    }
    let params: usize = model.nodes.iter().map(|n| n.layer.param_count()).sum();
    limit("weight values", params, limits.params_max)?;
    let mut shapes: Vec<Vec<usize>> = Vec::with_capacity(model.inputs.len() + model.nodes.len());
    for input in &model.inputs {
        limit("name length", input.name.len(), limits.name_bytes_max)?;
        let shape: Vec<usize> = input.shape.iter().map(|&d| d as usize).collect();
        check_shape(&shape, limits)?;
        shapes.push(shape);
    }
    for (index, node) in model.nodes.iter().enumerate() {
        limit("name length", node.name.len(), limits.name_bytes_max)?;
        limit("node inputs", node.inputs.len(), limits.node_inputs_max)?;
        let mut ins: Vec<&[usize]> = Vec::with_capacity(node.inputs.len());
        for &v in &node.inputs {
            let shape = shapes
                .get(v as usize)
                .ok_or_else(|| ModelError::BadReference {
                    node: index,
                    name: node.name.clone(),
                    input: v,
                })?;
            ins.push(shape);
        }
        let out = infer(index, node, &ins)?;
        check_shape(&out, limits)?;
        shapes.push(out);
    }
    for &o in &model.outputs {
        if o as usize >= shapes.len() {
            return Err(ModelError::Structure(format!("output {o} is not a value")));
        }
    }
    Ok(shapes)
}
