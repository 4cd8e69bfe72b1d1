//! Operations that only move values: zero padding, concatenation, embedding look-up.
//!
//! No arithmetic happens here, so there is nothing to round or saturate; these are the CPU
//! reference for every backend.

use crate::fixed::Fx;
use crate::ops::{check_len, KernelError};

/// Pads an H x W x C image with zeros: (top, bottom) rows and (left, right) columns.
pub fn zero_pad2d(
    x: &[Fx],
    hwc: (usize, usize, usize),
    rows: (usize, usize),
    cols: (usize, usize),
    out: &mut [Fx],
) -> Result<(), KernelError> {
    let (h, w, c) = hwc;
    let out_w = w + cols.0 + cols.1;
    check_len("zero-pad input", x.len(), h * w * c)?;
    check_len(
        "zero-pad output",
        out.len(),
        (h + rows.0 + rows.1) * out_w * c,
    )?;
    out.fill(Fx::ZERO);
    for y in 0..h {
        let dst = ((y + rows.0) * out_w + cols.0) * c;
        out[dst..dst + w * c].copy_from_slice(&x[y * w * c..(y + 1) * w * c]);
    }
    Ok(())
}

/// Concatenates along an axis: each input is `outer x inner_i`, the output `outer x sum_i
/// inner_i` (the axis and everything after it are folded into `inner`).
pub fn concat(
    inputs: &[&[Fx]],
    outer: usize,
    inners: &[usize],
    out: &mut [Fx],
) -> Result<(), KernelError> {
    check_len("concatenate inputs", inputs.len(), inners.len())?;
    let total: usize = inners.iter().sum();
    for (x, &inner) in inputs.iter().zip(inners) {
        check_len("concatenate input", x.len(), outer * inner)?;
    }
    check_len("concatenate output", out.len(), outer * total)?;
    for o in 0..outer {
        let mut at = o * total;
        for (x, &inner) in inputs.iter().zip(inners) {
            out[at..at + inner].copy_from_slice(&x[o * inner..(o + 1) * inner]);
            at += inner;
        }
    }
    Ok(())
}

/// Error of an embedding look-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatherError {
    /// An index that is not a whole number in `0..rows`.
    #[error("index {index} at position {position} is not a row of a {rows}-row table")]
    IndexOutOfRange {
        /// Where in the input.
        position: usize,
        /// The offending value, as its raw Q32.32 bits.
        index: i64,
        /// Rows in the table.
        rows: usize,
    },
    /// A buffer of the wrong length.
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

/// Looks up rows of a `rows x dim` table; each index must be a whole number in range.
pub fn gather_rows(
    indices: &[Fx],
    table: &[Fx],
    rows: usize,
    dim: usize,
    out: &mut [Fx],
) -> Result<(), GatherError> {
    check_len("embedding table", table.len(), rows * dim)?;
    check_len("embedding output", out.len(), indices.len() * dim)?;
    for (position, (idx, dst)) in indices.iter().zip(out.chunks_exact_mut(dim)).enumerate() {
        let whole = idx.0 >> crate::fixed::FRAC_BITS;
        let fraction = idx.0 & (crate::fixed::ONE_RAW - 1);
        let row = usize::try_from(whole)
            .ok()
            .filter(|&r| r < rows && fraction == 0);
        let Some(row) = row else {
            return Err(GatherError::IndexOutOfRange {
                position,
                index: idx.0,
                rows,
            });
        };
        dst.copy_from_slice(&table[row * dim..(row + 1) * dim]);
    }
    Ok(())
}
