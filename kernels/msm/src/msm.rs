//! The MSM driver: prepare the terms, plan, run the tasks in parallel, combine.

use crate::booth::digit;
use crate::buckets::Buckets;
use crate::curve::MsmCurve;
use crate::plan::Plan;
use crate::prepare::{prepare, Prepared, Term};
use crate::reduce::{combine_windows, weighted_sum};
use crate::{small, MsmConfig};
use halo2curves::bn256::Fr;
use halo2curves::group::Group;
use rayon::prelude::*;

/// `sum_i scalars[i] bases[i]` as configured.
pub fn msm_with<C: MsmCurve>(scalars: &[Fr], bases: &[C], config: &MsmConfig) -> C::Curve {
    assert_eq!(
        scalars.len(),
        bases.len(),
        "an MSM takes as many scalars as bases"
    );
    assert!(
        config.window_bits.is_none_or(|c| (1..=16).contains(&c)),
        "a window is 1 to 16 bits wide"
    );
    // Two terms per input, each named by a 31-bit index in a batch entry.
    assert!(scalars.len() <= 1 << 30, "an MSM takes at most 2^30 terms");
    let prepared = prepare::<C>(scalars, bases, config.glv);
    if prepared.count == 0 {
        return C::Curve::identity();
    }
    if prepared.count < config.small_below {
        let c = config
            .window_bits
            .unwrap_or_else(|| small::window_bits(prepared.count));
        return small::msm::<C>(&prepared.terms, prepared.bits, c);
    }
    let threads = rayon::current_num_threads();
    let point_bytes = std::mem::size_of::<crate::curve::Affine<C::Field>>();
    let mut plan = Plan::choose(
        prepared.count,
        prepared.bits,
        threads,
        point_bytes,
        (config.window_bits, config.splits),
    );
    if let Some(batch_size) = config.batch_size {
        plan.batch_size = batch_size;
        plan.batch_fixed = true;
    }
    batch_affine::<C>(&prepared, &plan)
}

/// The batch-affine MSM of prepared terms along `plan`.
fn batch_affine<C: MsmCurve>(prepared: &Prepared<C::Field>, plan: &Plan) -> C::Curve {
    let tasks: Vec<(u32, u32)> = (0..plan.windows)
        .rev()
        .flat_map(|w| (0..plan.splits).map(move |s| (w, s)))
        .collect();
    let partials: Vec<(u32, C::Curve)> = tasks
        .par_iter()
        .with_max_len(1)
        .map(|&(window, split)| (window, task::<C>(prepared, plan, window, split)))
        .collect();
    let mut windows = vec![C::Curve::identity(); plan.windows as usize];
    for (window, partial) in partials {
        windows[window as usize] += partial;
    }
    combine_windows(&windows, plan.window_bits)
}

/// One window's weighted bucket sum over the buckets of one split.
fn task<C: MsmCurve>(
    prepared: &Prepared<C::Field>,
    plan: &Plan,
    window: u32,
    split: u32,
) -> C::Curve {
    let (lo, hi) = plan.range(split);
    let mut buckets = Buckets::<C::Field>::new(hi - lo, plan.batch_size_for(window));
    // Digit d goes to bucket |d| - 1; digit 0 (bucket "0 - 1") to none.
    let bucket_of = |term: &Term<C::Field>| {
        let d = digit(&term.magnitude, window, plan.window_bits);
        let bucket = d.unsigned_abs() as usize;
        (bucket > lo && bucket <= hi).then(|| (bucket - 1 - lo, d < 0))
    };
    let terms = prepared.terms.as_flattened();
    for (index, term) in terms.iter().enumerate() {
        if let Some((bucket, negative)) = bucket_of(term) {
            buckets.add(bucket, index, negative, terms);
        }
    }
    weighted_sum::<C>(&buckets.finish(terms), lo)
}
