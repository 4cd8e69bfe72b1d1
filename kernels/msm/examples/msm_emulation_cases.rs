//! Writes seeded MSM cases with the CPU MSM's results for the host emulation of the CUDA
//! MSM (`cuda/emulate_msm.cpp`): `cargo run --release -p bitai-msm --example
//! msm_emulation_cases -- FILE [CASES]` (default 1,100 cases, a quarter of them G2, the edge
//! cases first).
//!
//! The file is 64-bit little-endian words: the case count, then per case the group (1 or 2),
//! `n`, the window width, the segments per window, `n` scalars (four canonical limbs each),
//! `n` infinity flags, `n` points (x then y, Montgomery limbs: four per Fq, c0 then c1 per
//! Fq2; zeros for the point at infinity), and the expected result (an infinity flag, x, y).

use bitai_msm::{field, msm_g1, msm_g2, MsmCurve};
use halo2curves::bn256::{Fr, G1Affine, G2Affine};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::{Curve, Group};
use halo2curves::CurveAffine;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// A group as the case file writes it.
trait Written: MsmCurve {
    /// The group's tag in the file.
    const TAG: u64;
    /// A base-field element as Montgomery limbs.
    fn limbs(x: &Self::Base) -> Vec<u64>;
    /// The CPU MSM.
    fn cpu_msm(scalars: &[Fr], bases: &[Self]) -> Self;
}

impl Written for G1Affine {
    const TAG: u64 = 1;
    fn limbs(x: &halo2curves::bn256::Fq) -> Vec<u64> {
        field::Fq::from_halo(x).0.to_vec()
    }
    fn cpu_msm(scalars: &[Fr], bases: &[Self]) -> Self {
        msm_g1(scalars, bases).to_affine()
    }
}

impl Written for G2Affine {
    const TAG: u64 = 2;
    fn limbs(x: &halo2curves::bn256::Fq2) -> Vec<u64> {
        let x = field::Fq2::from_halo(x);
        [x.c0.0, x.c1.0].concat()
    }
    fn cpu_msm(scalars: &[Fr], bases: &[Self]) -> Self {
        msm_g2(scalars, bases).to_affine()
    }
}

/// A point's words: x then y, zeros for the identity.
fn point_words<C: Written>(p: &C, out: &mut Vec<u64>) {
    match Option::from(p.coordinates()).filter(|_| !bool::from(p.is_identity())) {
        Some(c) => {
            let c: halo2curves::Coordinates<C> = c;
            out.extend(C::limbs(c.x()));
            out.extend(C::limbs(c.y()));
        }
        None => out.extend(std::iter::repeat_n(0, 2 * C::limbs(&C::Base::ZERO).len())),
    }
}

/// One case's words.
fn case_words<C: Written>(scalars: &[Fr], bases: &[C], c: u64, segments: u64) -> Vec<u64> {
    let mut out = vec![C::TAG, scalars.len() as u64, c, segments];
    for k in scalars {
        let repr = k.to_repr();
        out.extend(
            repr.as_ref()
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("eight bytes"))),
        );
    }
    out.extend(bases.iter().map(|p| u64::from(bool::from(p.is_identity()))));
    for p in bases {
        point_words(p, &mut out);
    }
    let want = C::cpu_msm(scalars, bases);
    out.push(u64::from(bool::from(want.is_identity())));
    point_words(&want, &mut out);
    out
}

/// Distinct points `P + i Q` (generator multiples).
fn pool<C: CurveAffine<ScalarExt = Fr>>(rng: &mut ChaCha8Rng, count: usize) -> Vec<C> {
    let step = C::Curve::generator() * Fr::random(&mut *rng);
    let mut point = C::Curve::generator() * Fr::random(&mut *rng);
    let projective: Vec<C::Curve> = (0..count)
        .map(|_| {
            point += step;
            point
        })
        .collect();
    let mut affine = vec![C::identity(); count];
    C::Curve::batch_normalize(&projective, &mut affine);
    affine
}

/// A scalar from the mix: random, zero, one, `r - 1`, small, 128-bit.
fn scalar(rng: &mut ChaCha8Rng) -> Fr {
    match rng.gen_range(0..10) {
        0 => Fr::ZERO,
        1 => Fr::ONE,
        2 => -Fr::ONE,
        3 => Fr::from(rng.gen_range(0..16u64)),
        4 => Fr::from_u128(rng.gen()),
        _ => Fr::random(&mut *rng),
    }
}

/// The named edge cases, then seeded random ones, for one group.
fn cases<C: Written>(rng: &mut ChaCha8Rng, random: usize, out: &mut Vec<Vec<u64>>) {
    let pool = pool::<C>(rng, 700);
    let p = pool[0];
    let k = |n: usize, rng: &mut ChaCha8Rng| -> Vec<Fr> {
        (0..n).map(|_| Fr::random(&mut *rng)).collect()
    };
    let mut edge: Vec<(Vec<Fr>, Vec<C>)> = vec![
        (vec![], vec![]),
        (vec![Fr::ONE], vec![p]),
        (vec![-Fr::ONE], vec![p]),
        (vec![Fr::ZERO], vec![p]),
        (vec![-Fr::ONE, Fr::ONE], vec![p, p]),
        (k(2, rng), pool[..2].to_vec()),
        (vec![Fr::ZERO; 50], pool[..50].to_vec()),
        (k(5, rng), vec![C::identity(); 5]),
        (vec![Fr::from(9u64); 64], vec![p; 64]),
        (vec![-Fr::ONE; 40], vec![p; 40]),
        (
            vec![Fr::from(3u64); 60],
            (0..60).map(|i| if i % 2 == 0 { p } else { -p }).collect(),
        ),
        (k(77, rng), pool[..77].to_vec()),
    ];
    let mut with_infinity = pool[..33].to_vec();
    with_infinity[4] = C::identity();
    edge.push((k(33, rng), with_infinity));
    for (scalars, bases) in edge {
        for c in [1, 4, 9] {
            out.push(case_words(&scalars, &bases, c, 1 + c % 3));
        }
    }
    for _ in 0..random {
        let n = if rng.gen_bool(0.9) {
            rng.gen_range(0..=40)
        } else {
            rng.gen_range(100..=600)
        };
        let few = rng.gen_bool(0.2);
        let equal = rng.gen_bool(0.1).then(|| scalar(rng));
        let scalars: Vec<Fr> = (0..n)
            .map(|_| equal.unwrap_or_else(|| scalar(rng)))
            .collect();
        let bases: Vec<C> = (0..n)
            .map(|_| match rng.gen_range(0..20) {
                0 => C::identity(),
                1 => -pool[rng.gen_range(0..if few { 3 } else { pool.len() })],
                _ => pool[rng.gen_range(0..if few { 3 } else { pool.len() })],
            })
            .collect();
        let c = rng.gen_range(1..=10);
        out.push(case_words(&scalars, &bases, c, rng.gen_range(1..=4)));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: msm_emulation_cases OUT [CASES]")?;
    let total: usize = args.next().map_or(Ok(1100), |c| c.parse())?;
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let mut all = Vec::new();
    let g2 = total / 4;
    cases::<G1Affine>(&mut rng, (total - g2).saturating_sub(39), &mut all);
    cases::<G2Affine>(&mut rng, g2.saturating_sub(39), &mut all);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    file.write_all(&(all.len() as u64).to_le_bytes())?;
    for word in all.iter().flatten() {
        file.write_all(&word.to_le_bytes())?;
    }
    file.flush()?;
    println!("msm_emulation_cases: {} cases written to {path}", all.len());
    Ok(())
}
