//! Pooling: the maximum or the mean of each window, and the global mean per channel.
//!
//! Cells of the padding take no part (Keras' behaviour for `padding="same"`): a max pool
//! looks only at input cells and an average pool divides by the number of input cells in the
//! window. Means are one exact `i128` sum divided once, rounded half away from zero.

use crate::fixed::{div_round_i128, Fx};
use crate::ops::{check_len, KernelError, Window2d};

/// Checks the buffers of a pooling operation.
pub fn check_pool(x: &[Fx], geom: &Window2d, out: &[Fx]) -> Result<(), KernelError> {
    check_len("pool input", x.len(), geom.input_len())?;
    check_len(
        "pool output",
        out.len(),
        geom.out_h * geom.out_w * geom.channels,
    )
}

/// Calls `visit(input_offset)` for every input cell of output pixel (oy, ox), channel 0.
#[inline]
fn for_window(geom: &Window2d, oy: usize, ox: usize, mut visit: impl FnMut(usize)) {
    geom.for_each_tap(oy, ox, |_, offset| visit(offset));
}

/// Max-pool output rows from `first_row` into `out` (whole rows).
pub fn max_pool_rows(x: &[Fx], geom: &Window2d, first_row: usize, out: &mut [Fx]) {
    let c = geom.channels;
    for (pixel, out_px) in out.chunks_exact_mut(c).enumerate() {
        let (oy, ox) = (first_row + pixel / geom.out_w, pixel % geom.out_w);
        out_px.fill(Fx::MIN);
        for_window(geom, oy, ox, |base| {
            for (o, &v) in out_px.iter_mut().zip(&x[base..base + c]) {
                *o = (*o).max(v);
            }
        });
    }
}

/// Average-pool output rows from `first_row` into `out` (whole rows).
pub fn avg_pool_rows(x: &[Fx], geom: &Window2d, first_row: usize, out: &mut [Fx]) {
    let c = geom.channels;
    let mut sums = vec![0i128; c];
    for (pixel, out_px) in out.chunks_exact_mut(c).enumerate() {
        let (oy, ox) = (first_row + pixel / geom.out_w, pixel % geom.out_w);
        sums.fill(0);
        let mut count: i128 = 0;
        for_window(geom, oy, ox, |base| {
            count += 1;
            for (s, &v) in sums.iter_mut().zip(&x[base..base + c]) {
                *s += i128::from(v.0);
            }
        });
        // The window of a valid geometry always covers at least one input cell, and the
        // mean of i64 values is an i64.
        let count = count.max(1);
        for (o, &s) in out_px.iter_mut().zip(&sums) {
            *o = Fx(div_round_i128(s, count) as i64);
        }
    }
}

/// Checks the buffers of a global pool: `positions x channels` in, `channels` out, and at
/// least one position.
pub fn check_global_pool(
    x: &[Fx],
    positions: usize,
    channels: usize,
    out: &[Fx],
) -> Result<(), KernelError> {
    check_len(
        "global pool input",
        x.len(),
        positions.saturating_mul(channels),
    )?;
    check_len("global pool output", out.len(), channels)?;
    if positions == 0 {
        return Err(KernelError::Geometry(
            "global pool over zero positions".into(),
        ));
    }
    Ok(())
}

/// The mean over `positions` of each channel of a `positions x channels` input.
pub fn global_avg_pool(
    x: &[Fx],
    positions: usize,
    channels: usize,
    out: &mut [Fx],
) -> Result<(), KernelError> {
    check_global_pool(x, positions, channels, out)?;
    for (ch, o) in out.iter_mut().enumerate() {
        let sum: i128 = (0..positions)
            .map(|p| i128::from(x[p * channels + ch].0))
            .sum();
        *o = Fx(div_round_i128(sum, positions as i128) as i64);
    }
    Ok(())
}
