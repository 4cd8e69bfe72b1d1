//! Export for snarkjs, so that a chain's proofs can be checked with a tool nobody here wrote:
//! `snarkjs groth16 verify verification_key.json public.json proof.json`.
//!
//! snarkjs names BN254 `bn128` and writes points as decimal strings in projective form with
//! `z = 1`: G1 as `[x, y, "1"]`, G2 as `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`.

use crate::groth16::keys::{Proof, VerifyingKey};
use ark_ff::PrimeField;
use bitai_chain::field::{fr_to_decimal, Fr};
use halo2curves::bn256::{Fq, Fq2, G1Affine, G2Affine};
use halo2curves::ff::PrimeField as _;
use halo2curves::group::prime::PrimeCurveAffine;
use serde_json::{json, Value};

fn fq(x: &Fq) -> String {
    ark_bn254::Fq::from_le_bytes_mod_order(x.to_repr().as_ref())
        .into_bigint()
        .to_string()
}

fn fq2(x: &Fq2) -> Value {
    json!([fq(x.c0()), fq(x.c1())])
}

fn g1(p: &G1Affine) -> Value {
    if bool::from(p.is_identity()) {
        return json!(["0", "1", "0"]);
    }
    json!([fq(&p.x), fq(&p.y), "1"])
}

fn g2(p: &G2Affine) -> Value {
    if bool::from(p.is_identity()) {
        return json!([["0", "0"], ["1", "0"], ["0", "0"]]);
    }
    json!([fq2(&p.x), fq2(&p.y), ["1", "0"]])
}

/// snarkjs' `verification_key.json`.
pub fn verification_key(vk: &VerifyingKey) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.ic.len().saturating_sub(1),
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.ic.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// snarkjs' `proof.json`.
pub fn proof(p: &Proof) -> Value {
    json!({
        "pi_a": g1(&p.a),
        "pi_b": g2(&p.b),
        "pi_c": g1(&p.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// snarkjs' `public.json`: the public inputs as decimal strings.
pub fn public(inputs: &[Fr]) -> Value {
    Value::Array(
        inputs
            .iter()
            .map(|x| Value::String(fr_to_decimal(x)))
            .collect(),
    )
}

#[cfg(test)]
mod tests;
