//! The evaluation domain of a circuit size: the `n`-th roots of unity (`n` the smallest power
//! of two above constraints plus public inputs) and a coset of them, with everything the
//! prover's seven FFTs need computed once and kept: `omega`, its inverse, and the two
//! scaling vectors that fold `1/n` and the coset shift into a single pass each.

use halo2curves::bn256::Fr;
use halo2curves::ff::{Field, PrimeField};
use halo2curves::fft::best_fft;
use rayon::prelude::*;

/// A radix-2 domain with its coset data.
#[derive(Clone, Debug)]
pub struct Domain {
    /// log2 of the size.
    pub log_n: u32,
    /// A primitive `n`-th root of unity.
    pub omega: Fr,
    /// `omega^-1`.
    pub omega_inv: Fr,
    /// `1 / (g^n - 1)`: the vanishing polynomial `x^n - 1` is this constant's inverse on the
    /// coset `g * H`.
    pub vanishing_on_coset_inv: Fr,
    /// `g^i / n`: turns inverse-FFT output into coefficients shifted onto the coset.
    to_coset: Vec<Fr>,
    /// `g^-i / n`: turns inverse-FFT output on the coset back into plain coefficients.
    from_coset: Vec<Fr>,
}

/// Why a domain cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DomainError {
    /// BN254's scalar field has roots of unity of order up to 2^28.
    #[error("domain of 2^{0} elements is larger than the field supports (2^28)")]
    TooLarge(u32),
}

impl Domain {
    /// The smallest domain with at least `size` elements.
    pub fn for_size(size: usize) -> Result<Self, DomainError> {
        let log_n = size.max(2).next_power_of_two().trailing_zeros();
        if log_n > Fr::S {
            return Err(DomainError::TooLarge(log_n));
        }
        let omega = Fr::ROOT_OF_UNITY.pow_vartime([1u64 << (Fr::S - log_n)]);
        let omega_inv = omega.invert().expect("a root of unity is invertible");
        let n = 1usize << log_n;
        let n_inv = Fr::from(n as u64).invert().expect("n is invertible");
        let g = Fr::MULTIPLICATIVE_GENERATOR;
        let g_inv = g.invert().expect("the generator is invertible");
        let vanishing_on_coset_inv = (g.pow_vartime([n as u64]) - Fr::ONE)
            .invert()
            .expect("g is not an n-th root of unity");
        Ok(Domain {
            log_n,
            omega,
            omega_inv,
            vanishing_on_coset_inv,
            to_coset: powers(n_inv, g, n),
            from_coset: powers(n_inv, g_inv, n),
        })
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        1 << self.log_n
    }

    /// Evaluations on `H` to evaluations on the coset `g * H` (two FFTs).
    pub fn evaluations_to_coset(&self, values: &mut [Fr]) {
        best_fft(values, self.omega_inv, self.log_n);
        values
            .par_iter_mut()
            .zip(self.to_coset.par_iter())
            .for_each(|(v, s)| *v *= s);
        best_fft(values, self.omega, self.log_n);
    }

    /// Evaluations on the coset `g * H` to coefficients (one FFT).
    pub fn coset_to_coefficients(&self, values: &mut [Fr]) {
        best_fft(values, self.omega_inv, self.log_n);
        values
            .par_iter_mut()
            .zip(self.from_coset.par_iter())
            .for_each(|(v, s)| *v *= s);
    }

    /// `omega^j` for every `j`.
    pub fn elements(&self) -> Vec<Fr> {
        powers(Fr::ONE, self.omega, self.size())
    }
}

/// `start * step^i` for `i < n`, computed in parallel chunks.
fn powers(start: Fr, step: Fr, n: usize) -> Vec<Fr> {
    const CHUNK: usize = 1 << 12;
    let mut out = vec![Fr::ZERO; n];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(k, chunk)| {
            let mut x = start * step.pow_vartime([(k * CHUNK) as u64]);
            for v in chunk.iter_mut() {
                *v = x;
                x *= step;
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coset_round_trip_recovers_coefficients() {
        let d = Domain::for_size(10).expect("small");
        assert_eq!(d.size(), 16);
        let coeffs: Vec<Fr> = (0..16u64).map(|i| Fr::from(i * i + 1)).collect();
        // Evaluate on H directly, then go to the coset and back to coefficients.
        let mut values = coeffs.clone();
        best_fft(&mut values, d.omega, d.log_n);
        d.evaluations_to_coset(&mut values);
        let g = Fr::MULTIPLICATIVE_GENERATOR;
        let at_g: Fr = coeffs.iter().rev().fold(Fr::ZERO, |acc, c| acc * g + c);
        assert_eq!(values[0], at_g);
        d.coset_to_coefficients(&mut values);
        assert_eq!(values, coeffs);
    }
}
