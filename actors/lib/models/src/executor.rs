//! Running a checked model on a backend: one sample at a time, every value kept until the
//! end (models here are small), saturations added up.
//!
//! Floating point appears only at the edges: [`Executor::run_f32`] converts inputs with
//! [`Fx::from_f32`] (exact scaling, one rounding) and outputs with [`Fx::to_f32`]. Inside,
//! each layer calls the backend's kernels, so the result is the same on every backend.

use crate::checked::CheckedModel;
use crate::error::RunError;
use crate::format::{Layer, Window};
use crate::shapes::{concat_axis, window2d};
use bitai_kernels::layout::{concat, gather_rows, zero_pad2d};
use bitai_kernels::nonlinear::rsqrt;
use bitai_kernels::{Activation, Backend, Fx, KernelError, RecurrentShape, RecurrentWeights};

/// What one run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutput {
    /// One buffer per model output, row-major in the output's shape.
    pub outputs: Vec<Vec<Fx>>,
    /// How many results saturated along the way.
    pub saturations: u64,
}

/// Runs one checked model on one backend.
pub struct Executor<'a> {
    model: &'a CheckedModel,
    backend: &'a dyn Backend,
}

impl<'a> Executor<'a> {
    /// An executor of `model` on `backend`.
    pub fn new(model: &'a CheckedModel, backend: &'a dyn Backend) -> Executor<'a> {
        Executor { model, backend }
    }

    /// Runs one sample given as `f32` per input; returns `f32` per output and the count of
    /// saturations.
    pub fn run_f32(&self, inputs: &[&[f32]]) -> Result<(Vec<Vec<f32>>, u64), RunError> {
        let mut fx_inputs = Vec::with_capacity(inputs.len());
        for (index, input) in inputs.iter().enumerate() {
            let mut buf = Vec::with_capacity(input.len());
            for (position, &v) in input.iter().enumerate() {
                let (fx, _) =
                    Fx::from_f32(v).map_err(|_| RunError::NotANumber { index, position })?;
                buf.push(fx);
            }
            fx_inputs.push(buf);
        }
        let out = self.run(fx_inputs)?;
        let floats = out
            .outputs
            .iter()
            .map(|o| o.iter().map(|v| v.to_f32()).collect())
            .collect();
        Ok((floats, out.saturations))
    }

    /// Runs one sample in fixed point.
    pub fn run(&self, inputs: Vec<Vec<Fx>>) -> Result<RunOutput, RunError> {
        let model = self.model.model();
        if inputs.len() != model.inputs.len() {
            return Err(RunError::InputCount {
                expected: model.inputs.len(),
                actual: inputs.len(),
            });
        }
        for (index, (input, size)) in inputs.iter().zip(self.model.input_sizes()).enumerate() {
            if input.len() != size {
                return Err(RunError::InputSize {
                    index,
                    expected: size,
                    actual: input.len(),
                });
            }
        }
        let mut values = inputs;
        let mut saturations = 0u64;
        let first_node_value = model.inputs.len();
        for (index, node) in model.nodes.iter().enumerate() {
            let ins: Vec<&[Fx]> = node
                .inputs
                .iter()
                .map(|&v| values[v as usize].as_slice())
                .collect();
            let shapes: Vec<&[usize]> = node
                .inputs
                .iter()
                .map(|&v| self.model.shape(v as usize))
                .collect();
            let out_shape = self.model.shape(first_node_value + index);
            let mut out = vec![Fx::ZERO; out_shape.iter().product()];
            let sats = self
                .layer(&node.layer, &ins, &shapes, &mut out)
                .map_err(|e| e.at(index))?;
            saturations += sats;
            values.push(out);
        }
        let outputs = model
            .outputs
            .iter()
            .map(|&o| values[o as usize].clone())
            .collect();
        Ok(RunOutput {
            outputs,
            saturations,
        })
    }

    fn layer(
        &self,
        layer: &Layer,
        ins: &[&[Fx]],
        shapes: &[&[usize]],
        out: &mut [Fx],
    ) -> Result<u64, LayerError> {
        let be = self.backend;
        let (x, shape) = (ins[0], shapes[0]);
        let last = shape.last().copied().unwrap_or(1);
        let image = || (shape[0], shape[1], shape[2]);
        let geometry = |w: &Window| {
            window2d(w, image()).map_err(|e| LayerError::Kernel(KernelError::Geometry(e)))
        };
        let then = |act: Activation, out: &mut [Fx], sats: u64| -> Result<u64, LayerError> {
            let last = out_last(out.len(), last, act);
            Ok(sats + be.activation(act, out, last)?.0)
        };
        match layer {
            Layer::Dense {
                units,
                activation,
                kernel,
                bias,
            } => {
                let rows = x.len() / last;
                let units = *units as usize;
                let s = be.dense(x, rows, last, units, kernel, bias.as_deref(), out)?;
                let s2 = be.activation(*activation, out, units)?;
                Ok(s.0 + s2.0)
            }
            Layer::Conv2D {
                filters,
                window,
                activation,
                kernel,
                bias,
            } => {
                let g = geometry(window)?;
                let f = *filters as usize;
                let s = be.conv2d(x, &g, f, kernel, bias.as_deref(), out)?;
                Ok(s.0 + be.activation(*activation, out, f)?.0)
            }
            Layer::DepthwiseConv2D {
                depth_multiplier,
                window,
                activation,
                kernel,
                bias,
            } => {
                let g = geometry(window)?;
                let m = *depth_multiplier as usize;
                let s = be.depthwise_conv2d(x, &g, m, kernel, bias.as_deref(), out)?;
                Ok(s.0 + be.activation(*activation, out, g.channels * m)?.0)
            }
            Layer::MaxPooling2D(window) => {
                be.max_pool2d(x, &geometry(window)?, out)?;
                Ok(0)
            }
            Layer::AveragePooling2D(window) => {
                be.avg_pool2d(x, &geometry(window)?, out)?;
                Ok(0)
            }
            Layer::GlobalAveragePooling2D { .. } => {
                let (h, w, c) = image();
                be.global_avg_pool(x, h * w, c, out)?;
                Ok(0)
            }
            Layer::ZeroPadding2D { padding } => {
                let p = padding.map(|v| v as usize);
                zero_pad2d(x, image(), (p[0], p[1]), (p[2], p[3]), out)?;
                Ok(0)
            }
            Layer::Flatten | Layer::Reshape { .. } | Layer::Dropout => {
                out.copy_from_slice(x);
                Ok(0)
            }
            Layer::Rescaling { scale, offset } => {
                out.copy_from_slice(x);
                let c = scale.len().max(offset.len());
                let widen = |v: &[Fx]| {
                    if v.len() == c {
                        v.to_vec()
                    } else {
                        vec![v[0]; c]
                    }
                };
                Ok(be.affine_channels(out, &widen(scale), &widen(offset))?.0)
            }
            Layer::BatchNormalization {
                epsilon,
                gamma,
                beta,
                moving_mean,
                moving_variance,
            } => {
                out.copy_from_slice(x);
                let (scale, shift, sats) =
                    batch_norm_affine(*epsilon, gamma, beta, moving_mean, moving_variance);
                Ok(sats + be.affine_channels(out, &scale, &shift)?.0)
            }
            Layer::Add | Layer::Multiply => {
                let mut sats = 0;
                out.copy_from_slice(x);
                let mut acc = vec![Fx::ZERO; out.len()];
                for other in &ins[1..] {
                    acc.copy_from_slice(out);
                    sats += if matches!(layer, Layer::Add) {
                        be.add(&acc, other, out)?.0
                    } else {
                        be.multiply(&acc, other, out)?.0
                    };
                }
                Ok(sats)
            }
            Layer::Concatenate { axis } => {
                let a = concat_axis(*axis, shape.len());
                let outer: usize = shape[..a].iter().product();
                let inners: Vec<usize> = shapes.iter().map(|s| s[a..].iter().product()).collect();
                concat(ins, outer, &inners, out)?;
                Ok(0)
            }
            Layer::Embedding {
                input_dim,
                output_dim,
                table,
            } => {
                gather_rows(x, table, *input_dim as usize, *output_dim as usize, out)
                    .map_err(LayerError::Gather)?;
                Ok(0)
            }
            Layer::SimpleRnn { activation, params }
            | Layer::Lstm {
                activation, params, ..
            } => {
                let rshape = RecurrentShape {
                    steps: shape[0],
                    input_dim: shape[1],
                    units: params.units as usize,
                    return_sequences: params.return_sequences,
                };
                let w = RecurrentWeights {
                    kernel: &params.kernel,
                    recurrent: &params.recurrent,
                    bias: params.bias.as_deref(),
                };
                let s = match layer {
                    Layer::Lstm {
                        recurrent_activation,
                        ..
                    } => be.lstm(x, &rshape, &w, *activation, *recurrent_activation, out)?,
                    _ => be.simple_rnn(x, &rshape, &w, *activation, out)?,
                };
                Ok(s.0)
            }
            Layer::Activation(act) => {
                out.copy_from_slice(x);
                then(*act, out, 0)
            }
        }
    }
}

