//! The CUDA kernels against the CPU reference: the same bits and the same saturation counts
//! for every operation, on seeded random shapes and values (including values that
//! saturate). Needs a GPU: without one (`cust::quick_init()` fails) each test prints why it
//! skips and passes. Build here, run on the GPU machine:
//! `cargo test -p bitai-kernels --features cuda --release --no-run`.
#![cfg(feature = "cuda")]

use bitai_kernels::cuda::CudaBackend;
use bitai_kernels::{
    Activation, Backend, CpuBackend, Fx, Padding, RecurrentShape, RecurrentWeights, Window2d,
};

/// A small seeded generator (splitmix64) so the cases are the same on every machine.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Mostly moderate values, sometimes huge ones that saturate.
    fn values(&mut self, n: usize) -> Vec<Fx> {
        (0..n)
            .map(|_| {
                let r = self.next() as i64;
                if self.below(50) == 0 {
                    Fx(r)
                } else {
                    Fx(r >> 28)
                }
            })
            .collect()
    }
}

/// Values of a recurrent layer's weights: mostly small (|w| < 1/2, so states stay in range
/// and the nonlinear functions see their whole curve), sometimes moderate or huge.
fn weights(g: &mut Gen, n: usize) -> Vec<Fx> {
    let big = g.below(4) == 0;
    if big {
        return g.values(n);
    }
    (0..n).map(|_| Fx((g.next() as i64) >> 33)).collect()
}

/// An activation for a recurrent layer, drawn from every kind the layers accept.
fn recurrent_activation(g: &mut Gen) -> Activation {
    match g.below(7) {
        0 => Activation::Linear,
        1 => Activation::RELU,
        2 => Activation::Relu {
            negative_slope: Fx(1 << 30),
            max_value: Some(Fx(6 << 32)),
            threshold: Fx(1 << 31),
        },
        3 => Activation::LeakyRelu { alpha: Fx(3 << 29) },
        4 => Activation::Sigmoid,
        _ => Activation::Tanh,
    }
}

fn gpu() -> Option<CudaBackend> {
    match CudaBackend::new() {
        Ok(b) => {
            println!("cuda: running on {}", b.device_name());
            Some(b)
        }
        Err(e) => {
            println!("cuda: skipping GPU-versus-CPU test, no CUDA device: {e:?}");
            None
        }
    }
}

#[test]
fn cuda_dense_and_elementwise_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let cpu = CpuBackend::new(2).expect("pool");
    let mut g = Gen(1);
    for case in 0..200 {
        let (rows, i, o) = (1 + g.below(4), 1 + g.below(300), 1 + g.below(200));
        let (x, k, b) = (g.values(rows * i), g.values(i * o), g.values(o));
        let bias = if case % 3 == 0 { None } else { Some(&b[..]) };
        let (mut c, mut d) = (vec![Fx::ZERO; rows * o], vec![Fx::ZERO; rows * o]);
        let sc = cpu.dense(&x, rows, i, o, &k, bias, &mut c).expect("cpu");
        let sg = gpu.dense(&x, rows, i, o, &k, bias, &mut d).expect("gpu");
        assert_eq!((c, sc), (d, sg), "dense case {case}");

        let n = 1 + g.below(5000);
        let last = 1 + g.below(12);
        let n = n.div_ceil(last) * last;
        let (a, b) = (g.values(n), g.values(n));
        for act in [
            Activation::RELU,
            Activation::Relu {
                negative_slope: Fx(1 << 30),
                max_value: Some(Fx(6 << 32)),
                threshold: Fx(1 << 31),
            },
            Activation::LeakyRelu { alpha: Fx(3 << 29) },
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Softmax,
        ] {
            let (mut c, mut d) = (a.clone(), a.clone());
            let sc = cpu.activation(act, &mut c, last).expect("cpu");
            let sg = gpu.activation(act, &mut d, last).expect("gpu");
            assert_eq!((c, sc), (d, sg), "{act:?} case {case}");
        }
        let (mut c, mut d) = (a.clone(), a.clone());
        let sc = cpu
            .affine_channels(&mut c, &b[..last], &a[..last])
            .expect("cpu");
        let sg = gpu
            .affine_channels(&mut d, &b[..last], &a[..last])
            .expect("gpu");
        assert_eq!((c, sc), (d, sg), "affine case {case}");
        let (mut c, mut d) = (vec![Fx::ZERO; n], vec![Fx::ZERO; n]);
        let sc = cpu.add(&a, &b, &mut c).expect("cpu");
        let sg = gpu.add(&a, &b, &mut d).expect("gpu");
        assert_eq!((&c, sc), (&d, sg), "add case {case}");
        let sc = cpu.multiply(&a, &b, &mut c).expect("cpu");
        let sg = gpu.multiply(&a, &b, &mut d).expect("gpu");
        assert_eq!((c, sc), (d, sg), "multiply case {case}");
    }
}

