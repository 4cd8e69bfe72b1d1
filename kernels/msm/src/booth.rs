//! Signed (Booth) window digits of a scalar.
//!
//! Window `j` of width `c` reads the `c + 1` bits from `j c - 1` to `j c + c - 1` (bit `-1`
//! is zero) and maps them to a digit in `[-2^(c-1), 2^(c-1)]`: the lower `c` bits plus the
//! bit below, less `2^c` times the top bit. Neighbouring windows share one bit, so each digit
//! is read on its own, without a carry from the window below, and `k = sum_j d_j 2^(j c)`
//! holds whenever `k < 2^(w c - 1)` for `w` windows. Half as many buckets as unsigned digits.

/// The number of windows of width `window_bits` that hold a scalar of `bits` bits.
pub fn window_count(bits: u32, window_bits: u32) -> u32 {
    bits / window_bits + 1
}

/// The Booth digit of window `window` (width `window_bits`, at most 30) of `k`.
pub fn digit(k: &[u64; 4], window: u32, window_bits: u32) -> i32 {
    let t = if window == 0 {
        read_bits(k, 0, window_bits) << 1
    } else {
        read_bits(k, window * window_bits - 1, window_bits + 1)
    };
    let top = (t >> window_bits) as i32;
    ((t + 1) >> 1) as i32 - (top << window_bits)
}

/// `len` (at most 31) bits of `k` from bit `start`, zero past the top.
fn read_bits(k: &[u64; 4], start: u32, len: u32) -> u32 {
    let limb = (start / 64) as usize;
    let offset = start % 64;
    let low = k.get(limb).copied().map_or(0, u128::from);
    let high = k.get(limb + 1).copied().map_or(0, u128::from);
    let window = (low | (high << 64)) >> offset;
    (window as u32) & ((1u32 << len) - 1)
}

/// The bit length of `k` (0 for zero).
pub fn bit_length(k: &[u64; 4]) -> u32 {
    k.iter()
        .rposition(|&limb| limb != 0)
        .map_or(0, |i| i as u32 * 64 + (64 - k[i].leading_zeros()))
}

#[cfg(test)]
mod tests;
