//! Our Groth16 prover on halo2curves. Given the circuit's matrices (kept from setup), its
//! domain (kept) and a fresh assignment, it computes
//!
//! - the evaluations of `h(x) = (a(x) b(x) - c(x)) / Z(x)` on the coset `g H`, with six FFTs
//!   of halo2curves' `best_fft`, the coset scaling folded into the domain's precomputed
//!   vectors; the proving key's H query is in the coset's Lagrange basis, so `h` is never
//!   turned back into coefficients (the seventh FFT of the textbook prover);
//! - `A = alpha + sum z_i u_i + r delta` and `B = beta + sum z_i v_i + s delta` (in G2),
//!   each one MSM;
//! - `C = sum_w z_w l_w + sum_j h(g w^j) K_j + r sum_i z_i v_i + s A + r beta` as one MSM
//!   over L, H and B's G1 query together (the textbook `s A + r B - r s delta` with `B` in
//!   G1 expanded: B in G1 is never formed on its own, and one MSM of the summed size takes
//!   fewer additions than three);
//!
//! every MSM through halo2curves' `msm_best`.
//!
//! What only a prover of our own can do: the assignment of a circuit full of bit
//! decompositions is mostly zeros and ones, so each MSM drops the zero scalars, adds the
//! points of the one scalars without any multiplication, and hands only the rest to
//! `msm_best`; the queries are stored without their points at infinity; the H query is
//! stored in the basis the quotient comes out in; and the matrices are not rebuilt for each
//! proof (arkworks synthesises the assignment alone).

use super::domain::Domain;
use super::keys::{Proof, ProvingKey, SparseBases};
use super::r1cs::{eval, R1cs};
use halo2curves::bn256::{Fr, G1, G2};
use halo2curves::ff::Field;
use halo2curves::group::{Curve, Group};
use halo2curves::msm::msm_best;
use halo2curves::CurveAffine;
use rand::RngCore;
use rayon::prelude::*;

/// Why a proof could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProveError {
    /// The assignment does not satisfy the constraints (an invalid block never gets a proof).
    #[error("the assignment does not satisfy the circuit")]
    Unsatisfied,
    /// The assignment has the wrong number of variables.
    #[error("assignment has {got} variables, the circuit {expected}")]
    WrongAssignment {
        /// Variables of the circuit.
        expected: usize,
        /// Variables given.
        got: usize,
    },
    /// The key was made for another circuit or domain.
    #[error("proving key does not match the circuit")]
    KeyMismatch,
}

/// Proves that `z` satisfies `r1cs`, with randomness from `rng`.
pub fn prove(
    pk: &ProvingKey,
    r1cs: &R1cs,
    domain: &Domain,
    z: &[Fr],
    rng: &mut impl RngCore,
) -> Result<Proof, ProveError> {
    if z.len() != r1cs.num_variables() {
        return Err(ProveError::WrongAssignment {
            expected: r1cs.num_variables(),
            got: z.len(),
        });
    }
    if pk.h_query.len() != domain.size() || pk.vk.ic.len() != r1cs.num_instance {
        return Err(ProveError::KeyMismatch);
    }
    let h = quotient_on_coset(r1cs, domain, z)?;
    let r = Fr::random(&mut *rng);
    let s = Fr::random(&mut *rng);
    let vk = &pk.vk;

    let a_sum = msm_sparse(&pk.a_query, z);
    // Side by side, so that the two cores share out both MSMs' windows (msm_best splits an
    // MSM by window, and C's window count is odd).
    let (b2_sum, c_sum) = rayon::join(|| msm_sparse(&pk.b_g2_query, z), || c_msm(pk, z, &h, r));
    let a = G1::from(vk.alpha_g1) + a_sum + G1::from(vk.delta_g1) * r;
    let b2 = G2::from(vk.beta_g2) + b2_sum + G2::from(vk.delta_g2) * s;
    let c = c_sum + a * s + G1::from(vk.beta_g1) * r;
    Ok(Proof {
        a: a.to_affine(),
        b: b2.to_affine(),
        c: c.to_affine(),
    })
}