#[test]
fn cuda_convolutions_and_pools_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let cpu = CpuBackend::new(2).expect("pool");
    let mut g = Gen(2);
    let mut cases = 0;
    while cases < 200 {
        let (h, w, c, f) = (
            1 + g.below(20),
            1 + g.below(20),
            1 + g.below(6),
            1 + g.below(8),
        );
        let (kh, kw, s, d) = (
            1 + g.below(5),
            1 + g.below(5),
            1 + g.below(3),
            1 + g.below(2),
        );
        let padding = if g.below(2) == 0 {
            Padding::Same
        } else {
            Padding::Valid
        };
        let Ok(geom) = Window2d::new((h, w), c, (kh, kw), (s, s), (d, d), padding) else {
            continue;
        };
        cases += 1;
        let (x, k, b) = (
            g.values(h * w * c),
            g.values(kh * kw * c * f),
            g.values(c * f),
        );
        let n = geom.out_h * geom.out_w * f;
        let (mut co, mut go) = (vec![Fx::ZERO; n], vec![Fx::ZERO; n]);
        let sc = cpu
            .conv2d(&x, &geom, f, &k, Some(&b[..f]), &mut co)
            .expect("cpu");
        let sg = gpu
            .conv2d(&x, &geom, f, &k, Some(&b[..f]), &mut go)
            .expect("gpu");
        assert_eq!((co, sc), (go, sg), "conv2d {geom:?}");
        let n = geom.out_h * geom.out_w * c * f;
        let (mut co, mut go) = (vec![Fx::ZERO; n], vec![Fx::ZERO; n]);
        let sc = cpu
            .depthwise_conv2d(&x, &geom, f, &k, Some(&b), &mut co)
            .expect("cpu");
        let sg = gpu
            .depthwise_conv2d(&x, &geom, f, &k, Some(&b), &mut go)
            .expect("gpu");
        assert_eq!((co, sc), (go, sg), "depthwise {geom:?}");
        let Ok(pool) = Window2d::new((h, w), c, (kh, kw), (s, s), (1, 1), padding) else {
            continue;
        };
        let n = pool.out_h * pool.out_w * c;
        let (mut co, mut go) = (vec![Fx::ZERO; n], vec![Fx::ZERO; n]);
        cpu.max_pool2d(&x, &pool, &mut co).expect("cpu");
        gpu.max_pool2d(&x, &pool, &mut go).expect("gpu");
        assert_eq!(co, go, "max pool {pool:?}");
        cpu.avg_pool2d(&x, &pool, &mut co).expect("cpu");
        gpu.avg_pool2d(&x, &pool, &mut go).expect("gpu");
        assert_eq!(co, go, "avg pool {pool:?}");
    }
}

#[test]
fn cuda_global_pool_and_recurrent_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let cpu = CpuBackend::new(2).expect("pool");
    let mut g = Gen(3);
    for case in 0..200 {
        // Global average pooling; more than one block of channels now and then.
        let positions = 1 + g.below(400);
        let channels = 1 + g.below(if case % 10 == 0 { 700 } else { 64 });
        let x = g.values(positions * channels);
        let (mut co, mut go) = (vec![Fx::ZERO; channels], vec![Fx::ZERO; channels]);
        cpu.global_avg_pool(&x, positions, channels, &mut co)
            .expect("cpu");
        gpu.global_avg_pool(&x, positions, channels, &mut go)
            .expect("gpu");
        assert_eq!(co, go, "global pool {positions} x {channels}, case {case}");

        // SimpleRNN and LSTM; sometimes zero steps, no input features, or several blocks of
        // units.
        let units = 1 + g.below(if case % 10 == 1 { 600 } else { 40 });
        let shape = RecurrentShape {
            steps: g.below(16),
            input_dim: g.below(24),
            units,
            return_sequences: g.below(2) == 0,
        };
        let x = g.values(shape.steps * shape.input_dim);
        for gates in [1, 4] {
            let width = gates * units;
            let (k, r, b) = (
                weights(&mut g, shape.input_dim * width),
                weights(&mut g, units * width),
                weights(&mut g, width),
            );
            let w = RecurrentWeights {
                kernel: &k,
                recurrent: &r,
                bias: (case % 3 != 0).then_some(&b[..]),
            };
            let (act, rec_act) = (recurrent_activation(&mut g), recurrent_activation(&mut g));
            let n = shape.output_len();
            let (mut co, mut go) = (vec![Fx(7); n], vec![Fx(7); n]);
            let (sc, sg) = if gates == 1 {
                (
                    cpu.simple_rnn(&x, &shape, &w, act, &mut co).expect("cpu"),
                    gpu.simple_rnn(&x, &shape, &w, act, &mut go).expect("gpu"),
                )
            } else {
                (
                    cpu.lstm(&x, &shape, &w, act, rec_act, &mut co)
                        .expect("cpu"),
                    gpu.lstm(&x, &shape, &w, act, rec_act, &mut go)
                        .expect("gpu"),
                )
            };
            assert_eq!(
                (co, sc),
                (go, sg),
                "gates {gates} {shape:?} {act:?} {rec_act:?} case {case}"
            );
        }
    }
}
