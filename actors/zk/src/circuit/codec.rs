//! A byte encoding of a [`BlockCircuit`] (its shape, public statement and every slot's
//! witness values), so a prover pool can persist its jobs and hand them to workers on other
//! machines. Version byte first; fixed-width big-endian integers; field elements as canonical
//! 32-byte words. Decoding checks every length, range and flag and answers with a
//! [`CodecError`].

use super::transfer::SlotValues;
use super::{BlockCircuit, CircuitConfig, PublicInputs};
use crate::babyjubjub::Point;
use crate::field::{fr_from_be_bytes, fr_to_be_bytes, Fr};
use crate::smt::ARITY;
use crate::stf::{Counters, StateParts};
use bitai_protocol::{ChainId, Hash32};

/// Version 3: the previous state root's parts follow the public inputs (version 2 had a
/// state root that was the account root; version 1 had no fee).
const VERSION: u8 = 3;

/// Why bytes are not an encoded block circuit.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// Unknown version byte.
    #[error("unknown circuit encoding version {0}")]
    Version(u8),
    /// The input ended early or has trailing bytes.
    #[error("circuit encoding has the wrong length")]
    Length,
    /// A value is out of its range.
    #[error("circuit encoding: {0}")]
    Invalid(&'static str),
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        if self.0.len() < n {
            return Err(CodecError::Length);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }
    fn bool(&mut self) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(CodecError::Invalid("flag is not 0 or 1")),
        }
    }
    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn fee(&mut self) -> Result<u64, CodecError> {
        let fee = self.u64()?;
        if fee > crate::tx::MAX_FEE {
            return Err(CodecError::Invalid("fee above 2^48 - 1"));
        }
        Ok(fee)
    }
    fn fr(&mut self) -> Result<Fr, CodecError> {
        fr_from_be_bytes(&self.array()?).map_err(|_| CodecError::Invalid("field element"))
    }
    fn point(&mut self) -> Result<Point, CodecError> {
        Ok(Point::new_unchecked(self.fr()?, self.fr()?))
    }
    fn siblings(&mut self, depth: usize) -> Result<Vec<[Fr; ARITY - 1]>, CodecError> {
        (0..depth)
            .map(|_| Ok([self.fr()?, self.fr()?, self.fr()?]))
            .collect()
    }
}

fn put_point(out: &mut Vec<u8>, p: &Point) {
    out.extend_from_slice(&fr_to_be_bytes(&p.x));
    out.extend_from_slice(&fr_to_be_bytes(&p.y));
}

fn put_siblings(out: &mut Vec<u8>, siblings: &[[Fr; ARITY - 1]]) {
    for triple in siblings {
        triple
            .iter()
            .for_each(|x| out.extend_from_slice(&fr_to_be_bytes(x)));
    }
}

impl BlockCircuit {
    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![VERSION, self.config.depth as u8];
        out.extend_from_slice(&(self.config.max_txs as u32).to_be_bytes());
        let p = &self.public;
        out.extend_from_slice(p.chain_id.0.as_bytes());
        out.extend_from_slice(&p.block_number.to_be_bytes());
        out.extend_from_slice(&fr_to_be_bytes(&p.prev_root));
        out.extend_from_slice(&fr_to_be_bytes(&p.new_root));
        out.extend_from_slice(p.da_commitment.as_bytes());
        let parts = &self.prev_parts;
        for x in [parts.accounts, parts.objects, parts.list] {
            out.extend_from_slice(&fr_to_be_bytes(&x));
        }
        let c = parts.counters;
        for n in [c.neurons, c.models, c.requests] {
            out.extend_from_slice(&n.to_be_bytes());
        }
        for s in &self.slots {
            out.push(u8::from(s.is_real));
            out.extend_from_slice(&s.from.to_be_bytes());
            out.extend_from_slice(&s.to.to_be_bytes());
            out.extend_from_slice(&s.amount.to_be_bytes());
            out.extend_from_slice(&s.fee.to_be_bytes());
            out.extend_from_slice(&s.new_nonce.to_be_bytes());
            put_point(&mut out, &s.sender_key);
            out.extend_from_slice(&s.sender_new_balance.to_be_bytes());
            put_siblings(&mut out, &s.sender_siblings);
            put_point(&mut out, &s.recipient_key);
            out.push(u8::from(s.recipient_empty));
            out.extend_from_slice(&s.recipient_new_balance.to_be_bytes());
            out.extend_from_slice(&s.recipient_nonce.to_be_bytes());
            put_siblings(&mut out, &s.recipient_siblings);
            put_point(&mut out, &s.signature_r8);
            let mut s_bytes = [0u8; 32];
            for (i, limb) in s.signature_s.0.iter().enumerate() {
                s_bytes[24 - 8 * i..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
            }
            out.extend_from_slice(&s_bytes);
        }
        out
    }

