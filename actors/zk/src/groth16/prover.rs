//! Our Groth16 prover on halo2curves. Given the circuit's matrices (kept from setup), its
//! domain (kept) and a fresh assignment, it computes
//!
//! - `h(x) = (a(x) b(x) - c(x)) / Z(x)` with seven FFTs of halo2curves' `best_fft`, the
//!   coset scaling folded into the domain's precomputed vectors;
//! - `A = alpha + sum z_i u_i + r delta`, `B = beta + sum z_i v_i + s delta` (G2, and in G1
//!   for `C`), `C = sum_w z_w l_w + sum h_i H_i + s A + r B - r s delta`, every MSM through
//!   halo2curves' `msm_best`.
//!
//! What only a prover of our own can do: the assignment of a circuit full of bit
//! decompositions is mostly zeros and ones, so each MSM drops the zero scalars, adds the
//! points of the one scalars without any multiplication, and hands only the rest to
//! `msm_best`; the queries are stored without their points at infinity; and the matrices
//! are not rebuilt for each proof (arkworks synthesises the assignment alone).

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
    if pk.h_query.len() + 1 != domain.size() || pk.vk.ic.len() != r1cs.num_instance {
        return Err(ProveError::KeyMismatch);
    }
    let h = quotient(r1cs, domain, z)?;
    let r = Fr::random(&mut *rng);
    let s = Fr::random(&mut *rng);
    let vk = &pk.vk;

    let (a_sum, (b1_sum, (b2_sum, (l_sum, h_sum)))) = rayon::join(
        || msm_sparse(&pk.a_query, z),
        || {
            rayon::join(
                || msm_sparse(&pk.b_g1_query, z),
                || {
                    rayon::join(
                        || msm_sparse(&pk.b_g2_query, z),
                        || {
                            rayon::join(
                                || msm_sparse(&pk.l_query, z),
                                || msm_best(&h[..pk.h_query.len()], &pk.h_query),
                            )
                        },
                    )
                },
            )
        },
    );
    let delta_g1 = G1::from(vk.delta_g1);
    let a = G1::from(vk.alpha_g1) + a_sum + delta_g1 * r;
    let b1 = G1::from(vk.beta_g1) + b1_sum + delta_g1 * s;
    let b2 = G2::from(vk.beta_g2) + b2_sum + G2::from(vk.delta_g2) * s;
    let c = l_sum + h_sum + a * s + b1 * r - delta_g1 * (r * s);
    Ok(Proof {
        a: a.to_affine(),
        b: b2.to_affine(),
        c: c.to_affine(),
    })
}

/// The coefficients of `h(x)` (length n; the top one is zero for a satisfying assignment).
pub fn quotient(r1cs: &R1cs, domain: &Domain, z: &[Fr]) -> Result<Vec<Fr>, ProveError> {
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
    domain.coset_to_coefficients(&mut a);
    Ok(a)
}

/// `sum z[index_k] * bases_k`: zero scalars dropped, one scalars added without
/// multiplication, the rest through `msm_best`.
pub fn msm_sparse<C: CurveAffine<ScalarExt = Fr>>(q: &SparseBases<C>, z: &[Fr]) -> C::Curve {
    const CHUNK: usize = 1 << 14;
    let parts: Vec<(C::Curve, Vec<Fr>, Vec<C>)> = q
        .index
        .par_chunks(CHUNK)
        .zip(q.bases.par_chunks(CHUNK))
        .map(|(index, bases)| {
            let mut ones = C::Curve::identity();
            let mut coeffs = Vec::new();
            let mut rest = Vec::new();
            for (i, base) in index.iter().zip(bases) {
                let scalar = z[*i as usize];
                if scalar == Fr::ONE {
                    ones += base;
                } else if scalar != Fr::ZERO {
                    coeffs.push(scalar);
                    rest.push(*base);
                }
            }
            (ones, coeffs, rest)
        })
        .collect();
    let mut ones = C::Curve::identity();
    let mut coeffs = Vec::new();
    let mut rest = Vec::new();
    for (o, c, r) in parts {
        ones += o;
        coeffs.extend(c);
        rest.extend(r);
    }
    ones + msm_best(&coeffs, &rest)
}
