//! The typed errors of the model crate: decoding and checking a model, running it, and
//! importing one from Keras. Every bad input from outside ends in one of these.

use bitai_kernels::layout::GatherError;
use bitai_kernels::KernelError;

/// A model file or model value that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file is larger than the limit.
    #[error("model file of {size} bytes exceeds the limit of {max} bytes")]
    FileTooLarge {
        /// Bytes in the file.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes do not start with the model magic.
    #[error("not a bitai model file (bad magic)")]
    BadMagic,
    /// A format version this build does not read.
    #[error("unsupported model format version {0}")]
    UnsupportedVersion(u16),
    /// The bytes are not a well-formed postcard model.
    #[error("malformed model encoding: {0}")]
    Decode(String),
    /// The bytes decode but are not the canonical encoding (so the content hash would not be
    /// the model's id), or have trailing bytes.
    #[error("model bytes are not in canonical form")]
    NonCanonical,
    /// A count or size above its limit.
    #[error("{what} is {value}, above the limit of {max}")]
    Limit {
        /// What was counted.
        what: &'static str,
        /// The value found.
        value: usize,
        /// The limit.
        max: usize,
    },
    /// A node names an input value that does not exist (yet).
    #[error("node {node} ({name}) refers to value {input}, which is not defined before it")]
    BadReference {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// The missing value index.
        input: u32,
    },
    /// A layer given inputs of shapes it cannot take, or wrong parameters.
    #[error("node {node} ({name}): {reason}")]
    Shape {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A weight tensor of the wrong length.
    #[error("node {node} ({name}): {what} has {actual} values, expected {expected}")]
    WeightLength {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// Which weight.
        what: &'static str,
        /// The length the shapes need.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The model has no inputs or no outputs, or an output refers to nothing.
    #[error("model structure: {0}")]
    Structure(String),
}

/// A failure while running a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The number of inputs given differs from the model's.
    #[error("model takes {expected} inputs, got {actual}")]
    InputCount {
        /// Inputs the model takes.
        expected: usize,
        /// Inputs given.
        actual: usize,
    },
    /// An input of the wrong size.
    #[error("input {index} must hold {expected} values per sample, got {actual}")]
    InputSize {
        /// Which input.
        index: usize,
        /// Values per sample.
        expected: usize,
        /// Values given.
        actual: usize,
    },
    /// A NaN in the input.
    #[error("input {index} holds a NaN at position {position}")]
    NotANumber {
        /// Which input.
        index: usize,
        /// Where.
        position: usize,
    },
    /// An embedding index that is not a row of the table.
    #[error("node {node}: {source}")]
    Gather {
        /// Node index.
        node: usize,
        /// The look-up error.
        source: GatherError,
    },
    /// A kernel refused its buffers (a bug if the model was checked) or the device failed.
    #[error("node {node}: {source}")]
    Kernel {
        /// Node index.
        node: usize,
        /// The kernel's error.
        source: KernelError,
    },
}
