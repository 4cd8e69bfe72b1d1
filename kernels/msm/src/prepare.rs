//! The MSM's input as the hot loop wants it: signed affine points with unsigned magnitudes.
//!
//! Zero scalars and points at infinity are dropped. With GLV, each term `k P` becomes
//! `|k1| (+-P) + |k2| (+-phi(P))` (signs moved onto the points, `phi(x, y) = (beta x, y)`);
//! without it, `k P` stays one term with its 254-bit scalar.

use crate::booth::bit_length;
use crate::curve::{Affine, MsmCurve};
use crate::field::MsmField;
use crate::glv::{decompose, to_limbs};
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use rayon::prelude::*;

/// One term of the prepared MSM.
#[derive(Clone, Copy, Debug)]
pub struct Term<F> {
    /// The scalar's magnitude, little-endian limbs.
    pub magnitude: [u64; 4],
    /// The point, its sign already applied.
    pub point: Affine<F>,
}

/// The prepared terms and the bit length of their largest magnitude.
pub struct Prepared<F> {
    /// Two terms per input (`k1 P` and `k2 phi(P)`, or `k P` and nothing without GLV); a term
    /// with magnitude zero stands for nothing (its digits are all zero). Collected in place
    /// in parallel, which dropping the empty terms would not allow.
    pub terms: Vec<[Term<F>; 2]>,
    /// The number of terms with a non-zero magnitude.
    pub count: usize,
    /// The largest magnitude's bit length.
    pub bits: u32,
}

/// The terms of `sum_i scalars[i] bases[i]`, split by GLV when `glv`.
pub fn prepare<C: MsmCurve>(scalars: &[Fr], bases: &[C], glv: bool) -> Prepared<C::Field> {
    let beta = C::endo_beta();
    let terms: Vec<[Term<C::Field>; 2]> = scalars
        .par_iter()
        .zip(bases.par_iter())
        .with_min_len(1024)
        .map(|(k, base)| split::<C>(k, base, glv, &beta))
        .collect();
    let (or, count) = terms
        .par_iter()
        .with_min_len(4096)
        .flat_map_iter(|pair| pair.iter())
        .map(|t| (t.magnitude, usize::from(t.magnitude != [0; 4])))
        .reduce(
            || ([0; 4], 0),
            |(a, m), (b, n)| ([a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3]], m + n),
        );
    Prepared {
        bits: bit_length(&or),
        count,
        terms,
    }
}

/// The two terms of `k P` (zero magnitudes where there is nothing to add).
fn split<C: MsmCurve>(k: &Fr, base: &C, glv: bool, beta: &C::Field) -> [Term<C::Field>; 2] {
    let nothing = Term {
        magnitude: [0; 4],
        point: Affine {
            x: C::Field::ZERO,
            y: C::Field::ZERO,
        },
    };
    let point = match Affine::from_curve(base) {
        Some(point) if !bool::from(k.is_zero()) => point,
        _ => return [nothing, nothing],
    };
    if !glv {
        let magnitude = to_limbs(k);
        return [Term { magnitude, point }, nothing];
    }
    let (k1, k2) = decompose(k);
    // k P = k1 P - k2 phi(P), phi(P) = zeta P.
    let phi = Affine {
        x: point.x * *beta,
        y: point.y,
    };
    let term = |magnitude: u128, point: Affine<C::Field>| Term {
        magnitude: [magnitude as u64, (magnitude >> 64) as u64, 0, 0],
        point,
    };
    [
        term(k1.magnitude, point.signed(k1.negative)),
        term(k2.magnitude, phi.signed(!k2.negative)),
    ]
}
