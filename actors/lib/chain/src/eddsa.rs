//! EdDSA-Poseidon on Baby Jubjub, as circomlibjs (`signPoseidon`) and `@zk-kit/eddsa-poseidon`
//! sign, so existing BN254 wallets can sign AI-chain transactions.
//!
//! Key: `h = BLAKE-512(private key)` (the original BLAKE); the first half, pruned, is the
//! secret scalar `s`, and the public key is `A = (s >> 3) * Base8`. Signing a field element
//! `m`: `r = BLAKE-512(h[32..64] || m) mod l`, `R8 = r * Base8`,
//! `hm = Poseidon(R8.x, R8.y, A.x, A.y, m)`, `S = r + hm * s mod l`. Verification accepts iff
//! `S * Base8 == R8 + (8 * hm) * A`.
//!
//! Ours is stricter than zk-kit's in what it accepts, so a signature has exactly one form:
//! `S` must be below the subgroup order l (`S + l` is refused when parsed), and `R8` and `A`
//! must be in the prime-order subgroup and not the identity.

use crate::babyjubjub::{base8, checked_point, mul_bigint, Point, PointError, Scalar};
use crate::field::Fr;
use crate::poseidon::poseidon;
use ark_ec::CurveGroup;
use ark_ff::{BigInteger, PrimeField};
use blake_hash::{Blake512, Digest};

/// A private key: 32 bytes hashed into the secret scalar (as zk-kit takes them).
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(pub [u8; 32]);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

/// An EdDSA-Poseidon signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The commitment point `R8`.
    pub r8: Point,
    /// The response `S` (below l by construction).
    pub s: Scalar,
}

/// Why a signature is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// `S` is not below the subgroup order (a malleated `S + l`, or garbage).
    #[error("signature scalar is not below the subgroup order")]
    ScalarOutOfRange,
    /// `R8` is not an acceptable point.
    #[error("signature point: {0}")]
    BadR8(PointError),
    /// The public key is not an acceptable point.
    #[error("public key: {0}")]
    BadPublicKey(PointError),
    /// The verification equation does not hold.
    #[error("signature does not verify")]
    Invalid,
}

impl PrivateKey {
    fn expanded(&self) -> [u8; 64] {
        Blake512::digest(&self.0[..]).into()
    }

    /// The pruned secret scalar `s` (an integer with its low three bits clear).
    fn secret_scalar(&self) -> ark_ff::BigInt<4> {
        let h = self.expanded();
        let mut s = [0u8; 32];
        s.copy_from_slice(&h[..32]);
        s[0] &= 0xf8;
        s[31] &= 0x7f;
        s[31] |= 0x40;
        let mut limbs = [0u64; 4];
        for (limb, chunk) in limbs.iter_mut().zip(s.chunks_exact(8)) {
            *limb = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
        }
        ark_ff::BigInt(limbs)
    }

    /// The public key `A = (s >> 3) * Base8`.
    pub fn public_key(&self) -> Point {
        let mut s = self.secret_scalar();
        s >>= 3;
        mul_bigint(&base8(), &s.0)
    }

    /// Signs the field element `msg`.
    pub fn sign(&self, msg: Fr) -> Signature {
        let h = self.expanded();
        let mut data = [0u8; 64];
        data[..32].copy_from_slice(&h[32..]);
        data[32..].copy_from_slice(&msg.into_bigint().to_bytes_le());
        let r_hash: [u8; 64] = Blake512::digest(&data[..]).into();
        let r = Scalar::from_le_bytes_mod_order(&r_hash);
        let r8 = mul_bigint(&base8(), &r.into_bigint().0);
        let a = self.public_key();
        let hm = challenge(&r8, &a, msg);
        let s = Scalar::from_bigint(self.secret_scalar()).unwrap_or_else(|| {
            Scalar::from_le_bytes_mod_order(&self.secret_scalar().to_bytes_le())
        });
        let hm_scalar = Scalar::from_le_bytes_mod_order(&hm.into_bigint().to_bytes_le());
        Signature {
            r8,
            s: r + hm_scalar * s,
        }
    }
}

/// `hm = Poseidon(R8.x, R8.y, A.x, A.y, msg)`, the challenge both sides compute.
pub fn challenge(r8: &Point, a: &Point, msg: Fr) -> Fr {
    poseidon(&[r8.x, r8.y, a.x, a.y, msg])
}

impl Signature {
    /// Builds a signature from outside numbers, refusing `S >= l` and bad points.
    pub fn from_parts(r8_x: Fr, r8_y: Fr, s: ark_ff::BigInt<4>) -> Result<Self, SignatureError> {
        let s = Scalar::from_bigint(s).ok_or(SignatureError::ScalarOutOfRange)?;
        let r8 = checked_point(r8_x, r8_y).map_err(SignatureError::BadR8)?;
        Ok(Signature { r8, s })
    }

    /// circomlib's `packSignature`: packed `R8` then `S` little-endian (64 bytes).
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&crate::babyjubjub::pack_point(&self.r8));
        out[32..].copy_from_slice(&self.s.into_bigint().to_bytes_le());
        out
    }

    /// circomlib's `unpackSignature`, checked.
    pub fn from_bytes(bytes: &[u8; 64]) -> Result<Self, SignatureError> {
        let mut r8_bytes = [0u8; 32];
        r8_bytes.copy_from_slice(&bytes[..32]);
        let r8 = crate::babyjubjub::unpack_point(&r8_bytes).map_err(SignatureError::BadR8)?;
        let s = Scalar::from_bigint(ark_ff::BigInt::<4>::from_bits_le(
            &bytes[32..]
                .iter()
                .flat_map(|b| (0..8).map(move |i| b >> i & 1 == 1))
                .collect::<Vec<_>>(),
        ))
        .ok_or(SignatureError::ScalarOutOfRange)?;
        Ok(Signature { r8, s })
    }
}

/// Verifies `sig` on `msg` under the public key `a` (see the module doc for what is refused).
pub fn verify(a: &Point, msg: Fr, sig: &Signature) -> Result<(), SignatureError> {
    checked_point(a.x, a.y)
        .map(drop)
        .map_err(SignatureError::BadPublicKey)?;
    checked_point(sig.r8.x, sig.r8.y)
        .map(drop)
        .map_err(SignatureError::BadR8)?;
    let hm = challenge(&sig.r8, a, msg);
    let left = mul_bigint(&base8(), &sig.s.into_bigint().0);
    // (8 * hm) * A with hm as an integer below p; A is in the subgroup, so reducing hm mod l
    // first gives the same point.
    let a8 = mul_bigint(a, &[8]);
    let right = (sig.r8 + mul_bigint(&a8, &hm.into_bigint().0)).into_affine();
    if left == right {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

#[cfg(test)]
mod tests;