/// `sum_w z_w l_w + sum_j h_j K_j + r sum_i z_i v_i(tau)` (C's MSM part) as a single
/// `msm_best` over the three queries: zero scalars dropped, the one scalars of L and B added
/// directly (B's then scaled by `r` once), `r` folded into B's other scalars.
pub fn c_msm(pk: &ProvingKey, z: &[Fr], h: &[Fr], r: Fr) -> G1 {
    // L's terms are the buffer the other two are appended to (no copy of L).
    let Split {
        ones: l_ones,
        mut coeffs,
        mut bases,
    } = split(&pk.l_query, z);
    let b = split(&pk.b_g1_query, z);
    coeffs.reserve(b.coeffs.len() + h.len());
    bases.reserve(b.bases.len() + h.len());
    coeffs.extend(b.coeffs.iter().map(|c| *c * r));
    bases.extend_from_slice(&b.bases);
    coeffs.extend_from_slice(h);
    bases.extend_from_slice(&pk.h_query);
    msm_best(&coeffs, &bases) + l_ones + b.ones * r
}

/// A query's terms for an assignment: the sum of the points whose scalar is one, and the
/// scalars and points of the rest, zero scalars left out.
struct Split<C: CurveAffine> {
    ones: C::Curve,
    coeffs: Vec<Fr>,
    bases: Vec<C>,
}

fn split<C: CurveAffine<ScalarExt = Fr>>(q: &SparseBases<C>, z: &[Fr]) -> Split<C> {
    const CHUNK: usize = 1 << 14;
    let parts: Vec<Split<C>> = q
        .index
        .par_chunks(CHUNK)
        .zip(q.bases.par_chunks(CHUNK))
        .map(|(index, bases)| {
            let mut part = Split {
                ones: C::Curve::identity(),
                coeffs: Vec::new(),
                bases: Vec::new(),
            };
            for (i, base) in index.iter().zip(bases) {
                let scalar = z[*i as usize];
                if scalar == Fr::ONE {
                    part.ones += base;
                } else if scalar != Fr::ZERO {
                    part.coeffs.push(scalar);
                    part.bases.push(*base);
                }
            }
            part
        })
        .collect();
    let mut out = Split {
        ones: C::Curve::identity(),
        coeffs: Vec::with_capacity(parts.iter().map(|p| p.coeffs.len()).sum()),
        bases: Vec::with_capacity(parts.iter().map(|p| p.bases.len()).sum()),
    };
    for part in parts {
        out.ones += part.ones;
        out.coeffs.extend(part.coeffs);
        out.bases.extend(part.bases);
    }
    out
}

/// The evaluations of `h(x)` on the coset `g H`, in the order of `g w^j`.
pub fn quotient_on_coset(r1cs: &R1cs, domain: &Domain, z: &[Fr]) -> Result<Vec<Fr>, ProveError> {
    let n = domain.size();
    let m = r1cs.num_constraints();
    let evaluate = |matrix: &[super::r1cs::Row], instance_rows: bool| -> Vec<Fr> {
        let mut out = vec![Fr::ZERO; n];
        out[..m]
            .par_iter_mut()
            .zip(matrix.par_iter())
            .for_each(|(o, row)| *o = eval(row, z));
        if instance_rows {
            out[m..m + r1cs.num_instance].copy_from_slice(&z[..r1cs.num_instance]);
        }
        out
    };
    let (mut a, (mut b, mut c)) = rayon::join(
        || evaluate(&r1cs.a, true),
        || rayon::join(|| evaluate(&r1cs.b, false), || evaluate(&r1cs.c, false)),
    );
    let satisfied = a[..m]
        .par_iter()
        .zip(&b[..m])
        .zip(&c[..m])
        .all(|((a, b), c)| *a * b == *c);
    if !satisfied {
        return Err(ProveError::Unsatisfied);
    }
    rayon::join(
        || domain.evaluations_to_coset(&mut a),
        || {
            rayon::join(
                || domain.evaluations_to_coset(&mut b),
                || domain.evaluations_to_coset(&mut c),
            )
        },
    );
    let z_inv = domain.vanishing_on_coset_inv;
    a.par_iter_mut()
        .zip(b.par_iter())
        .zip(c.par_iter())
        .for_each(|((a, b), c)| {
            *a = (*a * b - c) * z_inv;
        });
    Ok(a)
}

/// `sum z[index_k] * bases_k`: zero scalars dropped, one scalars added without
/// multiplication, the rest through `msm_best`.
pub fn msm_sparse<C: CurveAffine<ScalarExt = Fr>>(q: &SparseBases<C>, z: &[Fr]) -> C::Curve {
    let part = split(q, z);
    part.ones + msm_best(&part.coeffs, &part.bases)
}
