//! Fixed-base scalar multiplication for the setup: a table of `k * 2^(8w) * g` for every
//! window `w` and byte value `k`, so each product is 32 table additions instead of 254
//! doublings and additions. Many products are computed in parallel and normalised together.

use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use halo2curves::group::{Curve, Group};
use rayon::prelude::*;

const WINDOW_BITS: usize = 8;
const WINDOWS: usize = 256 / WINDOW_BITS;

/// A precomputed table for one base point.
pub struct FixedBase<G> {
    table: Vec<Vec<G>>,
}

impl<G: Group<Scalar = Fr> + Curve + Send + Sync> FixedBase<G>
where
    G::AffineRepr: Send + Sync + Default + Copy,
{
    /// The table of `base`.
    pub fn new(base: G) -> Self {
        let mut table = Vec::with_capacity(WINDOWS);
        let mut window_base = base;
        for _ in 0..WINDOWS {
            let mut row = Vec::with_capacity(1 << WINDOW_BITS);
            let mut acc = G::identity();
            for _ in 0..1 << WINDOW_BITS {
                row.push(acc);
                acc += window_base;
            }
            table.push(row);
            window_base = acc;
        }
        FixedBase { table }
    }

    /// `scalar * base`.
    pub fn mul(&self, scalar: &Fr) -> G {
        let repr = scalar.to_repr();
        repr.as_ref()
            .iter()
            .zip(&self.table)
            .fold(G::identity(), |acc, (byte, row)| acc + row[*byte as usize])
    }

    /// `s * base` for every `s`, in affine form.
    pub fn mul_all(&self, scalars: &[Fr]) -> Vec<G::AffineRepr> {
        let projective: Vec<G> = scalars.par_iter().map(|s| self.mul(s)).collect();
        let mut affine = vec![G::AffineRepr::default(); projective.len()];
        projective
            .par_chunks(1 << 12)
            .zip(affine.par_chunks_mut(1 << 12))
            .for_each(|(p, a)| G::batch_normalize(p, a));
        affine
    }
}
