//! The Groth16 setup of one circuit shape, made deterministically from a seed.
//!
//! **A devnet key is not secure.** Whoever knows the seed knows the toxic waste
//! (`tau, alpha, beta, gamma, delta`) and can prove anything; the seed is in configs and logs.
//! Every run says so with a `warn!`. A production chain needs a key from a multi-party
//! ceremony (for example a Powers of Tau file and a circuit-specific phase 2), which this
//! crate does not run.
//!
//! The queries follow the Groth16 paper with arkworks' QAP conventions: for each instance
//! variable `i` one extra domain point `m + i` (m constraints) carries `u_i`, so that every
//! public input is bound even when no constraint uses it.

use super::domain::Domain;
use super::fixed_base::FixedBase;
use super::keys::{ProvingKey, SparseBases, VerifyingKey};
use super::r1cs::R1cs;
use halo2curves::bn256::{Fr, G1, G2};
use halo2curves::ff::{BatchInvert, Field, PrimeField};
use halo2curves::group::Curve;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// Why a setup failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetupError {
    /// The circuit does not fit any domain.
    #[error("domain: {0}")]
    Domain(#[from] super::domain::DomainError),
}

/// The toxic waste of a setup.
struct Trapdoor {
    tau: Fr,
    alpha: Fr,
    beta: Fr,
    gamma: Fr,
    delta: Fr,
}

/// Makes the devnet proving key of `r1cs` from `seed`. Same seed and circuit: same key.
pub fn devnet_setup(r1cs: &R1cs, seed: &[u8]) -> Result<ProvingKey, SetupError> {
    tracing::warn!(
        "DEVNET GROTH16 SETUP from a known seed: this key is NOT SECURE, anyone with the seed \
         can forge proofs; never register it for a chain that holds value"
    );
    let digest = r1cs.digest();
    let mut h = Sha256::new();
    h.update(b"bitai devnet groth16 setup v1");
    h.update(seed);
    h.update(digest);
    let mut rng = ChaCha20Rng::from_seed(h.finalize().into());
    let mut nonzero = || loop {
        let x = Fr::random(&mut rng);
        if !bool::from(x.is_zero()) {
            return x;
        }
    };
    let t = Trapdoor {
        tau: nonzero(),
        alpha: nonzero(),
        beta: nonzero(),
        gamma: nonzero(),
        delta: nonzero(),
    };
    setup_with(r1cs, &t, digest)
}

fn setup_with(r1cs: &R1cs, t: &Trapdoor, digest: [u8; 32]) -> Result<ProvingKey, SetupError> {
    let m = r1cs.num_constraints();
    let domain = Domain::for_size(m + r1cs.num_instance)?;
    let n = domain.size();
    let lagrange = lagrange_at(&domain, t.tau);
    let z_tau = t.tau.pow_vartime([n as u64]) - Fr::ONE;

    let vars = r1cs.num_variables();
    let mut u = vec![Fr::ZERO; vars];
    let mut v = vec![Fr::ZERO; vars];
    let mut w = vec![Fr::ZERO; vars];
    for (matrix, out) in [(&r1cs.a, &mut u), (&r1cs.b, &mut v), (&r1cs.c, &mut w)] {
        for (row, l) in matrix.iter().zip(&lagrange) {
            for (coeff, i) in row {
                out[*i as usize] += *coeff * l;
            }
        }
    }
    for (i, ui) in u.iter_mut().enumerate().take(r1cs.num_instance) {
        *ui += lagrange[m + i];
    }

    let g1 = FixedBase::new(G1::generator());
    let g2 = FixedBase::new(G2::generator());
    let gamma_inv = t.gamma.invert().expect("gamma is nonzero");
    let delta_inv = t.delta.invert().expect("delta is nonzero");
    let combined: Vec<Fr> = (0..vars)
        .into_par_iter()
        .map(|i| t.beta * u[i] + t.alpha * v[i] + w[i])
        .collect();
    let ic_scalars: Vec<Fr> = combined[..r1cs.num_instance]
        .iter()
        .map(|x| *x * gamma_inv)
        .collect();
    let l_scalars: Vec<Fr> = combined[r1cs.num_instance..]
        .iter()
        .map(|x| *x * delta_inv)
        .collect();
    // The H query in the Lagrange basis of the coset g H, where the prover's quotient comes
    // out: K_j = L_j(tau / g) Z(tau) / delta, so that sum_j h(g w^j) K_j = h(tau) Z(tau) /
    // delta for any h of degree below n (the quotient's degree is at most n - 2).
    let g_inv = Fr::MULTIPLICATIVE_GENERATOR
        .invert()
        .expect("the generator is invertible");
    let z_over_delta = z_tau * delta_inv;
    let h_scalars: Vec<Fr> = lagrange_at(&domain, t.tau * g_inv)
        .into_par_iter()
        .map(|l| l * z_over_delta)
        .collect();

    let vk = VerifyingKey {
        alpha_g1: g1.mul(&t.alpha).to_affine(),
        beta_g1: g1.mul(&t.beta).to_affine(),
        beta_g2: g2.mul(&t.beta).to_affine(),
        gamma_g2: g2.mul(&t.gamma).to_affine(),
        delta_g1: g1.mul(&t.delta).to_affine(),
        delta_g2: g2.mul(&t.delta).to_affine(),
        ic: g1.mul_all(&ic_scalars),
    };
    let l_all = g1.mul_all(&l_scalars);
    let l_query = sparse(
        l_all
            .into_iter()
            .enumerate()
            .map(|(k, p)| ((k + r1cs.num_instance) as u32, p)),
    );
    Ok(ProvingKey {
        vk,
        r1cs_digest: digest,
        a_query: sparse(
            g1.mul_all(&u)
                .into_iter()
                .enumerate()
                .map(|(i, p)| (i as u32, p)),
        ),
        b_g1_query: sparse(
            g1.mul_all(&v)
                .into_iter()
                .enumerate()
                .map(|(i, p)| (i as u32, p)),
        ),
        b_g2_query: sparse(
            g2.mul_all(&v)
                .into_iter()
                .enumerate()
                .map(|(i, p)| (i as u32, p)),
        ),
        l_query,
        h_query: g1.mul_all(&h_scalars),
    })
}

