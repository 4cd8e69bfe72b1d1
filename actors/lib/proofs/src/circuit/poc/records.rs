//! The records an op reads and writes, as circuit variables: the request record (fields
//! range-checked, since its leaf packs several into one word: without the checks another
//! split of the same word would hash alike), the neuron record (fields hashed one by one)
//! and their leaves (see [`bitai_chain::poc::records`]).

use super::gadgets::{alloc_bits, alloc_fr, alloc_num};
use crate::circuit::poseidon::poseidon_var;
use ark_ff::Field;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::{ConstraintSystemRef, SynthesisError};
use bitai_chain::field::{split_hash, Fr};
use bitai_chain::poc::records::{TAG_NEURON, TAG_REQUEST};
use bitai_chain::poc::{NeuronRecord, RequestRecord, ASSIGNEES};

/// Bits of the request flags (committed, revealed, settled).
pub const FLAG_BITS: usize = 10;

/// `2^n` as a field element.
pub fn two_pow(n: u32) -> Fr {
    Fr::from(2u64).pow([u64::from(n)])
}

/// A request record in the circuit.
#[derive(Clone, Debug)]
pub struct RequestVar {
    /// Requester account (32 bits).
    pub requester: FpVar<Fr>,
    /// Model id (32 bits).
    pub model: FpVar<Fr>,
    /// Flag bits: committed 0..3, revealed 3..6, settled 6..10.
    pub flags: Vec<FpVar<Fr>>,
    /// Input hash halves.
    pub input: [FpVar<Fr>; 2],
    /// Escrow (64 bits).
    pub escrow: FpVar<Fr>,
    /// Creation block (64 bits).
    pub created: FpVar<Fr>,
    /// Assignees (32 bits each).
    pub assignees: [FpVar<Fr>; ASSIGNEES],
    /// Commitments.
    pub commits: [FpVar<Fr>; ASSIGNEES],
    /// Results.
    pub results: [FpVar<Fr>; ASSIGNEES],
}

impl RequestVar {
    /// Allocates `r`'s fields with their range checks.
    pub fn new(cs: &ConstraintSystemRef<Fr>, r: &RequestRecord) -> Result<Self, SynthesisError> {
        let [hi, lo] = split_hash(&r.input);
        let flags = alloc_bits(cs, u64::from(r.flags), FLAG_BITS)?
            .into_iter()
            .map(FpVar::from)
            .collect();
        let three = |xs: [Fr; ASSIGNEES]| -> Result<[FpVar<Fr>; ASSIGNEES], SynthesisError> {
            Ok([
                alloc_fr(cs, xs[0])?,
                alloc_fr(cs, xs[1])?,
                alloc_fr(cs, xs[2])?,
            ])
        };
        let a = r.assignees.map(u64::from);
        Ok(RequestVar {
            requester: alloc_num(cs, u64::from(r.requester), 32)?,
            model: alloc_num(cs, u64::from(r.model), 32)?,
            flags,
            input: [alloc_fr(cs, hi)?, alloc_fr(cs, lo)?],
            escrow: alloc_num(cs, r.escrow, 64)?,
            created: alloc_num(cs, r.created, 64)?,
            assignees: [
                alloc_num(cs, a[0], 32)?,
                alloc_num(cs, a[1], 32)?,
                alloc_num(cs, a[2], 32)?,
            ],
            commits: three(r.commits)?,
            results: three(r.results)?,
        })
    }

    /// The flags as a number.
    pub fn flags_word(&self) -> FpVar<Fr> {
        self.flags
            .iter()
            .enumerate()
            .fold(FpVar::Constant(Fr::from(0u64)), |acc, (i, f)| {
                acc + f * Fr::from(1u64 << i)
            })
    }

    /// The leaf with `flags`, `commits` and `results` in place of the record's own.
    pub fn leaf_with(
        &self,
        flags: &FpVar<Fr>,
        commits: &[FpVar<Fr>; ASSIGNEES],
        results: &[FpVar<Fr>; ASSIGNEES],
    ) -> Result<FpVar<Fr>, SynthesisError> {
        let two_32 = two_pow(32);
        let two_64 = two_pow(64);
        let [a0, a1, a2] = &self.assignees;
        poseidon_var(&[
            FpVar::Constant(Fr::from(TAG_REQUEST)),
            &self.requester + &self.model * two_32 + flags * two_64,
            self.input[0].clone(),
            self.input[1].clone(),
            &self.escrow + &self.created * two_64,
            a0 + a1 * two_32 + a2 * two_64,
            commits[0].clone(),
            commits[1].clone(),
            commits[2].clone(),
            results[0].clone(),
            results[1].clone(),
            results[2].clone(),
        ])
    }

    /// The record's own leaf.
    pub fn leaf(&self) -> Result<FpVar<Fr>, SynthesisError> {
        self.leaf_with(&self.flags_word(), &self.commits, &self.results)
    }
}

/// A neuron record in the circuit.
#[derive(Clone, Debug)]
pub struct NeuronVar {
    /// Stake.
    pub stake: FpVar<Fr>,
    /// First block the stake may be withdrawn (0 while bonded).
    pub unlock_at: FpVar<Fr>,
    /// Rewards so far.
    pub rewards: FpVar<Fr>,
    /// Slashed so far.
    pub slashed: FpVar<Fr>,
}

impl NeuronVar {
    /// Allocates `n`'s fields. They are hashed one by one, so no split is ambiguous; values
    /// read from the tree are below 2^64 because every write keeps them so.
    pub fn new(cs: &ConstraintSystemRef<Fr>, n: &NeuronRecord) -> Result<Self, SynthesisError> {
        Ok(NeuronVar {
            stake: alloc_fr(cs, Fr::from(n.stake))?,
            unlock_at: alloc_fr(cs, Fr::from(n.unlock_at))?,
            rewards: alloc_fr(cs, Fr::from(n.rewards))?,
            slashed: alloc_fr(cs, Fr::from(n.slashed))?,
        })
    }

    /// The leaf `Poseidon(1, stake, unlock_at, rewards, slashed)`.
    pub fn leaf(&self) -> Result<FpVar<Fr>, SynthesisError> {
        poseidon_var(&[
            FpVar::Constant(Fr::from(TAG_NEURON)),
            self.stake.clone(),
            self.unlock_at.clone(),
            self.rewards.clone(),
            self.slashed.clone(),
        ])
    }
}
