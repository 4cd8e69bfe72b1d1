//! Every operation: the same bits for 1, 2 and 3 threads and on repeated runs, and close to a
//! floating-point reference (which shows the kernel computes the right thing).

use super::*;
use crate::backend::RecurrentWeights;
use crate::ops::{Padding, RecurrentShape};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::sync::OnceLock;

fn backends() -> &'static [CpuBackend] {
    static POOLS: OnceLock<Vec<CpuBackend>> = OnceLock::new();
    POOLS.get_or_init(|| {
        [1, 2, 3]
            .iter()
            .map(|&t| CpuBackend::new(t).expect("thread pool"))
            .collect()
    })
}

/// Runs `op` on every backend twice and checks that all outputs and counts agree.
fn same_on_all<F>(len: usize, op: F) -> (Vec<Fx>, u64)
where
    F: Fn(&CpuBackend, &mut [Fx]) -> u64,
{
    let mut first: Option<(Vec<Fx>, u64)> = None;
    for backend in backends() {
        for _ in 0..2 {
            let mut out = vec![Fx(0x5555); len];
            let sats = op(backend, &mut out);
            match &first {
                None => first = Some((out, sats)),
                Some(f) => {
                    assert_eq!(f.0, out, "{} differs", backend.name());
                    assert_eq!(f.1, sats, "{} counts differ", backend.name());
                }
            }
        }
    }
    first.expect("at least one backend")
}

fn values(len: usize, bound: i64) -> impl Strategy<Value = Vec<Fx>> {
    proptest::collection::vec((-bound..bound).prop_map(Fx), len)
}

fn close(got: &[Fx], want: &[f64], tol: f64) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g.to_f64() - w).abs() <= tol,
            "at {i}: {} vs {w}",
            g.to_f64()
        );
    }
}

const FOUR: i64 = 4 << 32;

