use super::*;
use proptest::prelude::*;

#[test]
fn conversions_round_trip_exactly_representable_values() {
    for v in [0.0, 1.0, -1.0, 0.5, -0.25, 1234.5, -2_147_483_648.0] {
        let (fx, sat) = Fx::from_f64(v).expect("not NaN");
        assert!(!sat);
        assert_eq!(fx.to_f64(), v);
    }
    assert_eq!(Fx::from_f64(1.0).expect("not NaN").0 .0, ONE_RAW);
}

#[test]
fn conversion_saturates_and_rejects_nan() {
    assert_eq!(Fx::from_f64(3e9).expect("not NaN"), (Fx::MAX, true));
    assert_eq!(Fx::from_f64(-3e9).expect("not NaN"), (Fx::MIN, true));
    assert_eq!(
        Fx::from_f64(f64::INFINITY).expect("not NaN"),
        (Fx::MAX, true)
    );
    assert_eq!(Fx::from_f64(f64::NAN), Err(FixedError::NotANumber));
}

#[test]
fn arithmetic_saturates_instead_of_wrapping() {
    assert_eq!(Fx::MAX.add_sat(Fx(1)), (Fx::MAX, true));
    assert_eq!(Fx::MIN.sub_sat(Fx(1)), (Fx::MIN, true));
    assert_eq!(Fx::MIN.neg_sat(), (Fx::MAX, true));
    let big = Fx::from_int(100_000).0;
    assert_eq!(big.mul_sat(big), (Fx::MAX, true));
    assert_eq!(big.mul_sat(big.neg_sat().0), (Fx::MIN, true));
    assert_eq!(Fx::ONE.div_sat(Fx::ZERO), (Fx::MAX, true));
    let mut s = Saturations::default();
    s.record(true);
    s.record(false);
    s.add(Saturations(2));
    assert_eq!(s, Saturations(3));
}

#[test]
fn multiplication_rounds_half_up() {
    // 2^-32 * 0.5 = 2^-33: exactly half an ulp rounds up to one ulp.
    assert_eq!(Fx(1).mul_sat(Fx(ONE_RAW / 2)), (Fx(1), false));
    // -2^-33 rounds up to zero.
    assert_eq!(Fx(-1).mul_sat(Fx(ONE_RAW / 2)), (Fx(0), false));
    assert_eq!(
        Fx(3 * ONE_RAW).div_sat(Fx(2 * ONE_RAW)),
        (Fx(3 * ONE_RAW / 2), false)
    );
}

proptest! {
    #[test]
    fn mul_within_half_ulp_of_exact(a in -(1i64 << 47)..(1i64 << 47), b in -(1i64 << 47)..(1i64 << 47)) {
        let (p, sat) = Fx(a).mul_sat(Fx(b));
        prop_assert!(!sat);
        let exact = i128::from(a) * i128::from(b);
        let diff = (i128::from(p.0) << 32) - exact;
        prop_assert!(diff.abs() <= 1 << 31);
    }

    #[test]
    fn add_matches_wide_sum_or_saturates(a: i64, b: i64) {
        let (s, sat) = Fx(a).add_sat(Fx(b));
        let wide = i128::from(a) + i128::from(b);
        prop_assert_eq!(sat, wide != i128::from(s.0));
        prop_assert_eq!(i128::from(s.0), wide.clamp(i128::from(i64::MIN), i128::from(i64::MAX)));
    }

    #[test]
    fn div_within_half_ulp(a in -(1i64 << 50)..(1i64 << 50), b in 1i64..(1i64 << 50)) {
        let (q, sat) = Fx(a).div_sat(Fx(b));
        prop_assume!(!sat);
        let exact = (a as f64) / (b as f64) * 4_294_967_296.0;
        prop_assert!((q.0 as f64 - exact).abs() <= 0.5 + exact.abs() * 1e-15);
    }
}
