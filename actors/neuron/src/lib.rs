//! Neurons: the miners of an AI chain. A neuron watches the chain for the inference requests
//! it is assigned, runs the request's model on its input (GPU where present, otherwise CPU,
//! with the same bits either way), commits to the canonical output, reveals it once reveals
//! are open, and is paid when its answer agrees with another seat's (or slashed when it does
//! not). See `docs/neurons.md` for the whole picture.
//!
//! - [`port`]: how a neuron sees its chain ([`ChainPort`]);
//! - [`output`]: the canonical output bytes and the `f32` file `bitai model run` writes;
//! - [`ops`]: the signed ops, salts and [`register_op`];
//! - [`config`]: tunables, backend choice and start-up arguments;
//! - [`store`]: the persisted record of each seat;
//! - [`cache`]: decoded models by hash;
//! - [`core`]: what a tick does;
//! - [`actor`]: the ractor actor;
//! - [`metrics`]: its Prometheus metrics;
//! - [`remote`]: neurons on other machines: the cluster port, the link and the chain node's
//!   gateway;
//! - `testing` (feature `testing`): a [`ChainPort`] over a real state transition.

pub mod actor;
pub mod cache;
pub mod config;
pub mod core;
pub mod metrics;
pub mod ops;
pub mod output;
pub mod port;
pub mod remote;
pub mod store;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use actor::{Neuron, NeuronMsg};
pub use config::{BackendChoice, NeuronArgs, NeuronConfig, NeuronFaults};
pub use core::{NeuronCore, NeuronError, TickReport};
pub use metrics::NeuronMetrics;
pub use ops::{derive_salt, register_op};
pub use output::{canonical_output, output_to_f32_file, CanonicalOutput, Refusal};
pub use port::{ChainPort, NeuronPortError};

#[cfg(test)]
mod tests;
