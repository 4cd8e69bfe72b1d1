//! The model format: a graph of layers with Q32.32 weights, postcard-encoded and versioned.
//!
//! A model file is `MAGIC`, then the postcard encoding of a [`ModelFile`] (format version
//! and [`Model`]). Values are numbered: `0..inputs.len()` are the model inputs, then node
//! `i` produces value `inputs.len() + i`; a node may only read values numbered below its
//! own, so the list is already in execution order. Shapes are per sample (no batch axis).
//! The SHA-256 of the file's bytes is the model's id, the one the chain stores; decoding
//! accepts only the canonical encoding, so one model has one id. The encoding includes
//! `bitai_kernels`' `Activation` and `Padding`: append variants, never reorder them, and
//! bump [`FORMAT_VERSION`] for any change (the fixture tests pin the ids of real models).

use bitai_kernels::{Activation, Fx, Padding};
use serde::{Deserialize, Serialize};

/// The first bytes of every model file.
pub const MAGIC: [u8; 8] = *b"BITAIMDL";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// A model's id: the SHA-256 of its encoded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ModelId(pub [u8; 32]);

impl std::fmt::Display for ModelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// What follows the magic in a model file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Format version, [`FORMAT_VERSION`].
    pub version: u16,
    /// The model.
    pub model: Model,
}

/// A model: inputs, layers in execution order, and the values it returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// A human name (not part of any check).
    pub name: String,
    /// The inputs, with their per-sample shapes.
    pub inputs: Vec<InputSpec>,
    /// The layers, each reading earlier values.
    pub nodes: Vec<Node>,
    /// The values returned, in order.
    pub outputs: Vec<u32>,
}

/// One model input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Its name.
    pub name: String,
    /// Its per-sample shape.
    pub shape: Vec<u32>,
}

/// One layer application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The layer's name (from Keras).
    pub name: String,
    /// What it computes, with its weights.
    pub layer: Layer,
    /// The values it reads.
    pub inputs: Vec<u32>,
}

/// A 2-D window's parameters: (height, width) pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Kernel or pool size.
    pub size: (u32, u32),
    /// Strides.
    pub strides: (u32, u32),
    /// Dilation (1 for pooling).
    pub dilation: (u32, u32),
    /// Border handling.
    pub padding: Padding,
}

/// Weights of a recurrent layer in Keras' layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrentParams {
    /// State size.
    pub units: u32,
    /// Output every step (true) or the last state (false).
    pub return_sequences: bool,
    /// Input kernel, `input_dim x gates*units`.
    pub kernel: Vec<Fx>,
    /// Recurrent kernel, `units x gates*units`.
    pub recurrent: Vec<Fx>,
    /// Bias, `gates*units`.
    pub bias: Option<Vec<Fx>>,
}

