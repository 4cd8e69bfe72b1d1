//! The block circuit: one Groth16 statement per AI-chain block, saying "these transactions,
//! applied to the state with root `prev_root`, are all valid and give `new_root`".
//!
//! Public inputs, in this order (7 field elements):
//! `chain_id_hi, chain_id_lo, block_number, prev_root, new_root, da_hi, da_lo`, where the
//! 32-byte chain id and DA commitment are split into their high and low 16 bytes. The chain id
//! enters every signed message; the block number and the DA commitment are bound by the
//! proof (Groth16 ties every public input to the proof) but not recomputed inside it.
//!
//! A block has a fixed number of slots (the circuit size); unused slots are no-ops that pass
//! the root through. With a tree of depth 16 (2^32 accounts) a slot costs about 26,000
//! constraints; see `circuit::tests` for the measured counts. After the transfer slots come
//! `max_ops` Proof-of-Compute op slots ([`poc`], about 50,700 constraints each at depth 16),
//! which run on all four parts of the state root; with op slots the block number is also
//! range-checked (the op rules compare it with deadlines) and the previous root (the seed
//! of every assignment draw in the block) is read by them.

pub mod codec;
pub mod eddsa;
pub mod merkle;
pub mod poc;
pub mod point;
pub mod poseidon;
pub mod transfer;

use crate::circuit::poseidon::poseidon_var;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use bitai_chain::field::{split_hash, Fr};
use bitai_chain::poc::PocParams;
use bitai_chain::stf::{BlockWitness, StateParts};
use bitai_protocol::{ChainId, Hash32};
use poc::{synthesize_op, BlockVars, OpValues, PartsVar};
use transfer::{synthesize_slot, SlotValues};

/// The shape of a block circuit: tree depth, transfer slots and Proof-of-Compute op slots per
/// block, and the Proof-of-Compute parameters its rules bake in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CircuitConfig {
    /// Levels of the account tree (16 holds 2^32 accounts; at most 16, as indices are u32).
    pub depth: usize,
    /// Transfer slots per block.
    pub max_txs: usize,
    /// Proof-of-Compute op slots per block (after the transfer slots).
    pub max_ops: usize,
    /// The Proof-of-Compute parameters (windows, stakes) the op slots enforce.
    pub poc: PocParams,
}

impl CircuitConfig {
    /// A shape of `depth` levels and `max_txs` transfer slots, without op slots.
    pub const fn new(depth: usize, max_txs: usize) -> Self {
        CircuitConfig {
            depth,
            max_txs,
            max_ops: 0,
            poc: PocParams::DEFAULT,
        }
    }

    /// The production shape for `max_txs` slots: 2^32 accounts.
    pub fn production(max_txs: usize) -> Self {
        CircuitConfig::new(bitai_chain::smt::DEPTH_2_32, max_txs)
    }
}

/// Why a circuit cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CircuitError {
    /// The block has more transactions than the circuit has slots.
    #[error("block has {got} transactions, the circuit {max} slots")]
    TooManyTxs {
        /// Transactions.
        got: usize,
        /// Slots.
        max: usize,
    },
    /// The tree depth does not fit the configuration.
    #[error("tree depth {got} does not match the circuit's {expected}")]
    DepthMismatch {
        /// The circuit's depth.
        expected: usize,
        /// The witness's depth.
        got: usize,
    },
    /// The block has more Proof-of-Compute ops than the circuit has op slots.
    #[error("block has {got} ops, the circuit {max} op slots")]
    TooManyOps {
        /// Ops.
        got: usize,
        /// Op slots.
        max: usize,
    },
    /// The configuration is not supported.
    #[error("unsupported circuit shape: {0}")]
    BadConfig(&'static str),
}

