//! Booth digits recompose the scalar, for every window width the MSM uses.

use super::{bit_length, digit, window_count};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `sum_j d_j 2^(j c)` as a signed 320-bit integer in five limbs (two's complement).
fn recompose(k: &[u64; 4], c: u32) -> [u64; 5] {
    let mut acc = [0u64; 5];
    for j in 0..window_count(bit_length(k), c) {
        let d = i128::from(digit(k, j, c));
        let (mag, negative) = (d.unsigned_abs(), d < 0);
        let mut term = [0u64; 5];
        let shift = j * c;
        let wide = u128::from(mag as u64);
        let limb = (shift / 64) as usize;
        let lo = wide << (shift % 64);
        term[limb] = lo as u64;
        if limb + 1 < 5 {
            term[limb + 1] = (lo >> 64) as u64;
        }
        if negative {
            let mut borrow = 0u64;
            for (a, t) in acc.iter_mut().zip(term) {
                let (r, b1) = a.overflowing_sub(t);
                let (r, b2) = r.overflowing_sub(borrow);
                *a = r;
                borrow = u64::from(b1 || b2);
            }
        } else {
            let mut carry = 0u64;
            for (a, t) in acc.iter_mut().zip(term) {
                let (r, c1) = a.overflowing_add(t);
                let (r, c2) = r.overflowing_add(carry);
                *a = r;
                carry = u64::from(c1 || c2);
            }
        }
    }
    acc
}

#[test]
fn digits_recompose_the_scalar_for_every_width() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut cases: Vec<[u64; 4]> = vec![[0; 4], [1, 0, 0, 0], [u64::MAX; 4], [0, 0, 0, 1 << 63]];
    cases.extend((0..200).map(|_| [rng.gen(), rng.gen(), rng.gen(), rng.gen::<u64>() >> 2]));
    cases.extend((0..100).map(|_| [rng.gen(), rng.gen(), 0, 0]));
    for k in &cases {
        for c in 1..=20 {
            let got = recompose(k, c);
            assert_eq!(&got[..4], &k[..], "k = {k:x?}, c = {c}");
            assert_eq!(got[4], 0, "k = {k:x?}, c = {c}");
            for j in 0..window_count(bit_length(k), c) {
                assert!(digit(k, j, c).unsigned_abs() <= 1 << (c - 1), "c = {c}");
            }
        }
    }
}

#[test]
fn bit_length_counts_from_the_top_limb() {
    assert_eq!(bit_length(&[0; 4]), 0);
    assert_eq!(bit_length(&[1, 0, 0, 0]), 1);
    assert_eq!(bit_length(&[0, 1, 0, 0]), 65);
    assert_eq!(bit_length(&[0, 0, 0, u64::MAX]), 256);
}
