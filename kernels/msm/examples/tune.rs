//! Tuning aids, in CPU time (all threads):
//! - `cargo run --release -p bitai-msm --example tune -- LOG_N [g1|g2]`: the MSM under fixed
//!   window widths and bucket ranges, and `msm_best`;
//! - `... --example tune -- glv [LOG_N]`: GLV on against off, G1 and G2, medians of 5
//!   interleaved runs;
//! - `... --example tune -- field`: a dependent chain of multiplications, ours and
//!   halo2curves'.
#![allow(clippy::disallowed_methods)] // wall-clock timing of a tuning run

#[path = "../benches/msm/cpu_time.rs"]
mod cpu_time;
#[path = "../benches/msm/inputs.rs"]
mod inputs;

use bitai_msm::{msm_with, MsmConfig, MsmCurve, Plan};
use halo2curves::bn256::{G1Affine, G2Affine};
use std::time::Instant;

fn run<C: MsmCurve>(log_n: u32) {
    let n = 1usize << log_n;
    let scalars = inputs::scalars(n, 1);
    let bases: Vec<C> = inputs::bases(n, 2);
    if std::env::var("TUNE_PROFILE").is_ok() {
        for _ in 0..5 {
            let _ = msm_with(&scalars, &bases, &MsmConfig::default());
        }
        return;
    }
    // The terms' largest magnitude has 127 bits for random scalars (GLV).
    let bytes = 2 * std::mem::size_of::<C::Base>();
    for t in [1, 2, 16] {
        let plan = Plan::choose(2 * n, 127, t, bytes, (None, None));
        println!("plan, {t} threads: {plan:?}");
    }
    let measure = |f: &dyn Fn()| {
        let (cpu, wall) = (cpu_time::cpu_ns(), Instant::now());
        f();
        (
            (cpu_time::cpu_ns() - cpu) as f64 / 1e6,
            wall.elapsed().as_secs_f64() * 1e3,
        )
    };
    let (cpu, wall) = measure(&|| {
        let _ = halo2curves::msm::msm_best(&scalars, &bases);
    });
    println!("msm_best: cpu {cpu:.1} ms, wall {wall:.1} ms");
    // TUNE_WIDTHS=13,14 and TUNE_BATCHES=256,512 narrow the sweep.
    let list = |name: &str, default: &[usize]| -> Vec<Option<usize>> {
        std::env::var(name).map_or_else(
            |_| default.iter().map(|&v| (v > 0).then_some(v)).collect(),
            |v| {
                v.split(',')
                    .filter_map(|x| x.parse().ok())
                    .map(|x: usize| (x > 0).then_some(x))
                    .collect()
            },
        )
    };
    for c in list("TUNE_WIDTHS", &[0, 12, 13, 14, 15, 16]) {
        for batch in list("TUNE_BATCHES", &[0, 128, 256, 512, 1024]) {
            let config = MsmConfig {
                window_bits: c.map(|c| c as u32),
                batch_size: batch,
                ..MsmConfig::default()
            };
            let (cpu, wall) = measure(&|| {
                let _ = msm_with(&scalars, &bases, &config);
            });
            println!("c {c:?} batch {batch:?}: cpu {cpu:.1} ms, wall {wall:.1} ms");
        }
    }
}

/// Dependent chains of multiplications: ours against halo2curves'.
fn field() {
    use halo2curves::ff::Field;
    let a = halo2curves::bn256::Fq::from(0x1234_5678_9abc_def1u64)
        .invert()
        .unwrap_or(halo2curves::bn256::Fq::ONE);
    let (cpu, wall) = (cpu_time::cpu_ns(), Instant::now());
    let mut x = a;
    for _ in 0..10_000_000 {
        x *= a;
        x += a;
    }
    println!(
        "halo2curves: {:.1} ns per mul+add (cpu {:.1})",
        wall.elapsed().as_secs_f64() * 1e2,
        (cpu_time::cpu_ns() - cpu) as f64 / 1e7
    );
    let b = bitai_msm::field::Fq::from_halo(&a);
    let (cpu, wall) = (cpu_time::cpu_ns(), Instant::now());
    let mut y = b;
    for _ in 0..10_000_000 {
        y = y * b + b;
    }
    println!(
        "ours: {:.1} ns per mul+add (cpu {:.1})",
        wall.elapsed().as_secs_f64() * 1e2,
        (cpu_time::cpu_ns() - cpu) as f64 / 1e7
    );
    assert_eq!(bitai_msm::field::Fq::from_halo(&x), y);
}

/// GLV on against off for one group: median CPU milliseconds of `reps` interleaved runs.
fn glv_for<C: MsmCurve>(log_n: u32, reps: usize) -> (f64, f64) {
    let n = 1usize << log_n;
    let scalars = inputs::scalars(n, 3);
    let bases: Vec<C> = inputs::bases(n, 4);
    let mut times = [vec![], vec![]];
    for _ in 0..reps {
        for (glv, times) in [true, false].into_iter().zip(times.iter_mut()) {
            let config = MsmConfig {
                glv,
                ..MsmConfig::default()
            };
            let cpu = cpu_time::cpu_ns();
            let _ = msm_with(&scalars, &bases, &config);
            times.push((cpu_time::cpu_ns() - cpu) as f64 / 1e6);
        }
    }
    let [on, off] = times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    });
    (on, off)
}

/// GLV on against off, G1 and G2.
fn glv(log_n: u32) {
    for (name, (on, off)) in [
        ("G1", glv_for::<G1Affine>(log_n, 5)),
        ("G2", glv_for::<G2Affine>(log_n, 5)),
    ] {
        println!(
            "{name} 2^{log_n}: GLV on {on:.1} ms, off {off:.1} ms (CPU, median of 5): off/on {:.2}x",
            off / on
        );
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("field") {
        return field();
    }
    if std::env::args().nth(1).as_deref() == Some("glv") {
        let log_n = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(16);
        return glv(log_n);
    }
    let log_n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(16);
    match std::env::args().nth(2).as_deref() {
        Some("g2") => run::<G2Affine>(log_n),
        _ => run::<G1Affine>(log_n),
    }
}