/// The public statement of a block proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicInputs {
    /// The chain.
    pub chain_id: ChainId,
    /// The block number.
    pub block_number: u64,
    /// State root before the block.
    pub prev_root: Fr,
    /// State root after the block.
    pub new_root: Fr,
    /// The DA commitment.
    pub da_commitment: Hash32,
}

/// Number of public inputs (without the constant one).
pub const NUM_PUBLIC_INPUTS: usize = 7;

impl PublicInputs {
    /// The public inputs as field elements, in circuit order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let [c0, c1] = split_hash(&self.chain_id.0);
        let [d0, d1] = split_hash(&self.da_commitment);
        vec![
            c0,
            c1,
            Fr::from(self.block_number),
            self.prev_root,
            self.new_root,
            d0,
            d1,
        ]
    }
}

/// A block circuit with its witness.
#[derive(Clone, Debug)]
pub struct BlockCircuit {
    /// Shape.
    pub config: CircuitConfig,
    /// Public statement.
    pub public: PublicInputs,
    /// One entry per slot.
    pub slots: Vec<SlotValues>,
    /// The parts of the previous state root (the transfers run on its account root).
    pub prev_parts: StateParts,
    /// One entry per Proof-of-Compute op slot (after the transfer slots).
    pub ops: Vec<OpValues>,
}

impl BlockCircuit {
    /// The circuit of an executed block.
    pub fn new(config: CircuitConfig, w: &BlockWitness) -> Result<Self, CircuitError> {
        check_config(&config)?;
        if w.transfers.len() > config.max_txs {
            return Err(CircuitError::TooManyTxs {
                got: w.transfers.len(),
                max: config.max_txs,
            });
        }
        let mut slots: Vec<SlotValues> = w.transfers.iter().map(SlotValues::from_witness).collect();
        if let Some(s) = slots
            .iter()
            .find(|s| s.sender_siblings.len() != config.depth)
        {
            return Err(CircuitError::DepthMismatch {
                expected: config.depth,
                got: s.sender_siblings.len(),
            });
        }
        slots.resize(config.max_txs, SlotValues::noop(config.depth));
        if w.ops.len() > config.max_ops {
            return Err(CircuitError::TooManyOps {
                got: w.ops.len(),
                max: config.max_ops,
            });
        }
        if let Some(op) = w
            .ops
            .iter()
            .find(|op| op.account_proof.siblings.len() != config.depth)
        {
            return Err(CircuitError::DepthMismatch {
                expected: config.depth,
                got: op.account_proof.siblings.len(),
            });
        }
        let mut ops: Vec<OpValues> = w
            .ops
            .iter()
            .map(|op| OpValues::from_witness(op, config.depth, w.prev_root))
            .collect();
        ops.resize(config.max_ops, OpValues::noop(config.depth));
        Ok(BlockCircuit {
            ops,
            prev_parts: w.prev_parts,
            config,
            public: PublicInputs {
                chain_id: w.block.chain_id,
                block_number: w.block.number,
                prev_root: w.prev_root,
                new_root: w.new_root,
                da_commitment: w.block.da_commitment,
            },
            slots,
        })
    }

    /// A circuit of no-ops (the shape only), for the setup.
    pub fn blank(config: CircuitConfig) -> Result<Self, CircuitError> {
        check_config(&config)?;
        let state = bitai_chain::stf::State::with_params(config.depth, config.poc);
        let root = state.root();
        Ok(BlockCircuit {
            prev_parts: state.parts(),
            config,
            public: PublicInputs {
                chain_id: ChainId::default(),
                block_number: 0,
                prev_root: root,
                new_root: root,
                da_commitment: Hash32::default(),
            },
            slots: vec![SlotValues::noop(config.depth); config.max_txs],
            ops: vec![OpValues::noop(config.depth); config.max_ops],
        })
    }
}

