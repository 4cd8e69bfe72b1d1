//! Times the MSM under fixed window widths and batch sizes (a tuning aid), in CPU time:
//! `cargo run --release -p bitai-msm --example tune -- LOG_N [g1|g2]`.
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
    let threads = rayon::current_num_threads();
    if std::env::var("TUNE_PROFILE").is_ok() {
        for _ in 0..5 {
            let _ = msm_with(&scalars, &bases, &MsmConfig::default());
        }
        return;
    }
    println!(
        "plan {:?}",
        Plan::choose(2 * n, 128, threads, 64, (None, None))
    );
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
    let widths = [None, Some(12), Some(13), Some(14), Some(15), Some(16)];
    for c in widths {
        for splits in [None, Some(1), Some(2), Some(4), Some(8)] {
            let config = MsmConfig {
                window_bits: c,
                splits,
                ..MsmConfig::default()
            };
            let (cpu, wall) = measure(&|| {
                let _ = msm_with(&scalars, &bases, &config);
            });
            println!("c {c:?} splits {splits:?}: cpu {cpu:.1} ms, wall {wall:.1} ms");
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

fn main() {
    if std::env::args().nth(1).as_deref() == Some("field") {
        return field();
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
