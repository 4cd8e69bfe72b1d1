use super::*;
use proptest::prelude::*;

const ULP: f64 = 1.0 / 4_294_967_296.0;

fn fx(v: f64) -> Fx {
    Fx::from_f64(v).expect("not NaN").0
}

fn exp_error_ok(x: Fx) -> Result<(), String> {
    let exact = x.to_f64().exp();
    let (got, sat) = exp(x);
    if exact >= 2_147_483_647.0 {
        return if sat {
            Ok(())
        } else {
            Err(format!("exp({x:?}) should saturate"))
        };
    }
    let err = (got.to_f64() - exact).abs();
    if err <= ULP + exact * 2f64.powi(-50) {
        Ok(())
    } else {
        Err(format!(
            "exp({}) = {} vs {exact}: error {err:e}",
            x.to_f64(),
            got.to_f64()
        ))
    }
}

#[test]
fn exp_known_values() {
    assert_eq!(exp(Fx::ZERO), (Fx::ONE, false));
    for v in [
        1.0,
        -1.0,
        0.5,
        10.0,
        -10.0,
        21.0,
        -22.0,
        std::f64::consts::LN_2,
    ] {
        exp_error_ok(fx(v)).expect("within bound");
    }
    assert_eq!(exp(fx(22.0)), (Fx::MAX, true));
    assert_eq!(exp(fx(-30.0)), (Fx::ZERO, false));
    assert_eq!(exp(Fx::MIN), (Fx::ZERO, false));
}

#[test]
fn sigmoid_tanh_known_values() {
    assert_eq!(sigmoid(Fx::ZERO), Fx(ONE_RAW / 2));
    assert_eq!(tanh(Fx::ZERO), Fx::ZERO);
    assert_eq!(sigmoid(Fx::MAX), Fx::ONE);
    assert_eq!(sigmoid(Fx::MIN), Fx::ZERO);
    assert_eq!(tanh(Fx::MAX), Fx::ONE);
    assert_eq!(tanh(Fx::MIN), Fx(-ONE_RAW));
}

#[test]
fn rsqrt_known_values() {
    assert_eq!(rsqrt(Fx::ONE), (Fx::ONE, false));
    assert_eq!(rsqrt(fx(4.0)), (fx(0.5), false));
    assert_eq!(rsqrt(fx(0.25)), (fx(2.0), false));
    assert_eq!(rsqrt(Fx::ZERO), (Fx::MAX, true));
    assert_eq!(rsqrt(fx(-1.0)), (Fx::MAX, true));
    assert_eq!(isqrt_u128(u128::MAX), u128::from(u64::MAX));
}

#[test]
fn softmax_sums_to_one_and_handles_extremes() {
    let mut v = vec![fx(1.0), fx(2.0), fx(3.0)];
    let sats = softmax_in_place(&mut v);
    assert_eq!(sats, Saturations(0));
    let exact = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];
    for (g, e) in v.iter().zip(exact) {
        assert!((g.to_f64() - e).abs() <= 5.0 * ULP, "{} vs {e}", g.to_f64());
    }
    let mut extreme = vec![Fx::MIN, Fx::MAX];
    assert_eq!(softmax_in_place(&mut extreme), Saturations(1));
    assert_eq!(extreme, vec![Fx::ZERO, Fx::ONE]);
    let mut empty: Vec<Fx> = vec![];
    assert_eq!(softmax_in_place(&mut empty), Saturations(0));
}