fn check_config(config: &CircuitConfig) -> Result<(), CircuitError> {
    if config.depth == 0 || config.depth > bitai_chain::smt::DEPTH_2_32 {
        return Err(CircuitError::BadConfig("tree depth must be 1..=16"));
    }
    if config.max_txs == 0 || config.max_txs > 1024 {
        return Err(CircuitError::BadConfig("slots must be 1..=1024"));
    }
    if config.max_ops > 1024 {
        return Err(CircuitError::BadConfig("op slots must be 0..=1024"));
    }
    if config.poc.check().is_err() {
        return Err(CircuitError::BadConfig(
            "invalid proof-of-compute parameters",
        ));
    }
    Ok(())
}

impl ConstraintSynthesizer<Fr> for BlockCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let (computed, claimed) = self.synthesize(cs)?;
        computed.enforce_equal(&claimed)
    }
}

impl BlockCircuit {
    /// Every constraint but the last, returning the new root the slots compute and the
    /// public `new_root` the last constraint makes them equal.
    fn synthesize(
        &self,
        cs: ConstraintSystemRef<Fr>,
    ) -> Result<(FpVar<Fr>, FpVar<Fr>), SynthesisError> {
        let inputs = self.public.to_field_elements();
        let vars = inputs
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let chain = [vars[0].clone(), vars[1].clone()];
        // The state root is Poseidon(accounts, objects, list, counters): open the previous
        // one, run the transfers on its account root, and close the new one.
        let p = &self.prev_parts;
        if self.config.max_ops == 0 {
            let parts = [p.accounts, p.objects, p.list, p.counters.packed()]
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)))
                .collect::<Result<Vec<_>, _>>()?;
            poseidon_var(&parts)?.enforce_equal(&vars[3])?;
            let mut root = parts[0].clone();
            for slot in &self.slots {
                root = synthesize_slot(&cs, &chain, &root, slot, self.config.depth)?;
            }
            let new_parts = [root, parts[1].clone(), parts[2].clone(), parts[3].clone()];
            return Ok((poseidon_var(&new_parts)?, vars[4].clone()));
        }
        // With op slots the counters are unpacked (32 bits each) and the block number
        // range-checked, as the op rules compare and count with them.
        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let c = p.counters;
        let mut parts = PartsVar {
            accounts: witness(p.accounts)?,
            objects: witness(p.objects)?,
            list: witness(p.list)?,
            neurons: poc::gadgets::alloc_num(&cs, c.neurons.into(), 32)?,
            models: poc::gadgets::alloc_num(&cs, c.models.into(), 32)?,
            requests: poc::gadgets::alloc_num(&cs, c.requests.into(), 32)?,
        };
        let prev = [
            parts.accounts.clone(),
            parts.objects.clone(),
            parts.list.clone(),
            parts.counters(),
        ];
        poseidon_var(&prev)?.enforce_equal(&vars[3])?;
        poc::gadgets::range(&cs, &vars[2], 64)?;
        for slot in &self.slots {
            parts.accounts =
                synthesize_slot(&cs, &chain, &parts.accounts, slot, self.config.depth)?;
        }
        let block = BlockVars {
            chain,
            number: vars[2].clone(),
            prev_root: vars[3].clone(),
        };
        for op in &self.ops {
            synthesize_op(
                &cs,
                &block,
                &mut parts,
                op,
                self.config.depth,
                &self.config.poc,
            )?;
        }
        let new_parts = [
            parts.accounts.clone(),
            parts.objects.clone(),
            parts.list.clone(),
            parts.counters(),
        ];
        Ok((poseidon_var(&new_parts)?, vars[4].clone()))
    }

    /// The new root the slots compute from the witness (whatever the public `new_root`
    /// says): what a prover with these values could claim.
    pub fn computed_new_root(&self) -> Result<Fr, SynthesisError> {
        use ark_r1cs_std::R1CSVar;
        let cs = ark_relations::r1cs::ConstraintSystem::<Fr>::new_ref();
        self.synthesize(cs)?.0.value()
    }
}

#[cfg(test)]
mod tests;