/// Softmax rows are the last axis; other activations do not care.
fn out_last(len: usize, last: usize, act: Activation) -> usize {
    if act == Activation::Softmax {
        last
    } else {
        len.max(1)
    }
}

/// Folds inference batch normalisation into `x * scale + shift` per channel, in fixed point:
/// `scale = gamma * rsqrt(variance + epsilon)`, `shift = beta - mean * scale`.
pub fn batch_norm_affine(
    epsilon: Fx,
    gamma: &Option<Vec<Fx>>,
    beta: &Option<Vec<Fx>>,
    mean: &[Fx],
    variance: &[Fx],
) -> (Vec<Fx>, Vec<Fx>, u64) {
    let mut sats = 0u64;
    let mut count = |s: bool| sats += u64::from(s);
    let mut scale = Vec::with_capacity(mean.len());
    let mut shift = Vec::with_capacity(mean.len());
    for c in 0..mean.len() {
        let (var_eps, s1) = variance[c].add_sat(epsilon);
        let (r, s2) = rsqrt(var_eps);
        let g = gamma.as_ref().map_or(Fx::ONE, |g| g[c]);
        let (a, s3) = g.mul_sat(r);
        let (m, s4) = mean[c].mul_sat(a);
        let (b, s5) = beta.as_ref().map_or(Fx::ZERO, |b| b[c]).sub_sat(m);
        for s in [s1, s2, s3, s4, s5] {
            count(s);
        }
        scale.push(a);
        shift.push(b);
    }
    (scale, shift, sats)
}

/// A layer's failure before it knows its node index.
enum LayerError {
    Kernel(KernelError),
    Gather(bitai_kernels::layout::GatherError),
}

impl From<KernelError> for LayerError {
    fn from(e: KernelError) -> Self {
        LayerError::Kernel(e)
    }
}

impl LayerError {
    fn at(self, node: usize) -> RunError {
        match self {
            LayerError::Kernel(source) => RunError::Kernel { node, source },
            LayerError::Gather(source) => RunError::Gather { node, source },
        }
    }
}

#[cfg(test)]
mod tests;
