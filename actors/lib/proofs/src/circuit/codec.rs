//! A byte encoding of a [`BlockCircuit`] (its shape, public statement and every slot's
//! witness values), so a prover pool can persist its jobs and hand them to workers on other
//! machines. Version byte first; fixed-width big-endian integers; field elements as canonical
//! 32-byte words. Decoding checks every length, range and flag and answers with a
//! [`CodecError`].

use super::poc::{ListSlotValues, ObjectSlotValues, OpValues};
use super::transfer::SlotValues;
use super::{BlockCircuit, CircuitConfig, PublicInputs};
use bitai_chain::babyjubjub::Point;
use bitai_chain::field::{fr_from_be_bytes, fr_to_be_bytes, Fr};
use bitai_chain::poc::{NeuronRecord, PocKind, PocParams, RequestRecord, NEURON_LIST_DEPTH};
use bitai_chain::smt::ARITY;
use bitai_chain::stf::{Counters, StateParts};
use bitai_protocol::{ChainId, Hash32};

/// Version 4: the shape carries `max_ops` and the Proof-of-Compute parameters, and every op
/// slot's values follow the transfer slots (version 3 had no op slots; version 2 had a state
/// root that was the account root; version 1 had no fee).
const VERSION: u8 = 4;

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
        if fee > bitai_chain::tx::MAX_FEE {
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
    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn scalar(&mut self) -> Result<ark_ff::BigInt<4>, CodecError> {
        let b: [u8; 32] = self.array()?;
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let chunk = &b[24 - 8 * i..32 - 8 * i];
            *limb = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
        }
        Ok(ark_ff::BigInt(limbs))
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

fn put_scalar(out: &mut Vec<u8>, s: &ark_ff::BigInt<4>) {
    let mut s_bytes = [0u8; 32];
    for (i, limb) in s.0.iter().enumerate() {
        s_bytes[24 - 8 * i..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
    }
    out.extend_from_slice(&s_bytes);
}

fn put_fr(out: &mut Vec<u8>, x: &Fr) {
    out.extend_from_slice(&fr_to_be_bytes(x));
}

fn put_op(out: &mut Vec<u8>, v: &OpValues) {
    out.push(v.kind.map_or(0, |k| k as u8));
    out.extend_from_slice(&v.account.to_be_bytes());
    out.extend_from_slice(&v.target.to_be_bytes());
    out.extend_from_slice(&v.amount.to_be_bytes());
    out.extend_from_slice(&v.fee.to_be_bytes());
    v.data.iter().for_each(|x| put_fr(out, x));
    out.push(v.part);
    put_point(out, &v.key);
    out.extend_from_slice(&v.balance.to_be_bytes());
    out.extend_from_slice(&v.nonce.to_be_bytes());
    put_siblings(out, &v.account_siblings);
    put_point(out, &v.signature_r8);
    put_scalar(out, &v.signature_s);
    let n = &v.neuron;
    for x in [n.stake, n.unlock_at, n.rewards, n.slashed] {
        out.extend_from_slice(&x.to_be_bytes());
    }
    out.push(u8::from(v.neuron_exists));
    let r = &v.request;
    out.extend_from_slice(&r.requester.to_be_bytes());
    out.extend_from_slice(&r.model.to_be_bytes());
    out.extend_from_slice(r.input.as_bytes());
    out.extend_from_slice(&r.escrow.to_be_bytes());
    out.extend_from_slice(&r.created.to_be_bytes());
    r.assignees
        .iter()
        .for_each(|a| out.extend_from_slice(&a.to_be_bytes()));
    r.commits
        .iter()
        .chain(&r.results)
        .for_each(|x| put_fr(out, x));
    out.extend_from_slice(&r.flags.to_be_bytes());
    put_fr(out, &v.model_leaf);
    for x in [v.share, v.remainder, v.draw_quotient, v.draw_start] {
        out.extend_from_slice(&x.to_be_bytes());
    }
    for o in &v.objects {
        out.extend_from_slice(&o.index.to_be_bytes());
        put_siblings(out, &o.siblings);
    }
    for l in &v.list {
        for x in [l.slot, l.before, l.after] {
            out.extend_from_slice(&x.to_be_bytes());
        }
        put_siblings(out, &l.siblings);
    }
}

impl Reader<'_> {
    fn op(&mut self, depth: usize) -> Result<OpValues, CodecError> {
        let kind = match self.u8()? {
            0 => None,
            tag => Some(PocKind::from_tag(tag).ok_or(CodecError::Invalid("op kind"))?),
        };
        let account = self.u32()?;
        let target = self.u32()?;
        let amount = self.u64()?;
        let fee = self.fee()?;
        let data = [self.fr()?, self.fr()?];
        let part = self.u8()?;
        if part > 3 {
            return Err(CodecError::Invalid("op part above 3"));
        }
        let key = self.point()?;
        let balance = self.u64()?;
        let nonce = self.u64()?;
        let account_siblings = self.siblings(depth)?;
        let signature_r8 = self.point()?;
        let signature_s = self.scalar()?;
        let neuron = NeuronRecord {
            stake: self.u64()?,
            unlock_at: self.u64()?,
            rewards: self.u64()?,
            slashed: self.u64()?,
        };
        let neuron_exists = self.bool()?;
        let request = RequestRecord {
            requester: self.u32()?,
            model: self.u32()?,
            input: Hash32(self.array()?),
            escrow: self.u64()?,
            created: self.u64()?,
            assignees: [self.u32()?, self.u32()?, self.u32()?],
            commits: [self.fr()?, self.fr()?, self.fr()?],
            results: [self.fr()?, self.fr()?, self.fr()?],
            flags: self.u16()?,
        };
        let model_leaf = self.fr()?;
        let (share, remainder) = (self.u64()?, self.u64()?);
        let (draw_quotient, draw_start) = (self.u64()?, self.u64()?);
        let mut object = || -> Result<ObjectSlotValues, CodecError> {
            Ok(ObjectSlotValues {
                index: self.u64()?,
                siblings: self.siblings(depth + 1)?,
            })
        };
        let objects = [object()?, object()?];
        let mut list = || -> Result<ListSlotValues, CodecError> {
            Ok(ListSlotValues {
                slot: self.u64()?,
                before: self.u64()?,
                after: self.u64()?,
                siblings: self.siblings(NEURON_LIST_DEPTH)?,
            })
        };
        let list = [list()?, list()?, list()?];
        Ok(OpValues {
            kind,
            account,
            target,
            amount,
            fee,
            data,
            part,
            key,
            balance,
            nonce,
            account_siblings,
            signature_r8,
            signature_s,
            neuron,
            neuron_exists,
            request,
            model_leaf,
            share,
            remainder,
            draw_quotient,
            draw_start,
            objects,
            list,
        })
    }
}

fn put_siblings(out: &mut Vec<u8>, siblings: &[[Fr; ARITY - 1]]) {
    for triple in siblings {
        triple
            .iter()
            .for_each(|x| out.extend_from_slice(&fr_to_be_bytes(x)));
    }
}

/// Reads the version, the shape and the public statement.
fn read_head(r: &mut Reader<'_>) -> Result<(CircuitConfig, PublicInputs), CodecError> {
    let version = r.u8()?;
    if version != VERSION {
        return Err(CodecError::Version(version));
    }
    let depth = usize::from(r.u8()?);
    let max_txs = r.u32()? as usize;
    let max_ops = r.u32()? as usize;
    let poc = PocParams {
        commit_window_blocks: r.u64()?,
        reveal_window_blocks: r.u64()?,
        min_stake: r.u64()?,
        slash_amount: r.u64()?,
        unbond_delay_blocks: r.u64()?,
    };
    let config = CircuitConfig {
        depth,
        max_txs,
        max_ops,
        poc,
    };
    super::check_config(&config).map_err(|_| CodecError::Invalid("circuit shape"))?;
    let public = PublicInputs {
        chain_id: ChainId(Hash32(r.array()?)),
        block_number: r.u64()?,
        prev_root: r.fr()?,
        new_root: r.fr()?,
        da_commitment: Hash32(r.array()?),
    };
    Ok((config, public))
}

impl BlockCircuit {
    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![VERSION, self.config.depth as u8];
        out.extend_from_slice(&(self.config.max_txs as u32).to_be_bytes());
        out.extend_from_slice(&(self.config.max_ops as u32).to_be_bytes());
        let q = &self.config.poc;
        for x in [
            q.commit_window_blocks,
            q.reveal_window_blocks,
            q.min_stake,
            q.slash_amount,
            q.unbond_delay_blocks,
        ] {
            out.extend_from_slice(&x.to_be_bytes());
        }
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
            put_scalar(&mut out, &s.signature_s);
        }
        for v in &self.ops {
            put_op(&mut out, v);
        }
        out
    }

    /// The shape and public statement at the head of an encoding, checked, without decoding
    /// the witness that follows (what a prover pool needs to queue a block; the prover that
    /// proves it decodes the whole with [`BlockCircuit::from_bytes`]).
    pub fn peek_statement(bytes: &[u8]) -> Result<(CircuitConfig, PublicInputs), CodecError> {
        read_head(&mut Reader(bytes))
    }

    /// Decodes [`BlockCircuit::to_bytes`], checking every field.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader(bytes);
        let (config, public) = read_head(&mut r)?;
        let CircuitConfig {
            depth,
            max_txs,
            max_ops,
            ..
        } = config;
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
                    signature_s: r.scalar()?,
                })
            })
            .collect::<Result<Vec<_>, CodecError>>()?;
        let ops = (0..max_ops)
            .map(|_| r.op(depth))
            .collect::<Result<Vec<_>, CodecError>>()?;
        if !r.0.is_empty() {
            return Err(CodecError::Length);
        }
        Ok(BlockCircuit {
            config,
            public,
            slots,
            prev_parts,
            ops,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> BlockCircuit {
        let mut config = CircuitConfig::new(2, 2);
        config.max_ops = 2;
        config.poc.slash_amount = 321;
        let mut c = BlockCircuit::blank(config).expect("shape");
        c.ops[1].kind = Some(PocKind::Settle);
        c.ops[1].part = 3;
        c.ops[1].request.flags = 0x1ff;
        c.ops[1].list[2].siblings[4][1] = Fr::from(5u64);
        c.ops[0].objects[1].index = 99;
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
        assert_eq!(back.ops, c.ops);
        assert_eq!(back.config, c.config);
    }

    #[test]
    fn bad_op_fields_are_typed_errors() {
        let c = sample();
        let bytes = c.to_bytes();
        // The first op slot starts after the transfer slots; its kind byte comes first.
        let ops_at = bytes.len() - 2 * sample_op_len(&c);
        let mut bad = bytes.clone();
        bad[ops_at] = 1;
        assert_eq!(
            BlockCircuit::from_bytes(&bad).err(),
            Some(CodecError::Invalid("op kind"))
        );
        let mut bad = bytes.clone();
        bad[ops_at + 1 + 4 + 4 + 8 + 8 + 64] = 4;
        assert_eq!(
            BlockCircuit::from_bytes(&bad).err(),
            Some(CodecError::Invalid("op part above 3"))
        );
        let mut bad = bytes;
        // max_ops beyond the limit.
        bad[6..10].copy_from_slice(&5000u32.to_be_bytes());
        assert!(BlockCircuit::from_bytes(&bad).is_err());
    }

    fn sample_op_len(c: &BlockCircuit) -> usize {
        let mut out = Vec::new();
        put_op(&mut out, &c.ops[0]);
        out.len()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn corrupted_or_truncated_bytes_are_typed_errors(cut in 0usize..8000, at in 0usize..8000, mask in 1u8..=255) {
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