    /// Decodes [`BlockCircuit::to_bytes`], checking every field.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version != VERSION {
            return Err(CodecError::Version(version));
        }
        let depth = usize::from(r.u8()?);
        let max_txs = r.u32()? as usize;
        let config = CircuitConfig::new(depth, max_txs);
        super::check_config(&config).map_err(|_| CodecError::Invalid("circuit shape"))?;
        let public = PublicInputs {
            chain_id: ChainId(Hash32(r.array()?)),
            block_number: r.u64()?,
            prev_root: r.fr()?,
            new_root: r.fr()?,
            da_commitment: Hash32(r.array()?),
        };
        let prev_parts = StateParts {
            accounts: r.fr()?,
            objects: r.fr()?,
            list: r.fr()?,
            counters: Counters {
                neurons: r.u32()?,
                models: r.u32()?,
                requests: r.u32()?,
            },
        };
        let slots = (0..max_txs)
            .map(|_| {
                Ok(SlotValues {
                    is_real: r.bool()?,
                    from: r.u32()?,
                    to: r.u32()?,
                    amount: r.u64()?,
                    fee: r.fee()?,
                    new_nonce: r.u64()?,
                    sender_key: r.point()?,
                    sender_new_balance: r.u64()?,
                    sender_siblings: r.siblings(depth)?,
                    recipient_key: r.point()?,
                    recipient_empty: r.bool()?,
                    recipient_new_balance: r.u64()?,
                    recipient_nonce: r.u64()?,
                    recipient_siblings: r.siblings(depth)?,
                    signature_r8: r.point()?,
                    signature_s: {
                        let b: [u8; 32] = r.array()?;
                        let mut limbs = [0u64; 4];
                        for (i, limb) in limbs.iter_mut().enumerate() {
                            let chunk = &b[24 - 8 * i..32 - 8 * i];
                            *limb = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
                        }
                        ark_ff::BigInt(limbs)
                    },
                })
            })
            .collect::<Result<Vec<_>, CodecError>>()?;
        if !r.0.is_empty() {
            return Err(CodecError::Length);
        }
        Ok(BlockCircuit {
            config,
            public,
            slots,
            prev_parts,
            ops: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> BlockCircuit {
        let mut c = BlockCircuit::blank(CircuitConfig::new(2, 2)).expect("shape");
        c.slots[1].amount = 77;
        c.slots[1].signature_s = ark_ff::BigInt([1, 2, 3, 4]);
        c.public.block_number = 9;
        c
    }

    #[test]
    fn round_trips() {
        let c = sample();
        let back = BlockCircuit::from_bytes(&c.to_bytes()).expect("valid");
        assert_eq!(back.to_bytes(), c.to_bytes());
        assert_eq!(back.slots, c.slots);
        assert_eq!(back.public, c.public);
        assert_eq!(back.prev_parts, c.prev_parts);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn corrupted_or_truncated_bytes_are_typed_errors(cut in 0usize..2000, at in 0usize..2000, mask in 1u8..=255) {
            let bytes = sample().to_bytes();
            let _ = BlockCircuit::from_bytes(&bytes[..cut.min(bytes.len())]);
            let mut flipped = bytes.clone();
            let i = at % flipped.len();
            flipped[i] ^= mask;
            let _ = BlockCircuit::from_bytes(&flipped);
            prop_assert!(BlockCircuit::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        }
    }
}
