//! Single operations on the CPU backend, 1 and 2 threads: where inference time goes.
//! Run: `cargo bench -p bitai-kernels --bench ops`.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use bitai_kernels::nonlinear::{exp, sigmoid, tanh};
use bitai_kernels::{
    Activation, Backend, CpuBackend, Fx, Padding, RecurrentShape, RecurrentWeights, Window2d,
};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

fn values(n: usize, seed: i64) -> Vec<Fx> {
    (0..n as i64)
        .map(|i| Fx(((i * 7919 + seed) % 2001 - 1000) << 22))
        .collect()
}

fn ops(c: &mut Criterion) {
    let mut g = c.benchmark_group("ops");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let xs = values(1000, 3);
    g.bench_function("exp x1000", |b| {
        b.iter(|| xs.iter().map(|&x| exp(black_box(x)).0 .0).sum::<i64>())
    });
    g.bench_function("sigmoid x1000", |b| {
        b.iter(|| xs.iter().map(|&x| sigmoid(black_box(x)).0).sum::<i64>())
    });
    g.bench_function("tanh x1000", |b| {
        b.iter(|| xs.iter().map(|&x| tanh(black_box(x)).0).sum::<i64>())
    });
    for threads in [1, 2] {
        let cpu = CpuBackend::new(threads).expect("pool");
        let (x, k, bias) = (values(400, 1), values(400 * 120, 2), values(120, 3));
        let mut out = vec![Fx::ZERO; 120];
        g.bench_function(format!("dense 400x120/{threads}t"), |b| {
            b.iter(|| {
                cpu.dense(&x, 1, 400, 120, &k, Some(&bias), &mut out)
                    .expect("valid")
            })
        });
        let geom =
            Window2d::new((28, 28), 1, (5, 5), (1, 1), (1, 1), Padding::Same).expect("valid");
        let (img, ck, cb) = (values(784, 4), values(25 * 6, 5), values(6, 6));
        let mut cout = vec![Fx::ZERO; 28 * 28 * 6];
        g.bench_function(format!("conv 28x28x1 5x5x6/{threads}t"), |b| {
            b.iter(|| {
                cpu.conv2d(&img, &geom, 6, &ck, Some(&cb), &mut cout)
                    .expect("valid")
            })
        });
        let shape = RecurrentShape {
            steps: 20,
            input_dim: 16,
            units: 32,
            return_sequences: false,
        };
        let (seq, lk, lu, lb) = (
            values(320, 7),
            values(16 * 128, 8),
            values(32 * 128, 9),
            values(128, 10),
        );
        let w = RecurrentWeights {
            kernel: &lk,
            recurrent: &lu,
            bias: Some(&lb),
        };
        let mut lout = vec![Fx::ZERO; 32];
        g.bench_function(format!("lstm 20x16->32/{threads}t"), |b| {
            b.iter(|| {
                cpu.lstm(
                    &seq,
                    &shape,
                    &w,
                    Activation::Tanh,
                    Activation::Sigmoid,
                    &mut lout,
                )
                .expect("valid")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, ops);
criterion_main!(benches);
