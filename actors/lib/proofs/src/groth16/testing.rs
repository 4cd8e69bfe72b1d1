//! Small circuits and conversions shared by the tests of the prover, the gnark format and
//! the verifier (compiled for tests only).

use super::keys::{Proof, VerifyingKey};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;

/// Proves knowledge of `x` with `x^(2^rounds) + x = y` for public `y`; a second public input
/// `tag` is used by no constraint, to show that the setup binds it anyway.
#[derive(Clone, Copy, Debug)]
pub struct PowerCircuit {
    /// The secret.
    pub x: u64,
    /// Squarings.
    pub rounds: usize,
    /// The unused public input.
    pub tag: u64,
}

impl PowerCircuit {
    /// The public inputs `(y, tag)`.
    pub fn public(&self) -> Vec<Fr> {
        let x = Fr::from(self.x);
        let mut p = x;
        for _ in 0..self.rounds {
            p *= p;
        }
        vec![p + x, Fr::from(self.tag)]
    }
}

impl ConstraintSynthesizer<Fr> for PowerCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let public = self.public();
        let y = FpVar::new_input(cs.clone(), || Ok(public[0]))?;
        let _tag = FpVar::new_input(cs.clone(), || Ok(public[1]))?;
        let x = FpVar::new_witness(cs, || Ok(Fr::from(self.x)))?;
        let mut p = x.clone();
        for _ in 0..self.rounds {
            p = &p * &p;
        }
        (p + x).enforce_equal(&y)
    }
}

use crate::verifier::prepared::convert::{g1, g2};

/// Verifies with ark-groth16 0.5, as an independent check of our prover and setup.
pub fn ark_verify(vk: &VerifyingKey, proof: &Proof, public: &[Fr]) -> bool {
    use ark_ec::AffineRepr;
    let _ = ark_bn254::G1Affine::generator();
    let vk = ark_groth16::VerifyingKey::<ark_bn254::Bn254> {
        alpha_g1: g1(&vk.alpha_g1),
        beta_g2: g2(&vk.beta_g2),
        gamma_g2: g2(&vk.gamma_g2),
        delta_g2: g2(&vk.delta_g2),
        gamma_abc_g1: vk.ic.iter().map(g1).collect(),
    };
    let proof = ark_groth16::Proof::<ark_bn254::Bn254> {
        a: g1(&proof.a),
        b: g2(&proof.b),
        c: g1(&proof.c),
    };
    let pvk = ark_groth16::prepare_verifying_key(&vk);
    ark_groth16::Groth16::<ark_bn254::Bn254>::verify_proof(&pvk, &proof, public).unwrap_or(false)
}
