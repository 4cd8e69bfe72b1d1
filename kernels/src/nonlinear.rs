//! Integer algorithms for the transcendental functions: exp, sigmoid, tanh, softmax, rsqrt.
//!
//! None of them touches floating point, so every machine gets the same bits. `exp` reduces
//! its argument to `x = k ln2 + r` with `0 <= r < ln2` in Q2.62, sums the Taylor series of
//! `e^r` to 20 terms by Horner's rule in Q2.62 (error below 2^-57), and scales by `2^k`
//! with one rounding. Sigmoid and tanh are exact integer divisions of `exp` results; rsqrt is an
//! integer square root. The CUDA kernels (`cuda/kernels.cu`) implement the same steps.
//!
//! Error bounds, against the exact real function, for any input (tested in `tests.rs`):
//! - `exp(x)`: at most 1 ulp (2^-32) + 2^-50 relative; 0 below -22.2, saturates above 21.48.
//! - `sigmoid(x)`, `tanh(x)`: at most 2 ulp.
//! - `rsqrt(x)` for x > 0: at most 1 ulp + 2^-40 relative; x <= 0 saturates to MAX.
//! - `softmax` over n values: each output within (n + 2) ulp.

use crate::fixed::{div_round_i128, Fx, Saturations, FRAC_BITS, ONE_RAW};

/// ln 2 in Q2.62: round(ln(2) * 2^62).
pub const LN2_Q62: i128 = 3_196_577_161_300_663_915;
/// Degree of the Taylor polynomial (terms after the constant one).
pub const EXP_TERMS: u64 = 20;
/// Above this raw input, `exp` saturates: ln(2^31) ≈ 21.487 (raw 92_288_378_626).
pub const EXP_MAX_INPUT_RAW: i64 = 92_288_378_626;
/// Below this raw input, `exp` is 0: e^x < 2^-33 for x < -22.87 (raw -98_242_467_570).
pub const EXP_MIN_INPUT_RAW: i64 = -98_242_467_570;

/// The Taylor coefficients of e^r in Q2.62: `EXP_COEFFS_Q62[n] = floor(2^62 / n!)`.
/// (Repeated floor division by n is exact: floor(floor(a / b) / c) = floor(a / (b c)).)
/// The CUDA kernels carry the same table; a test checks the two agree.
pub const EXP_COEFFS_Q62: [u64; EXP_TERMS as usize + 1] = exp_coeffs();

const fn exp_coeffs() -> [u64; EXP_TERMS as usize + 1] {
    let mut c = [0u64; EXP_TERMS as usize + 1];
    let mut v: u64 = 1 << 62;
    let mut n = 0;
    while n <= EXP_TERMS as usize {
        if n > 0 {
            v /= n as u64;
        }
        c[n] = v;
        n += 1;
    }
    c
}

/// e^r for 0 <= r < ln 2, both in Q2.62 (the result is in [1, 2)): Horner's rule over
/// [`EXP_COEFFS_Q62`], truncating each step (error below 21 * 2^-62).
#[inline]
fn exp_reduced_q62(r_q62: u64) -> u64 {
    let mut p = EXP_COEFFS_Q62[EXP_TERMS as usize];
    let mut n = EXP_TERMS as usize;
    while n > 0 {
        n -= 1;
        // p < 2^63 and r < 2^62: the product fits in 125 bits, the shifted one in 63.
        p = EXP_COEFFS_Q62[n] + ((u128::from(p) * u128::from(r_q62)) >> 62) as u64;
    }
    p
}

