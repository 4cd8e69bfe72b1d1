//! gnark's binary format for BN254 Groth16 proofs and verifying keys, written and parsed
//! strictly, so that what we hand to `gnark-bn254-verifier` can never make it panic.
//!
//! Points are compressed, big-endian: G1 is the 32 bytes of x with a flag in the top two
//! bits (`10` the smaller y, `11` the larger y, `01` infinity); G2 is 64 bytes, `x.A1` then
//! `x.A0`, flagged the same way ("larger" compares `A1`, or `A0` when `A1` is zero).
//!
//! - Proof: `Ar (G1) | Bs (G2) | Krs (G1)`, 128 bytes. gnark's own `WriteTo` appends an empty
//!   commitment list and an infinity proof of knowledge (36 bytes); that exact tail is
//!   accepted, anything else after 128 bytes is refused.
//! - Verifying key: `alpha G1 | beta G1 | beta G2 | gamma G2 | delta G1 | delta G2 | u32 nK |
//!   nK x K (G1) | u32 0 (no commitment index arrays) | two G2 points (commitment key)`.
//!   Keys with commitments are refused: the verifier would ignore them, which is unsound.
//!
//! The parser rejects what gnark-bn254-verifier lets through or trips over: wrong lengths,
//! the `00` flag, coordinates at or above the modulus, points off the curve, G2 points
//! outside the prime-order subgroup, infinity with stray bits, untrusted counts.

use crate::groth16::keys::{Proof, VerifyingKey};
use halo2curves::bn256::{Fq, Fq2, Fr, G1Affine, G2Affine, G2};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::prime::PrimeCurveAffine;
use halo2curves::CurveAffine;

/// Bytes of a compressed G1 point.
pub const G1_BYTES: usize = 32;
/// Bytes of a compressed G2 point.
pub const G2_BYTES: usize = 64;
/// Bytes of a proof.
pub const PROOF_BYTES: usize = 2 * G1_BYTES + G2_BYTES;
/// Most public inputs a key may declare (the verifier's `nK - 1`).
pub const MAX_PUBLIC_INPUTS: usize = 1024;
/// Bytes of a key before `K`.
const VK_HEAD_BYTES: usize = 3 * G1_BYTES + 3 * G2_BYTES;

const FLAG_MASK: u8 = 0b11 << 6;
const FLAG_SMALLER: u8 = 0b10 << 6;
const FLAG_LARGER: u8 = 0b11 << 6;
const FLAG_INFINITY: u8 = 0b01 << 6;

/// The 36-byte tail gnark's `WriteTo` adds to a proof without commitments.
const GNARK_EMPTY_COMMITMENT_TAIL: [u8; 36] = {
    let mut t = [0u8; 36];
    t[4] = FLAG_INFINITY;
    t
};