/// The layers a model may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layer {
    /// Fully connected over the last axis: kernel `in x units`.
    Dense {
        /// Output width.
        units: u32,
        /// Activation after the bias.
        activation: Activation,
        /// Kernel, `in x units`.
        kernel: Vec<Fx>,
        /// Bias, `units`.
        bias: Option<Vec<Fx>>,
    },
    /// 2-D convolution, kernel `kh x kw x in x filters`.
    Conv2D {
        /// Output channels.
        filters: u32,
        /// The window.
        window: Window,
        /// Activation after the bias.
        activation: Activation,
        /// Kernel.
        kernel: Vec<Fx>,
        /// Bias, `filters`.
        bias: Option<Vec<Fx>>,
    },
    /// Depthwise 2-D convolution, kernel `kh x kw x in x multiplier`.
    DepthwiseConv2D {
        /// Outputs per input channel.
        depth_multiplier: u32,
        /// The window.
        window: Window,
        /// Activation after the bias.
        activation: Activation,
        /// Kernel.
        kernel: Vec<Fx>,
        /// Bias, `in * multiplier`.
        bias: Option<Vec<Fx>>,
    },
    /// Max pooling.
    MaxPooling2D(Window),
    /// Average pooling.
    AveragePooling2D(Window),
    /// Mean over height and width.
    GlobalAveragePooling2D {
        /// Keep the pooled axes as size 1.
        keepdims: bool,
    },
    /// Zero padding: top, bottom, left, right.
    ZeroPadding2D {
        /// Rows above and below, columns left and right.
        padding: [u32; 4],
    },
    /// To one axis.
    Flatten,
    /// To a given shape (with at most one -1 to infer).
    Reshape {
        /// The target shape.
        target_shape: Vec<i64>,
    },
    /// `x * scale + offset`, scalars or per channel.
    Rescaling {
        /// Scale: one value or one per channel.
        scale: Vec<Fx>,
        /// Offset: one value or one per channel.
        offset: Vec<Fx>,
    },
    /// Inference batch normalisation over the last axis.
    BatchNormalization {
        /// Added to the variance.
        epsilon: Fx,
        /// Scale (gamma), or none for 1.
        gamma: Option<Vec<Fx>>,
        /// Offset (beta), or none for 0.
        beta: Option<Vec<Fx>>,
        /// Moving mean.
        moving_mean: Vec<Fx>,
        /// Moving variance.
        moving_variance: Vec<Fx>,
    },
    /// Elementwise sum of two or more inputs of one shape.
    Add,
    /// Elementwise product of two or more inputs of one shape.
    Multiply,
    /// Concatenation along an axis (negative counts from the end, batch axis excluded).
    Concatenate {
        /// The axis.
        axis: i32,
    },
    /// The identity (dropout does nothing at inference).
    Dropout,
    /// Table look-up: indices to rows of `input_dim x output_dim`.
    Embedding {
        /// Rows.
        input_dim: u32,
        /// Row width.
        output_dim: u32,
        /// The table.
        table: Vec<Fx>,
    },
    /// Keras SimpleRNN.
    SimpleRnn {
        /// Activation of the state.
        activation: Activation,
        /// Weights.
        params: RecurrentParams,
    },
    /// Keras LSTM.
    Lstm {
        /// Activation of the cell input and output.
        activation: Activation,
        /// Activation of the gates.
        recurrent_activation: Activation,
        /// Weights.
        params: RecurrentParams,
    },
    /// An activation on its own (ReLU, LeakyReLU, Softmax, Activation layers).
    Activation(Activation),
}

impl Layer {
    /// The layer kind's name, for messages and `model info`.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Dense { .. } => "Dense",
            Layer::Conv2D { .. } => "Conv2D",
            Layer::DepthwiseConv2D { .. } => "DepthwiseConv2D",
            Layer::MaxPooling2D(_) => "MaxPooling2D",
            Layer::AveragePooling2D(_) => "AveragePooling2D",
            Layer::GlobalAveragePooling2D { .. } => "GlobalAveragePooling2D",
            Layer::ZeroPadding2D { .. } => "ZeroPadding2D",
            Layer::Flatten => "Flatten",
            Layer::Reshape { .. } => "Reshape",
            Layer::Rescaling { .. } => "Rescaling",
            Layer::BatchNormalization { .. } => "BatchNormalization",
            Layer::Add => "Add",
            Layer::Multiply => "Multiply",
            Layer::Concatenate { .. } => "Concatenate",
            Layer::Dropout => "Dropout",
            Layer::Embedding { .. } => "Embedding",
            Layer::SimpleRnn { .. } => "SimpleRNN",
            Layer::Lstm { .. } => "LSTM",
            Layer::Activation(_) => "Activation",
        }
    }

    /// Number of weight values.
    pub fn param_count(&self) -> usize {
        let opt = |v: &Option<Vec<Fx>>| v.as_ref().map_or(0, Vec::len);
        match self {
            Layer::Dense { kernel, bias, .. }
            | Layer::Conv2D { kernel, bias, .. }
            | Layer::DepthwiseConv2D { kernel, bias, .. } => kernel.len() + opt(bias),
            Layer::Rescaling { scale, offset } => scale.len() + offset.len(),
            Layer::BatchNormalization {
                gamma,
                beta,
                moving_mean,
                moving_variance,
                ..
            } => opt(gamma) + opt(beta) + moving_mean.len() + moving_variance.len(),
            Layer::Embedding { table, .. } => table.len(),
            Layer::SimpleRnn { params, .. } | Layer::Lstm { params, .. } => {
                params.kernel.len() + params.recurrent.len() + opt(&params.bias)
            }
            _ => 0,
        }
    }
}
