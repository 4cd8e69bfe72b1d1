//! Q32.32 signed fixed point: the number format of on-chain models.
//!
//! A value is an `i64` holding `value * 2^32`: 32 integer bits (sign included) and 32
//! fraction bits, so the range is about ±2.1e9 with a step (one "ulp") of 2^-32 ≈ 2.3e-10.
//! Every operation is integer arithmetic with a stated rounding, so any machine, CPU or GPU,
//! gets the same bits. Results that do not fit saturate to [`Fx::MAX`] / [`Fx::MIN`] and are
//! counted in a [`Saturations`] counter: nothing wraps silently.

use serde::{Deserialize, Serialize};

/// Number of fraction bits.
pub const FRAC_BITS: u32 = 32;
/// The raw value of 1.0.
pub const ONE_RAW: i64 = 1 << FRAC_BITS;

/// A Q32.32 fixed-point number (`raw = value * 2^32`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[repr(transparent)]
#[serde(transparent)]
pub struct Fx(pub i64);

/// Counts results that saturated instead of overflowing. Counts add up the same in any order,
/// so a parallel kernel reports the same count as a sequential one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Saturations(pub u64);

impl Saturations {
    /// Records one saturation when `saturated` is true.
    #[inline]
    pub fn record(&mut self, saturated: bool) {
        self.0 += u64::from(saturated);
    }

    /// Adds another counter to this one.
    #[inline]
    pub fn add(&mut self, other: Saturations) {
        self.0 += other.0;
    }
}

/// Error converting a floating-point value at the edge of the fixed-point world.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FixedError {
    /// NaN has no fixed-point value.
    #[error("value is not a number")]
    NotANumber,
}

/// Narrows an `i128` to `i64`, saturating; returns whether it saturated.
#[inline]
pub fn saturate_i128(v: i128) -> (i64, bool) {
    if v > i128::from(i64::MAX) {
        (i64::MAX, true)
    } else if v < i128::from(i64::MIN) {
        (i64::MIN, true)
    } else {
        (v as i64, false)
    }
}

/// Rounds an `i128` with 64 fraction bits (a product of two Q32.32 values, or a sum of them)
/// to Q32.32: round half up (add 2^31, then shift right arithmetically), then saturate.
#[inline]
pub fn round_q64_to_q32(acc: i128) -> (i64, bool) {
    // acc + 2^31 cannot overflow unless acc is within 2^31 of i128::MAX; saturate then.
    match acc.checked_add(1i128 << (FRAC_BITS - 1)) {
        Some(v) => saturate_i128(v >> FRAC_BITS),
        None => (i64::MAX, true),
    }
}

/// Divides `num` by a positive `den`, rounding half away from zero. `den` must be > 0.
#[inline]
pub fn div_round_i128(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0, "divisor must be positive");
    let half = den / 2;
    if num >= 0 {
        (num + half) / den
    } else {
        -((-num + half) / den)
    }
}

impl Fx {
    /// Zero.
    pub const ZERO: Fx = Fx(0);
    /// One.
    pub const ONE: Fx = Fx(ONE_RAW);
    /// The largest value, about 2^31.
    pub const MAX: Fx = Fx(i64::MAX);
    /// The smallest value, -2^31.
    pub const MIN: Fx = Fx(i64::MIN);

    /// The value of an integer (saturating outside ±2^31).
    pub fn from_int(v: i64) -> (Fx, bool) {
        let (raw, sat) = saturate_i128(i128::from(v) << FRAC_BITS);
        (Fx(raw), sat)
    }

    /// Converts from `f64`: rounds `v * 2^32` to the nearest integer (ties away from zero),
    /// saturating outside the range. Deterministic: the scaling by a power of two is exact.
    pub fn from_f64(v: f64) -> Result<(Fx, bool), FixedError> {
        if v.is_nan() {
            return Err(FixedError::NotANumber);
        }
        let scaled = (v * (ONE_RAW as f64)).round();
        // 2^63 is exactly representable; anything at or past it saturates.
        if scaled >= 9_223_372_036_854_775_808.0 {
            Ok((Fx::MAX, true))
        } else if scaled < -9_223_372_036_854_775_808.0 {
            Ok((Fx::MIN, true))
        } else {
            Ok((Fx(scaled as i64), false))
        }
    }

    /// Converts from `f32` (exactly widened to `f64` first).
    pub fn from_f32(v: f32) -> Result<(Fx, bool), FixedError> {
        Fx::from_f64(f64::from(v))
    }

    /// The nearest `f64` (exact for |raw| < 2^53).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / ONE_RAW as f64
    }

    /// The nearest `f32`.
    pub fn to_f32(self) -> f32 {
        self.to_f64() as f32
    }

    /// Saturating addition; the flag tells whether it saturated.
    #[inline]
    pub fn add_sat(self, rhs: Fx) -> (Fx, bool) {
        match self.0.checked_add(rhs.0) {
            Some(v) => (Fx(v), false),
            None => (Fx(if rhs.0 > 0 { i64::MAX } else { i64::MIN }), true),
        }
    }

    /// Saturating subtraction.
    #[inline]
    pub fn sub_sat(self, rhs: Fx) -> (Fx, bool) {
        match self.0.checked_sub(rhs.0) {
            Some(v) => (Fx(v), false),
            None => (Fx(if rhs.0 < 0 { i64::MAX } else { i64::MIN }), true),
        }
    }

    /// Saturating multiplication: the exact 128-bit product rounded half up to Q32.32.
    #[inline]
    pub fn mul_sat(self, rhs: Fx) -> (Fx, bool) {
        let (raw, sat) = round_q64_to_q32(i128::from(self.0) * i128::from(rhs.0));
        (Fx(raw), sat)
    }

    /// Saturating division, rounded half away from zero; division by zero saturates to the
    /// sign of the dividend (zero over zero gives zero) and counts as a saturation.
    pub fn div_sat(self, rhs: Fx) -> (Fx, bool) {
        if rhs.0 == 0 {
            return match self.0.cmp(&0) {
                std::cmp::Ordering::Greater => (Fx::MAX, true),
                std::cmp::Ordering::Less => (Fx::MIN, true),
                std::cmp::Ordering::Equal => (Fx::ZERO, true),
            };
        }
        let num = i128::from(self.0) << FRAC_BITS;
        let den = i128::from(rhs.0);
        let q = if den > 0 {
            div_round_i128(num, den)
        } else {
            div_round_i128(-num, -den)
        };
        let (raw, sat) = saturate_i128(q);
        (Fx(raw), sat)
    }

    /// Saturating negation (only `MIN` saturates).
    #[inline]
    pub fn neg_sat(self) -> (Fx, bool) {
        match self.0.checked_neg() {
            Some(v) => (Fx(v), false),
            None => (Fx::MAX, true),
        }
    }
}

#[cfg(test)]
mod tests;
