//! Groth16 keys and proofs in halo2curves' types, kept in the form the prover's MSMs want:
//! every query as contiguous affine points, with the points at infinity (variables that do
//! not appear in a matrix) left out and the variable index of each point beside it.
//!
//! The proving key is cached on disk in a file of our own (raw affine coordinates, checked
//! on load, with a SHA-256 over the whole file and the digest of the R1CS it belongs to).

use halo2curves::bn256::{G1Affine, G2Affine};
use halo2curves::serde::SerdeObject;
use sha2::{Digest, Sha256};
use std::io::Read;

/// Query points with the variable index each one multiplies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparseBases<C> {
    /// Variable index of each point.
    pub index: Vec<u32>,
    /// The points, none at infinity.
    pub bases: Vec<C>,
}

impl<C> Default for SparseBases<C> {
    fn default() -> Self {
        SparseBases {
            index: Vec::new(),
            bases: Vec::new(),
        }
    }
}

/// A Groth16 verifying key over BN254, with the G1 forms of beta and delta that gnark's
/// format carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    /// alpha in G1.
    pub alpha_g1: G1Affine,
    /// beta in G1.
    pub beta_g1: G1Affine,
    /// beta in G2.
    pub beta_g2: G2Affine,
    /// gamma in G2.
    pub gamma_g2: G2Affine,
    /// delta in G1.
    pub delta_g1: G1Affine,
    /// delta in G2.
    pub delta_g2: G2Affine,
    /// One point per instance variable, the constant one first (gnark's `K`).
    pub ic: Vec<G1Affine>,
}

/// A Groth16 proving key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvingKey {
    /// The verifying key.
    pub vk: VerifyingKey,
    /// SHA-256 digest of the R1CS this key was made for.
    pub r1cs_digest: [u8; 32],
    /// `u_i(tau)` in G1.
    pub a_query: SparseBases<G1Affine>,
    /// `v_i(tau)` in G1.
    pub b_g1_query: SparseBases<G1Affine>,
    /// `v_i(tau)` in G2.
    pub b_g2_query: SparseBases<G2Affine>,
    /// `(beta u_i + alpha v_i + w_i)(tau) / delta` for witness variables.
    pub l_query: SparseBases<G1Affine>,
    /// `L_j(tau / g) Z(tau) / delta` for `j < n`: the Lagrange basis of the coset `g H`,
    /// where the prover's quotient is evaluated.
    pub h_query: Vec<G1Affine>,
}

/// A Groth16 proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    /// A (gnark's `Ar`).
    pub a: G1Affine,
    /// B (gnark's `Bs`).
    pub b: G2Affine,
    /// C (gnark's `Krs`).
    pub c: G1Affine,
}

/// Why a cached key file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("key file i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a key file of this version, or is damaged.
    #[error("key file is corrupt: {0}")]
    Corrupt(&'static str),
    /// The key was made for another circuit.
    #[error("key file belongs to another circuit")]
    WrongCircuit,
}

/// Version 2: the H query in the Lagrange basis of the coset (version 1 files, with it in
/// powers of tau, are refused, and a devnet cache made again).
const MAGIC: &[u8; 8] = b"BITAIPK2";
/// Largest query a key file may declare (2^28 is the largest domain).
const MAX_POINTS: u64 = 1 << 28;

fn put_g1s(out: &mut Vec<u8>, points: &[G1Affine]) {
    out.extend_from_slice(&(points.len() as u64).to_le_bytes());
    points
        .iter()
        .for_each(|p| out.extend_from_slice(&p.to_raw_bytes()));
}

fn put_g2s(out: &mut Vec<u8>, points: &[G2Affine]) {
    out.extend_from_slice(&(points.len() as u64).to_le_bytes());
    points
        .iter()
        .for_each(|p| out.extend_from_slice(&p.to_raw_bytes()));
}

fn put_index(out: &mut Vec<u8>, index: &[u32]) {
    out.extend_from_slice(&(index.len() as u64).to_le_bytes());
    index
        .iter()
        .for_each(|i| out.extend_from_slice(&i.to_le_bytes()));
}

