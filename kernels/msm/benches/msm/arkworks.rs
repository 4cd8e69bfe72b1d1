//! The same inputs as arkworks types, arkworks' MSM, and its result compared with ours.

use ark_bn254::{Fq as ArkFq, Fq2 as ArkFq2, Fr as ArkFr, G1Affine as ArkG1, G2Affine as ArkG2};
use ark_bn254::{G1Projective, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::PrimeField as _;
use halo2curves::bn256::{Fq, Fq2, Fr, G1Affine, G2Affine, G1, G2};
use halo2curves::ff::PrimeField;
use halo2curves::group::Curve;
use halo2curves::CurveAffine;
use rayon::prelude::*;

fn fq(x: &Fq) -> ArkFq {
    ArkFq::from_le_bytes_mod_order(x.to_repr().as_ref())
}

fn fq2(x: &Fq2) -> ArkFq2 {
    ArkFq2::new(fq(x.c0()), fq(x.c1()))
}

/// The scalars as arkworks' Fr.
pub fn scalars(k: &[Fr]) -> Vec<ArkFr> {
    k.par_iter()
        .map(|k| ArkFr::from_le_bytes_mod_order(k.to_repr().as_ref()))
        .collect()
}

/// G1 bases as arkworks points (none is the identity).
pub fn g1_bases(bases: &[G1Affine]) -> Vec<ArkG1> {
    bases
        .par_iter()
        .map(|p| {
            let c = p.coordinates().expect("bench bases are not the identity");
            ArkG1::new(fq(c.x()), fq(c.y()))
        })
        .collect()
}

/// G2 bases as arkworks points (none is the identity).
pub fn g2_bases(bases: &[G2Affine]) -> Vec<ArkG2> {
    bases
        .par_iter()
        .map(|p| {
            let c = p.coordinates().expect("bench bases are not the identity");
            ArkG2::new(fq2(c.x()), fq2(c.y()))
        })
        .collect()
}

/// arkworks' G1 MSM.
pub fn g1_msm(bases: &[ArkG1], scalars: &[ArkFr]) -> G1Projective {
    G1Projective::msm(bases, scalars).expect("as many bases as scalars")
}

/// arkworks' G2 MSM.
pub fn g2_msm(bases: &[ArkG2], scalars: &[ArkFr]) -> G2Projective {
    G2Projective::msm(bases, scalars).expect("as many bases as scalars")
}

/// Whether arkworks' G1 point is ours.
pub fn g1_equals(ark: &G1Projective, ours: &G1) -> bool {
    let a = ark.into_affine();
    let o = ours.to_affine();
    match o.coordinates().into_option() {
        Some(c) => !a.infinity && a.x == fq(c.x()) && a.y == fq(c.y()),
        None => a.infinity,
    }
}

/// Whether arkworks' G2 point is ours.
pub fn g2_equals(ark: &G2Projective, ours: &G2) -> bool {
    let a = ark.into_affine();
    let o = ours.to_affine();
    match o.coordinates().into_option() {
        Some(c) => !a.infinity && a.x == fq2(c.x()) && a.y == fq2(c.y()),
        None => a.infinity,
    }
}
