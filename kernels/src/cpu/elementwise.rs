//! Elementwise operations: activations, per-channel scale and shift, sum and product.
//!
//! Each output depends on its own inputs only, so any split between threads gives the same
//! bits; the functions here work on whatever slice they are given.

use crate::fixed::{Fx, Saturations};
use crate::nonlinear::{sigmoid, softmax_in_place, tanh};
use crate::ops::{check_len, Activation, KernelError};

/// One value through an elementwise activation (not softmax, which needs its row).
#[inline]
pub fn activate(act: Activation, x: Fx, sats: &mut Saturations) -> Fx {
    match act {
        Activation::Linear | Activation::Softmax => x,
        Activation::Relu {
            negative_slope,
            max_value,
            threshold,
        } => {
            if x < threshold {
                if negative_slope == Fx::ZERO {
                    Fx::ZERO
                } else {
                    let (d, s1) = x.sub_sat(threshold);
                    let (v, s2) = d.mul_sat(negative_slope);
                    sats.record(s1 || s2);
                    v
                }
            } else {
                max_value.map_or(x, |m| x.min(m))
            }
        }
        Activation::LeakyRelu { alpha } => {
            if x.0 >= 0 {
                x
            } else {
                let (v, s) = x.mul_sat(alpha);
                sats.record(s);
                v
            }
        }
        Activation::Sigmoid => sigmoid(x),
        Activation::Tanh => tanh(x),
    }
}

/// Checks that `last_dim` splits `len` into whole rows (softmax needs it).
pub fn check_rows(len: usize, last_dim: usize) -> Result<(), KernelError> {
    if last_dim == 0 || !len.is_multiple_of(last_dim) {
        return Err(KernelError::Length {
            what: "activation rows",
            expected: last_dim,
            actual: len,
        });
    }
    Ok(())
}

/// Applies `act` in place to `data` (softmax over each run of `last_dim` values).
pub fn activation(
    act: Activation,
    data: &mut [Fx],
    last_dim: usize,
) -> Result<Saturations, KernelError> {
    check_rows(data.len(), last_dim)?;
    let mut sats = Saturations::default();
    if act == Activation::Softmax {
        for row in data.chunks_exact_mut(last_dim) {
            sats.add(softmax_in_place(row));
        }
    } else if act != Activation::Linear {
        for v in data.iter_mut() {
            *v = activate(act, *v, &mut sats);
        }
    }
    Ok(sats)
}

/// Checks the buffers of a per-channel affine map.
pub fn check_affine(len: usize, scale: &[Fx], shift: &[Fx]) -> Result<(), KernelError> {
    check_len("affine shift", shift.len(), scale.len())?;
    if scale.is_empty() || !len.is_multiple_of(scale.len()) {
        return Err(KernelError::Length {
            what: "affine data",
            expected: scale.len(),
            actual: len,
        });
    }
    Ok(())
}

/// `data[p, c] = data[p, c] * scale[c] + shift[c]`, for a slice starting at a whole pixel.
pub fn affine_slice(data: &mut [Fx], scale: &[Fx], shift: &[Fx]) -> Saturations {
    let mut sats = Saturations::default();
    for px in data.chunks_exact_mut(scale.len()) {
        for ((v, &a), &b) in px.iter_mut().zip(scale).zip(shift) {
            let (m, s1) = v.mul_sat(a);
            let (r, s2) = m.add_sat(b);
            sats.record(s1 || s2);
            *v = r;
        }
    }
    sats
}

/// Per-channel affine map over the whole buffer.
pub fn affine_channels(
    data: &mut [Fx],
    scale: &[Fx],
    shift: &[Fx],
) -> Result<Saturations, KernelError> {
    check_affine(data.len(), scale, shift)?;
    Ok(affine_slice(data, scale, shift))
}

/// Checks the buffers of a binary elementwise operation.
pub fn check_binary(a: &[Fx], b: &[Fx], out: &[Fx]) -> Result<(), KernelError> {
    check_len("second operand", b.len(), a.len())?;
    check_len("elementwise output", out.len(), a.len())
}

/// `out = a + b`, saturating.
pub fn add_slice(a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Saturations {
    let mut sats = Saturations::default();
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (v, s) = x.add_sat(y);
        sats.record(s);
        *o = v;
    }
    sats
}

/// `out = a * b`, saturating.
pub fn multiply_slice(a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Saturations {
    let mut sats = Saturations::default();
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (v, s) = x.mul_sat(y);
        sats.record(s);
        *o = v;
    }
    sats
}

/// Elementwise sum with length checks.
pub fn add(a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
    check_binary(a, b, out)?;
    Ok(add_slice(a, b, out))
}

/// Elementwise product with length checks.
pub fn multiply(a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
    check_binary(a, b, out)?;
    Ok(multiply_slice(a, b, out))
}
