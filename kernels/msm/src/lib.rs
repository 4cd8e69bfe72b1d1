//! Multi-scalar multiplication (MSM) on BN254 G1 and G2: `sum_i k_i P_i`.
//!
//! The Pippenger bucket method with GLV decomposition (each 254-bit scalar becomes two
//! 128-bit ones on `P` and `phi(P)`), signed Booth digits (half the buckets), and
//! batch-affine bucket accumulation (Montgomery's batch inversion over many bucket additions
//! at once), split into tasks of one window and one bucket range that rayon runs in parallel.
//! See `README.md` beside this crate for the choices and their measurements.

mod booth;
mod buckets;
mod curve;
pub mod field;
mod glv;
mod msm;
mod plan;
mod prepare;
mod reduce;
mod small;
mod xyzz;

pub use curve::MsmCurve;
pub use glv::{decompose, Half};
pub use plan::Plan;

use halo2curves::bn256::{Fr, G1Affine, G2Affine, G1, G2};

/// Knobs of the MSM; [`MsmConfig::default`] is what [`msm_g1`] and [`msm_g2`] use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsmConfig {
    /// Split each scalar with the GLV endomorphism (default: yes).
    pub glv: bool,
    /// Fix the window width (default: chosen by the cost model, see [`Plan`]).
    pub window_bits: Option<u32>,
    /// Fix the batch size (default: chosen with the window).
    pub batch_size: Option<usize>,
    /// Fix the number of bucket ranges per window (default: chosen by the cost model).
    pub splits: Option<u32>,
    /// Below this many terms (after GLV), use projective buckets on one thread.
    pub small_below: usize,
}

impl Default for MsmConfig {
    fn default() -> Self {
        Self {
            glv: true,
            window_bits: None,
            batch_size: None,
            splits: None,
            small_below: 256,
        }
    }
}

/// `sum_i scalars[i] bases[i]` in G1.
///
/// # Panics
/// If `scalars` and `bases` differ in length.
pub fn msm_g1(scalars: &[Fr], bases: &[G1Affine]) -> G1 {
    msm::msm_with(scalars, bases, &MsmConfig::default())
}

/// `sum_i scalars[i] bases[i]` in G2.
///
/// # Panics
/// If `scalars` and `bases` differ in length.
pub fn msm_g2(scalars: &[Fr], bases: &[G2Affine]) -> G2 {
    msm::msm_with(scalars, bases, &MsmConfig::default())
}

/// `sum_i scalars[i] bases[i]` in G1 or G2, with explicit knobs.
///
/// # Panics
/// If `scalars` and `bases` differ in length.
pub fn msm_with<C: MsmCurve>(scalars: &[Fr], bases: &[C], config: &MsmConfig) -> C::Curve {
    msm::msm_with(scalars, bases, config)
}
