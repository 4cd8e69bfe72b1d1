//! Our MSM against halo2curves' `msm_best` and ark-ec's `VariableBaseMSM::msm`, G1 and G2, on
//! the same random points and scalars (converted to arkworks types once, outside the timing),
//! several repetitions interleaved, medians and ratios printed: of the wall-clock time and of
//! the process' CPU time (all threads), which a shared machine's other load disturbs less.
//!
//! Run: `cargo bench -p bitai-msm --bench msm -- --sizes 16,18,20 --reps 5 --curves g1,g2`.
#![allow(missing_docs)]
// a bench binary
// Benchmarks measure wall time and seed their own inputs: the determinism contract (clippy.toml)
// is for actors.
#![allow(clippy::disallowed_methods)]

#[path = "msm/arkworks.rs"]
mod arkworks;
#[path = "msm/cpu_time.rs"]
mod cpu_time;
#[path = "msm/inputs.rs"]
mod inputs;

use halo2curves::bn256::{Fr, G1Affine, G2Affine};
use halo2curves::msm::msm_best;
use std::time::Instant;

/// Command-line options.
struct Options {
    sizes: Vec<u32>,
    reps: usize,
    curves: Vec<String>,
}

fn options() -> Options {
    let mut options = Options {
        sizes: vec![16, 18, 20],
        reps: 5,
        curves: vec!["g1".into(), "g2".into()],
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--sizes" => {
                options.sizes = value
                    .split(',')
                    .map(|s| s.parse().expect("--sizes takes log2 sizes: 16,18,20"))
                    .collect()
            }
            "--reps" => options.reps = value.parse().expect("--reps takes a count"),
            "--curves" => options.curves = value.split(',').map(str::to_owned).collect(),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    options
}

/// Wall-clock and CPU seconds taken by `f`, and its result.
fn time<T>(f: impl FnOnce() -> T) -> ((f64, f64), T) {
    let (cpu, start) = (cpu_time::cpu_ns(), Instant::now());
    let out = f();
    let cpu = (cpu_time::cpu_ns() - cpu) as f64 / 1e9;
    ((start.elapsed().as_secs_f64(), cpu), out)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Times the three implementations `reps` times, interleaved, and prints one line.
fn compare(label: &str, reps: usize, mut runs: [&mut dyn FnMut() -> bool; 3]) {
    let mut walls = [vec![], vec![], vec![]];
    let mut cpus = [vec![], vec![], vec![]];
    for _ in 0..reps {
        for ((run, walls), cpus) in runs.iter_mut().zip(&mut walls).zip(&mut cpus) {
            let ((wall, cpu), ok) = time(&mut **run);
            assert!(ok, "{label}: the implementations disagree");
            walls.push(wall);
            cpus.push(cpu);
        }
    }
    for (kind, times) in [("wall", walls), ("cpu", cpus)] {
        let [ours, best, ark] = times.map(median);
        println!(
            "{label:<8} {kind:<4} ours {:>8.1} ms  msm_best {:>8.1} ms  ark-ec {:>8.1} ms  \
             msm_best/ours {:>5.2}x  ark-ec/ours {:>5.2}x",
            ours * 1e3,
            best * 1e3,
            ark * 1e3,
            best / ours,
            ark / ours
        );
    }
}

fn main() {
    let options = options();
    println!(
        "threads: {}, repetitions: {} (medians)",
        rayon::current_num_threads(),
        options.reps
    );
    for &log_n in &options.sizes {
        let n = 1usize << log_n;
        let scalars: Vec<Fr> = inputs::scalars(n, u64::from(log_n));
        let ark_scalars = arkworks::scalars(&scalars);
        if options.curves.iter().any(|c| c == "g1") {
            let bases: Vec<G1Affine> = inputs::bases(n, 100 + u64::from(log_n));
            let ark_bases = arkworks::g1_bases(&bases);
            let want = bitai_msm::msm_g1(&scalars, &bases);
            assert_eq!(want, msm_best(&scalars, &bases), "msm_best disagrees");
            assert!(arkworks::g1_equals(
                &arkworks::g1_msm(&ark_bases, &ark_scalars),
                &want
            ));
            compare(
                &format!("G1 2^{log_n}"),
                options.reps,
                [
                    &mut || bitai_msm::msm_g1(&scalars, &bases) == want,
                    &mut || msm_best(&scalars, &bases) == want,
                    &mut || arkworks::g1_equals(&arkworks::g1_msm(&ark_bases, &ark_scalars), &want),
                ],
            );
        }
        if options.curves.iter().any(|c| c == "g2") {
            let bases: Vec<G2Affine> = inputs::bases(n, 200 + u64::from(log_n));
            let ark_bases = arkworks::g2_bases(&bases);
            let want = bitai_msm::msm_g2(&scalars, &bases);
            assert_eq!(want, msm_best(&scalars, &bases), "msm_best disagrees");
            assert!(arkworks::g2_equals(
                &arkworks::g2_msm(&ark_bases, &ark_scalars),
                &want
            ));
            compare(
                &format!("G2 2^{log_n}"),
                options.reps,
                [
                    &mut || bitai_msm::msm_g2(&scalars, &bases) == want,
                    &mut || msm_best(&scalars, &bases) == want,
                    &mut || arkworks::g2_equals(&arkworks::g2_msm(&ark_bases, &ark_scalars), &want),
                ],
            );
        }
    }
}