impl ProvingKey {
    /// The key file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&self.r1cs_digest);
        let vk = &self.vk;
        put_g1s(&mut out, &[vk.alpha_g1, vk.beta_g1, vk.delta_g1]);
        put_g2s(&mut out, &[vk.beta_g2, vk.gamma_g2, vk.delta_g2]);
        put_g1s(&mut out, &vk.ic);
        put_index(&mut out, &self.a_query.index);
        put_g1s(&mut out, &self.a_query.bases);
        put_index(&mut out, &self.b_g1_query.index);
        put_g1s(&mut out, &self.b_g1_query.bases);
        put_index(&mut out, &self.b_g2_query.index);
        put_g2s(&mut out, &self.b_g2_query.bases);
        put_index(&mut out, &self.l_query.index);
        put_g1s(&mut out, &self.l_query.bases);
        put_g1s(&mut out, &self.h_query);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        out
    }

    /// Reads a key file, checking its checksum, every point, and that it belongs to the
    /// circuit whose R1CS digest is `r1cs_digest`.
    pub fn from_bytes(bytes: &[u8], r1cs_digest: &[u8; 32]) -> Result<Self, KeyFileError> {
        if bytes.len() < MAGIC.len() + 64 || &bytes[..8] != MAGIC {
            return Err(KeyFileError::Corrupt("not a key file"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != sum {
            return Err(KeyFileError::Corrupt("checksum mismatch"));
        }
        let mut r = &body[8..];
        let mut digest = [0u8; 32];
        r.read_exact(&mut digest)?;
        if &digest != r1cs_digest {
            return Err(KeyFileError::WrongCircuit);
        }
        let g1 = get_g1s(&mut r)?;
        let g2 = get_g2s(&mut r)?;
        if g1.len() != 3 || g2.len() != 3 {
            return Err(KeyFileError::Corrupt("verifying key points"));
        }
        let ic = get_g1s(&mut r)?;
        let a_query = SparseBases {
            index: get_index(&mut r)?,
            bases: get_g1s(&mut r)?,
        };
        let b_g1_query = SparseBases {
            index: get_index(&mut r)?,
            bases: get_g1s(&mut r)?,
        };
        let b_g2_query = SparseBases {
            index: get_index(&mut r)?,
            bases: get_g2s(&mut r)?,
        };
        let l_query = SparseBases {
            index: get_index(&mut r)?,
            bases: get_g1s(&mut r)?,
        };
        let h_query = get_g1s(&mut r)?;
        if !r.is_empty() {
            return Err(KeyFileError::Corrupt("trailing bytes"));
        }
        let lengths_match = a_query.index.len() == a_query.bases.len()
            && b_g1_query.index.len() == b_g1_query.bases.len()
            && b_g2_query.index.len() == b_g2_query.bases.len()
            && l_query.index.len() == l_query.bases.len();
        if !lengths_match {
            return Err(KeyFileError::Corrupt("query index and point counts differ"));
        }
        Ok(ProvingKey {
            vk: VerifyingKey {
                alpha_g1: g1[0],
                beta_g1: g1[1],
                delta_g1: g1[2],
                beta_g2: g2[0],
                gamma_g2: g2[1],
                delta_g2: g2[2],
                ic,
            },
            r1cs_digest: digest,
            a_query,
            b_g1_query,
            b_g2_query,
            l_query,
            h_query,
        })
    }
}

fn get_len(r: &mut &[u8], item_bytes: usize) -> Result<usize, KeyFileError> {
    let mut len = [0u8; 8];
    r.read_exact(&mut len)?;
    let len = u64::from_le_bytes(len);
    if len > MAX_POINTS || (len as usize).saturating_mul(item_bytes) > r.len() {
        return Err(KeyFileError::Corrupt("length beyond the file"));
    }
    Ok(len as usize)
}

fn get_index(r: &mut &[u8]) -> Result<Vec<u32>, KeyFileError> {
    let len = get_len(r, 4)?;
    let (head, rest) = r.split_at(len * 4);
    *r = rest;
    Ok(head
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn get_g1s(r: &mut &[u8]) -> Result<Vec<G1Affine>, KeyFileError> {
    get_points(r, 64)
}

fn get_g2s(r: &mut &[u8]) -> Result<Vec<G2Affine>, KeyFileError> {
    get_points(r, 128)
}

fn get_points<C: SerdeObject + Send>(r: &mut &[u8], size: usize) -> Result<Vec<C>, KeyFileError> {
    use rayon::prelude::*;
    let len = get_len(r, size)?;
    let (head, rest) = r.split_at(len * size);
    *r = rest;
    head.par_chunks_exact(size)
        .map(|c| C::from_raw_bytes(c).ok_or(KeyFileError::Corrupt("point not on the curve")))
        .collect()
}