/// e^x in Q32.32. Saturates (and says so) above [`EXP_MAX_INPUT_RAW`].
pub fn exp(x: Fx) -> (Fx, bool) {
    if x.0 > EXP_MAX_INPUT_RAW {
        return (Fx::MAX, true);
    }
    if x.0 < EXP_MIN_INPUT_RAW {
        return (Fx::ZERO, false);
    }
    let x_q62 = i128::from(x.0) << 30;
    // Floor division: k = floor(x / ln2), r in [0, ln2).
    let k = x_q62.div_euclid(LN2_Q62);
    let r = x_q62 - k * LN2_Q62;
    let e_r = u128::from(exp_reduced_q62(r as u64));
    // result raw (Q32) = e_r * 2^k / 2^30, rounded half up; k in [-33, 30].
    let shift = 30 - k;
    let raw: u128 = if shift > 0 {
        (e_r + (1u128 << (shift - 1))) >> shift
    } else {
        e_r << (-shift)
    };
    if raw > i64::MAX as u128 {
        (Fx::MAX, true)
    } else {
        (Fx(raw as i64), false)
    }
}

/// Rounds `num / den` for non-negative `num` and positive `den`, half up.
#[inline]
fn div_round_u128(num: u128, den: u128) -> u128 {
    (num + den / 2) / den
}

/// The logistic function 1 / (1 + e^-x); never saturates.
pub fn sigmoid(x: Fx) -> Fx {
    // e = exp(-|x|) is in (0, 1], so it never saturates; -|x| never overflows as i64::MIN
    // is far below EXP_MIN_INPUT_RAW.
    let neg_abs = if x.0 >= 0 { -x.0 } else { x.0 };
    let (e, _) = exp(Fx(neg_abs));
    let e = e.0 as u128;
    let one = ONE_RAW as u128;
    let den = one + e;
    let raw = if x.0 >= 0 {
        div_round_u128(one << FRAC_BITS, den)
    } else {
        div_round_u128(e << FRAC_BITS, den)
    };
    Fx(raw as i64)
}

/// The hyperbolic tangent (1 - e^-2|x|) / (1 + e^-2|x|) with the sign of x; never saturates.
pub fn tanh(x: Fx) -> Fx {
    let abs = i128::from(x.0).abs();
    // -2|x|, clamped below where exp is already 0.
    let arg = (-2 * abs).max(i128::from(EXP_MIN_INPUT_RAW) - 1) as i64;
    let (e, _) = exp(Fx(arg));
    let e = e.0 as u128;
    let one = ONE_RAW as u128;
    let raw = div_round_u128((one - e) << FRAC_BITS, one + e) as i64;
    Fx(if x.0 < 0 { -raw } else { raw })
}

/// Floor of the square root of a `u128`, by Newton's method on integers.
pub fn isqrt_u128(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    // Start above the root: 2^ceil(bits/2).
    let bits = 128 - n.leading_zeros();
    let mut x: u128 = 1 << bits.div_ceil(2);
    loop {
        let y = (x + n / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// 1 / sqrt(x) in Q32.32. For x <= 0 it saturates to MAX and says so.
pub fn rsqrt(x: Fx) -> (Fx, bool) {
    if x.0 <= 0 {
        return (Fx::MAX, true);
    }
    // rsqrt raw = 2^32 / sqrt(raw / 2^32) = sqrt(2^96 / raw). The floor of 2^96 / raw is at
    // least 2^33, so flooring it moves the root by under 2^-34 relative.
    let q = (1u128 << 96) / (x.0 as u128);
    let root = isqrt_u128(q);
    if root > i64::MAX as u128 {
        (Fx::MAX, true)
    } else {
        (Fx(root as i64), false)
    }
}

/// Softmax of `values` in place: e^(v - max) / sum. The sum is exact (i128), each output one
/// rounded division. Saturations are those of `v - max` (which then gives e = 0).
pub fn softmax_in_place(values: &mut [Fx]) -> Saturations {
    let mut sats = Saturations::default();
    let Some(max) = values.iter().copied().max() else {
        return sats;
    };
    let mut sum: i128 = 0;
    for v in values.iter_mut() {
        let (d, sat) = v.sub_sat(max);
        sats.record(sat);
        let (e, _) = exp(d);
        *v = e;
        sum += i128::from(e.0);
    }
    // The maximum contributes e^0 = 1, so sum >= 2^32 > 0.
    for v in values.iter_mut() {
        v.0 = div_round_i128(i128::from(v.0) << FRAC_BITS, sum) as i64;
    }
    sats
}

#[cfg(test)]
mod tests;