proptest! {
    #[test]
    fn exp_within_bound(raw in EXP_MIN_INPUT_RAW - 1000..EXP_MAX_INPUT_RAW + 1000) {
        prop_assert!(exp_error_ok(Fx(raw)).is_ok(), "{:?}", exp_error_ok(Fx(raw)));
    }

    #[test]
    fn sigmoid_tanh_within_two_ulp(raw in -(40i64 << 32)..(40i64 << 32)) {
        let x = Fx(raw).to_f64();
        let s = 1.0 / (1.0 + (-x).exp());
        prop_assert!((sigmoid(Fx(raw)).to_f64() - s).abs() <= 2.0 * ULP);
        prop_assert!((tanh(Fx(raw)).to_f64() - x.tanh()).abs() <= 2.0 * ULP);
    }

    #[test]
    fn rsqrt_within_bound(raw in 1i64..i64::MAX) {
        let x = Fx(raw).to_f64();
        let exact = 1.0 / x.sqrt();
        let (got, sat) = rsqrt(Fx(raw));
        if exact * 4_294_967_296.0 >= 9.2e18 {
            prop_assert!(sat || (got.to_f64() - exact).abs() <= exact * 1e-9);
        } else {
            prop_assert!(!sat);
            prop_assert!((got.to_f64() - exact).abs() <= ULP + exact * 2f64.powi(-40));
        }
    }

    #[test]
    fn softmax_within_bound(values in proptest::collection::vec(-(30i64 << 32)..(30i64 << 32), 1..64)) {
        let mut v: Vec<Fx> = values.iter().map(|&r| Fx(r)).collect();
        softmax_in_place(&mut v);
        let xs: Vec<f64> = values.iter().map(|&r| Fx(r).to_f64()).collect();
        let m = xs.iter().cloned().fold(f64::MIN, f64::max);
        let sum: f64 = xs.iter().map(|x| (x - m).exp()).sum();
        let bound = (values.len() as f64 + 2.0) * ULP;
        for (g, x) in v.iter().zip(&xs) {
            prop_assert!((g.to_f64() - (x - m).exp() / sum).abs() <= bound);
        }
    }
}

/// Pins the bits of the integer algorithms over a sweep of inputs: any change to them (or
/// a port that differs) changes this digest. The fixture tests pin whole models likewise.
#[test]
fn function_bits_are_pinned() {
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |v: i64| {
        for b in v.to_le_bytes() {
            digest = (digest ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    let mut x: i64 = -(24i64 << 32);
    while x < (24i64 << 32) {
        mix(exp(Fx(x)).0 .0);
        mix(sigmoid(Fx(x)).0);
        mix(tanh(Fx(x)).0);
        mix(rsqrt(Fx(x)).0 .0);
        x += 9_999_991; // about 0.0023, a prime step so the fraction bits vary
    }
    println!("digest {digest:#x}");
    assert_eq!(digest, PINNED_DIGEST);
}

const PINNED_DIGEST: u64 = 0x95cc_eb26_4910_8a97;

/// The CUDA kernels carry their own copies of the constants: they must be these.
#[test]
fn cuda_source_uses_the_same_constants() {
    let cu = include_str!("../../cuda/kernels.cu");
    let define = |name: &str| -> i128 {
        let line = cu
            .lines()
            .find(|l| l.starts_with(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("#define {name} in kernels.cu"));
        let value = line[8 + name.len()..].replace("(i128)", "");
        let digits: String = value
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().expect("a number")
    };
    assert_eq!(define("LN2_Q62"), LN2_Q62);
    assert_eq!(define("EXP_TERMS"), i128::from(EXP_TERMS));
    assert_eq!(define("EXP_MAX_INPUT_RAW"), i128::from(EXP_MAX_INPUT_RAW));
    assert_eq!(define("EXP_MIN_INPUT_RAW"), i128::from(EXP_MIN_INPUT_RAW));
    assert_eq!(define("FRAC_BITS"), i128::from(FRAC_BITS));
    let start = cu
        .find("EXP_COEFFS_Q62[EXP_TERMS + 1] = {")
        .expect("the coefficient table");
    let body = &cu[start..start + cu[start..].find("};").expect("table end")];
    let table: Vec<u64> = body
        .split(['{', ','])
        .skip(1)
        .filter_map(|t| t.trim().strip_suffix("ULL"))
        .map(|t| t.parse().expect("a coefficient"))
        .collect();
    assert_eq!(table, EXP_COEFFS_Q62.to_vec());
}
