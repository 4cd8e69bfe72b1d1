//! The verifier contract's Groth16 check on prepared keys. A chain's key is parsed (strictly,
//! by [`crate::gnark`]), converted and prepared once (`e(alpha, beta)` computed, the lines of
//! `-gamma` and `-delta` precomputed), then kept by the SHA-256 of its bytes; each proof then
//! costs its own parse (the B point's subgroup check included), the public inputs'
//! combination and three Miller loops with one final exponentiation, through ark-groth16
//! 0.5's `verify_proof`. gnark-bn254-verifier, which parses and prepares the key again on
//! every call, is the reference this path is checked against (`verifier::tests`) and
//! measured against (`cargo bench -p bitai-proofs --bench prover -- verify`).

use super::VerifyError;
use crate::gnark;
use crate::groth16::keys::{Proof, VerifyingKey};
use ark_bn254::Bn254;
use bitai_chain::field::Fr;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A key ready to verify against.
pub struct PreparedKey {
    pvk: ark_groth16::PreparedVerifyingKey<Bn254>,
    /// Public inputs it takes (its `K` points minus one).
    pub inputs: usize,
}

/// Prepared keys by SHA-256 of their bytes. Bounded; cleared when full.
static PREPARED: Mutex<BTreeMap<[u8; 32], Arc<PreparedKey>>> = Mutex::new(BTreeMap::new());
/// Most keys kept (a prepared key is about 20 KB: the two G2 points' line coefficients).
const PREPARED_MAX: usize = 1024;

/// The prepared form of `vk`, parsed and prepared unless these exact bytes were before.
pub fn prepared(vk: &[u8]) -> Result<Arc<PreparedKey>, VerifyError> {
    let digest: [u8; 32] = Sha256::digest(vk).into();
    if let Some(key) = PREPARED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&digest)
    {
        return Ok(key.clone());
    }
    let key = Arc::new(prepare(&gnark::read_vk(vk).map_err(VerifyError::BadKey)?));
    let mut keys = PREPARED.lock().unwrap_or_else(|p| p.into_inner());
    if keys.len() >= PREPARED_MAX {
        keys.clear();
    }
    keys.insert(digest, key.clone());
    Ok(key)
}

fn prepare(vk: &VerifyingKey) -> PreparedKey {
    let ark_vk = ark_groth16::VerifyingKey::<Bn254> {
        alpha_g1: convert::g1(&vk.alpha_g1),
        beta_g2: convert::g2(&vk.beta_g2),
        gamma_g2: convert::g2(&vk.gamma_g2),
        delta_g2: convert::g2(&vk.delta_g2),
        gamma_abc_g1: vk.ic.iter().map(convert::g1).collect(),
    };
    PreparedKey {
        pvk: ark_groth16::prepare_verifying_key(&ark_vk),
        inputs: vk.ic.len() - 1,
    }
}

/// Whether `proof` (parsed) verifies against `key` for `inputs` (their count checked by the
/// caller).
pub fn verify(key: &PreparedKey, proof: &Proof, inputs: &[Fr]) -> bool {
    let proof = ark_groth16::Proof::<Bn254> {
        a: convert::g1(&proof.a),
        b: convert::g2(&proof.b),
        c: convert::g1(&proof.c),
    };
    ark_groth16::Groth16::<Bn254>::verify_proof(&key.pvk, &proof, inputs).unwrap_or(false)
}

/// halo2curves' BN254 points (our prover's and parser's) as arkworks' (same curve).
pub mod convert {
    use halo2curves::ff::PrimeField as _;
    use halo2curves::group::prime::PrimeCurveAffine;

    fn fq(x: &halo2curves::bn256::Fq) -> ark_bn254::Fq {
        use ark_ff::PrimeField;
        ark_bn254::Fq::from_le_bytes_mod_order(x.to_repr().as_ref())
    }

    /// A G1 point.
    pub fn g1(p: &halo2curves::bn256::G1Affine) -> ark_bn254::G1Affine {
        if bool::from(p.is_identity()) {
            return ark_bn254::G1Affine::identity();
        }
        ark_bn254::G1Affine::new_unchecked(fq(&p.x), fq(&p.y))
    }

    /// A G2 point.
    pub fn g2(p: &halo2curves::bn256::G2Affine) -> ark_bn254::G2Affine {
        if bool::from(p.is_identity()) {
            return ark_bn254::G2Affine::identity();
        }
        let f = |c: &halo2curves::bn256::Fq2| ark_bn254::Fq2::new(fq(c.c0()), fq(c.c1()));
        ark_bn254::G2Affine::new_unchecked(f(&p.x), f(&p.y))
    }
}
