//! Dense layers and convolutions: sums of products in a fixed order.
//!
//! Each output is one exact sum in an `i128` accumulator of the exact 128-bit products (64
//! fraction bits) in ascending index order, plus the bias, rounded once to Q32.32. An
//! accumulator that would pass the `i128` range sticks at its bound and the output counts as
//! saturated. Functions named `*_rows` / `*_span` compute a band of outputs into `out`, so a caller
//! may split the outputs between threads in any way and get the same bits.

use crate::fixed::{round_q64_to_q32, Fx, Saturations, FRAC_BITS};
use crate::ops::{check_len, KernelError, Window2d};

/// An exact sum of Q64 products that saturates (and remembers it) instead of wrapping.
#[derive(Clone, Copy, Debug, Default)]
pub struct Acc {
    sum: i128,
    overflowed: bool,
}

impl Acc {
    /// Starts from a bias (or zero).
    #[inline]
    pub fn with_bias(bias: Option<Fx>) -> Acc {
        Acc {
            sum: bias.map_or(0, |b| i128::from(b.0) << FRAC_BITS),
            overflowed: false,
        }
    }

    /// Adds `a * b` exactly.
    #[inline]
    pub fn mac(&mut self, a: Fx, b: Fx) {
        let p = i128::from(a.0) * i128::from(b.0);
        match self.sum.checked_add(p) {
            Some(v) => self.sum = v,
            None => {
                self.sum = if p > 0 { i128::MAX } else { i128::MIN };
                self.overflowed = true;
            }
        }
    }

    /// Rounds to Q32.32; the flag tells whether the result saturated.
    #[inline]
    pub fn finish(self) -> (Fx, bool) {
        let (raw, sat) = round_q64_to_q32(self.sum);
        (Fx(raw), sat || self.overflowed)
    }
}

/// Checks the buffers of a dense operation.
pub fn check_dense(
    x: &[Fx],
    rows: usize,
    dims: (usize, usize),
    kernel: &[Fx],
    bias: Option<&[Fx]>,
    out: &[Fx],
) -> Result<(), KernelError> {
    let (in_dim, out_dim) = dims;
    check_len("dense input", x.len(), rows.saturating_mul(in_dim))?;
    check_len("dense kernel", kernel.len(), in_dim.saturating_mul(out_dim))?;
    if let Some(b) = bias {
        check_len("dense bias", b.len(), out_dim)?;
    }
    check_len("dense output", out.len(), rows.saturating_mul(out_dim))
}

/// Dense outputs at flat indices `first..first + out.len()` (row-major `rows x out_dim`); a
/// span may start and end anywhere, so threads can split the outputs however they like.
pub fn dense_span(
    x: &[Fx],
    dims: (usize, usize),
    kernel: &[Fx],
    bias: Option<&[Fx]>,
    first: usize,
    out: &mut [Fx],
) -> Saturations {
    let (in_dim, out_dim) = dims;
    let mut sats = Saturations::default();
    let mut accs = vec![Acc::default(); out_dim.min(out.len())];
    let mut done = 0;
    while done < out.len() {
        let flat = first + done;
        let (r, j0) = (flat / out_dim, flat % out_dim);
        let n = (out_dim - j0).min(out.len() - done);
        let accs = &mut accs[..n];
        for (j, acc) in accs.iter_mut().enumerate() {
            *acc = Acc::with_bias(bias.map(|b| b[j0 + j]));
        }
        for (i, &xi) in x[r * in_dim..(r + 1) * in_dim].iter().enumerate() {
            let w = &kernel[i * out_dim + j0..i * out_dim + j0 + n];
            for (acc, &wv) in accs.iter_mut().zip(w) {
                acc.mac(xi, wv);
            }
        }
        for (o, acc) in out[done..done + n].iter_mut().zip(accs.iter()) {
            let (v, sat) = acc.finish();
            *o = v;
            sats.record(sat);
        }
        done += n;
    }
    sats
}

