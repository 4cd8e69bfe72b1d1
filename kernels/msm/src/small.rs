//! The MSM for a handful of terms: projective buckets, one thread.
//!
//! Below a few hundred terms a batch would hold too few additions to pay for its inversion,
//! so the buckets are projective points and each term costs one mixed addition.

use crate::booth::{digit, window_count};
use crate::curve::MsmCurve;
use crate::prepare::Term;
use crate::reduce::combine_windows;
use halo2curves::group::Group;

/// The window width for `terms` terms: about `log2(terms)`, at least 2.
pub fn window_bits(terms: usize) -> u32 {
    (usize::BITS - terms.leading_zeros()).clamp(2, 8)
}

/// `sum_i |k_i| P_i` with projective buckets.
pub fn msm<C: MsmCurve>(terms: &[[Term<C::Field>; 2]], bits: u32, window_bits: u32) -> C::Curve {
    let windows: Vec<C::Curve> = (0..window_count(bits, window_bits))
        .map(|w| window_sum::<C>(terms, w, window_bits))
        .collect();
    combine_windows(&windows, window_bits)
}

/// `sum_i d_i(w) P_i` for window `w`.
fn window_sum<C: MsmCurve>(
    terms: &[[Term<C::Field>; 2]],
    window: u32,
    window_bits: u32,
) -> C::Curve {
    let mut buckets = vec![C::Curve::identity(); 1 << (window_bits - 1)];
    for term in terms.iter().flatten() {
        let d = digit(&term.magnitude, window, window_bits);
        if d != 0 {
            let point = term.point.signed(d < 0).to_curve::<C>();
            buckets[d.unsigned_abs() as usize - 1] += point;
        }
    }
    let mut running = C::Curve::identity();
    let mut total = C::Curve::identity();
    for bucket in buckets.iter().rev() {
        running += bucket;
        total += running;
    }
    total
}
