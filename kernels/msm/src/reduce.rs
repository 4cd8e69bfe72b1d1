//! From buckets to the MSM: each range's weighted bucket sum, then the windows' sum.
//!
//! A range `[lo, lo + len)` of buckets holding `B_b` (for digit `b + 1`) contributes
//! `sum_b (b + 1) B_b`: a running sum from the top bucket down, added into a total at each
//! step, gives `sum_b (b - lo + 1) B_b`, and `lo` times the running sum completes it. The
//! windows are then combined by Horner's rule, `c` doublings per window.

use crate::buckets::Settled;
use crate::curve::MsmCurve;
use crate::xyzz::Xyzz;
use halo2curves::group::Group;

/// `sum_b (lo + b + 1) B_b` over the settled buckets of one range, deferred points included.
pub fn weighted_sum<C: MsmCurve>(settled: &Settled<C::Field>, lo: usize) -> C::Curve {
    let mut running = Xyzz::IDENTITY;
    let mut total = Xyzz::IDENTITY;
    let mut deferred = settled.deferred.iter().peekable();
    for b in (0..settled.points.len()).rev() {
        if settled.full[b] != 0 {
            running = running.add_affine(&settled.points[b]);
        }
        while let Some((_, point)) = deferred.next_if(|(bucket, _)| *bucket as usize == b) {
            running = running.add_affine(point);
        }
        total = total.add(&running);
    }
    let sum = total.add(&running.mul_small(lo as u64));
    sum.to_affine()
        .map_or(C::Curve::identity(), |p| p.to_curve::<C>().into())
}

/// `sum_j 2^(j c) W_j` for the window sums `W_j`, lowest window first.
pub fn combine_windows<G: Group>(windows: &[G], window_bits: u32) -> G {
    let mut acc = G::identity();
    for window in windows.iter().rev() {
        for _ in 0..window_bits {
            acc = acc.double();
        }
        acc += window;
    }
    acc
}
