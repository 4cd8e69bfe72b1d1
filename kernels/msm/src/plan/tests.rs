//! The plan covers every bucket once and picks wide windows for large MSMs.

use super::Plan;

#[test]
fn ranges_cover_the_buckets_once() {
    for c in 1..=16 {
        for splits in (1..=8).filter(|&s| s <= 1 << (c - 1)) {
            let plan = Plan::new(c, 128, splits);
            let mut next = 0;
            for s in 0..splits {
                let (lo, hi) = plan.range(s);
                assert_eq!(lo, next);
                assert!(hi > lo);
                next = hi;
            }
            assert_eq!(next, plan.bucket_count());
        }
    }
}

#[test]
fn large_msms_get_wide_windows() {
    let plan = Plan::choose(1 << 21, 128, 2, 64, (None, None));
    assert!(plan.window_bits >= 12, "{plan:?}");
    let plan = Plan::choose(1 << 10, 128, 2, 64, (None, None));
    assert!(plan.window_bits <= 10, "{plan:?}");
}