/// Checks the buffers of a convolution.
pub fn check_conv(
    x: &[Fx],
    geom: &Window2d,
    filters: usize,
    kernel: &[Fx],
    bias: Option<&[Fx]>,
    out: &[Fx],
) -> Result<(), KernelError> {
    check_len("conv2d input", x.len(), geom.input_len())?;
    check_len(
        "conv2d kernel",
        kernel.len(),
        [geom.kernel_w, geom.channels, filters]
            .iter()
            .fold(geom.kernel_h, |a, &b| a.saturating_mul(b)),
    )?;
    if let Some(b) = bias {
        check_len("conv2d bias", b.len(), filters)?;
    }
    check_len(
        "conv2d output",
        out.len(),
        geom.out_h * geom.out_w * filters,
    )
}

/// Convolution output rows from `first_row`; `out` holds whole rows (`out_w * filters`).
/// Each output sums over kernel row, kernel column, input channel, in that order.
pub fn conv_rows(
    x: &[Fx],
    geom: &Window2d,
    filters: usize,
    kernel: &[Fx],
    bias: Option<&[Fx]>,
    first_row: usize,
    out: &mut [Fx],
) -> Saturations {
    let c = geom.channels;
    let mut sats = Saturations::default();
    let mut accs = vec![Acc::default(); filters];
    for (pixel, out_px) in out.chunks_exact_mut(filters).enumerate() {
        let oy = first_row + pixel / geom.out_w;
        let ox = pixel % geom.out_w;
        for (f, acc) in accs.iter_mut().enumerate() {
            *acc = Acc::with_bias(bias.map(|b| b[f]));
        }
        geom.for_each_tap(oy, ox, |tap, offset| {
            let x_px = &x[offset..offset + c];
            let k_base = tap * c * filters;
            for (ci, &xv) in x_px.iter().enumerate() {
                let k_row = &kernel[k_base + ci * filters..k_base + (ci + 1) * filters];
                for (acc, &w) in accs.iter_mut().zip(k_row) {
                    acc.mac(xv, w);
                }
            }
        });
        for (o, acc) in out_px.iter_mut().zip(&accs) {
            let (v, sat) = acc.finish();
            *o = v;
            sats.record(sat);
        }
    }
    sats
}

/// Checks the buffers of a depthwise convolution.
pub fn check_depthwise(
    x: &[Fx],
    geom: &Window2d,
    multiplier: usize,
    kernel: &[Fx],
    bias: Option<&[Fx]>,
    out: &[Fx],
) -> Result<(), KernelError> {
    let out_c = geom.channels.saturating_mul(multiplier);
    check_len("depthwise input", x.len(), geom.input_len())?;
    check_len(
        "depthwise kernel",
        kernel.len(),
        geom.kernel_h * geom.kernel_w * out_c,
    )?;
    if let Some(b) = bias {
        check_len("depthwise bias", b.len(), out_c)?;
    }
    check_len(
        "depthwise output",
        out.len(),
        geom.out_h * geom.out_w * out_c,
    )
}

/// Depthwise convolution output rows from `first_row`; sums over kernel row then column.
pub fn depthwise_rows(
    x: &[Fx],
    geom: &Window2d,
    multiplier: usize,
    kernel: &[Fx],
    bias: Option<&[Fx]>,
    first_row: usize,
    out: &mut [Fx],
) -> Saturations {
    let c = geom.channels;
    let out_c = c * multiplier;
    let mut sats = Saturations::default();
    let mut accs = vec![Acc::default(); out_c];
    for (pixel, out_px) in out.chunks_exact_mut(out_c).enumerate() {
        let oy = first_row + pixel / geom.out_w;
        let ox = pixel % geom.out_w;
        for (o, acc) in accs.iter_mut().enumerate() {
            *acc = Acc::with_bias(bias.map(|b| b[o]));
        }
        geom.for_each_tap(oy, ox, |tap, offset| {
            let x_px = &x[offset..offset + c];
            let k_px = &kernel[tap * out_c..][..out_c];
            for (o, acc) in accs.iter_mut().enumerate() {
                acc.mac(x_px[o / multiplier], k_px[o]);
            }
        });
        for (o, acc) in out_px.iter_mut().zip(&accs) {
            let (v, sat) = acc.finish();
            *o = v;
            sats.record(sat);
        }
    }
    sats
}
