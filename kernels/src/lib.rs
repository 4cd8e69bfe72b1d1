//! Fixed-point tensor kernels for neurons: every honest machine gets the same bits.
//!
//! Models run in signed Q32.32 fixed point ([`Fx`]). Each operation has a CPU reference
//! ([`cpu::CpuBackend`], multi-threaded, bit-identical for any thread count) and shares one
//! dispatch interface ([`Backend`]) with the CUDA kernels (feature `cuda`, module `cuda`).
//! Nothing here uses floating point inside a model: sums are exact 128-bit integer sums in a
//! fixed order, transcendental functions are integer algorithms ([`nonlinear`]), and results
//! that do not fit saturate and are counted ([`Saturations`]).

pub mod backend;
pub mod cpu;
pub mod fixed;
pub mod layout;
pub mod nonlinear;
pub mod ops;

#[cfg(feature = "cuda")]
pub mod cuda;

pub use backend::{Backend, RecurrentWeights};
pub use cpu::CpuBackend;
pub use fixed::{FixedError, Fx, Saturations};
pub use ops::{Activation, KernelError, Padding, RecurrentShape, Window2d};