/// Why bytes are not a gnark proof or key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum GnarkError {
    /// The input has the wrong length.
    #[error("{what}: expected {expected} bytes, got {got}")]
    Length {
        /// What was parsed.
        what: &'static str,
        /// Bytes expected.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// A point's flag bits are not a compressed-point flag.
    #[error("{0}: unexpected point flag")]
    BadFlag(&'static str),
    /// A coordinate is at or above the field modulus.
    #[error("{0}: coordinate not below the modulus")]
    NotCanonical(&'static str),
    /// No point on the curve has this x.
    #[error("{0}: not on the curve")]
    NotOnCurve(&'static str),
    /// A G2 point outside the prime-order subgroup.
    #[error("{0}: not in the prime-order subgroup")]
    NotInSubgroup(&'static str),
    /// An infinity flag with other bits set.
    #[error("{0}: infinity with nonzero bits")]
    BadInfinity(&'static str),
    /// The key declares no `K` or more than the limit.
    #[error("verifying key declares {0} K points (1..={max} allowed)", max = MAX_PUBLIC_INPUTS + 1)]
    BadKCount(u64),
    /// The key uses commitments, which this verifier does not support.
    #[error("verifying key with commitments is not supported")]
    UnsupportedCommitments,
}

fn be_to_fq(bytes: &[u8], what: &'static str) -> Result<Fq, GnarkError> {
    let mut repr = [0u8; 32];
    repr.copy_from_slice(bytes);
    repr.reverse();
    Option::from(Fq::from_repr(repr.into())).ok_or(GnarkError::NotCanonical(what))
}

fn fq_to_be(x: &Fq) -> [u8; 32] {
    let mut out: [u8; 32] = x.to_repr().into();
    out.reverse();
    out
}

/// gnark's "lexicographically largest": `y > (p - 1) / 2`, i.e. `y > -y` as integers.
fn fq_is_larger(y: &Fq) -> bool {
    fq_to_be(y) > fq_to_be(&-*y)
}

fn fq2_is_larger(y: &Fq2) -> bool {
    if bool::from(y.c1().is_zero()) {
        fq_is_larger(y.c0())
    } else {
        fq_is_larger(y.c1())
    }
}

/// Compressed G1.
pub fn write_g1(p: &G1Affine) -> [u8; G1_BYTES] {
    if bool::from(p.is_identity()) {
        let mut out = [0u8; G1_BYTES];
        out[0] = FLAG_INFINITY;
        return out;
    }
    let mut out = fq_to_be(&p.x);
    out[0] |= if fq_is_larger(&p.y) {
        FLAG_LARGER
    } else {
        FLAG_SMALLER
    };
    out
}

/// Compressed G2.
pub fn write_g2(p: &G2Affine) -> [u8; G2_BYTES] {
    let mut out = [0u8; G2_BYTES];
    if bool::from(p.is_identity()) {
        out[0] = FLAG_INFINITY;
        return out;
    }
    out[..32].copy_from_slice(&fq_to_be(p.x.c1()));
    out[32..].copy_from_slice(&fq_to_be(p.x.c0()));
    out[0] |= if fq2_is_larger(&p.y) {
        FLAG_LARGER
    } else {
        FLAG_SMALLER
    };
    out
}

/// Splits off the flag; checks the infinity encoding. `Ok(None)` is infinity.
fn flag(bytes: &[u8], what: &'static str) -> Result<Option<bool>, GnarkError> {
    match bytes[0] & FLAG_MASK {
        FLAG_INFINITY => {
            if bytes[0] & !FLAG_MASK == 0 && bytes[1..].iter().all(|b| *b == 0) {
                Ok(None)
            } else {
                Err(GnarkError::BadInfinity(what))
            }
        }
        FLAG_SMALLER => Ok(Some(false)),
        FLAG_LARGER => Ok(Some(true)),
        _ => Err(GnarkError::BadFlag(what)),
    }
}

/// Parses a compressed G1 point (exactly 32 bytes).
pub fn read_g1(bytes: &[u8], what: &'static str) -> Result<G1Affine, GnarkError> {
    if bytes.len() != G1_BYTES {
        return Err(GnarkError::Length {
            what,
            expected: G1_BYTES,
            got: bytes.len(),
        });
    }
    let Some(larger) = flag(bytes, what)? else {
        return Ok(G1Affine::identity());
    };
    let mut x_bytes = [0u8; 32];
    x_bytes.copy_from_slice(bytes);
    x_bytes[0] &= !FLAG_MASK;
    let x = be_to_fq(&x_bytes, what)?;
    let y2 = x.square() * x + G1Affine::b();
    let y: Fq = Option::from(y2.sqrt()).ok_or(GnarkError::NotOnCurve(what))?;
    let y = if fq_is_larger(&y) == larger { y } else { -y };
    Option::from(G1Affine::from_xy(x, y)).ok_or(GnarkError::NotOnCurve(what))
}

/// Parses a compressed G2 point (exactly 64 bytes), in the prime-order subgroup.
pub fn read_g2(bytes: &[u8], what: &'static str) -> Result<G2Affine, GnarkError> {
    if bytes.len() != G2_BYTES {
        return Err(GnarkError::Length {
            what,
            expected: G2_BYTES,
            got: bytes.len(),
        });
    }
    let Some(larger) = flag(bytes, what)? else {
        return Ok(G2Affine::identity());
    };
    let mut a1 = [0u8; 32];
    a1.copy_from_slice(&bytes[..32]);
    a1[0] &= !FLAG_MASK;
    let x = Fq2::new(be_to_fq(&bytes[32..], what)?, be_to_fq(&a1, what)?);
    let y2 = x.square() * x + G2Affine::b();
    let y: Fq2 = Option::from(y2.sqrt()).ok_or(GnarkError::NotOnCurve(what))?;
    let y = if fq2_is_larger(&y) == larger { y } else { -y };
    let p: G2Affine = Option::from(G2Affine::from_xy(x, y)).ok_or(GnarkError::NotOnCurve(what))?;
    // [r - 1] P == -P  iff  [r] P == O, with r the group order. (halo2curves'
    // `is_torsion_free` would do, but with its `std` feature it prints to stdout.)
    let q = G2::from(p);
    if q * -Fr::ONE != -q {
        return Err(GnarkError::NotInSubgroup(what));
    }
    Ok(p)
}

/// A proof in gnark's format (128 bytes).
pub fn write_proof(proof: &Proof) -> Vec<u8> {
    let mut out = Vec::with_capacity(PROOF_BYTES);
    out.extend_from_slice(&write_g1(&proof.a));
    out.extend_from_slice(&write_g2(&proof.b));
    out.extend_from_slice(&write_g1(&proof.c));
    out
}

/// Parses a proof: 128 bytes, or 164 with gnark's empty-commitment tail.
pub fn read_proof(bytes: &[u8]) -> Result<Proof, GnarkError> {
    let body = match bytes.len() {
        PROOF_BYTES => bytes,
        n if n == PROOF_BYTES + GNARK_EMPTY_COMMITMENT_TAIL.len()
            && bytes[PROOF_BYTES..] == GNARK_EMPTY_COMMITMENT_TAIL =>
        {
            &bytes[..PROOF_BYTES]
        }
        n => {
            return Err(GnarkError::Length {
                what: "proof",
                expected: PROOF_BYTES,
                got: n,
            })
        }
    };
    Ok(Proof {
        a: read_g1(&body[..32], "proof Ar")?,
        b: read_g2(&body[32..96], "proof Bs")?,
        c: read_g1(&body[96..128], "proof Krs")?,
    })
}

/// A verifying key in gnark's format.
pub fn write_vk(vk: &VerifyingKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(VK_HEAD_BYTES + 8 + 32 * vk.ic.len() + 2 * G2_BYTES);
    out.extend_from_slice(&write_g1(&vk.alpha_g1));
    out.extend_from_slice(&write_g1(&vk.beta_g1));
    out.extend_from_slice(&write_g2(&vk.beta_g2));
    out.extend_from_slice(&write_g2(&vk.gamma_g2));
    out.extend_from_slice(&write_g1(&vk.delta_g1));
    out.extend_from_slice(&write_g2(&vk.delta_g2));
    out.extend_from_slice(&(vk.ic.len() as u32).to_be_bytes());
    vk.ic
        .iter()
        .for_each(|p| out.extend_from_slice(&write_g1(p)));
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&write_g2(&G2Affine::identity()));
    out.extend_from_slice(&write_g2(&G2Affine::identity()));
    out
}

/// The exact length of a key with `k` points in `K`.
pub fn vk_len(k: usize) -> usize {
    VK_HEAD_BYTES + 4 + G1_BYTES * k + 4 + 2 * G2_BYTES
}

/// Parses a verifying key, checking every length and point.
pub fn read_vk(bytes: &[u8]) -> Result<VerifyingKey, GnarkError> {
    let short = |expected| GnarkError::Length {
        what: "verifying key",
        expected,
        got: bytes.len(),
    };
    if bytes.len() < VK_HEAD_BYTES + 4 {
        return Err(short(vk_len(1)));
    }
    let head = &bytes[VK_HEAD_BYTES..VK_HEAD_BYTES + 4];
    let k = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
    if k == 0 || k > (MAX_PUBLIC_INPUTS + 1) as u64 {
        return Err(GnarkError::BadKCount(k));
    }
    let k = k as usize;
    let arrays_at = VK_HEAD_BYTES + 4 + G1_BYTES * k;
    if bytes.len() < arrays_at + 4 {
        return Err(short(vk_len(k)));
    }
    if bytes[arrays_at..arrays_at + 4] != [0, 0, 0, 0] {
        return Err(GnarkError::UnsupportedCommitments);
    }
    if bytes.len() != vk_len(k) {
        return Err(short(vk_len(k)));
    }
    let ic = bytes[VK_HEAD_BYTES + 4..arrays_at]
        .chunks_exact(G1_BYTES)
        .map(|c| read_g1(c, "verifying key K"))
        .collect::<Result<Vec<_>, _>>()?;
    let tail = &bytes[arrays_at + 4..];
    read_g2(&tail[..G2_BYTES], "commitment key G")?;
    read_g2(&tail[G2_BYTES..], "commitment key G root sigma neg")?;
    Ok(VerifyingKey {
        alpha_g1: read_g1(&bytes[0..32], "alpha G1")?,
        beta_g1: read_g1(&bytes[32..64], "beta G1")?,
        beta_g2: read_g2(&bytes[64..128], "beta G2")?,
        gamma_g2: read_g2(&bytes[128..192], "gamma G2")?,
        delta_g1: read_g1(&bytes[192..224], "delta G1")?,
        delta_g2: read_g2(&bytes[224..288], "delta G2")?,
        ic,
    })
}

/// Whether the key's G1 copies of beta and delta match its G2 ones
/// (`e(beta_1, g_2) = e(g_1, beta_2)`, same for delta). gnark-bn254-verifier never reads the
/// G1 copies, so only this check notices a key whose G1 copies were altered; the verifier
/// contract runs it once, when a chain registers its key.
pub fn vk_is_consistent(vk: &VerifyingKey) -> bool {
    use halo2curves::bn256::{multi_miller_loop, G1Affine, Gt};
    use halo2curves::pairing::MillerLoopResult;
    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    let minus_g1 = -g1;
    [(vk.beta_g1, vk.beta_g2), (vk.delta_g1, vk.delta_g2)]
        .iter()
        .all(|(p1, p2)| {
            multi_miller_loop(&[(p1, &g2), (&minus_g1, p2)]).final_exponentiation()
                == Gt::identity()
        })
}

/// Which byte ranges of a key gnark-bn254-verifier never reads (beta G1, delta G1).
pub const VK_UNREAD_BY_VERIFIER: [std::ops::Range<usize>; 2] = [32..64, 192..224];

#[cfg(test)]
mod tests;
