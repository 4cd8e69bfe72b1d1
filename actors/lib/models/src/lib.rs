//! On-chain AI models ("Eternals"): the model format, its checks, the executor, and the
//! Keras importer.
//!
//! A model is a graph of layers with Q32.32 weights ([`format`]), stored as a versioned
//! postcard file whose SHA-256 is its id. Bytes from outside become a [`CheckedModel`] only
//! after every limit and shape check ([`checked`]); the [`Executor`] runs checked models on
//! any [`bitai_kernels::Backend`], giving the same bits on each. [`keras::import`] converts
//! a Keras 3 model (JSON config plus float32 weights).

pub mod checked;
pub mod error;
pub mod executor;
pub mod format;
pub mod keras;
pub mod shapes;

pub use checked::{CheckedModel, Limits};
pub use error::{ModelError, RunError};
pub use executor::{Executor, RunOutput};
pub use format::{Layer, Model, ModelId};
pub use keras::{import, ImportError};
