//! The dispatch interface shared by the CPU reference and the CUDA kernels.
//!
//! Every method computes one operation on one sample, writes `out` and returns how many
//! results saturated. Implementations must give the same bits as the CPU reference for every
//! input: the CPU one is the definition. A backend that has no kernel of its own for an
//! operation keeps the provided method, which runs the single-threaded CPU reference.

use crate::cpu::{elementwise, linear, pool, recurrent};
use crate::fixed::{Fx, Saturations};
use crate::ops::{Activation, KernelError, RecurrentShape, Window2d};

/// Weights of a recurrent layer, in Keras' layout.
#[derive(Clone, Copy, Debug)]
pub struct RecurrentWeights<'a> {
    /// Input kernel, `input_dim x (gates * units)`.
    pub kernel: &'a [Fx],
    /// Recurrent kernel, `units x (gates * units)`.
    pub recurrent: &'a [Fx],
    /// Bias, `gates * units`, if the layer has one.
    pub bias: Option<&'a [Fx]>,
}

/// One tensor-operation backend (CPU or a GPU).
pub trait Backend: Send + Sync {
    /// A short human name, e.g. `cpu(2 threads)`.
    fn name(&self) -> String;

    /// `out[r, j] = sum_i x[r, i] * kernel[i, j] + bias[j]` for `rows` rows.
    #[allow(clippy::too_many_arguments)]
    fn dense(
        &self,
        x: &[Fx],
        rows: usize,
        in_dim: usize,
        out_dim: usize,
        kernel: &[Fx],
        bias: Option<&[Fx]>,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError>;

    /// 2-D convolution; `kernel` is `kh x kw x channels x filters` (Keras' layout).
    fn conv2d(
        &self,
        x: &[Fx],
        geom: &Window2d,
        filters: usize,
        kernel: &[Fx],
        bias: Option<&[Fx]>,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError>;

    /// Depthwise 2-D convolution; `kernel` is `kh x kw x channels x multiplier`, output
    /// channel `c * multiplier + m`.
    fn depthwise_conv2d(
        &self,
        x: &[Fx],
        geom: &Window2d,
        multiplier: usize,
        kernel: &[Fx],
        bias: Option<&[Fx]>,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        linear::check_depthwise(x, geom, multiplier, kernel, bias, out)?;
        Ok(linear::depthwise_rows(
            x, geom, multiplier, kernel, bias, 0, out,
        ))
    }

    /// Max pooling (padding cells are ignored).
    fn max_pool2d(&self, x: &[Fx], geom: &Window2d, out: &mut [Fx]) -> Result<(), KernelError> {
        pool::check_pool(x, geom, out)?;
        pool::max_pool_rows(x, geom, 0, out);
        Ok(())
    }

    /// Average pooling (the mean of the cells inside the input, rounded half away from 0).
    fn avg_pool2d(&self, x: &[Fx], geom: &Window2d, out: &mut [Fx]) -> Result<(), KernelError> {
        pool::check_pool(x, geom, out)?;
        pool::avg_pool_rows(x, geom, 0, out);
        Ok(())
    }

    /// Mean over `positions` for each of `channels` (input `positions x channels`).
    fn global_avg_pool(
        &self,
        x: &[Fx],
        positions: usize,
        channels: usize,
        out: &mut [Fx],
    ) -> Result<(), KernelError> {
        pool::global_avg_pool(x, positions, channels, out)
    }

    /// Applies `act` in place; softmax works on consecutive runs of `last_dim` values.
    fn activation(
        &self,
        act: Activation,
        data: &mut [Fx],
        last_dim: usize,
    ) -> Result<Saturations, KernelError> {
        elementwise::activation(act, data, last_dim)
    }

    /// `data[p, c] = data[p, c] * scale[c] + shift[c]` (channels last; `scale` and `shift`
    /// have the same length, which divides `data`'s).
    fn affine_channels(
        &self,
        data: &mut [Fx],
        scale: &[Fx],
        shift: &[Fx],
    ) -> Result<Saturations, KernelError> {
        elementwise::affine_channels(data, scale, shift)
    }

    /// Elementwise sum `a + b`.
    fn add(&self, a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
        elementwise::add(a, b, out)
    }

    /// Elementwise product `a * b`.
    fn multiply(&self, a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
        elementwise::multiply(a, b, out)
    }

    /// Keras `SimpleRNN` over one sequence (`steps x input_dim`), state starting at zero.
    fn simple_rnn(
        &self,
        x: &[Fx],
        shape: &RecurrentShape,
        weights: &RecurrentWeights<'_>,
        activation: Activation,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        recurrent::simple_rnn(x, shape, weights, activation, out)
    }

    /// Keras `LSTM` over one sequence; gates in Keras' order i, f, c, o.
    fn lstm(
        &self,
        x: &[Fx],
        shape: &RecurrentShape,
        weights: &RecurrentWeights<'_>,
        activation: Activation,
        recurrent_activation: Activation,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        recurrent::lstm(x, shape, weights, activation, recurrent_activation, out)
    }
}