/// Keeps the points that are not at infinity, with their variable indices.
fn sparse<C: halo2curves::group::prime::PrimeCurveAffine>(
    points: impl Iterator<Item = (u32, C)>,
) -> SparseBases<C> {
    let mut out = SparseBases::default();
    for (i, p) in points {
        if !bool::from(p.is_identity()) {
            out.index.push(i);
            out.bases.push(p);
        }
    }
    out
}

/// `L_j(tau) = Z(tau) omega^j / (n (tau - omega^j))` for every domain point `j`.
fn lagrange_at(domain: &Domain, tau: Fr) -> Vec<Fr> {
    let n = domain.size();
    let elements = domain.elements();
    let z_over_n = (tau.pow_vartime([n as u64]) - Fr::ONE)
        * Fr::from(n as u64).invert().expect("n is invertible");
    let mut denominators: Vec<Fr> = elements.iter().map(|w| tau - w).collect();
    denominators.batch_invert();
    elements
        .iter()
        .zip(denominators)
        .map(|(w, d)| z_over_n * w * d)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2curves::fft::best_fft;

    /// The H query's basis: for any polynomial `p` of degree below n, its values on the coset
    /// `g H` weighted by `L_j(x / g)` give `p(x)`, which is what lets the prover hand the
    /// quotient's coset evaluations to the MSM without an inverse FFT.
    #[test]
    fn coset_lagrange_basis_interpolates() {
        let domain = Domain::for_size(16).expect("small domain");
        let n = domain.size();
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let coeffs: Vec<Fr> = (0..n).map(|_| Fr::random(&mut rng)).collect();
        let at = |x: Fr| coeffs.iter().rev().fold(Fr::ZERO, |acc, c| acc * x + c);
        let g = Fr::MULTIPLICATIVE_GENERATOR;
        // Values on g H straight from the coefficients, and through the domain's coset FFT.
        let mut on_coset: Vec<Fr> = coeffs
            .iter()
            .zip(powers_of(g, n))
            .map(|(c, gi)| *c * gi)
            .collect();
        best_fft(&mut on_coset, domain.omega, domain.log_n);
        let mut via_domain = coeffs.clone();
        best_fft(&mut via_domain, domain.omega, domain.log_n);
        domain.evaluations_to_coset(&mut via_domain);
        assert_eq!(on_coset, via_domain);
        let x = Fr::random(&mut rng);
        let basis = lagrange_at(&domain, x * g.invert().expect("nonzero"));
        let interpolated: Fr = on_coset.iter().zip(&basis).map(|(v, l)| *v * l).sum();
        assert_eq!(interpolated, at(x));
    }

    fn powers_of(x: Fr, n: usize) -> Vec<Fr> {
        std::iter::successors(Some(Fr::ONE), |p| Some(*p * x))
            .take(n)
            .collect()
    }
}
