//! Small circuits and conversions shared by the tests of the prover, the gnark format and
//! the verifier (compiled for tests only).

use super::keys::{Proof, VerifyingKey};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use bitai_chain::field::Fr;
use halo2curves::ff::PrimeField as _;

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

fn fq(x: &halo2curves::bn256::Fq) -> ark_bn254::Fq {
    use ark_ff::PrimeField;
    ark_bn254::Fq::from_le_bytes_mod_order(x.to_repr().as_ref())
}

fn g1(p: &halo2curves::bn256::G1Affine) -> ark_bn254::G1Affine {
    use halo2curves::group::prime::PrimeCurveAffine;
    if bool::from(p.is_identity()) {
        return ark_bn254::G1Affine::identity();
    }
    ark_bn254::G1Affine::new(fq(&p.x), fq(&p.y))
}

fn g2(p: &halo2curves::bn256::G2Affine) -> ark_bn254::G2Affine {
    use halo2curves::group::prime::PrimeCurveAffine;
    if bool::from(p.is_identity()) {
        return ark_bn254::G2Affine::identity();
    }
    let f = |c: &halo2curves::bn256::Fq2| ark_bn254::Fq2::new(fq(c.c0()), fq(c.c1()));
    ark_bn254::G2Affine::new(f(&p.x), f(&p.y))
}

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