fn dense_case() -> impl Strategy<Value = (usize, usize, usize, Vec<Fx>, Vec<Fx>, Vec<Fx>)> {
    (1usize..4, 1usize..40, 1usize..300).prop_flat_map(|(rows, i, o)| {
        (
            Just(rows),
            Just(i),
            Just(o),
            values(rows * i, FOUR),
            values(i * o, FOUR),
            values(o, FOUR),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn dense_is_thread_independent((rows, i, o, x, k, b) in dense_case()) {
        let (out, sats) = same_on_all(rows * o, |be, out| {
            be.dense(&x, rows, i, o, &k, Some(&b), out).expect("valid").0
        });
        prop_assert_eq!(sats, 0);
        let want: Vec<f64> = (0..rows * o).map(|n| {
            let (r, j) = (n / o, n % o);
            b[j].to_f64() + (0..i).map(|t| x[r * i + t].to_f64() * k[t * o + j].to_f64()).sum::<f64>()
        }).collect();
        close(&out, &want, 1e-6);
    }

    #[test]
    fn conv_and_pools_are_thread_independent(
        h in 1usize..12, w in 1usize..12, c in 1usize..4, f in 1usize..5,
        kh in 1usize..4, kw in 1usize..4, s in 1usize..3, d in 1usize..3, same: bool, seed: u64,
    ) {
        let padding = if same { Padding::Same } else { Padding::Valid };
        let Ok(g) = Window2d::new((h, w), c, (kh, kw), (s, s), (d, d), padding) else {
            return Ok(());
        };
        prop_assume!(kh <= h && kw <= w);
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha, &[seed as u8; 32]),
        );
        let x = values(h * w * c, FOUR).new_tree(&mut runner).expect("values").current();
        let k = values(kh * kw * c * f, FOUR).new_tree(&mut runner).expect("values").current();
        let b = values(f, FOUR).new_tree(&mut runner).expect("values").current();
        let out_len = g.out_h * g.out_w * f;
        let (out, _) = same_on_all(out_len, |be, out| {
            be.conv2d(&x, &g, f, &k, Some(&b), out).expect("valid").0
        });
        let mut want = vec![0.0; out_len];
        for oy in 0..g.out_h { for ox in 0..g.out_w { for ff in 0..f {
            let mut acc = b[ff].to_f64();
            for ky in 0..kh { for kx in 0..kw {
                if let (Some(iy), Some(ix)) = (g.in_row(oy, ky), g.in_col(ox, kx)) {
                    for ci in 0..c {
                        acc += x[(iy * w + ix) * c + ci].to_f64()
                            * k[((ky * kw + kx) * c + ci) * f + ff].to_f64();
                    }
                }
            }}
            want[(oy * g.out_w + ox) * f + ff] = acc;
        }}}
        close(&out, &want, 1e-6);
        let dw_len = g.out_h * g.out_w * c * f;
        let kd = &k[..kh * kw * c * f];
        let bd: Vec<Fx> = (0..c * f).map(|n| b[n % f]).collect();
        same_on_all(dw_len, |be, out| {
            be.depthwise_conv2d(&x, &g, f, kd, Some(&bd), out).expect("valid").0
        });
        // Pooling has no dilation in Keras.
        let g = Window2d::new((h, w), c, (kh, kw), (s, s), (1, 1), padding).expect("smaller window");
        let pool_len = g.out_h * g.out_w * c;
        let (mx, _) = same_on_all(pool_len, |be, out| { be.max_pool2d(&x, &g, out).expect("valid"); 0 });
        let (av, _) = same_on_all(pool_len, |be, out| { be.avg_pool2d(&x, &g, out).expect("valid"); 0 });
        for p in 0..g.out_h * g.out_w { for ch in 0..c {
            let (oy, ox) = (p / g.out_w, p % g.out_w);
            let mut cells = vec![];
            for ky in 0..kh { for kx in 0..kw {
                if let (Some(iy), Some(ix)) = (g.in_row(oy, ky), g.in_col(ox, kx)) {
                    cells.push(x[(iy * w + ix) * c + ch].to_f64());
                }
            }}
            let max = cells.iter().cloned().fold(f64::MIN, f64::max);
            let mean = cells.iter().sum::<f64>() / cells.len() as f64;
            prop_assert_eq!(mx[p * c + ch].to_f64(), max);
            prop_assert!((av[p * c + ch].to_f64() - mean).abs() <= 1e-9);
        }}
    }

    #[test]
    fn elementwise_ops_are_thread_independent(
        x in values(40_000, 40 << 32), y in values(40_000, 1 << 40), last in 1usize..8,
    ) {
        let n = x.len() / last * last;
        let (x, y) = (&x[..n], &y[..n]);
        for act in [Activation::RELU, Activation::LeakyRelu { alpha: Fx(1 << 30) },
                    Activation::Relu { negative_slope: Fx(1 << 29), max_value: Some(Fx(6 << 32)), threshold: Fx(1 << 31) },
                    Activation::Sigmoid, Activation::Tanh, Activation::Softmax, Activation::Linear] {
            same_on_all(n, |be, out| {
                out.copy_from_slice(x);
                be.activation(act, out, last).expect("valid").0
            });
        }
        let scale: Vec<Fx> = y[..last].to_vec();
        let shift: Vec<Fx> = x[..last].to_vec();
        same_on_all(n, |be, out| {
            out.copy_from_slice(x);
            be.affine_channels(out, &scale, &shift).expect("valid").0
        });
        let (sum, _) = same_on_all(n, |be, out| be.add(x, y, out).expect("valid").0);
        let (prod, sats) = same_on_all(n, |be, out| be.multiply(x, y, out).expect("valid").0);
        prop_assert_eq!(sum[0].0, x[0].0 + y[0].0);
        prop_assert_eq!(prod[0], x[0].mul_sat(y[0]).0);
        let expected_sats = x.iter().zip(y).filter(|(a, b)| a.mul_sat(**b).1).count() as u64;
        prop_assert_eq!(sats, expected_sats);
    }

    #[test]
    fn recurrent_layers_are_deterministic(
        steps in 0usize..6, input_dim in 1usize..5, units in 1usize..6, seq: bool, seed: u64,
    ) {
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha, &[seed as u8; 32]),
        );
        let shape = RecurrentShape { steps, input_dim, units, return_sequences: seq };
        let x = values(steps * input_dim, FOUR).new_tree(&mut runner).expect("v").current();
        let k = values(input_dim * 4 * units, 1 << 31).new_tree(&mut runner).expect("v").current();
        let u = values(units * 4 * units, 1 << 31).new_tree(&mut runner).expect("v").current();
        let b = values(4 * units, 1 << 31).new_tree(&mut runner).expect("v").current();
        let w = RecurrentWeights { kernel: &k, recurrent: &u, bias: Some(&b) };
        let (lstm_out, _) = same_on_all(shape.output_len(), |be, out| {
            be.lstm(&x, &shape, &w, Activation::Tanh, Activation::Sigmoid, out).expect("valid").0
        });
        // Outputs of an LSTM are o * tanh(c): within (-1, 1).
        prop_assert!(lstm_out.iter().all(|v| v.0.abs() <= Fx::ONE.0));
        let w1 = RecurrentWeights {
            kernel: &k[..input_dim * units], recurrent: &u[..units * units], bias: Some(&b[..units]),
        };
        same_on_all(shape.output_len(), |be, out| {
            be.simple_rnn(&x, &shape, &w1, Activation::Tanh, out).expect("valid").0
        });
    }
}

#[test]
fn wrong_lengths_are_typed_errors() {
    let be = &backends()[1];
    let mut out = vec![Fx::ZERO; 3];
    let err = be.dense(&[Fx::ONE; 4], 1, 4, 3, &[Fx::ONE; 11], None, &mut out);
    assert!(matches!(
        err,
        Err(KernelError::Length {
            what: "dense kernel",
            ..
        })
    ));
    assert!(Window2d::new((2, 2), 1, (3, 3), (1, 1), (1, 1), Padding::Valid).is_err());
    assert!(Window2d::new((2, 2), 0, (1, 1), (1, 1), (1, 1), Padding::Valid).is_err());
    assert!(be.activation(Activation::Softmax, &mut out, 2).is_err());
    assert!(be.add(&[Fx::ONE; 3], &[Fx::ONE; 2], &mut out).is_err());
}

#[test]
fn dense_overflow_saturates_and_counts() {
    let be = &backends()[0];
    let big = Fx(i64::MAX);
    let mut out = vec![Fx::ZERO; 1];
    let sats = be.dense(&[big, big, big], 1, 3, 1, &[big, big, big], None, &mut out);
    assert_eq!(sats.expect("valid"), Saturations(1));
    assert_eq!(out[0], Fx::MAX);
}

#[test]
fn same_padding_matches_keras_geometry() {
    // Keras: 5 wide, kernel 3, stride 2, same -> 3 outputs, padding 1 split (0 before? no:
    // total 2, 1 before).
    let g = Window2d::new((5, 4), 1, (3, 3), (2, 2), (1, 1), Padding::Same).expect("valid");
    assert_eq!((g.out_h, g.out_w, g.pad_top, g.pad_left), (3, 2, 1, 0));
}
