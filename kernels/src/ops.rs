//! The parameters of tensor operations: window geometry for convolutions and pooling,
//! activations, recurrent-layer shapes, and the kernels' error type.
//!
//! Tensors are plain row-major slices of [`Fx`]; images are one sample in height x width x
//! channels order (Keras' `channels_last`). A geometry is checked once when it is built, so
//! a kernel can trust it.

use crate::fixed::Fx;
use serde::{Deserialize, Serialize};

/// Errors from the kernels: bad geometry, buffers of the wrong length, device failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// A window geometry that yields no output or overflows.
    #[error("invalid geometry: {0}")]
    Geometry(String),
    /// A buffer does not have the length the operation needs.
    #[error("{what}: expected {expected} values, got {actual}")]
    Length {
        /// Which buffer.
        what: &'static str,
        /// The length the operation needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    ThreadPool(String),
    /// The CUDA device or driver failed.
    #[error("cuda: {0}")]
    Cuda(String),
}

/// Checks a buffer length.
pub fn check_len(what: &'static str, actual: usize, expected: usize) -> Result<(), KernelError> {
    if actual == expected {
        Ok(())
    } else {
        Err(KernelError::Length {
            what,
            expected,
            actual,
        })
    }
}

/// How a window treats the border (Keras' `padding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Padding {
    /// No padding: windows lie wholly inside the input.
    Valid,
    /// Output size ceil(input / stride); the padding is split, the extra cell at the end.
    Same,
}

/// The geometry of a 2-D sliding window over an H x W x C image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window2d {
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Input channels.
    pub channels: usize,
    /// Window height.
    pub kernel_h: usize,
    /// Window width.
    pub kernel_w: usize,
    /// Vertical stride.
    pub stride_h: usize,
    /// Horizontal stride.
    pub stride_w: usize,
    /// Vertical dilation.
    pub dilation_h: usize,
    /// Horizontal dilation.
    pub dilation_w: usize,
    /// Rows of padding above.
    pub pad_top: usize,
    /// Columns of padding on the left.
    pub pad_left: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
}

/// The largest dimension a window geometry accepts.
pub const WINDOW_DIM_MAX: usize = 1 << 16;

fn out_len(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: Padding,
) -> (usize, usize) {
    let span = (kernel - 1) * dilation + 1;
    match padding {
        Padding::Valid => {
            if input < span {
                (0, 0)
            } else {
                ((input - span) / stride + 1, 0)
            }
        }
        Padding::Same => {
            let out = input.div_ceil(stride);
            let needed = ((out - 1) * stride + span).saturating_sub(input);
            (out, needed / 2)
        }
    }
}

impl Window2d {
    /// Builds a geometry: `kernel`, `stride` and `dilation` are (height, width).
    pub fn new(
        in_hw: (usize, usize),
        channels: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        dilation: (usize, usize),
        padding: Padding,
    ) -> Result<Window2d, KernelError> {
        let dims = [
            in_hw.0, in_hw.1, channels, kernel.0, kernel.1, stride.0, stride.1, dilation.0,
            dilation.1,
        ];
        if dims.iter().any(|&d| d == 0 || d > WINDOW_DIM_MAX) {
            return Err(KernelError::Geometry(format!(
                "every size must be in 1..={WINDOW_DIM_MAX}: input {in_hw:?}x{channels}, \
                 kernel {kernel:?}, stride {stride:?}, dilation {dilation:?}"
            )));
        }
        let (out_h, pad_top) = out_len(in_hw.0, kernel.0, stride.0, dilation.0, padding);
        let (out_w, pad_left) = out_len(in_hw.1, kernel.1, stride.1, dilation.1, padding);
        if out_h == 0 || out_w == 0 {
            return Err(KernelError::Geometry(format!(
                "window {kernel:?} (dilation {dilation:?}) larger than input {in_hw:?}"
            )));
        }
        Ok(Window2d {
            in_h: in_hw.0,
            in_w: in_hw.1,
            channels,
            kernel_h: kernel.0,
            kernel_w: kernel.1,
            stride_h: stride.0,
            stride_w: stride.1,
            dilation_h: dilation.0,
            dilation_w: dilation.1,
            pad_top,
            pad_left,
            out_h,
            out_w,
        })
    }

    /// Number of input values (H x W x C).
    pub fn input_len(&self) -> usize {
        self.in_h * self.in_w * self.channels
    }

    /// The input row for output row `oy` and kernel row `ky`, or None in the padding.
    #[inline]
    pub fn in_row(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.stride_h + ky * self.dilation_h)
            .checked_sub(self.pad_top)
            .filter(|&y| y < self.in_h)
    }

    /// The input column for output column `ox` and kernel column `kx`, or None.
    #[inline]
    pub fn in_col(&self, ox: usize, kx: usize) -> Option<usize> {
        (ox * self.stride_w + kx * self.dilation_w)
            .checked_sub(self.pad_left)
            .filter(|&x| x < self.in_w)
    }

    /// Calls `visit(tap, input_offset)` for every kernel tap of output pixel (oy, ox) that
    /// falls inside the input, in row-major tap order (the fixed order every kernel reduces
    /// in): `tap` is `ky * kernel_w + kx`, `input_offset` the index of the input pixel's
    /// channel 0.
    #[inline]
    pub fn for_each_tap(&self, oy: usize, ox: usize, mut visit: impl FnMut(usize, usize)) {
        for ky in 0..self.kernel_h {
            let Some(iy) = self.in_row(oy, ky) else {
                continue;
            };
            for kx in 0..self.kernel_w {
                let Some(ix) = self.in_col(ox, kx) else {
                    continue;
                };
                visit(
                    ky * self.kernel_w + kx,
                    (iy * self.in_w + ix) * self.channels,
                );
            }
        }
    }
}

/// An activation function, applied after a layer or as a layer of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// The identity.
    Linear,
    /// Keras' `relu`: below `threshold`, `negative_slope * (x - threshold)`; above, x capped
    /// at `max_value` when there is one.
    Relu {
        /// Slope below the threshold (0 for plain ReLU).
        negative_slope: Fx,
        /// Cap, if any.
        max_value: Option<Fx>,
        /// Where the slope changes (0 for plain ReLU).
        threshold: Fx,
    },
    /// `x` for x >= 0, `alpha * x` below.
    LeakyRelu {
        /// Slope below zero.
        alpha: Fx,
    },
    /// The logistic function.
    Sigmoid,
    /// The hyperbolic tangent.
    Tanh,
    /// Softmax over the last axis.
    Softmax,
}

impl Activation {
    /// Plain ReLU, max(x, 0).
    pub const RELU: Activation = Activation::Relu {
        negative_slope: Fx::ZERO,
        max_value: None,
        threshold: Fx::ZERO,
    };
}

/// The shape of a recurrent layer over one sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecurrentShape {
    /// Time steps.
    pub steps: usize,
    /// Features per step.
    pub input_dim: usize,
    /// Units (state size).
    pub units: usize,
    /// Output every step's state (true) or only the last (false).
    pub return_sequences: bool,
}

impl RecurrentShape {
    /// Length of the output buffer.
    pub fn output_len(&self) -> usize {
        if self.return_sequences {
            self.steps * self.units
        } else {
            self.units
        }
    }
}
